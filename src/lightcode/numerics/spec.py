"""What one op computes in under one realization: `OpNumerics` (formats, scale granularity, analog chain).

Scale granularity (stated once, used by every realization):
- photonic (analog) GEMMs: each operand vector is normalised by its own max |value| onto the DAC/modulator
  range [−1, 1] — per token (row) for activations and query/probability rows, per output channel for
  weights and value columns. The two scales factor out of every dot product, so the digital back-end
  multiplies each ADC result by s_row · s_col exactly; finer scales (per reduction slice) would need one
  scale per conversion and are not assumed.
- digital int formats: weights per output channel, or per group of G along the reduction where the format
  says `per-group-G` (W4A16); activations per token, or per tensor where the format says so.
- fp8: one scale per tensor (the H100 transformer-engine recipe); fp16/bf16: plain rounding, no scale.

Analog chain per GEMM (`AnalogGemm`): n products sum in the photocurrent before one ADC conversion
(n from the unit's own mapping); the detector's full scale is n (every normalised product at ±1), the
swing the link budget sized the laser for; Gaussian noise of variance FS²/(2·SNR) (signal power of a
full-scale sine, photonics/linkbudget.py) and an ADC of `adc_bits` over [−FS, FS] per conversion; the
⌈K/n⌉ conversions of one output are summed digitally.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from lightcode.core.formats import NumberFormat


@dataclass(frozen=True)
class AnalogGemm:
    n_analog: int  # products summed in analog before one conversion
    adc_bits: int | None  # None: an ideal converter
    snr: float  # linear SNR of a full-scale output at the ADC input; inf: noiseless

    @property
    def snr_db(self) -> float:
        return math.inf if math.isinf(self.snr) else 10.0 * math.log10(self.snr)

    def conversion_error_var(self) -> float:
        """Variance of one conversion's error in normalised product units: link-budget noise plus the
        ADC's uniform rounding error (step FS / levels, variance step²/12)."""
        fs = float(self.n_analog)
        var = 0.0 if math.isinf(self.snr) else fs * fs / (2.0 * self.snr)
        if self.adc_bits is not None:
            step = fs / (2 ** (self.adc_bits - 1) - 1)
            var += step * step / 12.0
        return var

    def to_dict(self) -> dict:
        return {"n_analog": self.n_analog, "adc_bits": self.adc_bits,
                "snr_db": None if math.isinf(self.snr) else round(self.snr_db, 3)}


@dataclass(frozen=True)
class OpNumerics:
    """`weights`/`activations`/`outputs`: None = exact (fp32, the reference). `analog`: one entry per GEMM
    of the op, empty for a digital realization. `is_reference`: every stage exact (then the twin runs the
    stock kernels, bit-identical to the reference model)."""

    label: str
    weights: NumberFormat | None = None
    activations: NumberFormat | None = None
    outputs: NumberFormat | None = None
    weight_group: int | None = None  # per-group scale along the reduction (digital int weights)
    activation_per_tensor: bool = False  # one activation scale per tensor (else per token)
    analog: tuple[AnalogGemm, ...] = ()
    derived: tuple[str, ...] = field(default=(), compare=False)  # parameters derived, not read from YAML

    @property
    def is_reference(self) -> bool:
        from lightcode.numerics.quantize import is_identity

        exact_chain = all(math.isinf(g.snr) and g.adc_bits is None for g in self.analog)
        return (exact_chain and is_identity(self.weights) and is_identity(self.activations)
                and is_identity(self.outputs))

    def to_dict(self) -> dict:
        fmt = lambda f: None if f is None else f.to_dict()  # noqa: E731
        return {"label": self.label, "weights": fmt(self.weights), "activations": fmt(self.activations),
                "outputs": fmt(self.outputs), "weight_group": self.weight_group,
                "activation_per_tensor": self.activation_per_tensor,
                "analog": [a.to_dict() for a in self.analog], "derived": list(self.derived)}


REFERENCE = OpNumerics("reference fp32")
