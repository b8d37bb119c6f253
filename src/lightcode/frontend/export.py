"""Build a Hugging Face causal LM on the meta device and torch.export it (no weights, no hub).

Prefill is exported once with a symbolic sequence length (`Dim("seq")`), decode once with a symbolic
KV-cache length; shapes for a concrete length are instantiated from the symbolic graph later, never by
substituting numbers into a trace. Length 1 (prefill) is exported statically: torch.export specialises 0/1.
"""

from __future__ import annotations

import contextlib
from typing import Any

from lightcode.errors import BadInputError, ConfigError
from lightcode.frontend.hfconfig import _one_line, _quiet, build_config
from lightcode.frontend.model_spec import ModelSpec

TORCH_DTYPES = {"fp16": "float16", "bf16": "bfloat16", "fp32": "float32"}


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
            f"({_one_line(e)[:160]}); use a decoder-only architecture."
        ) from None
    except Exception as e:  # a config that builds but whose module cannot be instantiated
        raise ConfigError(f"{spec.name}: cannot build the model ({type(e).__name__}: {_one_line(e)[:160]}).") from None
    return model.eval(), config


EXAMPLE_LENGTH = 67  # the example length of a symbolic export: a prime, so no model dimension equals it


def _example_length(max_len: int | None, margin: int = 0) -> int:
    if max_len is None:
        return EXAMPLE_LENGTH
    return max(min(EXAMPLE_LENGTH, max_len - margin), 2)


def export_prefill(spec: ModelSpec, batch: int, dtype: str, seq_len: int | None, max_len: int | None):
    """seq_len None -> symbolic length in [2, max_len] (max_len None: unbounded, ALiBi); else a static export."""
    import torch
    from torch.export import Dim

    model, config = build_meta_model(spec, dtype)
    length = seq_len if seq_len is not None else _example_length(max_len)
    ids = torch.zeros((batch, length), dtype=torch.long, device="meta")
    dynamic = None
    if seq_len is None:
        dim = Dim("seq", min=2, max=max_len) if max_len is not None else Dim("seq", min=2)
        dynamic = {"input_ids": {1: dim}, "use_cache": None}
    return _export(spec, model, {"input_ids": ids, "use_cache": False}, dynamic), config


def decode_cache_lengths(config, context: int) -> list[int]:
    """Per layer: the tokens the model's own cache holds after `context` tokens (a sliding layer keeps its
    last window − 1)."""
    from lightcode.frontend.arch import layer_windows

    return [context if w is None else min(context, w - 1) for w in layer_windows(config)]


def export_decode(spec: ModelSpec, batch: int, dtype: str, context: int | None, max_len: int | None,
                  example: int | None = None):
    """One new token per sequence after a KV cache of `context` tokens (None -> symbolic, traced at `example`
    tokens). The cache is the one the model itself builds (a meta-device prefill of that many tokens), so its
    layout is the model's own: multi-query (Falcon), grouped (GQA), DeepSeek's MLA heads, sliding layers."""
    import torch
    from torch.export import Dim
    from transformers.integrations.executorch import register_dynamic_cache_export_support

    _register_once(register_dynamic_cache_export_support)
    model, config = build_meta_model(spec, dtype)
    length = context if context is not None else (example or _example_length(max_len, margin=1))
    ids = torch.zeros((batch, length), dtype=torch.long, device="meta")
    try:
        with torch.no_grad(), _quiet(), _meta_runnable_experts(model, config):
            cache = model(input_ids=ids, use_cache=True).past_key_values
    except Exception as e:
        raise ConfigError(f"{spec.name}: cannot build the model's KV cache ({type(e).__name__}: {_one_line(e)[:160]}).") from None
    if cache is None or not hasattr(cache, "layers"):
        raise ConfigError(f"{spec.name}: the model returns no attention KV cache; lightcode captures attention decoders.")
    new = torch.zeros((batch, 1), dtype=torch.long, device="meta")
    pos = torch.full((batch, 1), length, dtype=torch.long, device="meta")
    kwargs = {"input_ids": new, "past_key_values": cache, "position_ids": pos, "use_cache": True}
    dynamic = None
    if context is None:
        # DYNAMIC, not a strict Dim: export may prove its guards (min of strides) itself; the range it settles
        # on is read back from the program (`RawGraph.symbol_range`)
        c = Dim.DYNAMIC(min=2, max=max_len - 1) if max_len is not None else Dim.DYNAMIC(min=2)
        keys, values = [], []
        for layer in cache.layers:  # a layer holding the whole context grows with it; a saturated window does not
            keys.append({2: c} if layer.keys.shape[2] == length else None)
            values.append({2: c} if layer.values.shape[2] == length else None)
        dynamic = {"input_ids": None, "past_key_values": [keys, values], "position_ids": None, "use_cache": None}
    return _export(spec, model, kwargs, dynamic), config


@contextlib.contextmanager
def _meta_runnable_experts(model, config):
    """Expert GEMMs that run eagerly on the meta device in any dtype (`batched_mm`; the default grouped_mm
    kernel wants bf16) while the cache-building prefill runs; the export itself keeps the default."""
    from lightcode.frontend.arch import moe_traits

    previous = getattr(config, "_experts_implementation", None)
    switched = False
    if moe_traits(config) is not None and hasattr(model, "set_experts_implementation"):
        try:
            model.set_experts_implementation("batched_mm")
            switched = True
        except Exception:  # an architecture without the interface keeps its own path
            switched = False
    try:
        yield
    finally:
        if switched:
            model.set_experts_implementation(previous or "grouped_mm")


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


