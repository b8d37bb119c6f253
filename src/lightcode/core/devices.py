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

from dataclasses import dataclass, field
from typing import Literal, Mapping, Protocol, runtime_checkable

from lightcode.core.cost import CostBreakdown
from lightcode.core.formats import Formats
from lightcode.core.opgraph import Op


@dataclass(frozen=True)
class Variant:
    """One way a unit can run an op: a unit may offer several (a GPU at fp16, fp8, W4A16; a photonic unit
    in two orientations), each its own realization in the StackedGraph, chosen by the solver.

    `link_demand`: link name -> share of that link's bandwidth the op keeps busy while it runs (operands
    streamed from where they live, e.g. weights from the GPU's HBM); the schedule treats each link as a
    resource of capacity 1 shared with transfers. Empty: the op touches no link itself."""

    name: str  # "fp16", "w4a16", "fp8", ... (unique per unit and op)
    cost: CostBreakdown
    formats: Formats | None = None
    link_demand: Mapping[str, float] = field(default_factory=dict)


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


def unit_variants(unit: UnitModel, op: Op, dtype: str) -> tuple[Variant, ...]:
    """Every variant `unit` offers for `op`: its own `op_variants` where it has one, else its single
    `op_cost` as one variant named by the graph's dtype."""
    fn = getattr(unit, "op_variants", None)
    if fn is not None:
        return tuple(fn(op, dtype))
    c = unit.op_cost(op, dtype)
    return () if c is None else (Variant(dtype, c),)


@runtime_checkable
class SystemModel(Protocol):
    name: str
    units: Mapping[str, UnitModel]  # the first unit is the host (GPU) that holds the activations

    def transfer_cost(self, src_unit: str, dst_unit: str, nbytes: int) -> CostBreakdown:
        """Moving a tensor of `nbytes` from `src_unit` to `dst_unit` (zero when equal): link time and
        pJ/bit, plus domain crossing (DAC/ADC, buffering) where one side is photonic."""
