"""Phase-change-memory photonic crossbar (family `pcm-crossbar`): non-volatile in-memory weights.

Each core: `wavelengths` WDM inputs fanned out to `rows` output waveguides; a PCM cell at each crossing
sets the transmission (the weight) and each output detector sums its column. The cells keep their state
without power (no hold term) but rewriting is slow and costly (`pcm_write_energy` per cell,
`pcm_write_time` per tile, cells written in parallel) and wears them out (`pcm_endurance` writes). With
weights reloaded per op, a core is rewritten once per round of weight tiles, so one op rewrites each cell
⌈tiles/cores⌉ times (14,621 for a 4096² GEMM on 8 cores of 12×12): `rewrites_per_op`, `ops_until_worn`.
Endurance is enforced: a realization that would wear the cells out before `pcm_service_inferences`
executions of the op is not offered to the solver (`op_variants`); `op_cost` still prices it, for probes.
The check is per op, a necessary condition: the same cells also serve the graph's other ops.
Transmission is ≥ 0: signed weights use a differential cell pair (`cells_per_weight` = 2) into a
balanced detector, signed inputs a second pass. Resolution: log2(`pcm_levels`) bits per cell.
"""

from __future__ import annotations

import math

from lightcode.core.devices import Variant
from lightcode.core.opgraph import Op
from lightcode.cost.families import ParamSpec, register_family
from lightcode.cost.photonic_common import ceil_div
from lightcode.cost.weight_stationary import COMMON_PARAMS, WeightStationaryUnit

_P = ParamSpec
PCM_PARAMS = COMMON_PARAMS + (
    _P("rows", "1", "output columns per core", integer=True),
    _P("wavelengths", "1", "WDM inputs per core", integer=True),
    _P("pcm_levels", "1", "distinguishable transmission levels per cell", integer=True),
    _P("pcm_write_energy", "J", "energy to program one cell to a level"),
    _P("pcm_write_time", "s", "time to program a tile (cells written in parallel, incl. verify)"),
    _P("pcm_cell_loss", "dB", "insertion loss of one cell in its most transparent state", positive=False),
    _P("pcm_endurance", "1", "write cycles a cell survives"),
    _P("pcm_service_inferences", "1", "executions of each op the cells must survive (service life)"),
)


@register_family("pcm-crossbar", "photonic", PCM_PARAMS)
class PCMCrossbarUnit(WeightStationaryUnit):
    """PCM photonic crossbar: WDM inputs, non-volatile multi-level weights, no holding power."""

    def __init__(self, name, params):
        super().__init__(name, params)
        self.endurance_cycles = self.p["pcm_endurance"]

    def core_inputs(self) -> int:
        return self._int("wavelengths")

    def core_outputs(self) -> int:
        return self._int("rows")

    def core_loss_db(self) -> float:
        # the splitter tree to the rows is in the shared path; one cell + a combiner stage per column
        return self.p["pcm_cell_loss"] + self.p["splitter_loss"] * math.ceil(math.log2(self.core_inputs()))

    def hold_power_per_cell(self) -> float:
        return 0.0

    def program_time_s(self) -> float:
        return self.p["pcm_write_time"]

    def program_energy_per_cell(self) -> float:
        return self.p["pcm_write_energy"]

    def weight_bits_max(self) -> float:
        return math.log2(self._int("pcm_levels"))

    def rewrites_per_op(self, op: Op, *, weights_resident: bool = False) -> int:
        """Writes each cell takes in one execution of `op`: one per round of weight tiles on the cores
        (weights reloaded per op), 0 when the op's weights stay resident."""
        if weights_resident:
            return 0
        return sum(ceil_div(ceil_div(g.k, self.core_inputs()) * ceil_div(g.n, self.core_outputs()) * g.batch,
                            self.cores) for g in op.gemms)

    def ops_until_worn(self, op: Op, *, weights_resident: bool = False) -> float:
        """Executions of `op` before its most-rewritten cell reaches `pcm_endurance`."""
        w = self.rewrites_per_op(op, weights_resident=weights_resident)
        return float("inf") if w == 0 else self.endurance_cycles / w

    def op_variants(self, op: Op, dtype: str) -> tuple[Variant, ...]:
        if op.gemms and self.ops_until_worn(op) < self.p["pcm_service_inferences"]:
            return ()  # would wear the cells out within the stated service life
        return super().op_variants(op, dtype)
