"""The transformers config object of a model spec, validated (no torch import). Kept apart from export.py so
that ModelSpec can ask its config class for a position limit without importing the exporter."""

from __future__ import annotations

import contextlib
import io
import logging
import warnings

from lightcode.errors import ConfigError


def build_config(spec):
    """The transformers config object of `spec`, validated: refused architectures, type errors and impossible
    sizes become one-line ConfigErrors (transformers' own log lines are silenced)."""
    from lightcode.frontend.arch import attention_implementation, refusal

    cfg = dict(spec.config)
    model_type = cfg.pop("model_type")
    why = refusal(str(model_type))
    if why:
        raise ConfigError(f"{spec.name}: {why}")
    for k in ("architectures", "torch_dtype", "dtype", "transformers_version", "_name_or_path", "auto_map",
              "quantization_config"):
        cfg.pop(k, None)
    try:
        with _quiet():
            from transformers import AutoConfig

            config = AutoConfig.for_model(model_type, **cfg)
    except Exception as e:  # transformers 5's strict-dataclass validation raises its own (non-ValueError) types
        raise ConfigError(
            f"{spec.name}: transformers cannot build model_type {model_type!r} ({_one_line(e)}); "
            "fix the config or use a decoder-only architecture transformers supports."
        ) from None
    if getattr(config, "is_encoder_decoder", False):
        raise ConfigError(f"{spec.name}: {model_type!r} is an encoder-decoder model (its decoder cross-attends to an "
                          "encoder); lightcode captures decoder-only causal LMs.")
    _check_sizes(spec, config)
    config._attn_implementation = attention_implementation(config.model_type)
    return config


def _one_line(e: BaseException) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return " ".join(lines[:2])[:200] or type(e).__name__


def _check_sizes(spec, config) -> None:
    """Sizes that would build a model with no layers, no vocabulary or a zero-width MLP."""
    for attr in ("num_hidden_layers", "hidden_size", "num_attention_heads", "vocab_size", "intermediate_size",
                 "num_key_value_heads", "head_dim", "moe_intermediate_size"):
        v = getattr(config, attr, None)
        if v is None:
            continue
        if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
            raise ConfigError(f"{spec.name}: {attr} must be a positive integer, got {v!r}; fix the config.")
    heads, hidden = config.num_attention_heads, config.hidden_size
    if getattr(config, "head_dim", None) is None and hidden % heads:
        raise ConfigError(f"{spec.name}: hidden size {hidden} is not divisible by the {heads} attention heads; "
                          "fix num_attention_heads or give head_dim.")
    kv = getattr(config, "num_key_value_heads", None)
    if isinstance(kv, int) and heads % kv:
        raise ConfigError(f"{spec.name}: {heads} attention heads are not a multiple of {kv} key-value heads.")


@contextlib.contextmanager
def _quiet():
    """Silence transformers/torch chatter during build and export: every logging record (torch's export and
    dynamo loggers, transformers' config warnings), Python warnings, and what they print to stderr. Nothing
    of theirs may reach the user before an `error:` line."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)
