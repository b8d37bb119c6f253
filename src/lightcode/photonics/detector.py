"""Electrical power of one photodetector: one law for every photonic family.

A photodiode draws its bias voltage times the current through it, the photocurrent 𝓡·P_rx of the light
the link budget delivers (photonics/linkbudget.py) plus its dark current:

  PD_BIAS (1): P_pd = V_bias · (𝓡 · P_rx + I_dark)        — the physical law, every family's default;
  PD_FLAT (0): P_pd = pd_power                            — a flat figure per detector, Lightening-
               Transformer's accounting (its LT_PD 1.1 mW, kept only to reproduce LT; cost/ddot.py).

The receiver's amplifier (TIA, integrator) is not the photodiode: each family charges it separately
(`tia_power`), so the 1.1 mW (LT) vs 25 nW (SimPhony's academic PD, its dark-current power at −1 V) spread
between families was two definitions of one device; this law is the one definition.
"""

from __future__ import annotations

from typing import Mapping

PD_FLAT = 0
PD_BIAS = 1


def detector_power_w(p: Mapping[str, float], p_rx_w: float) -> float:
    """Electrical power of one photodetector receiving `p_rx_w` (W) under the unit's `pd_power_law`."""
    if int(round(p["pd_power_law"])) == PD_FLAT:
        return p["pd_power"]
    return p["pd_bias"] * (p["pd_responsivity"] * p_rx_w + p["pd_dark_current"])
