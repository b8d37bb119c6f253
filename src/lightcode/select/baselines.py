"""Heuristic baselines: all-electronic (everything on the host GPU) and greedy per op.

Neither schedules; the simulator list-schedules them in topological order. Their status is FEASIBLE
(no proof) and their objective is left to the simulator.
"""

from __future__ import annotations

import time

from lightcode.core.selection import Assignment, Objective, Status
from lightcode.errors import BadInputError
from lightcode.stack.stacked import StackedGraph


def op_metric(objective: Objective):
    """The additive per-op / per-transfer cost a heuristic compares: time for latency, energy otherwise."""
    if objective == Objective.LATENCY:
        return lambda c: c.latency_s
    return lambda c: c.total_energy_j


def _heuristic(units, method: str, objective: Objective, t0: float, warnings=()) -> Assignment:
    return Assignment(units=tuple(units), method=method, objective=objective, status=Status.FEASIBLE,
                      objective_value=None, bound=None, gap=None, solve_time_s=time.perf_counter() - t0,
                      warnings=tuple(warnings))


def all_electronic(stacked: StackedGraph, objective: Objective | str = Objective.ENERGY) -> Assignment:
    t0 = time.perf_counter()
    objective = Objective.parse(objective)
    host = stacked.host
    units = []
    for i, reals in enumerate(stacked.realizations):
        if not any(r.unit == host for r in reals):
            raise BadInputError(f"op {stacked.graph.ops[i].name!r} cannot run on the host unit {host!r}")
        units.append(host)
    return _heuristic(units, "all-electronic", objective, t0)


def greedy(stacked: StackedGraph, objective: Objective | str = Objective.ENERGY) -> Assignment:
    """In topological order, each op takes the realization cheapest for its own cost plus the transfers
    from its already-placed producers (and from the host for graph inputs)."""
    t0 = time.perf_counter()
    objective = Objective.parse(objective)
    metric = op_metric(objective)
    units: list[str] = [""] * stacked.n_ops
    for i, reals in enumerate(stacked.realizations):
        best = None
        for r in reals:
            v = metric(r.cost)
            for k in stacked.in_edges[i]:
                e = stacked.edges[k]
                su = stacked.host if e.src is None else units[e.src]
                v += metric(stacked.edge_cost(k, su, r.unit))
            for k in stacked.out_edges[i]:
                if stacked.edges[k].dst is None:
                    v += metric(stacked.edge_cost(k, r.unit, stacked.host))
            if best is None or v < best[0]:
                best = (v, r.unit)
        units[i] = best[1]
    return _heuristic(units, "greedy", objective, t0)
