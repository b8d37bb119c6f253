"""The authors' candidate selection, re-implemented from its description (lightcode.md §1.4), as a baseline.

Per subgraph between articulation points (our blocks):
1. agreement stacks: ops with more than one child or more than one parent inside the subgraph;
2. best-first search over whole paths from a mock `start` (re-parenting every op whose parents lie outside
   the subgraph); a popped path is extended to every realization of every child, priority = Σ node costs +
   Σ edge transfer costs (time for latency, energy otherwise; concurrency and static power are ignored);
3. a completed path (ending at a sink of the subgraph) joins the first group of completed paths whose
   agreement choices it matches and whose coverage it extends (`quick_heuristic`, on by default in their
   code), else starts a new group;
4. when a group covers every op, each op takes its realization from the first (cheapest) path of that group
   that reached it.
A pop limit guards against the exponential worst case; ops left uncovered then take the greedy choice.
"""

from __future__ import annotations

import heapq
import time

from lightcode.core.selection import Assignment, Objective
from lightcode.select.baselines import _heuristic, op_metric
from lightcode.select.blocks import split_blocks
from lightcode.stack.stacked import StackedGraph

MAX_POPS = 20000


def path_search(stacked: StackedGraph, objective: Objective | str = Objective.ENERGY) -> Assignment:
    t0 = time.perf_counter()
    objective = Objective.parse(objective)
    metric = op_metric(objective)
    units: list[str] = [""] * stacked.n_ops
    choice: list[int] = [0] * stacked.n_ops  # nodes of the search are (op, realization index)
    warnings = []
    for b in split_blocks(stacked):
        inside = set(b.ops)
        children: dict[int, list[tuple[int, int]]] = {i: [] for i in b.ops}  # op -> [(child, edge)]
        n_par: dict[int, int] = {i: 0 for i in b.ops}
        roots: list[tuple[int, int | None]] = []  # (op, edge from outside or None)
        for i in b.ops:
            outside = []
            for k in stacked.in_edges[i]:
                e = stacked.edges[k]
                if e.src is not None and e.src in inside:
                    children[e.src].append((i, k))
                    n_par[i] += 1
                else:
                    outside.append(k)
            if outside or n_par[i] == 0:
                roots.append((i, outside))
        agree = {i for i in b.ops if len(children[i]) > 1 or n_par[i] > 1}

        def node_cost(i: int, j: int) -> float:
            r = stacked.realizations[i][j]
            v, unit = metric(r.cost), r.unit
            for k in stacked.out_edges[i]:  # results returning to the host
                if stacked.edges[k].dst is None:
                    v += metric(stacked.edge_cost(k, unit, stacked.host))
            return v

        def outside_cost(ks, unit: str) -> float:
            v = 0.0
            for k in ks:
                e = stacked.edges[k]
                su = stacked.host if e.src is None else units[e.src]  # earlier blocks are already placed
                v += metric(stacked.edge_cost(k, su, unit))
            return v

        heap: list = []
        counter = 0
        for i, ks in roots:
            for j, r in enumerate(stacked.realizations[i]):
                c = node_cost(i, j) + outside_cost(ks, r.unit)
                heapq.heappush(heap, (c, counter, ((i, j),)))
                counter += 1
        groups: list[dict] = []  # {"choice": {op: realization}, "covered": set, "first": {op: realization}}
        done = None
        pops = 0
        while heap and done is None and pops < MAX_POPS:
            cost, _, path = heapq.heappop(heap)
            pops += 1
            last, lj = path[-1]
            lu = stacked.realizations[last][lj].unit
            if not children[last]:  # a sink of the subgraph: a completed path
                cover = {op for op, _ in path}
                picks = dict(path)
                for grp in groups:
                    if all(grp["choice"].get(op, u) == u for op, u in path if op in agree) and \
                            not cover <= grp["covered"]:
                        for op, u in path:
                            if op in agree:
                                grp["choice"][op] = u
                            grp["first"].setdefault(op, u)
                        grp["covered"] |= cover
                        break
                else:
                    groups.append({"choice": {op: u for op, u in path if op in agree}, "covered": set(cover),
                                   "first": picks})
                for grp in groups:
                    if len(grp["covered"]) == len(b.ops):
                        done = grp
                        break
                continue
            for child, k in children[last]:
                for j, r in enumerate(stacked.realizations[child]):
                    extra = node_cost(child, j) + metric(stacked.edge_cost(k, lu, r.unit))
                    # the child's other inputs from outside the subgraph
                    extra += outside_cost([kk for kk in stacked.in_edges[child]
                                           if stacked.edges[kk].src is None or stacked.edges[kk].src not in inside],
                                          r.unit)
                    heapq.heappush(heap, (cost + extra, counter, path + ((child, j),)))
                    counter += 1
        chosen = done["first"] if done else (max(groups, key=lambda g: len(g["covered"]))["first"] if groups else {})
        if done is None:
            warnings.append("path search hit its pop limit; uncovered ops placed greedily")
        for i in b.ops:  # topological order: producers are placed before consumers
            if i in chosen:
                choice[i] = chosen[i]
                units[i] = stacked.realizations[i][chosen[i]].unit
                continue
            best = None
            for j, r in enumerate(stacked.realizations[i]):
                v = node_cost(i, j)
                for kk in stacked.in_edges[i]:
                    e = stacked.edges[kk]
                    su = stacked.host if e.src is None else units[e.src]
                    v += metric(stacked.edge_cost(kk, su, r.unit))
                if best is None or v < best[0]:
                    best = (v, j)
            choice[i] = best[1]
            units[i] = stacked.realizations[i][best[1]].unit
    return _heuristic(stacked, choice, "path-search", objective, t0, sorted(set(warnings)))
