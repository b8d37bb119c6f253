"""What every exact block backend returns: one block solve's status, values on the grid and schedule.

Its own module so that the backends (select/highs_block.py, the CP-SAT adapter in select/backend.py) and
the registry that names them can all import it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass, field

from lightcode.core.selection import Status


@dataclass(frozen=True)
class BlockSolution:
    """A block solve. status: OPTIMAL (proven), FEASIBLE (a solution, limit reached: `bound` ≤ optimum),
    INFEASIBLE (proven none), UNKNOWN (limit reached without a solution; `bound` still bounds it).
    All values are integers on the block's Grid; units/starts/choice are per block op, in block order;
    `choice` is the index into stacked.realizations[op] (a unit may offer several variants of an op), equal
    for identical blocks."""

    status: Status
    span: int
    dyn: int  # op + transfer energy
    objective: int  # the minimised quantity: span, dyn or dyn + c·span
    bound: int  # proven lower bound of the objective
    units: tuple[str, ...] = ()
    starts: tuple[int, ...] = ()  # local to the block
    transfer_starts: dict = field(default_factory=dict)  # position in block_edges(...) -> local start
    wall_s: float = 0.0
    choice: tuple[int, ...] = ()

    @property
    def has_solution(self) -> bool:
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)
