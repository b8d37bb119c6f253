"""Selection: `select(stacked, objective, constraints) -> Assignment` (exact, CP-SAT or HiGHS, or a baseline)."""

from __future__ import annotations

from lightcode.core.selection import Assignment, Constraints, Objective, Status

METHODS = ("cpsat", "all-electronic", "greedy", "path-search")


def select(stacked, objective="energy", constraints: Constraints | None = None, *, time_limit_s: float = 10.0,
           method: str = "cpsat", workers: int = 1, decompose: bool = True, backend: str = "cpsat") -> Assignment:
    """Choose a unit per op. `method="cpsat"` is exact (status OPTIMAL, or FEASIBLE with a gap on a
    time-out); the baselines return FEASIBLE assignments to be judged by the simulator. `decompose=False`
    solves the whole graph as one block model (for comparison; exact but slow beyond a few dozen ops).

    `backend` picks the exact solver of the block models (select/backend.py BACKENDS): "cpsat" (OR-Tools
    CP-SAT, the default) or "highs" (the same problem as a MILP, HiGHS via scipy.optimize.milp; `workers`
    is ignored there). Both reach the same optimum on the same grid; the exact assignment's `method` names
    the backend. Only used by method="cpsat" (an unknown name is a BadInputError either way)."""
    from lightcode.errors import BadInputError

    objective = Objective.parse(objective)
    from lightcode.select.backend import get_backend

    get_backend(backend)  # an unknown name fails before any work
    if method == "cpsat":
        from lightcode.select.cpsat import select_cpsat

        return select_cpsat(stacked, objective, constraints, time_limit_s=time_limit_s, workers=workers,
                            decompose=decompose, backend=backend)
    if method == "all-electronic":
        from lightcode.select.baselines import all_electronic

        return all_electronic(stacked, objective)
    if method == "greedy":
        from lightcode.select.baselines import greedy

        return greedy(stacked, objective)
    if method == "path-search":
        from lightcode.select.pathsearch import path_search

        return path_search(stacked, objective)
    raise BadInputError(f"unknown selection method {method!r}; known: {', '.join(METHODS)}")


__all__ = ["select", "Assignment", "Constraints", "Objective", "Status", "METHODS"]
