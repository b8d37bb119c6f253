"""Number formats: what a realization computes in (weights, activations = inputs, outputs/accumulation).

A format is data, stated by the unit's YAML (photonic units: their DAC/ADC bits; the GPU: the formats its
tensor cores support), never inferred in a solver. `kind` says how the bits are used:
  "float"  — IEEE-like floating point (fp32, fp16, bf16, fp8-e4m3, fp8-e5m2),
  "int"    — uniform integer code with a scale (int8, int4; weight-only formats dequantise before compute),
  "analog" — a physical quantity set by a DAC / read by an ADC of `bits`, with noise from the link budget.
Width comparisons (the precision policy's floor) use `bits`; `kind` only breaks ties in reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FormatKind = Literal["float", "int", "analog"]


@dataclass(frozen=True)
class NumberFormat:
    name: str  # "fp16", "bf16", "fp8-e4m3", "int8", "int4", "analog-4b", ...
    kind: FormatKind
    bits: int

    def __post_init__(self) -> None:
        if self.kind not in ("float", "int", "analog"):
            raise ValueError(f"unknown number-format kind {self.kind!r}")
        if self.bits < 1:
            raise ValueError(f"a number format needs at least 1 bit, got {self.bits}")

    @property
    def nbytes(self) -> float:
        """Storage per element (4-bit formats pack two per byte)."""
        return self.bits / 8

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "bits": self.bits}


@dataclass(frozen=True)
class Formats:
    """The formats of one realization. `scaling`: the granularity of the quantisation scale
    ("per-tensor", "per-channel", "per-group-128", "per-tile", or "none" for float formats)."""

    weights: NumberFormat
    activations: NumberFormat
    outputs: NumberFormat
    scaling: str = "none"

    def to_dict(self) -> dict:
        return {"weights": self.weights.to_dict(), "activations": self.activations.to_dict(),
                "outputs": self.outputs.to_dict(), "scaling": self.scaling}

    @property
    def label(self) -> str:
        """Short label: W4A16 style for int/float, the analog bits otherwise."""
        w, a = self.weights, self.activations
        if w.kind == "analog" or a.kind == "analog":
            return f"analog W{w.bits}A{a.bits}"
        return f"W{w.bits}A{a.bits}" if w.bits != a.bits else w.name


# the formats a GPU reads and writes when nothing else is said (the graph's dtype)
FP32 = NumberFormat("fp32", "float", 32)
FP16 = NumberFormat("fp16", "float", 16)
BF16 = NumberFormat("bf16", "float", 16)
STANDARD: dict[str, NumberFormat] = {f.name: f for f in (FP32, FP16, BF16)}


def dtype_formats(dtype: str) -> Formats:
    """Every operand in the graph's own dtype (a GPU kernel at the model's precision)."""
    f = STANDARD.get(dtype)
    if f is None:
        raise ValueError(f"no standard number format for dtype {dtype!r}; known: {', '.join(STANDARD)}")
    return Formats(f, f, f)
