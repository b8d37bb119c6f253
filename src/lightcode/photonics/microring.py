"""Microring (add-drop MRR) weight-bank engine: signed weights × non-negative optical inputs → N scores.

Forward model, re-derived from the physics notes (reference/prism.md §3), not from any code:
- Add-drop ring near one resonance, periodic in the FSR: T_drop = D/(1+x²), T_through = 1 − T_drop,
  x = 2·Δλ/FWHM, FWHM = λ/Q_L, D = 1 − 10^(−ER/10). Balanced detection gives w = T_through − T_drop.
- A weight is programmed as a DC voltage (Pockels): Δλ = η·V, V ∈ [0, V_max], quantised by a b-bit DAC in
  the *voltage* domain (so weight levels are non-uniform, as on a real chip). The reachable weight range
  is [1−2D, w(η·V_max)]; signatures are mapped affinely onto it with a per-head scale fixed at calibration.
  The affine offset adds c·Σ s_m to every row of a query; it is removed digitally (known Σ s_m).
- Impairments: per-ring residual detuning, common-mode thermal drift (σ_T · dλ/dT), a linear gradient over
  the rows (die gradient), DC-bias relaxation (a fraction of the applied shift lost), inter-channel
  crosstalk through each ring's Lorentzian tail with the full per-row d×d cascade (value-dependent leak),
  1×N splitter imbalance per tree stage (correlated row gains), comb-line flatness, PD arm mismatch,
  shot/thermal/NEP/RIN noise, input DAC and per-query auto-ranged ADC.
- Channels beyond floor(FSR/spacing) would alias onto the next resonance order, so wider inputs are split
  over parallel buses (same wavelengths, separate waveguides and splitters) whose balanced photocurrents
  are summed at the TIA; the laser power is shared by the buses.
- Signed inputs are sent in two time slots (q⁺, q⁻) and subtracted after the ADC; non-negative inputs
  (the Quest bound [q⁺, q⁻]·[M, −m]) need one slot.
With every impairment off and high bits, the scores equal the digital W·X (tested).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np

from lightcode.photonics import noise as nz


@dataclass(frozen=True)
class MRRConfig:
    """SI parameters of one engine corner; built from units/tfln-mrr.yaml (no numbers live in code)."""

    wavelength_m: float
    q_loaded: float
    extinction_db: float
    fsr_m: float
    channel_spacing_m: float
    tuning_m_per_v: float
    v_max: float
    weight_dac_bits: int
    input_dac_bits: int
    adc_bits: int
    ring_sigma_m: float  # residual per-ring detuning after calibration (static)
    temperature_sigma_k: float  # common-mode temperature error left by the TEC
    thermo_optic_m_per_k: float  # dλ/dT of the ring
    gradient_m: float  # peak-to-peak detuning gradient across the rows of the bank
    dc_relaxation: float  # fraction of the applied Pockels shift lost to DC drift (0..1)
    crosstalk: bool
    splitter_imbalance_db: float  # σ of each 1×2 stage's imbalance
    comb_flatness_db: float  # σ of the comb line powers
    pd_mismatch: float  # relative responsivity mismatch of the balanced pair
    laser_power_w: float  # total optical power of all comb lines into the chip
    loss_fixed_db: float  # coupling + modulator + waveguide + ring chain + chip-to-PD
    splitter_excess_db: float  # excess loss per 1×2 stage
    responsivity_a_per_w: float
    nep_w_per_rthz: float
    bandwidth_hz: float
    load_ohm: float
    temperature_k: float
    rin_db_per_hz: float
    noise: bool  # shot/thermal/NEP/RIN on or off

    @property
    def fwhm_m(self) -> float:
        return self.wavelength_m / self.q_loaded

    @property
    def depth(self) -> float:
        return 1.0 - 10.0 ** (-self.extinction_db / 10.0)

    @property
    def channels_per_bus(self) -> int:
        return max(1, int(self.fsr_m // self.channel_spacing_m))

    def with_(self, **kw) -> "MRRConfig":
        return replace(self, **kw)


CONFIG_FIELDS = tuple(f.name for f in fields(MRRConfig))


def _wrap(delta_m, fsr_m):
    """Detuning folded into [−FSR/2, FSR/2): the resonance comb is periodic."""
    return (delta_m + 0.5 * fsr_m) % fsr_m - 0.5 * fsr_m


def drop(delta_m, cfg: MRRConfig):
    x = 2.0 * _wrap(delta_m, cfg.fsr_m) / cfg.fwhm_m
    return cfg.depth / (1.0 + x * x)


def balanced_weight(delta_m, cfg: MRRConfig):
    return 1.0 - 2.0 * drop(delta_m, cfg)


def weight_range(cfg: MRRConfig) -> tuple[float, float]:
    """(w_lo, w_hi) reachable with V ∈ [0, V_max]; the shift is capped at FSR/2 (beyond it w falls)."""
    shift = min(cfg.tuning_m_per_v * cfg.v_max, 0.5 * cfg.fsr_m)
    return 1.0 - 2.0 * cfg.depth, float(balanced_weight(shift, cfg))


def detuning_for_weight(w, cfg: MRRConfig):
    """Inverse of the Lorentzian on the red side: Δλ ≥ 0 giving weight w (clipped to the reachable range)."""
    d = cfg.depth
    x2 = np.maximum(2.0 * d / np.maximum(1.0 - w, 1e-300) - 1.0, 0.0)
    return np.sqrt(x2) * 0.5 * cfg.fwhm_m


def program_voltages(u, cfg: MRRConfig):
    """Normalised weights u ∈ [−1, 1] → DAC-quantised voltages, plus the affine map (c, a): w = c + a·u."""
    w_lo, w_hi = weight_range(cfg)
    c, a = 0.5 * (w_hi + w_lo), 0.5 * (w_hi - w_lo)
    v = detuning_for_weight(c + a * np.clip(u, -1.0, 1.0), cfg) / cfg.tuning_m_per_v
    v = nz.quantize_unit(np.clip(v / cfg.v_max, 0.0, 1.0), cfg.weight_dac_bits) * cfg.v_max
    return v, c, a


def ring_detuning(v, cfg: MRRConfig, rng: np.random.Generator):
    """Realised resonance shift of every ring (rows × channels): programmed shift after DC relaxation,
    plus static errors drawn once per chip state."""
    n = v.shape[0]
    delta = cfg.tuning_m_per_v * v * (1.0 - cfg.dc_relaxation)
    if cfg.ring_sigma_m:
        delta = delta + rng.normal(0.0, cfg.ring_sigma_m, v.shape)
    if cfg.temperature_sigma_k:
        delta = delta + rng.normal(0.0, cfg.temperature_sigma_k) * cfg.thermo_optic_m_per_k
    if cfg.gradient_m and n > 1:
        delta = delta + (np.linspace(-0.5, 0.5, n) * cfg.gradient_m)[:, None]
    return delta


def transfer(delta, cfg: MRRConfig):
    """Balanced weight seen by each comb line, (rows, channels). With crosstalk, every ring on a bus acts
    on every line: through = Π_j T_t,j ; drop = Σ_j T_d,j Π_{i<j} T_t,i (light passes ring 0 first)."""
    if not cfg.crosstalk:
        return balanced_weight(delta, cfg)
    n, c = delta.shape
    cb = cfg.channels_per_bus
    out = np.empty_like(delta)
    for s in range(0, c, cb):
        dl = delta[:, s : s + cb]  # (n, j)
        m = np.arange(dl.shape[1])
        # line m vs ring j: offset of the grid plus ring j's shift
        off = (m[:, None] - m[None, :]) * cfg.channel_spacing_m  # (m, j)
        td = drop(off[None, :, :] - dl[:, None, :], cfg)  # (n, m, j)
        tt = 1.0 - td
        before = np.cumprod(np.concatenate([np.ones_like(tt[..., :1]), tt[..., :-1]], axis=-1), axis=-1)
        through = before[..., -1] * tt[..., -1]
        dropped = np.sum(td * before, axis=-1)
        out[:, s : s + cb] = through - dropped
    return out


def row_gains_db(n: int, sigma_db: float, rng: np.random.Generator):
    """Per-row gain of a binary 1×N splitter tree with an independent imbalance at every 1×2 node:
    rows that share a branch share its error (a correlated, not i.i.d., ranking error)."""
    stages = max(0, math.ceil(math.log2(max(n, 1))))
    g = np.zeros(n)
    if not sigma_db or stages == 0:
        return g
    rows = np.arange(n)
    for s in range(stages):
        node = rows >> (stages - s)
        bit = (rows >> (stages - s - 1)) & 1
        eps = rng.normal(0.0, sigma_db, 2**s)[node]
        g += np.where(bit == 0, 0.5, -0.5) * eps
    return g


def line_power_w(n_rows: int, n_lines: int, n_bus: int, cfg: MRRConfig) -> float:
    """Optical power per comb line arriving at one row's rings (W): laser shared over lines and buses,
    then fixed losses and the 1×N tree (10·log10 N + excess per stage)."""
    stages = math.ceil(math.log2(max(n_rows, 1)))
    loss_db = cfg.loss_fixed_db + 10.0 * math.log10(max(n_rows, 1)) + cfg.splitter_excess_db * stages
    return cfg.laser_power_w / (n_lines * n_bus) * 10.0 ** (-loss_db / 10.0)


@dataclass
class Bank:
    """One programmed weight bank (one (layer, KV head) signature matrix on a chip)."""

    t: np.ndarray  # (rows, channels) realised balanced transfer
    c: float
    a: float
    wscale: float
    colscale: np.ndarray  # (channels,) per-column weight scale, applied to the inputs
    row_gain: np.ndarray  # (rows,) linear
    line_gain: np.ndarray  # (channels,) linear
    p_line: float
    cfg: MRRConfig


def program(w: np.ndarray, cfg: MRRConfig, rng: np.random.Generator) -> Bank:
    """Program signed weights (rows, channels) with a per-bank scale fixed by their max |w|."""
    w = np.asarray(w, dtype=np.float64)
    n, ch = w.shape
    # Per-channel scale: each column uses the full weight range and the inverse scale moves to the
    # query side (x_m·α_m), an exact identity that buys SNR over one global max|w|.
    colscale = np.max(np.abs(w), axis=0)
    colscale = np.where(colscale > 0, colscale, 1.0)
    wscale = 1.0
    v, c, a = program_voltages(w / colscale, cfg)
    t = transfer(ring_detuning(v, cfg, rng), cfg)
    n_bus = math.ceil(ch / cfg.channels_per_bus)
    rg = 10.0 ** (row_gains_db(n, cfg.splitter_imbalance_db, rng) / 10.0)
    lg = 10.0 ** (rng.normal(0.0, cfg.comb_flatness_db, ch) / 10.0) if cfg.comb_flatness_db else np.ones(ch)
    return Bank(t, c, a, wscale, colscale, rg, lg, line_power_w(n, min(ch, cfg.channels_per_bus), n_bus, cfg), cfg)


def _slot(bank: Bank, s: np.ndarray, rng: np.random.Generator):
    """One optical pass: inputs s ∈ [0,1] (queries, channels) → de-offset estimates of (u·s) (queries, rows)."""
    cfg = bank.cfg
    s = nz.quantize_unit(s, cfg.input_dac_bits)
    p = s * (bank.p_line * bank.line_gain)  # (m, c) power per line at a nominal row
    r = cfg.responsivity_a_per_w
    sig = r * (p @ bank.t.T) * bank.row_gain[None, :]  # (m, n)
    ptot = p.sum(axis=1, keepdims=True) * bank.row_gain[None, :]  # both arms together
    i = sig + 0.5 * cfg.pd_mismatch * r * ptot
    if cfg.noise:
        var = (
            nz.shot_variance(r * ptot, cfg.bandwidth_hz)
            + nz.thermal_variance(cfg.temperature_k, cfg.load_ohm, cfg.bandwidth_hz)
            + nz.nep_variance(r, cfg.nep_w_per_rthz, cfg.bandwidth_hz)
        )
        if cfg.rin_db_per_hz > -300:
            # per-line signal currents; the (m, n, c) tensor is avoided: Σ_c (t·p)² = (p²)·(t²)ᵀ
            var = var + (r**2) * ((p**2) @ (bank.t**2).T) * bank.row_gain[None, :] ** 2 * (
                10.0 ** (cfg.rin_db_per_hz / 10.0) * cfg.bandwidth_hz
            )
        i = i + rng.normal(0.0, 1.0, i.shape) * np.sqrt(var)
    i = nz.adc_autorange(i, cfg.adc_bits, axis=1)
    nominal = r * bank.p_line  # calibrated gain: the chip's nominal response, not its true one
    return (i / nominal - bank.c * s.sum(axis=1, keepdims=True)) / bank.a, s


def scores(bank: Bank, x: np.ndarray, rng: np.random.Generator, signed: bool = True) -> np.ndarray:
    """Scores (queries, rows) ≈ x @ wᵀ in the weights' units. Signed inputs use two slots (q⁺, q⁻),
    each auto-scaled to the modulator's full range; non-negative inputs use one."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    if not signed and np.any(x < 0):
        raise ValueError("non-negative optical inputs required when signed=False")
    x = x * bank.colscale[None, :]
    parts = [(x, 1.0)] if not signed else [(np.maximum(x, 0.0), 1.0), (np.maximum(-x, 0.0), -1.0)]
    out = 0.0
    for part, sign in parts:
        amp = np.max(part, axis=1, keepdims=True)
        amp = np.where(amp > 0, amp, 1.0)
        est, _ = _slot(bank, part / amp, rng)
        out = out + sign * est * amp
    return out * bank.wscale


