"""Power state of a photonic unit between its active cycles (`photonic_idle`, a unit parameter).

  ALWAYS_ON (0): the laser (comb source) and the ring locks (thermal tuning that keeps microrings on their
                 WDM lines) stay on while the unit is powered. Their power is the unit's always-on power,
                 charged over the makespan by the one static law (core/devices.py) like a GPU's idle power,
                 and not per op. A comb-fed source runs at one power — a Kerr soliton is held only at a fixed
                 pump power and detuning, and a ring lock re-acquires in µs–ms — so the laser is sized once,
                 for the widest read the unit serves. The default: the fair comparison with a GPU whose idle
                 power is charged over the makespan.
  GATED (1):     laser and locks are on only on the unit's active cycles, the laser sized per op
                 (Lightening-Transformer's accounting: laser energy = power × active core-cycles).
"""

from __future__ import annotations

from typing import Mapping

ALWAYS_ON = 0
GATED = 1


def always_on(p: Mapping[str, float]) -> bool:
    return int(round(p["photonic_idle"])) == ALWAYS_ON
