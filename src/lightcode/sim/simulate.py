"""Simulate an Assignment: schedule it, then account time and energy by the hardware/api.py law

  energy = Σ op costs + Σ edge transfer costs + Σ_{units running ≥ 1 op} static_power_w × makespan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lightcode.core.cost import ENERGY_COMPONENTS
from lightcode.core.selection import Assignment
from lightcode.sim.schedule import LINK_CAPACITY, Schedule, link_share, schedule
from lightcode.stack.stacked import StackedGraph


@dataclass(frozen=True)
class SimResult:
    latency_s: float
    energy_j: float
    energy_breakdown_j: dict[str, float]  # by component (ENERGY_COMPONENTS order); sums to energy_j
    energy_by_unit_j: dict[str, float]  # ops + static per unit; "links" for transfers
    ops_by_unit: dict[str, int]
    flops_by_unit: dict[str, float]
    utilisation: dict[str, float]  # busy time / (makespan × slots), units and links
    critical_path: tuple[str, ...]  # op names / "transfer a->b" along the path that ends last
    schedule: Schedule = field(repr=False)
    units: tuple[str, ...] = ()
    choice: tuple[int, ...] = ()  # realization index per op (stacked.realizations[i][choice[i]])

    @property
    def edp(self) -> float:
        return self.energy_j * self.latency_s

    def to_json_dict(self) -> dict:
        return {
            "latency_s": self.latency_s,
            "energy_j": self.energy_j,
            "energy_breakdown_j": dict(self.energy_breakdown_j),
            "energy_by_unit_j": dict(self.energy_by_unit_j),
            "ops_total": sum(self.ops_by_unit.values()),
            "ops_by_unit": dict(self.ops_by_unit),
            "flops_by_unit": dict(self.flops_by_unit),
            "utilisation": dict(self.utilisation),
            "critical_path": list(self.critical_path),
        }


def account_energy(stacked: StackedGraph, choice: tuple[int, ...] | list[int], makespan_s: float):
    """Energy by component and by unit for a choice (realization index per op) and a makespan (the api.py
    law)."""
    comp = {c: 0.0 for c in ENERGY_COMPONENTS}
    by_unit = {u: 0.0 for u in stacked.units}
    by_unit["links"] = 0.0
    reals = stacked.chosen(choice)
    units = [r.unit for r in reals]
    for r in reals:
        # a split op: each part's compute to its unit, its moves to the links (cost/split.py: they sum to r.cost)
        shares = ((r.unit, r.cost.energy_j),) if not r.parts else tuple(
            x for p in r.parts for x in ((p.unit, p.cost.energy_j), ("links", p.moves.energy_j)))
        for u, ej in shares:
            acc = by_unit[u]
            for c in ENERGY_COMPONENTS:  # fixed order: identical floats run to run
                v = ej.get(c, 0.0)
                comp[c] += v
                acc += v
            by_unit[u] = acc
    host, links = stacked.host, by_unit["links"]
    for k, e in enumerate(stacked.edges):
        su = host if e.src is None else units[e.src]  # = stacked.edge_unit(e, units, "src"), inlined
        du = host if e.dst is None else units[e.dst]
        if su != du:
            ej = stacked.edge_cost(k, su, du).energy_j
            for c in ENERGY_COMPONENTS:
                v = ej.get(c, 0.0)
                comp[c] += v
                links += v
    by_unit["links"] = links
    for u in sorted({u for r in reals for u in r.units_used}, key=stacked.units.index):
        static = stacked.unit(u).static_power_w * makespan_s
        comp["static"] += static
        by_unit[u] += static
    return comp, by_unit


def simulate(stacked: StackedGraph, assignment: Assignment) -> SimResult:
    sched = schedule(stacked, assignment)
    units = assignment.units
    makespan = sched.makespan_s
    comp, by_unit = account_energy(stacked, assignment.choice, makespan)
    total = 0.0
    for c in ENERGY_COMPONENTS:
        total += comp[c]

    reals = stacked.chosen(assignment.choice)
    ops_by_unit = {u: 0 for u in stacked.units}  # an op counts on its host unit (a split op's too)
    flops_by_unit = {u: 0.0 for u in stacked.units}  # a split op's FLOPs by its fractions
    for i, u in enumerate(units):
        ops_by_unit[u] += 1
        for fu, f in reals[i].fractions.items():
            flops_by_unit[fu] += float(stacked.graph.ops[i].flops) * f

    busy: dict[str, float] = {}
    for ev in sched.events:
        if ev.kind != "op":
            busy[ev.resource] = busy.get(ev.resource, 0.0) + (ev.end_s - ev.start_s)
            continue
        # each hold of the op on its unit, and the link shares it streams with (link_demand)
        r = reals[ev.index]
        for u, t, ld in r.holds:
            t = t if r.parts else ev.end_s - ev.start_s
            busy[u] = busy.get(u, 0.0) + t
            for link, d in ld.items():
                busy[link] = busy.get(link, 0.0) + t * link_share(d) / LINK_CAPACITY
    util = {}
    for res in sorted(busy, key=lambda r: (r not in stacked.units, r)):
        cap = stacked.unit(res).slots if res in stacked.units else 1
        util[res] = busy[res] / (makespan * max(1, cap)) if makespan > 0 else 0.0

    return SimResult(
        latency_s=makespan,
        energy_j=total,
        energy_breakdown_j=comp,
        energy_by_unit_j=by_unit,
        ops_by_unit=ops_by_unit,
        flops_by_unit=flops_by_unit,
        utilisation=util,
        critical_path=critical_path(stacked, sched),
        schedule=sched,
        units=tuple(units),
        choice=tuple(assignment.choice),
    )


def critical_path(stacked: StackedGraph, sched: Schedule) -> tuple[str, ...]:
    """Follow, from the task that ends last, the task that bound each start (an input or the resource)."""
    if not sched.events:
        return ()
    j = max(range(len(sched.events)), key=lambda p: (sched.events[p].end_s, -p))
    path = []
    seen = set()
    while j >= 0 and j not in seen:
        seen.add(j)
        ev = sched.events[j]
        if ev.kind == "op":
            path.append(stacked.graph.ops[ev.index].name)
        else:
            path.append(f"transfer {ev.resource}")
        j = ev.cause
    return tuple(reversed(path))