def effective_bits(cfg: MRRConfig, n_rows: int, channels: int, rng: np.random.Generator, queries: int = 64,
                   signed: bool = True) -> dict:
    """ENOB of the engine's scores vs the exact W·X on random Gaussian data, referred to the spread of the
    true scores (signal) and to full scale (max |score|), plus the link-budget SNR of one row at full input."""
    w = rng.standard_normal((n_rows, channels))
    x = rng.standard_normal((queries, channels))
    if not signed:
        x = np.abs(x)
    bank = program(w, cfg, rng)
    got = scores(bank, x, rng, signed=signed)
    ref = x @ w.T
    err = got - ref
    sinad = np.var(ref) / max(np.mean(err**2), 1e-300)
    fs = np.max(np.abs(ref)) ** 2 / 2.0 / max(np.mean(err**2), 1e-300)  # sine of full-scale amplitude
    n_bus = math.ceil(channels / cfg.channels_per_bus)
    pl = line_power_w(n_rows, min(channels, cfg.channels_per_bus), n_bus, cfg)
    r = cfg.responsivity_a_per_w
    i_fs = r * pl * min(channels, cfg.channels_per_bus)
    var = (nz.shot_variance(i_fs, cfg.bandwidth_hz) + nz.thermal_variance(cfg.temperature_k, cfg.load_ohm,
           cfg.bandwidth_hz) + nz.nep_variance(r, cfg.nep_w_per_rthz, cfg.bandwidth_hz))
    link_snr_db = 10 * math.log10(i_fs**2 / var)
    return {
        "rows": n_rows,
        "enob_signal": float(nz.enob_from_snr_db(10 * math.log10(sinad))),
        "enob_full_scale": float(nz.enob_from_snr_db(10 * math.log10(fs))),
        "link_snr_db": link_snr_db,
        "link_enob": float(nz.enob_from_snr_db(link_snr_db)),
        "power_per_line_at_row_w": pl,
        "pearson": float(np.corrcoef(got.ravel(), ref.ravel())[0, 1]),
    }
