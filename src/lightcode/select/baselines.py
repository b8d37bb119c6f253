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
    """The additive per-op / per-transfer cost a heuristic compares: the objective's own (core/selection.py),
    called as metric(cost, static_power_w=0.0)."""
    return objective.op_metric


def _heuristic(stacked: StackedGraph, choice, method: str, objective: Objective, t0: float,
               warnings=()) -> Assignment:
    return Assignment(units=stacked.units_of(choice), choice=tuple(choice), method=method, objective=objective,
                      status=Status.FEASIBLE, objective_value=None, bound=None, gap=None,
                      solve_time_s=time.perf_counter() - t0, warnings=tuple(warnings))


def all_electronic(stacked: StackedGraph, objective: Objective | str = Objective.ENERGY) -> Assignment:
    """Every op on the host unit, in the host's variant best for the objective's per-op metric (charging the
    host's static power over the op's time: with everything on one serial unit and no transfers, the makespan
    is the sum of the op times, so this is the exact optimum for latency and energy on a 1-slot host)."""
    t0 = time.perf_counter()
    objective = Objective.parse(objective)
    metric = op_metric(objective)
    host = stacked.host
    power = stacked.unit(host).static_power_w
    choice = []
    for i, reals in enumerate(stacked.realizations):
        on_host = [(metric(r.cost, power), j) for j, r in enumerate(reals) if r.unit == host and not r.parts]
        if not on_host:
            raise BadInputError(f"op {stacked.graph.ops[i].name!r} cannot run on the host unit {host!r}")
        choice.append(min(on_host)[1])
    return _heuristic(stacked, choice, "all-electronic", objective, t0)


def greedy(stacked: StackedGraph, objective: Objective | str = Objective.ENERGY) -> Assignment:
    """In topological order, each op takes the realization cheapest for its own cost plus the transfers
    from its already-placed producers (and from the host for graph inputs)."""
    t0 = time.perf_counter()
    objective = Objective.parse(objective)
    metric = op_metric(objective)
    units: list[str] = [""] * stacked.n_ops
    choice: list[int] = [0] * stacked.n_ops
    for i, reals in enumerate(stacked.realizations):
        best = None
        for j, r in enumerate(reals):
            v = metric(r.cost)
            for k in stacked.in_edges[i]:
                e = stacked.edges[k]
                su = stacked.host if e.src is None else units[e.src]
                v += metric(stacked.edge_cost(k, su, r.unit))
            for k in stacked.out_edges[i]:
                if stacked.edges[k].dst is None:
                    v += metric(stacked.edge_cost(k, r.unit, stacked.host))
            if best is None or v < best[0]:
                best = (v, j)
        choice[i] = best[1]
        units[i] = reals[best[1]].unit
    return _heuristic(stacked, choice, "greedy", objective, t0)
