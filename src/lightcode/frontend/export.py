"""Build a Hugging Face causal LM on the meta device and torch.export it (no weights, no hub).

Prefill is exported once with a symbolic sequence length (`Dim("seq")`), decode once with a symbolic
KV-cache length; shapes for a concrete length are instantiated from the symbolic graph later, never by
substituting numbers into a trace. Length 1 (prefill) is exported statically: torch.export specialises 0/1.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from typing import Any

from lightcode.errors import BadInputError, ConfigError
from lightcode.frontend.model_spec import ModelSpec

TORCH_DTYPES = {"fp16": "float16", "bf16": "bfloat16", "fp32": "float32"}


def build_config(spec: ModelSpec):
    from transformers import AutoConfig

    cfg = dict(spec.config)
    model_type = cfg.pop("model_type")
    for k in ("architectures", "torch_dtype", "dtype", "transformers_version", "_name_or_path", "auto_map",
              "quantization_config"):
        cfg.pop(k, None)
    try:
        config = AutoConfig.for_model(model_type, **cfg)
    except (ValueError, KeyError, TypeError) as e:
        raise ConfigError(
            f"{spec.name}: transformers cannot build model_type {model_type!r} ({str(e).splitlines()[0]}); "
            "use a decoder-only architecture transformers supports."
        ) from None
    if getattr(config, "is_encoder_decoder", False):
        raise ConfigError(f"{spec.name}: {model_type!r} is encoder-decoder; lightcode captures decoder-only LMs.")
    config._attn_implementation = "sdpa"
    return config


def build_meta_model(spec: ModelSpec, dtype: str):
    import torch
    from transformers import AutoModelForCausalLM

    config = build_config(spec)
    try:
        with torch.device("meta"), _quiet():
            model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, TORCH_DTYPES[dtype]))
    except ValueError as e:
        raise ConfigError(
            f"{spec.name}: transformers has no causal-LM class for {config.model_type!r} "
            f"({str(e).splitlines()[0][:160]}); use a decoder-only architecture."
        ) from None
    except Exception as e:  # a config that builds but whose module cannot be instantiated
        raise ConfigError(f"{spec.name}: cannot build the model ({type(e).__name__}: {str(e).splitlines()[0][:160]}).") from None
    return model.eval(), config


def export_prefill(spec: ModelSpec, batch: int, dtype: str, seq_len: int | None, max_len: int):
    """seq_len None -> symbolic length in [2, max_len]; else a static export at seq_len."""
    import torch
    from torch.export import Dim

    model, config = build_meta_model(spec, dtype)
    length = seq_len if seq_len is not None else min(max(max_len // 2, 2), max_len)
    ids = torch.zeros((batch, length), dtype=torch.long, device="meta")
    dynamic = None
    if seq_len is None:
        dynamic = {"input_ids": {1: Dim("seq", min=2, max=max_len)}, "use_cache": None}
    return _export(spec, model, {"input_ids": ids, "use_cache": False}, dynamic), config


def export_decode(spec: ModelSpec, batch: int, dtype: str, context: int | None, max_len: int):
    """One new token per sequence with a KV cache of `context` tokens (None -> symbolic)."""
    import torch
    from torch.export import Dim
    from transformers import DynamicCache
    from transformers.integrations.executorch import register_dynamic_cache_export_support

    _register_once(register_dynamic_cache_export_support)
    model, config = build_meta_model(spec, dtype)
    length = context if context is not None else min(max(max_len // 2, 2), max_len - 1)
    tdtype = getattr(torch, TORCH_DTYPES[dtype])
    cache = DynamicCache(config=config)
    kv_heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    for layer in range(config.num_hidden_layers):
        k = torch.zeros((batch, kv_heads, length, head_dim), dtype=tdtype, device="meta")
        cache.update(k, torch.zeros_like(k), layer)
    ids = torch.zeros((batch, 1), dtype=torch.long, device="meta")
    pos = torch.full((batch, 1), length, dtype=torch.long, device="meta")
    kwargs = {"input_ids": ids, "past_key_values": cache, "position_ids": pos, "use_cache": True}
    dynamic = None
    if context is None:
        c = Dim("ctx", min=2, max=max_len - 1)
        per_layer = [{2: c}] * config.num_hidden_layers
        dynamic = {"input_ids": None, "past_key_values": [per_layer, per_layer], "position_ids": None,
                   "use_cache": None}
    return _export(spec, model, kwargs, dynamic), config


_REGISTERED: set[int] = set()


def _register_once(fn) -> None:
    if id(fn) not in _REGISTERED:
        with _quiet():
            fn()
        _REGISTERED.add(id(fn))


def _export(spec: ModelSpec, model, kwargs: dict[str, Any], dynamic):
    import torch

    try:
        with _quiet():
            return torch.export.export(model, (), kwargs, dynamic_shapes=dynamic, strict=False)
    except BadInputError:
        raise
    except Exception as e:
        raise _ExportFailed(f"{spec.name}: torch.export failed ({type(e).__name__}: {str(e).splitlines()[0][:200]})") from e


class _ExportFailed(ConfigError):
    """Export failed; callers fall back from a symbolic to a static export before reporting it."""


@contextlib.contextmanager
def _quiet():
    """Silence transformers/torch chatter (warnings, logging) during build and export."""
    loggers = [logging.getLogger(n) for n in ("transformers", "torch._export", "torch.export", "torch._dynamo",
                                                "torch.fx.experimental.symbolic_shapes")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, lv in zip(loggers, levels):
            lg.setLevel(lv)
