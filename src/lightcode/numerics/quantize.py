"""Quantisers: what a number format does to a tensor (torch, float32 in and out).

Each quantiser maps a float32 tensor onto the values the format can hold, with the scale granularity
stated by the caller (`Scale`): the scale is the max |value| of each group, mapped onto the format's full
range (an int/analog code's largest level, or fp8's largest finite value). A full-width format (fp32 or
wider) returns its input object unchanged, so a reference run is bit-exact.

Integer and analog (DAC) codes are symmetric: 2^(b-1) − 1 levels each side of an exact zero (a b-bit
signed code; a DAC driving a push-pull modulator's field amplitude over [−1, 1]).
"""

from __future__ import annotations

import torch

from lightcode.core.formats import NumberFormat

_FP8_E4M3_MAX = float(torch.finfo(torch.float8_e4m3fn).max)  # 448: the format's own largest finite value
_FP8_E5M2_MAX = float(torch.finfo(torch.float8_e5m2).max)
_FLOAT_DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}
_FP8 = {"fp8-e4m3": (torch.float8_e4m3fn, _FP8_E4M3_MAX), "fp8-e5m2": (torch.float8_e5m2, _FP8_E5M2_MAX)}
_TINY = 1e-30


def is_identity(fmt: NumberFormat | None) -> bool:
    return fmt is None or (fmt.kind == "float" and fmt.bits >= 32)


def levels(bits: int) -> int:
    """Largest code of a symmetric signed b-bit integer / DAC code."""
    return 2 ** (int(bits) - 1) - 1


def amax(x: torch.Tensor, dims: tuple[int, ...] | None) -> torch.Tensor:
    """max |x| over `dims` (None: the whole tensor), kept broadcastable, never zero."""
    a = x.abs().amax() if dims is None else x.abs().amax(dim=dims, keepdim=True)
    return a.clamp_min(_TINY)


def int_round(x: torch.Tensor, bits: int, scale: torch.Tensor) -> torch.Tensor:
    """x/scale rounded to the symmetric b-bit grid (values in [−1, 1]); `scale` maps onto level max."""
    q = levels(bits)
    return torch.clamp(torch.round(x / scale * q), -q, q) / q


def quantize(x: torch.Tensor, fmt: NumberFormat | None, dims: tuple[int, ...] | None = None,
             group: int | None = None) -> torch.Tensor:
    """`x` as the format holds it. `dims`: the axes one scale spans (None = per tensor); `group`: split
    the last axis into groups of that many elements, each with its own scale (W4A16's per-group-128)."""
    if is_identity(fmt):
        return x
    if fmt.kind == "float":
        if fmt.name in _FLOAT_DTYPES:
            return x.to(_FLOAT_DTYPES[fmt.name]).to(torch.float32)
        if fmt.name in _FP8:
            dt, top = _FP8[fmt.name]
            s = amax(x, dims) / top
            return (x / s).to(dt).to(torch.float32) * s
        raise ValueError(f"no quantiser for float format {fmt.name!r}")
    # int and analog: symmetric uniform code with max-abs scaling
    if group is not None and x.shape[-1] % group == 0 and x.shape[-1] > group:
        g = x.reshape(*x.shape[:-1], x.shape[-1] // group, group)
        s = amax(g, (g.dim() - 1,))
        return (int_round(g, fmt.bits, s) * s).reshape(x.shape)
    s = amax(x, dims)
    return int_round(x, fmt.bits, s) * s


def parse_group(scaling: str) -> int | None:
    """'per-group-128' -> 128; anything else -> None."""
    if scaling.startswith("per-group-"):
        try:
            return int(scaling.rsplit("-", 1)[1])
        except ValueError:
            return None
    return None
