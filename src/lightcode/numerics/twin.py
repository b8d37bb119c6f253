"""The functional twin: the real model (SmolLM2-135M, kvselect/realmodel.py) with every GEMM op executed
under the numerics of its realization.

The twin patches the model in place, once: every nn.Linear's forward goes through `kernels.linear` and
attention through `kernels.matmul` (a registered attention function). With no numerics installed both
call exactly what the stock model calls (F.linear, transformers' SDPA), so the reference is unchanged.
Ops are addressed by module path, the same paths the `smollm2-135m` preset's capture carries:
`model.layers.3.mlp.up_proj` (matmul), `model.layers.3.self_attn` (attention), `lm_head`.
Norms, softmax, rotary and elementwise ops run at fp32 in every mapping (only GEMMs change numerics).
"""

from __future__ import annotations

import functools
import os
from contextlib import contextmanager
from typing import Mapping

import torch
import torch.nn.functional as F

from lightcode.errors import BadInputError
from lightcode.numerics import kernels
from lightcode.numerics.spec import OpNumerics

FUNCTIONAL_MODELS = ("smollm2-135m",)  # preset name == realmodel name
_ATTN = "lightcode_numerics"


def has_twin(model_name: str) -> bool:
    return model_name in FUNCTIONAL_MODELS


def set_threads(n: int | None = None) -> int:
    """One BLAS thread by default (the machine is shared; the speed goal is stated per core)."""
    n = n or int(os.environ.get("LIGHTCODE_NUMERICS_THREADS", "1"))
    torch.set_num_threads(n)
    return n


class Twin:
    def __init__(self, model: str = "smollm2-135m"):
        from lightcode.kvselect import realmodel

        if not has_twin(model):
            raise BadInputError(f"no functional twin for {model!r}; known: {', '.join(FUNCTIONAL_MODELS)}")
        set_threads()
        self.name = model
        self.tok, self.lm = realmodel.load(model)
        self.numerics: dict[str, OpNumerics] = {}
        self.gen = torch.Generator().manual_seed(0)
        self.wcache: dict = {}
        self.linears = {n: m for n, m in self.lm.named_modules() if isinstance(m, torch.nn.Linear)}
        self.attentions = {n: m for n, m in self.lm.named_modules() if hasattr(m, "layer_idx")
                           and hasattr(m, "q_proj")}
        self._attn_path = {m.layer_idx: n for n, m in self.attentions.items()}
        if not getattr(self.lm, "_lightcode_twin", False):
            for n, m in self.linears.items():
                m.forward = functools.partial(_linear_forward, m, n)
            self.lm._lightcode_twin = True
        _ACTIVE[:] = [self]
        _register_attention()

    # ---- which numerics each op runs under -----------------------------------------------------------
    def op_paths(self) -> list[str]:
        """Module paths of the GEMM ops (matmul and attention), in the model's order."""
        out = []
        for n, m in self.lm.named_modules():
            if n in self.attentions:
                out.append(n)
            elif n in self.linears:
                out.append(n)
        return out

    @contextmanager
    def mapping(self, numerics: Mapping[str, OpNumerics], seed: int = 0):
        unknown = sorted(set(numerics) - set(self.linears) - set(self.attentions))
        if unknown:
            raise BadInputError(f"module paths not in the functional model: {', '.join(unknown[:5])}")
        prev_impl = self.lm.config._attn_implementation
        self.numerics = {k: v for k, v in numerics.items() if not v.is_reference}
        _ACTIVE[:] = [self]  # the patched modules read the twin that installed the mapping
        self.wcache = {}
        self.gen.manual_seed(seed)
        if self.numerics:
            self.lm.set_attn_implementation(_ATTN)
        try:
            yield self
        finally:
            self.numerics, self.wcache = {}, {}
            if self.lm.config._attn_implementation != prev_impl:
                self.lm.set_attn_implementation(prev_impl)

    def reseed(self, seed: int) -> None:
        self.gen.manual_seed(seed)

    @torch.no_grad()
    def logits(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) token ids -> (B, T, vocab) float32 logits under the installed mapping."""
        return self.lm(input_ids=ids, use_cache=False).logits


_ACTIVE: list[Twin] = []  # the process's twin (one real model per process, loaded once by realmodel)


def _twin_of(module) -> Twin | None:
    return _ACTIVE[0] if _ACTIVE else None


def _linear_forward(module, path: str, x: torch.Tensor) -> torch.Tensor:
    t = _twin_of(module)
    num = None if t is None else t.numerics.get(path)
    if num is None:
        return F.linear(x, module.weight, module.bias)
    return kernels.linear(x, module.weight, module.bias, num, t.gen, t.wcache)


def _attention(module, query, key, value, attention_mask, dropout=0.0, scaling=None, **kw):
    from transformers.integrations.sdpa_attention import repeat_kv, sdpa_attention_forward

    t = _twin_of(module)
    num = None if t is None else t.numerics.get(t._attn_path.get(module.layer_idx, ""))
    if num is None:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout,
                                      scaling=scaling, **kw)
    groups = getattr(module, "num_key_value_groups", 1)
    k, v = repeat_kv(key, groups), repeat_kv(value, groups)
    s = scaling if scaling is not None else module.scaling
    scores = kernels.matmul(query, k.transpose(-1, -2), num, 0, t.gen) * s
    tq, tk = scores.shape[-2], scores.shape[-1]
    causal = torch.ones(tq, tk, dtype=torch.bool).tril(tk - tq)
    if attention_mask is not None and attention_mask.dtype == torch.bool:
        causal = causal & attention_mask[..., :tk]
    scores = scores.masked_fill(~causal, float("-inf"))
    if attention_mask is not None and attention_mask.dtype != torch.bool:
        scores = scores + attention_mask[..., :tk]
    p = torch.softmax(scores, dim=-1)
    out = kernels.matmul(p, v, num, 1, t.gen)
    return out.transpose(1, 2).contiguous(), None


_REGISTERED = False


def _register_attention() -> None:
    global _REGISTERED
    if _REGISTERED:
        return
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(_ATTN, _attention)
    AttentionMaskInterface.register(_ATTN, sdpa_mask)  # the stock SDPA causal mask
    _REGISTERED = True
