"""Exact block backends behind one protocol, and the registry that names them.

The chain solver (select/cpsat.py) is backend-neutral: it asks a `BlockBackend` for one block problem per
(block, powered-unit set, entry unit, exit unit) and solves it for span, energy (dyn + c·span) or dynamic
energy under optional upper bounds. Both backends build the same problem from `prepare()`'s integer grid
data (select/blockmodel.py), so they have the same optimum; they differ in how they prove it:

- "cpsat": OR-Tools CP-SAT (intervals, NoOverlap, Cumulative) — the default; select/blockmodel.py.
- "highs": a MILP (big-M disjunctions; a resource flow on links that ops stream over) solved by
  scipy.optimize.milp's bundled HiGHS; select/highs_block.py.
"""

from __future__ import annotations

from typing import Protocol

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

    def forbid(self, choice) -> None:
        """Exclude one assignment (choice: realization index per global op) by a no-good, and forget the
        remembered solves it may invalidate."""
        ...


class BlockBackend(Protocol):
    name: str

    def build(self, stacked: StackedGraph, block: Block, grid, allowed: frozenset[str], entry_unit: str | None,
              exit_unit: str | None, static_coef: int, weight_capacity: dict[str, float] | None = None,
              side: list | None = None) -> BlockProblem | None:
        """The block problem (None when no realization set is feasible: an op without an allowed unit).
        `side`: side budgets on the integer scale, [(per global op per realization a coefficient, bound)],
        each a row Σ coef·x ≤ bound; a problem built with them is never shared (forbid() changes it)."""
        ...

    def clear(self) -> None:
        """Forget models and proven solves shared across calls (benchmarks time first solves)."""
        ...


class CpsatBackend:
    name = "cpsat"

    def build(self, stacked, block, grid, allowed, entry_unit, exit_unit, static_coef, weight_capacity=None,
              side=None):
        from lightcode.select.blockmodel import BlockModel, block_model, prepare

        if not side:
            return block_model(stacked, block, grid, allowed, entry_unit, exit_unit, static_coef, weight_capacity)
        prep = prepare(stacked, block, grid, allowed, entry_unit, exit_unit)
        return None if prep is None else BlockModel(stacked, block, grid, allowed, entry_unit, exit_unit,
                                                    static_coef, weight_capacity, prep, side=side)

    def clear(self) -> None:
        from lightcode.select.blockmodel import clear_shared

        clear_shared()


class HighsBackend:
    name = "highs"

    def build(self, stacked, block, grid, allowed, entry_unit, exit_unit, static_coef, weight_capacity=None,
              side=None):
        from lightcode.select.highs_block import highs_block

        return highs_block(stacked, block, grid, allowed, entry_unit, exit_unit, static_coef, weight_capacity,
                           side)

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
