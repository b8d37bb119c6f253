"""N×N MZI mesh (family `mzi-mesh`): weight-stationary coherent core, SVD mapping.

A weight tile W = U·Σ·V† is realised as two Clements meshes (N(N−1)/2 MZIs each) and a diagonal column of
N MZIs (attenuators): N² MZIs, `phase_shifters_per_mzi` each. Coherent fields carry signed values, so one
pass suffices; N inputs, N outputs per cycle, each output the coherent sum of N products. Light crosses
2N + 1 MZI columns (both meshes' depth plus the diagonal), so the loss grows with N — the link budget and
the precision check see it. Phase shifters hold their phase at `ps_hold_power` (mean over uniformly
distributed phases; ≈ 0 for MEMS/PCM) and take `ps_program_time` to settle; the hold power over the
settle is charged once, in `static`.
"""

from __future__ import annotations

from lightcode.cost.families import ParamSpec, register_family
from lightcode.cost.weight_stationary import COMMON_PARAMS, WeightStationaryUnit

_P = ParamSpec
MZI_PARAMS = COMMON_PARAMS + (
    _P("mesh_size", "1", "N: inputs and outputs of the mesh", integer=True),
    _P("mzi_loss", "dB", "insertion loss of one MZI (2 couplers + phase shifter)", positive=False),
    _P("phase_shifters_per_mzi", "1", "phase shifters per MZI (internal θ + external φ)", integer=True),
    _P("ps_hold_power", "W", "mean holding power per phase shifter", positive=False),
    _P("ps_program_time", "s", "phase-shifter settle time"),
)


@register_family("mzi-mesh", "photonic", MZI_PARAMS)
class MZIMeshUnit(WeightStationaryUnit):
    """MZI mesh (Clements, SVD = 2 meshes + diagonal): coherent, signed, phase-programmed weights."""

    def core_inputs(self) -> int:
        return self._int("mesh_size")

    def core_outputs(self) -> int:
        return self._int("mesh_size")

    def mzis_per_core(self) -> int:
        n = self._int("mesh_size")
        return 2 * (n * (n - 1) // 2) + n

    def cells_per_core(self) -> int:
        return self.mzis_per_core() * self._int("phase_shifters_per_mzi")

    def core_loss_db(self) -> float:
        return (2 * self._int("mesh_size") + 1) * self.p["mzi_loss"]

    def laser_fanout(self) -> int:
        return self._int("mesh_size")

    def hold_power_per_cell(self) -> float:
        return self.p["ps_hold_power"]

    def program_time_s(self) -> float:
        return self.p["ps_program_time"]

    def program_energy_per_cell(self) -> float:
        # a thermo-optic shifter's power over its settle is its hold power, already in `static`
        # (hold × latency, latency ⊇ every round's settle): nothing extra per cell beyond the DAC write
        return 0.0
