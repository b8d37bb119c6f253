"""Numerics without the real model: quantisers, the analog chain's noise law, and the derivation of each
realization's numerics from the unit YAMLs (the same parameters the cost model reads)."""

import math

import pytest
import torch

from lightcode.core.formats import FP16, FP32, Formats, NumberFormat
from lightcode.numerics import kernels, quantize
from lightcode.numerics.derive import link_snr, photonic_numerics
from lightcode.numerics.spec import AnalogGemm, OpNumerics
from lightcode.photonics import linkbudget, precision

INT4 = NumberFormat("int4", "int", 4)
A4 = NumberFormat("analog-4b", "analog", 4)


def test_full_width_formats_are_the_identity():
    x = torch.randn(5, 7)
    assert quantize.quantize(x, FP32) is x and quantize.quantize(x, None) is x
    w = torch.randn(6, 7)
    assert torch.equal(kernels.linear(x, w, None, OpNumerics("fp32", FP32, FP32, FP32)), torch.nn.functional.linear(x, w))
    ideal = OpNumerics("ideal", analog=(AnalogGemm(4, None, math.inf),))
    assert ideal.is_reference


def test_int_grid_and_group_scales():
    x = torch.tensor([[1.0, -0.5, 0.26, 0.0]])
    q = quantize.quantize(x, INT4, (1,))
    assert torch.allclose(q * 7, torch.round(q * 7))  # 7 levels a side, max maps to 1
    assert q[0, 0] == 1.0 and q[0, 3] == 0.0
    w = torch.cat([torch.full((1, 128), 1.0), torch.full((1, 128), 0.01)], dim=1)
    g = quantize.quantize(w, INT4, (1,), group=128)
    assert torch.allclose(g, w)  # each group has its own scale; per-channel would zero the small half
    assert (quantize.quantize(w, INT4, (1,))[0, 128:] == 0).all()


def test_fp8_and_fp16_round():
    x = torch.randn(1000) * 3
    f8 = quantize.quantize(x, NumberFormat("fp8-e4m3", "float", 8))
    rel = ((f8 - x).abs() / x.abs().clamp_min(1e-3)).median()
    assert 0 < rel < 2 ** -3  # 3 mantissa bits
    assert torch.equal(quantize.quantize(x, FP16), x.half().float())


def _err_std(snr, adc_bits=None, n=16, k=64, seed=0):
    torch.manual_seed(seed)
    x, w = torch.rand(256, k) * 2 - 1, torch.rand(32, k) * 2 - 1
    num = OpNumerics("a", analog=(AnalogGemm(n, adc_bits, snr),))
    g = torch.Generator().manual_seed(seed)
    y = kernels.linear(x, w, None, num, g)
    sx, sw = quantize.amax(x, (1,)), quantize.amax(w, (1,)).reshape(1, -1)
    return float(((y - x @ w.T) / (sx * sw)).std())


def test_noise_scales_with_the_units_snr():
    """Output noise ∝ FS/√SNR: 20 dB more SNR is 10x less noise; the variance is ⌈K/n⌉ conversions'."""
    s1, s2 = _err_std(1e3), _err_std(1e5)
    assert s1 / s2 == pytest.approx(10.0, rel=0.05)
    n, k = 16, 64
    assert s1 == pytest.approx(math.sqrt(k / n * n * n / (2 * 1e3)), rel=0.05)
    assert _err_std(math.inf, None) < 1e-5


def test_output_referred_model_matches_per_conversion_simulation():
    """The per-output Gaussian (kernels.py) against quantising every n-term partial sum with its own noise."""
    torch.manual_seed(1)
    n, k, bits = 16, 64, 6
    g = AnalogGemm(n, bits, linkbudget.snr_target(bits))
    x, w = torch.randn(512, k), torch.randn(48, k)
    sx, sw = quantize.amax(x, (1,)), quantize.amax(w, (1,))
    xn, wn = x / sx, w / sw
    exact = torch.zeros(512, 48)
    for j in range(k // n):
        part = xn[:, j * n:(j + 1) * n] @ wn[:, j * n:(j + 1) * n].T
        part = part + math.sqrt(n * n / (2 * g.snr)) * torch.randn_like(part)
        step = n / (2 ** (bits - 1) - 1)
        exact += torch.round(part / step) * step
    err_exact = float((exact - xn @ wn.T).std())
    err_model = math.sqrt(k / n * g.conversion_error_var())
    assert err_model == pytest.approx(err_exact, rel=0.15)


def test_derivation_uses_the_cost_models_parameters():
    from lightcode.core.opgraph import Gemm, Op
    from lightcode.hardware.load import load_unit

    op = Op(name="x", kind="matmul", target="aten.linear", inputs=(), outputs=(), flops=0, bytes_read=0,
            bytes_written=0, gemms=(Gemm(m=128, k=576, n=576, batch=1, weight_operand=True),))
    base = load_unit("ddot-b-4bit")
    num = photonic_numerics(base, op, "fp16", None)
    g = num.analog[0]
    assert g.n_analog == base.mapping(op.gemms[0])["n_analog"]
    assert g.adc_bits == precision.adc_bits_required(4, g.n_analog, base.p["adc_bits_per_doubling"])
    assert g.snr == pytest.approx(linkbudget.snr_target(g.adc_bits))  # LT law: its own premise
    cons = load_unit("ddot-b-4bit", corner="conservative")
    snr, how = link_snr(cons, 6)
    assert "link budget" in how and snr == pytest.approx(linkbudget.snr_target(6), rel=1e-6)
    mrr = photonic_numerics(load_unit("mrr-bank"), op, "fp16", None).analog[0]
    assert mrr.n_analog == min(576, load_unit("mrr-bank").core_inputs())
    stated = photonic_numerics(base, op, "fp16", Formats(A4, A4, NumberFormat("analog-8b", "analog", 8)))
    assert stated.analog[0].adc_bits == 8  # a realization's own output format wins over the derivation
