"""The interface between the hardware library and the compiler (StackedGraph, select, simulate).

The compiler depends on these protocols only, never on a device family's internals.

Energy accounting (one law, used by solver and simulator alike):
  total energy = Σ_ops op_cost(op).total_energy_j
               + Σ_edges transfer_cost(...).total_energy_j
               + Σ_{units used at least once} static_power_w × makespan
`op_cost` therefore never includes a unit's idle/static power; its `static` component may only hold power
that is on *because* the op runs (e.g. a thermal hold only while that op's weights are held).
"""

from __future__ import annotations

from typing import Literal, Mapping, Protocol, runtime_checkable

from lightcode.core.cost import CostBreakdown
from lightcode.core.opgraph import Op


@runtime_checkable
class UnitModel(Protocol):
    name: str
    kind: Literal["gpu", "photonic", "cpu"]
    slots: int  # ops that may run at the same time (GPU: 1 kernel; photonic: independent cores)
    static_power_w: float  # idle power charged over the makespan when the unit is used
    weight_capacity_bytes: float | None  # weights a weight-stationary unit can hold; None = unbounded
    precision_bits: int  # bits the unit delivers at its corner (ops needing more have no realization)

    def op_cost(self, op: Op, dtype: str) -> CostBreakdown | None:
        """Cost of running `op` on this unit, or None when the unit cannot run it (kind or precision)."""


@runtime_checkable
class SystemModel(Protocol):
    name: str
    units: Mapping[str, UnitModel]  # the first unit is the host (GPU) that holds the activations

    def transfer_cost(self, src_unit: str, dst_unit: str, nbytes: int) -> CostBreakdown:
        """Moving a tensor of `nbytes` from `src_unit` to `dst_unit` (zero when equal): link time and
        pJ/bit, plus domain crossing (DAC/ADC, buffering) where one side is photonic."""
