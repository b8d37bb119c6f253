"""Optical link budget: how much laser power a photonic core needs for a given precision.

Chain (photonic_sims.md §1.6, after CrossLight/LT, and §3.5 after Al-Qadasi et al. APL Photonics 2022):
  received power per detector P_rx  (from the precision law below)
  × 10^(path loss dB / 10)          (every device on the longest laser→detector path)
  × fan-out                         (detectors fed by one laser)
  / comb conversion efficiency      (WDM families: the share of the source's light that lands in the used
                                     comb lines — a Kerr microcomb's pump-to-comb efficiency, ~1 % for bright
                                     solitons to > 50 %; 1 for a single-wavelength source)
  / wall-plug efficiency            = electrical laser power (charged per active core-cycle, or over the
                                     makespan when the unit's lasers stay on: photonics/idle.py).

Two precision laws, selected per unit (`precision_law` parameter):
  LT_HEURISTIC (0): P_rx = sensitivity · 2^bits — LT's rule, each bit doubles the power; no noise physics.
  SNR (1): the smallest P_rx whose shot + thermal + RIN noise gives ENOB ≥ bits at Nyquist bandwidth;
           None when RIN alone caps the SNR below the target (no optical power is enough).
"""

from __future__ import annotations

import math

from lightcode.photonics.noise import E_CHARGE, rin_variance, thermal_variance

LT_HEURISTIC = 0
SNR = 1


def db_to_ratio(db: float) -> float:
    return 10.0 ** (db / 10.0)


def dbm_to_w(dbm: float) -> float:
    return 1e-3 * 10.0 ** (dbm / 10.0)


def w_to_dbm(w: float) -> float:
    return 10.0 * math.log10(w / 1e-3)


def snr_target(bits: float) -> float:
    """Linear SNR for `bits` effective bits: SNR_dB = 6.02·b + 1.76 (full-scale sine)."""
    return db_to_ratio(6.02 * bits + 1.76)


def snr_at_power(p_rx_w: float, bandwidth_hz: float, responsivity_a_w: float, temperature_k: float,
                 load_ohm: float, rin_db_hz: float) -> float:
    """Signal-to-noise ratio of a full-swing photocurrent I = 𝓡·P_rx (signal power I²/2)."""
    i = responsivity_a_w * p_rx_w
    noise = (2.0 * E_CHARGE * i * bandwidth_hz + thermal_variance(temperature_k, load_ohm, bandwidth_hz)
             + float(rin_variance([i], rin_db_hz, bandwidth_hz)))
    return (i * i / 2.0) / noise


def enob_at_power(p_rx_w: float, bandwidth_hz: float, responsivity_a_w: float, temperature_k: float,
                  load_ohm: float, rin_db_hz: float) -> float:
    snr = snr_at_power(p_rx_w, bandwidth_hz, responsivity_a_w, temperature_k, load_ohm, rin_db_hz)
    return (10.0 * math.log10(snr) - 1.76) / 6.02


def rx_power_for_bits_snr(bits: float, bandwidth_hz: float, responsivity_a_w: float, temperature_k: float,
                          load_ohm: float, rin_db_hz: float) -> float | None:
    """Smallest received power (W) with ENOB ≥ bits, or None when RIN makes it unreachable.

    Solves (I²/2) = S·(2qIB + σ_th² + RIN·I²·B) for the photocurrent I (a quadratic in I)."""
    s = snr_target(bits)
    rin_b = db_to_ratio(rin_db_hz) * bandwidth_hz
    a = 0.5 - s * rin_b
    if a <= 0.0:
        return None
    b = -s * 2.0 * E_CHARGE * bandwidth_hz
    c = -s * thermal_variance(temperature_k, load_ohm, bandwidth_hz)
    i = (-b + math.sqrt(b * b - 4.0 * a * c)) / (2.0 * a)
    return i / responsivity_a_w


def rx_power_for_bits(bits: float, p: "dict | object", clock_hz: float) -> float | None:
    """Received power per detector for `bits` under the unit's precision law (params in SI).

    `p` maps: precision_law, pd_sensitivity (W) for the LT law; pd_responsivity (A/W),
    receiver_temperature (K), receiver_load (Ω), laser_rin (dB/Hz) and receiver_bandwidth_ratio (noise
    bandwidth over the symbol rate: 0.5 = Nyquist, Al-Qadasi's DR/√2 ≈ 0.707) for the SNR law."""
    if int(round(p["precision_law"])) == LT_HEURISTIC:
        return p["pd_sensitivity"] * 2.0**bits
    return rx_power_for_bits_snr(bits, clock_hz * p["receiver_bandwidth_ratio"], p["pd_responsivity"], p["receiver_temperature"],
                                 p["receiver_load"], p["laser_rin"])


def laser_electrical_power_w(p_rx_w: float, path_loss_db: float, fanout: float, wall_plug: float,
                             comb_efficiency: float = 1.0) -> float:
    """Electrical power of the laser that delivers p_rx_w to each of `fanout` detectors: the pump's wall-plug
    efficiency times, for a comb-fed (WDM) unit, the comb's conversion efficiency (1: one line, no comb)."""
    return p_rx_w * db_to_ratio(path_loss_db) * fanout / (wall_plug * comb_efficiency)
