"""Data-converter energy laws (one law each, used by every photonic family).

Energy per conversion is scaled from one datasheet reference point (power P_ref at rate f_ref and
resolution b_ref), so E_ref = P_ref / f_ref and the law gives E(b) at any resolution:

- DAC (current-steering / switched-capacitor): power ∝ f · 2^b / b — the unit-cell count doubles per bit
  while the per-bit overhead is amortised (LT/SimPhony `DAC.py` convention, photonic_sims.md §1.6).
- ADC (Walden figure of merit): E = FoM · 2^ENOB per conversion. The resolution a readout needs is an
  effective resolution, so the parameter is ENOB and the energy follows from a measured FoM: the LT/SimPhony
  "8-bit" reference (Liu et al., ISSCC 2022: 10 GS/s, SNDR 40.8 dB, 1.48 pJ/conv) is ENOB 6.5 at
  16.52 fJ/conv-step, so an 8-ENOB read at that FoM costs 2^(8 − 6.49) = 2.85× its 1.48 pJ.
  `adc_energy_j` (SAR ∝ b from a power reference) remains for the kvselect engine's own parameters.

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


def walden_adc_energy_j(enob: float, fom_j: float) -> float:
    """Energy of one ADC conversion at `enob` effective bits: Walden FoM (J per conversion-step) · 2^ENOB."""
    return fom_j * 2.0**enob


def enob_from_sndr(sndr_db: float) -> float:
    """Effective bits of a converter from its measured SNDR: (SNDR − 1.76 dB) / 6.02 dB."""
    return (sndr_db - 1.76) / 6.02


def converter_supports(bits: float, rate_hz: float, ref_bits: float, ref_rate_hz: float) -> bool:
    """A reference design can be scaled down in bits and rate, never up (LT raises; we return False)."""
    return bits <= ref_bits + 1e-9 and rate_hz <= ref_rate_hz * (1 + 1e-9)
