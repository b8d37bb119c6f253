"""Physical floors: the least energy physics (or the best reported circuit) needs for the bits delivered.

One SNR convention throughout, the link budget's (linkbudget.snr_target): b effective bits need
SNR_b = 10^((6.02·b + 1.76)/10), signal power I²/2 of a full-swing photocurrent I, Nyquist bandwidth
f/2 for one sample per clock period.

- Shot-noise floor of a detection. Shot noise alone (2qIB) with an ideal detector (quantum efficiency
  η ≤ 1, responsivity ηq/hν) reaches SNR_b when I²/2 = SNR_b·2qI·f/2, i.e. at the optical energy per
  sample E = P/f = 2·SNR_b·hν/η — N = 2·SNR_b/η photons (≈ 3·4^b). No receiver can do with less light;
  thermal and RIN noise (the unit's SNR law) and LT's 2^b heuristic sit above it.
- Thermal (kT/C) floor of a conversion. A sampled node whose kT/C noise stays SNR_b below a full-scale
  sine (signal V²/8) needs C ≥ 8kT·SNR_b/V²; charging it rail to rail costs C·V², so
  E ≥ 8·kT·SNR_b per conversion (the argument of B. Murmann, "Limits on ADC power dissipation", 2006).
  Applied to ADCs and to DACs (the DAC drives a node to b-bit accuracy against the same noise).
- Figure-of-merit state of the art. Walden FoM E/2^b (J per conversion step): the best reported
  converter at the unit's rate spends FoM·2^b per conversion (values and sources in the hardware
  library's floor reference file, not here).

`x_above(actual, floor)` is the ratio a report prints as "× above floor"; < 1 means the model claims
less than the bound — an optimistic (unphysical, or beyond-state-of-the-art) parameter.
"""

from __future__ import annotations

import math

from lightcode.photonics.linkbudget import snr_target
from lightcode.photonics.noise import K_BOLTZMANN

H_PLANCK = 6.62607015e-34  # J·s (exact, SI 2019)
C_LIGHT = 299792458.0  # m/s (exact)


def photon_energy_j(wavelength_m: float) -> float:
    return H_PLANCK * C_LIGHT / wavelength_m


def shot_floor_photons(bits: float, quantum_efficiency: float = 1.0) -> float:
    """Detected-light photons per sample for `bits` effective bits at the shot-noise limit."""
    return 2.0 * snr_target(bits) / quantum_efficiency


def shot_floor_energy_j(bits: float, wavelength_m: float, quantum_efficiency: float = 1.0) -> float:
    """Optical energy per detection (sample) for `bits` effective bits, shot noise only."""
    return shot_floor_photons(bits, quantum_efficiency) * photon_energy_j(wavelength_m)


def bits_at_shot_floor(energy_j: float, wavelength_m: float) -> float:
    """Inverse of `shot_floor_energy_j`: the effective bits an optical energy per detection can pay for."""
    snr = energy_j / (2.0 * photon_energy_j(wavelength_m))
    return (10.0 * math.log10(snr) - 1.76) / 6.02 if snr > 0 else -math.inf


def thermal_floor_energy_j(bits: float, temperature_k: float) -> float:
    """kT/C floor of one conversion at `bits` effective bits: 8·kT·SNR_b."""
    return 8.0 * K_BOLTZMANN * temperature_k * snr_target(bits)


def fom_energy_j(bits: float, walden_fom_j: float) -> float:
    """Energy per conversion of a converter at Walden figure of merit `walden_fom_j` (J/conv-step)."""
    return walden_fom_j * 2.0**bits


def x_above(actual_j: float, floor_j: float) -> float:
    return actual_j / floor_j
