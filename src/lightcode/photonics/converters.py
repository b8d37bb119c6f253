"""Data-converter energy laws (one law each, used by every photonic family).

Energy per conversion is scaled from one datasheet reference point (power P_ref at rate f_ref and
resolution b_ref), so E_ref = P_ref / f_ref and the law gives E(b) at any resolution:

- DAC (current-steering / switched-capacitor): power ∝ f · 2^b / b — the unit-cell count doubles per bit
  while the per-bit overhead is amortised (LT/SimPhony `DAC.py` convention, photonic_sims.md §1.6).
- SAR ADC: power ∝ f · b — one comparator decision per bit (LT/SimPhony SAR law; Walden-FoM scaling
  would be ∝ 2^b, we deliberately pick the SAR law the anchors use, photonic_sims.md §1.6 and §4).

A converter cannot run faster or finer than its reference design: `None` means "no realization".
"""

from __future__ import annotations


def dac_energy_j(bits: float, ref_power_w: float, ref_rate_hz: float, ref_bits: float) -> float:
    """Energy of one DAC conversion at `bits`, scaled ∝ 2^b/b from the reference point."""
    e_ref = ref_power_w / ref_rate_hz
    return e_ref * (2.0**bits / bits) / (2.0**ref_bits / ref_bits)


def adc_energy_j(bits: float, ref_power_w: float, ref_rate_hz: float, ref_bits: float) -> float:
    """Energy of one SAR-ADC conversion at `bits`, scaled ∝ b from the reference point."""
    e_ref = ref_power_w / ref_rate_hz
    return e_ref * bits / ref_bits


def converter_supports(bits: float, rate_hz: float, ref_bits: float, ref_rate_hz: float) -> bool:
    """A reference design can be scaled down in bits and rate, never up (LT raises; we return False)."""
    return bits <= ref_bits + 1e-9 and rate_hz <= ref_rate_hz * (1 + 1e-9)
