"""GEMMs under an OpNumerics: one digital path (formats) and one analog path (DAC → photocurrent sum with
link-budget noise → ADC → digital accumulation), both reducing to the plain float32 GEMM when every stage
is exact (the reference is then reproduced bit for bit).

Analog error model: each output of a K-long dot product is ⌈K/n⌉ conversions of n-term analog sums; each
conversion adds independent noise of variance FS²/(2·SNR) plus the ADC's rounding error step²/12 (the
additive model of uniform quantisation: the link noise, of the same size as one ADC step's rounding error,
dithers the converter). Summed digitally, the output error is Gaussian with ⌈K/n⌉ times that variance.
Sampling it per output instead of per conversion keeps a 2 K-token replay within a minute on one core;
tests/test_numerics_kernels.py checks it against the per-conversion simulation on small GEMMs.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from lightcode.numerics.quantize import amax, int_round, is_identity, quantize
from lightcode.numerics.spec import AnalogGemm, OpNumerics


def _output_noise(y: torch.Tensor, g: AnalogGemm, k: int, gen: torch.Generator | None) -> torch.Tensor:
    var = g.conversion_error_var()
    if var == 0.0:
        return y
    std = math.sqrt(math.ceil(k / g.n_analog) * var)
    return y + std * torch.randn(y.shape, generator=gen, dtype=y.dtype)


def analog_exact(g: AnalogGemm) -> bool:
    return math.isinf(g.snr) and g.adc_bits is None


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, num: OpNumerics,
           gen: torch.Generator | None = None, wcache: dict | None = None) -> torch.Tensor:
    """y = x·Wᵀ + b under `num` (x: (..., K), W: (N, K))."""
    if num.analog:
        g = num.analog[0]
        if analog_exact(g) and is_identity(num.weights) and is_identity(num.activations):
            return F.linear(x, weight, bias)
        sx = amax(x, (x.dim() - 1,))
        xn = x / sx if is_identity(num.activations) else int_round(x, num.activations.bits, sx)
        key = ("analog", id(weight), num.weights)
        hit = None if wcache is None else wcache.get(key)
        if hit is None:
            sw = amax(weight, (1,))
            wn = weight / sw if is_identity(num.weights) else int_round(weight, num.weights.bits, sw)
            hit = (wn, sw.reshape(1, -1))
            if wcache is not None:
                wcache[key] = hit
        wn, sw = hit
        y = _output_noise(F.linear(xn, wn), g, x.shape[-1], gen) * sx * sw
        return y if bias is None else y + bias
    if num.is_reference:
        return F.linear(x, weight, bias)
    per_tensor = num.activation_per_tensor or (num.activations is not None and num.activations.kind == "float")
    xq = quantize(x, num.activations, None if per_tensor else (x.dim() - 1,))
    key = ("digital", id(weight), num.weights, num.weight_group)
    wq = None if wcache is None else wcache.get(key)
    if wq is None:
        wq = quantize(weight, num.weights, (1,) if num.weights is not None and num.weights.kind == "int" else None,
                      group=num.weight_group)
        if wcache is not None:
            wcache[key] = wq
    y = F.linear(xq, wq, bias)
    return y if num.outputs is None or num.outputs.kind != "float" else quantize(y, num.outputs)


def matmul(a: torch.Tensor, b: torch.Tensor, num: OpNumerics, gemm: int,
           gen: torch.Generator | None = None) -> torch.Tensor:
    """a @ b for a dynamic×dynamic GEMM (attention), a: (..., M, K), b: (..., K, N): both operands are
    activations; rows of `a` and columns of `b` carry their own scales."""
    if num.analog:
        g = num.analog[min(gemm, len(num.analog) - 1)]
        if analog_exact(g) and is_identity(num.activations):
            return a @ b
        sa, sb = amax(a, (a.dim() - 1,)), amax(b, (b.dim() - 2,))
        fmt = num.activations
        an = a / sa if is_identity(fmt) else int_round(a, fmt.bits, sa)
        bn = b / sb if is_identity(fmt) else int_round(b, fmt.bits, sb)
        return _output_noise(an @ bn, g, a.shape[-1], gen) * sa * sb
    if num.is_reference:
        return a @ b
    fmt = num.activations
    per_tensor = num.activation_per_tensor or (fmt is not None and fmt.kind == "float")
    aq = quantize(a, fmt, None if per_tensor else (a.dim() - 1,))
    bq = quantize(b, fmt, None if per_tensor else (b.dim() - 2,))
    y = aq @ bq
    return y if num.outputs is None or num.outputs.kind != "float" else quantize(y, num.outputs)
