"""The one place where a realization's numerics come from: the unit's YAML parameters (the same ones the
cost model reads) and the realization's formats.

Derived, not read (listed in each OpNumerics.derived and in the accuracy report):
- analog length n per GEMM: the unit's own tiling (DDot: Λ·T'·C of `mapping`; weight-stationary cores:
  min(K, core inputs)); a photonic family without either sums the whole reduction in analog (n = K);
- ADC bits: the realization's output format where it states one, else the precision law
  b + ⌈g·log2 n⌉ (photonics/precision.py) with the unit's `adc_bits_per_doubling` g — what the cost model
  charges;
- SNR at full scale: precision_law 1 (shot/thermal/RIN) → the link budget's SNR at the received power the
  laser is sized for (photonics/linkbudget.py); precision_law 0 (LT's P_rx = sensitivity·2^b) states no
  receiver noise, so the SNR is taken as the law's own premise: the target SNR of the ADC bits
  (6.02·b + 1.76 dB);
- a unit that models no precision (the LightCode PTU's 32-bit BITS_PER_NUM) computes exactly.
"""

from __future__ import annotations

import math

from lightcode.core.formats import Formats, NumberFormat, dtype_formats
from lightcode.core.opgraph import Gemm, Op
from lightcode.numerics.quantize import parse_group
from lightcode.numerics.spec import REFERENCE, AnalogGemm, OpNumerics
from lightcode.photonics import linkbudget, precision

GEMM_KINDS = ("matmul", "attention")


def analog_length(unit, g: Gemm) -> tuple[int, str]:
    """Products summed in analog before one conversion, and how it was found."""
    if hasattr(unit, "mapping"):
        return int(unit.mapping(g)["n_analog"]), "the unit's tiling (mapping n_analog)"
    if hasattr(unit, "core_inputs"):
        return int(min(g.k, unit.core_inputs())), "min(K, core inputs)"
    return int(g.k), "no tiling model: the whole reduction in analog"


def link_snr(unit, adc_bits: int) -> tuple[float, str]:
    """Linear SNR of a full-scale output at the ADC, from the unit's link budget at its corner."""
    p = unit.p
    if int(round(p["precision_law"])) == linkbudget.SNR:
        clock = p["clock"]
        rx = linkbudget.rx_power_for_bits(adc_bits, p, clock)
        if rx is None:
            return 0.0, "SNR law: RIN caps the SNR below the target (no realization)"
        # the same noise bandwidth the laser was sized for (linkbudget.rx_power_for_bits)
        snr = linkbudget.snr_at_power(rx, clock * p["receiver_bandwidth_ratio"], p["pd_responsivity"],
                                      p["receiver_temperature"],
                                      p["receiver_load"], p["laser_rin"])
        return snr, "link budget (shot + thermal + RIN at the sized received power)"
    return linkbudget.snr_target(adc_bits), "LT law states no receiver noise: SNR = target of the ADC bits"


def photonic_numerics(unit, op: Op, dtype: str, formats: Formats | None) -> OpNumerics:
    p = getattr(unit, "p", None)
    if not p or "precision_law" not in p:
        return OpNumerics(f"{unit.name} exact", derived=(f"{unit.name}: no precision model, computes exactly",))
    bits = int(formats.weights.bits) if formats is not None else int(precision.operand_bits(unit.precision_bits,
                                                                                             dtype))
    a_bits = int(formats.activations.bits) if formats is not None else bits
    out_bits = formats.outputs.bits if formats is not None and formats.outputs.kind != "float" else None
    gemms, derived = [], []
    for g in op.gemms:
        n, how_n = analog_length(unit, g)
        b_adc = int(out_bits) if out_bits is not None else precision.adc_bits_required(
            bits, n, p["adc_bits_per_doubling"])
        snr, how_snr = link_snr(unit, b_adc)
        gemms.append(AnalogGemm(n, b_adc, snr))
        derived.append(f"n={n} ({how_n}); ADC {b_adc} b"
                       + ("" if out_bits is not None else f" (b + ceil({p['adc_bits_per_doubling']:g}·log2 n))")
                       + f"; SNR {10 * math.log10(snr) if snr > 0 else -math.inf:.1f} dB ({how_snr})")
    w = NumberFormat(f"analog-{bits}b", "analog", bits)
    a = NumberFormat(f"analog-{a_bits}b", "analog", a_bits)
    adcs = sorted({g.adc_bits for g in gemms})
    label = f"{unit.name} analog W{bits}A{a_bits} ADC{'/'.join(map(str, adcs))}"
    return OpNumerics(label, weights=w, activations=a, analog=tuple(gemms), derived=tuple(dict.fromkeys(derived)))


def digital_numerics(formats: Formats) -> OpNumerics:
    w, a, o = formats.weights, formats.activations, formats.outputs
    group = parse_group(formats.scaling) if w.kind == "int" else None
    return OpNumerics(f"gpu {formats.label}", weights=w, activations=a, outputs=o, weight_group=group,
                      activation_per_tensor=formats.scaling == "per-tensor")


def op_numerics(stacked, i: int, r) -> OpNumerics:
    """Numerics of op `i` of `stacked` under its realization `r` (a stack.stacked.Realization)."""
    op = stacked.graph.ops[i]
    if op.kind not in GEMM_KINDS or not op.gemms:
        return REFERENCE  # norms, softmax, elementwise: evaluated at fp32 in the twin (stated)
    unit = stacked.unit(r.unit)
    if unit.kind == "photonic":
        return photonic_numerics(unit, op, stacked.dtype, r.formats)
    return digital_numerics(r.formats or dtype_formats(stacked.dtype))
