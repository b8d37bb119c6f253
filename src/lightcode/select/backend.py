"""Exact block backends behind one protocol, and the registry that names them.

The chain solver (select/cpsat.py) is backend-neutral: it asks a `BlockBackend` for one block problem per
(block, powered-unit set, entry unit, exit unit) and solves it for span, energy (dyn + c·span) or dynamic
energy under optional upper bounds. Both backends build the same problem from `prepare()`'s integer grid
data (select/blockmodel.py), so they have the same optimum; they differ in how they prove it:

- "cpsat": OR-Tools CP-SAT (intervals, NoOverlap, Cumulative) — the default; select/blockmodel.py.
- "highs": a MILP (big-M disjunctions) solved by scipy.optimize.milp's bundled HiGHS; select/highs_block.py.
"""

from __future__ import annotations

from typing import Protocol

from lightcode.core.selection import Status
from lightcode.errors import BadInputError
from lightcode.select.blocks import Block
from lightcode.select.blocksolution import BlockSolution
from lightcode.stack.stacked import StackedGraph

MINIMISE = ("span", "energy", "dyn")


class BlockProblem(Protocol):
    """One block on the grid for one allowed-unit set and boundary units; re-solvable with other
    objectives and bounds. A backend ends a solve without proof only at `time_limit_s`."""

    def solve(self, minimise: str, *, span_ub: int | None = None, energy_ub: int | None = None,
              dyn_ub: int | None = None, time_limit_s: float = 10.0, workers: int = 1) -> BlockSolution:
        """minimise one of MINIMISE: "span", "energy" (dyn + static_coef·span) or "dyn" (op + transfer
        energy), subject to span ≤ span_ub, energy ≤ energy_ub, dyn ≤ dyn_ub (grid integers)."""
        ...


class BlockBackend(Protocol):
    name: str

    def build(self, stacked: StackedGraph, block: Block, grid, allowed: frozenset[str], entry_unit: str | None,
              exit_unit: str | None, static_coef: int,
              weight_capacity: dict[str, float] | None = None) -> BlockProblem | None:
        """The block problem (None when no realization set is feasible: an op without an allowed unit)."""
        ...

    def clear(self) -> None:
        """Forget models and proven solves shared across calls (benchmarks time first solves)."""
        ...


class _CpsatProblem:
    """Thin adapter: blockmodel.BlockModel's solve with its status string typed as Status."""

    def __init__(self, bm):
        self._bm = bm

    def solve(self, minimise: str, *, span_ub: int | None = None, energy_ub: int | None = None,
              dyn_ub: int | None = None, time_limit_s: float = 10.0, workers: int = 1) -> BlockSolution:
        s = self._bm.solve(minimise, span_ub=span_ub, energy_ub=energy_ub, dyn_ub=dyn_ub,
                           time_limit_s=time_limit_s, workers=workers)
        return BlockSolution(Status(s.status), s.span, s.dyn, s.objective, s.bound, s.units, s.starts,
                             s.transfer_starts, s.wall_s)


class CpsatBackend:
    name = "cpsat"

    def build(self, stacked, block, grid, allowed, entry_unit, exit_unit, static_coef, weight_capacity=None):
        from lightcode.select.blockmodel import block_model

        bm = block_model(stacked, block, grid, allowed, entry_unit, exit_unit, static_coef, weight_capacity)
        return None if bm is None else _CpsatProblem(bm)

    def clear(self) -> None:
        from lightcode.select.blockmodel import clear_shared

        clear_shared()


class HighsBackend:
    name = "highs"

    def build(self, stacked, block, grid, allowed, entry_unit, exit_unit, static_coef, weight_capacity=None):
        from lightcode.select.highs_block import highs_block

        return highs_block(stacked, block, grid, allowed, entry_unit, exit_unit, static_coef, weight_capacity)

    def clear(self) -> None:  # nothing is shared across calls
        pass


BACKENDS: dict[str, BlockBackend] = {"cpsat": CpsatBackend(), "highs": HighsBackend()}
DEFAULT_BACKEND = "cpsat"


def get_backend(name: str | BlockBackend = DEFAULT_BACKEND) -> BlockBackend:
    """The backend named `name` (or `name` itself when it already is one); BadInputError otherwise."""
    if not isinstance(name, str):
        return name
    try:
        return BACKENDS[name.lower()]
    except KeyError:
        raise BadInputError(f"unknown exact solver backend {name!r}; known: {', '.join(BACKENDS)}") from None
