"""List scheduling of an Assignment on its System: ops on unit cores, transfers on links.

Resources: a unit has `slots` cores (a GPU runs one kernel at a time: 1 slot; a photonic unit one per
independent core). A transfer between two different units occupies the directed link `src->dst` (one
transfer at a time per direction; links are full duplex). Host I/O edges use the link to or from the host.
An op whose realization has a `link_demand` also holds that share of each named link while it runs; such a
link is a resource of LINK_CAPACITY integer shares (a transfer takes all of them), and its tasks start at
the earliest time from their lower bound at which the link has room for their whole duration (insertion
into the link's profile), as in the solver's Cumulative.

A split op (cost/split.py) holds every unit of its realization's parts from its start, each for its part's
time with its part's link shares, and ends with its longest part: it starts when all its cores are free and
its links have room (the solver's intervals); its Event lists the parts.

Priority: the solver's start times when the Assignment carries them, else the op's topological index.
Among the tasks whose inputs are all done, the one of smallest priority goes next and starts as early as its
inputs and a free core/link allow (serial schedule generation). Replaying a feasible solver schedule in its
own start order never starts a task later than the solver did, so the simulated makespan is at most the
solver's (and equal to it when the solver proved optimality), up to the solver's integer time grid.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from lightcode.core.selection import Assignment
from lightcode.cost.split import link_name
from lightcode.stack.stacked import StackedGraph

__all__ = ["LINK_CAPACITY", "Event", "Schedule", "link_name", "link_share", "schedule"]

# A link's bandwidth in integer shares (solver and simulator alike): a transfer takes all of it, an op that
# streams over the link (a realization's link_demand) its share, rounded to 1/LINK_CAPACITY.
LINK_CAPACITY = 1000


def link_share(share: float) -> int:
    return max(1, min(LINK_CAPACITY, round(share * LINK_CAPACITY)))


@dataclass(frozen=True)
class Event:
    kind: str  # "op" | "transfer"
    index: int  # op index, or stacked edge index
    resource: str  # unit name or link name
    core: int
    start_s: float
    end_s: float
    cause: int  # task id of the task that bound this start (-1: started at time 0)
    # a split op: per part (unit, core, end) — each part holds its unit from start_s to its end
    parts: tuple[tuple[str, int, float], ...] = ()


@dataclass(frozen=True)
class Schedule:
    events: tuple[Event, ...]  # in dispatch order
    op_event: tuple[int, ...]  # op index -> position in events
    transfer_event: dict[int, int]  # stacked edge index -> position in events (transfers with latency > 0)
    makespan_s: float

    def op_start(self, i: int) -> float:
        return self.events[self.op_event[i]].start_s

    def op_end(self, i: int) -> float:
        return self.events[self.op_event[i]].end_s


def schedule(stacked: StackedGraph, assignment: Assignment) -> Schedule:
    units = assignment.units
    n = stacked.n_ops
    if len(units) != n or len(assignment.choice) != n:
        raise ValueError(f"assignment has {len(units)} units and {len(assignment.choice)} choices for {n} ops")
    reals = stacked.chosen(assignment.choice)

    # tasks: 0..n-1 are ops; n.. are transfers (edges whose endpoint units differ and take time). A task holds
    # resources from its start: task_holds[t] = [(resource, seconds, [(link, share), ...])] — one for a whole
    # op (its unit) or a transfer (its link), one per part for a split op
    task_kind: list[str] = ["op"] * n
    task_index: list[int] = list(range(n))
    task_dur: list[float] = []
    task_res: list[str] = []
    task_holds: list[list[tuple[str, float, list[tuple[str, int]]]]] = []
    for i in range(n):
        r = reals[i]
        if r.unit != units[i]:
            raise ValueError(f"op {stacked.graph.ops[i].name!r}: chosen realization {assignment.choice[i]} is on "
                             f"unit {r.unit!r}, the assignment says {units[i]!r}")
        task_dur.append(r.cost.latency_s)
        task_res.append(units[i])
        # link shares held by ops while they run (integer shares, as in the solver); links named here are shared
        task_holds.append([(u, t, [(link, link_share(d)) for link, d in sorted(ld.items())] if t > 0 else [])
                           for u, t, ld in r.holds])
    shared = {link for hs in task_holds for _u, _t, ls in hs for link, _ in ls}
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    transfer_task: dict[int, int] = {}
    host = stacked.host
    for k, e in enumerate(stacked.edges):
        su = host if e.src is None else units[e.src]  # = stacked.edge_unit(e, units, "src"), inlined
        du = host if e.dst is None else units[e.dst]
        lat = stacked.edge_cost(k, su, du).latency_s if su != du else 0.0
        if lat > 0.0:
            t = len(task_kind)
            transfer_task[k] = t
            task_kind.append("transfer")
            task_index.append(k)
            task_dur.append(lat)
            task_res.append(link_name(su, du))
            task_holds.append([(task_res[t], lat, [(task_res[t], LINK_CAPACITY)] if task_res[t] in shared else [])])
            preds.append([])
            succs.append([])
            if e.src is not None:
                preds[t].append(e.src)
                succs[e.src].append(t)
            if e.dst is not None:
                preds[e.dst].append(t)
                succs[t].append(e.dst)
        elif e.src is not None and e.dst is not None:
            preds[e.dst].append(e.src)
            succs[e.src].append(e.dst)

    # priorities
    def prio(t: int) -> tuple:
        if task_kind[t] == "op":
            i = task_index[t]
            s = assignment.op_start_s[i] if assignment.op_start_s is not None else float(i)
            return (s, i, 0, t)
        k = task_index[t]
        e = stacked.edges[k]
        src = -1 if e.src is None else e.src
        if assignment.transfer_start_s is not None and k in assignment.transfer_start_s:
            s = assignment.transfer_start_s[k]
        elif assignment.op_start_s is not None:
            s = assignment.op_start_s[e.src] if e.src is not None else 0.0
        else:
            s = float(src) if e.src is not None else -1.0
        return (s, src, 1, t)

    n_tasks = len(task_kind)
    slots: dict[str, int] = {u: max(1, int(stacked.unit(u).slots)) for u in stacked.units}
    free: dict[str, list[float]] = {}
    last_task_on: dict[tuple[str, int], int] = {}
    profile: dict[str, list[tuple[float, float, int, int]]] = {link: [] for link in shared}  # (s, e, share, task)
    remaining = [len(p) for p in preds]
    ready_time = [0.0] * n_tasks
    ready_cause = [-1] * n_tasks
    heap = [(prio(t), t) for t in range(n_tasks) if remaining[t] == 0]
    heapq.heapify(heap)
    end = [0.0] * n_tasks
    order: list[tuple] = []  # (task, core, start, cause task) in dispatch order; Events are built once, below
    pos = [0] * n_tasks
    while heap:
        _, t = heapq.heappop(heap)
        rt = ready_time[t]
        s, cause = rt, ready_cause[t]
        picked = []  # (resource, core or None, seconds)
        for res, dur, _need in task_holds[t]:
            if res in shared:  # a transfer on a shared link: only the link's profile binds it
                picked.append((res, None, dur))
                continue
            cores = free.get(res)
            if cores is None:
                cores = free[res] = [0.0] * slots.get(res, 1)
            c = 0 if len(cores) == 1 else min(range(len(cores)), key=lambda j: (cores[j], j))
            picked.append((res, c, dur))
            if cores[c] > s:
                s, cause = cores[c], last_task_on.get((res, c), -1)
        need = [(link, q, dur) for _res, dur, ls in task_holds[t] for link, q in ls]
        if need:  # on shared links: the earliest start from the cores' bound at which every link has room
            s2, blocker = _earliest_room(profile, need, s)
            if blocker >= 0:
                s, cause = s2, blocker
            for link, q, dur in need:
                profile[link].append((s, s + dur, q, t))
        end_t = end[t] = s + task_dur[t]
        parts = []
        for res, c, dur in picked:
            if c is not None:
                free[res][c] = s + dur
                last_task_on[(res, c)] = t
            parts.append((res, -1 if c is None else c, s + dur))
        pos[t] = len(order)
        order.append((t, parts[0][1] if parts[0][1] >= 0 else 0, s, cause,
                      tuple(parts) if len(task_holds[t]) > 1 else ()))
        for v in succs[t]:
            if end_t >= ready_time[v]:
                ready_time[v] = end_t
                ready_cause[v] = t
            remaining[v] -= 1
            if remaining[v] == 0:
                heapq.heappush(heap, (prio(v), v))
    if len(order) != n_tasks:
        raise ValueError("the op graph has a cycle")
    # `cause` was recorded as a task id; store the event position instead
    events = [Event(task_kind[t], task_index[t], task_res[t], c, s, end[t], pos[cause] if cause >= 0 else -1,
                    parts) for t, c, s, cause, parts in order]
    makespan = max((ev.end_s for ev in events), default=0.0)
    return Schedule(tuple(events), tuple(pos[i] for i in range(n)),
                    {k: pos[t] for k, t in transfer_task.items()}, makespan)


def _earliest_room(profile: dict, need: list[tuple[str, int, float]], lb: float) -> tuple[float, int]:
    """The earliest start ≥ lb at which every link in `need` (link, share, seconds held from the start) has
    room for its share over [start, start + seconds), and the task whose end made the room (-1: lb itself)."""
    cands = {lb: -1}
    for link, _q, _d in need:
        for _s, e, _q2, task in profile[link]:
            if e > lb and e not in cands:
                cands[e] = task
    for start in sorted(cands):
        if all(_room(profile[link], start, start + d, q) for link, q, d in need):
            return start, cands[start]
    raise AssertionError("unreachable: after the last end every link is free")


def _room(ivs: list, start: float, end: float, q: int) -> bool:
    points = [start] + [s for s, _e, _q, _t in ivs if start < s < end]
    return all(sum(qq for s, e, qq, _t in ivs if s <= p < e) + q <= LINK_CAPACITY for p in points)
