"""WDM microring weight bank (family `mrr-bank`): weight-stationary, thermally tuned rings.

Each core: `wavelengths` inputs, one per WDM channel (MRR modulators), broadcast to `rows` banks; a bank's
rings weight each channel (through/drop into a balanced detector gives signed weights) and the detector
sums the channels — so inputs per core = wavelengths, outputs = rows. Inputs are intensities (≥ 0):
signed activations need `sign_passes` = 2 (LT's MRR baseline, photonic_sims.md §1.5 full_range_support).
Physics: a ring holds its weight only while its heater holds the resonance (`ring_hold_power`: the ring
lock, on while the unit is powered — or, gated, while the op runs); reprogramming waits for the thermal settle (`ring_program_time`) and costs one DAC
write per weight. The heater power during the settle is already in `static` (hold power × op latency, and
the latency includes every round's settle), so it is not charged again per cell.
"""

from __future__ import annotations

from lightcode.cost.families import ParamSpec, register_family
from lightcode.cost.weight_stationary import COMMON_PARAMS, WeightStationaryUnit

_P = ParamSpec
MRR_PARAMS = COMMON_PARAMS + (
    _P("rows", "1", "weight banks (outputs) per core", integer=True),
    _P("wavelengths", "1", "WDM channels (inputs) per core", integer=True),
    _P("ring_hold_power", "W", "thermal tuning power per weight ring"),
    _P("ring_program_time", "s", "thermal settle time after retuning a ring"),
    _P("ring_drop_loss", "dB", "loss through the ring that weights a channel (drop port)", positive=False),
    _P("ring_through_loss", "dB", "pass-by loss of each other ring on the bus", positive=False),
    _P("mux_loss", "dB", "WDM multiplexer loss after the input modulators", positive=False),
)


@register_family("mrr-bank", "photonic", MRR_PARAMS)
class MRRBankUnit(WeightStationaryUnit):
    """Microring (MRR) weight bank: WDM inputs, thermally held ring weights, balanced detection."""

    def core_inputs(self) -> int:
        return self._int("wavelengths")

    def core_outputs(self) -> int:
        return self._int("rows")

    def core_loss_db(self) -> float:
        p = self.p
        return p["mux_loss"] + p["ring_drop_loss"] + (self.core_inputs() - 1) * p["ring_through_loss"]

    # the weight rings are thermally locked to the comb lines: with the unit always on they stay locked
    cells_are_ring_locks = True

    def hold_power_per_cell(self) -> float:
        return self.p["ring_hold_power"]

    def program_time_s(self) -> float:
        return self.p["ring_program_time"]

    def program_energy_per_cell(self) -> float:
        # the settle's heater power is in `static` (hold × latency, latency ⊇ settle): nothing extra per cell
        return 0.0
