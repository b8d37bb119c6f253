"""Receiver noise and converter quantisation for balanced photodetection (SI units throughout).

One place for the noise laws used by the microring engine (and anything else that detects light):
shot noise 2·e·I·Δf, Johnson noise 4kT/R_L·Δf, detector NEP (𝓡·NEP)²·Δf, and laser RIN, which scales
with the square of each comb line's signal current (lines are independent lasers/comb teeth).
"""

from __future__ import annotations

import numpy as np

E_CHARGE = 1.602176634e-19  # C (exact, SI 2019)
K_BOLTZMANN = 1.380649e-23  # J/K (exact, SI 2019)


def shot_variance(i_total_a, bandwidth_hz):
    """Shot noise of the total photocurrent of both arms (A²)."""
    return 2.0 * E_CHARGE * np.abs(i_total_a) * bandwidth_hz


def thermal_variance(temperature_k, load_ohm, bandwidth_hz):
    """Johnson noise current of the TIA/load (A²)."""
    return 4.0 * K_BOLTZMANN * temperature_k / load_ohm * bandwidth_hz


def nep_variance(responsivity_a_per_w, nep_w_per_rthz, bandwidth_hz):
    """Detector noise-equivalent power expressed as a current variance (A²)."""
    return (responsivity_a_per_w * nep_w_per_rthz) ** 2 * bandwidth_hz


def rin_variance(line_currents_a, rin_db_per_hz, bandwidth_hz, axis=-1):
    """Laser relative-intensity noise, independent per comb line: Σ_m I_m² · RIN · Δf (A²)."""
    rin = 10.0 ** (rin_db_per_hz / 10.0)
    return np.sum(np.square(line_currents_a), axis=axis) * rin * bandwidth_hz


def quantize_unit(x, bits):
    """Round x ∈ [0, 1] to 2^bits − 1 uniform steps; bits=None means an ideal (unquantised) converter."""
    if bits is None:
        return x
    levels = 2**int(bits) - 1
    return np.round(np.clip(x, 0.0, 1.0) * levels) / levels


def adc_autorange(i, bits, axis=-1):
    """ADC with per-query auto-ranging over the span of the N outputs (optimistic: an ideal peak detector
    sets the range for each query). Returns values in the input's units."""
    if bits is None:
        return i
    lo = np.min(i, axis=axis, keepdims=True)
    hi = np.max(i, axis=axis, keepdims=True)
    span = np.where(hi > lo, hi - lo, 1.0)
    return lo + quantize_unit((i - lo) / span, bits) * span


def enob_from_snr_db(snr_db):
    """Effective number of bits of a sine-referred SINAD: (SINAD − 1.76 dB) / 6.02 dB."""
    return (np.asarray(snr_db) - 1.76) / 6.02
