"""A side budget (an additive cost per op and realization, e.g. an accuracy surrogate) through the chain DP.

The monolithic model with a side row (cpsat.py, couples_blocks) did not solve Llama-2-7B in 60 s. Here the
side cost is a DP dimension instead, for scalar objectives (latency, energy) and one side budget:

1. Per block and per (powered-unit set U, entry unit, exit unit): the block's Pareto set of (objective, side)
   by the epsilon-constraint method on the side row: the unconstrained optimum first, then "min objective
   s.t. side ≤ k" with k one below the last point's side, until infeasible (the last point then has the
   block's least achievable side). Each (objective, side ≤ k) optimum of the block is in this set.
2. The chain DP keeps per boundary unit the Pareto set of (objective, side) sums, dropping a partial sum
   whose side plus the least side of the blocks after it exceeds the budget. Objectives are sums of block
   objectives at fixed U (latency: spans; energy: dyn + c_U·span), so the least objective within the
   budget over the final sets is the optimum — on the side's integer scale.
3. The side's integer scale (side_on_grid: costs and budget rounded down) is a relaxation; the
   chosen mapping's side is re-checked in floats. If it breaks the budget, the next-best final points are
   tried and the answer is FEASIBLE (the relaxation's optimum its bound), never OPTIMAL.

Blocks with the same signature and the same side costs share fronts (a proxy surrogate charges every layer
alike, so Llama-2-7B's 32 layers cost one front each); the side costs of distinct layers make distinct
blocks. Status OPTIMAL only when every block solve was proven, no front was truncated, no chain set thinned
and the integer answer held in floats.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

from lightcode.core.selection import Assignment, Constraints, Objective, Status
from lightcode.errors import InfeasibleError
from lightcode.select import chain_dp

MAX_SIDE_POINTS_PER_BLOCK = 48
MAX_CHAIN_SET = 4000
FLOAT_RETRIES = 32  # final points tried in objective order when the best breaks the budget in floats


def applies(objective: Objective, c: Constraints) -> bool:
    """Scalar objective, exactly one side budget and nothing else coupling the blocks."""
    return (len(c.side_budgets) == 1 and not c.weight_capacity_bytes and objective.scalar is not None
            and not objective.needs_front(c))


class SideChain:
    def __init__(self, cs, name: str, rows: tuple, budget_int: int):
        self.cs = cs  # a ChainSolver on the side-free constraints: grid, unit sets, states, shared models
        self.name = name
        self.rows = rows  # per global op per realization: the integer side coefficient
        self.budget = budget_int
        self.fronts: dict[tuple, list] = {}
        self.truncated = False

    def row_key(self, b) -> tuple:
        return tuple(self.rows[i] for i in b.ops)

    def side_of(self, b, sol) -> int:
        return sum(self.rows[i][j] for i, j in zip(b.ops, sol.choice))

    def least_side(self, b, U, t) -> int:
        st = self.cs.stacked
        total = 0
        for i in b.ops:
            vals = [self.rows[i][j] for j, r in enumerate(st.realizations[i])
                    if r.unit in U and (i != b.exit or t is None or r.unit == t)]
            total += min(vals) if vals else 0
        return total

    def front(self, b, U, s, t, primary: str, cap: int) -> list[tuple[object, int]]:
        """[(BlockSolution, side)] of the block with side ≤ cap (what the rest of the chain leaves of the
        budget at best), side descending and objective ascending."""
        key = (b.signature, self.row_key(b), U, s, t, primary, cap)
        if key in self.fronts:
            return self.fronts[key]
        cs = self.cs
        pts: list[tuple[object, int]] = []
        first = cs.block_optimum(b, U, s, t, primary)
        floor = self.least_side(b, U, t)
        if first is not None and floor <= cap:
            pts.append((first, self.side_of(b, first)))
            if pts[-1][1] > cap:  # the unconstrained optimum cannot be part of a mapping within the budget
                pts = [(None, cap + 1)]
            while pts[-1][1] > floor:
                if len(pts) >= MAX_SIDE_POINTS_PER_BLOCK:
                    self.truncated = True
                    cs.proven = False
                    cs.warnings.append(f"a block's (objective, side) front was truncated at "
                                       f"{MAX_SIDE_POINTS_PER_BLOCK} points")
                    break
                bm = cs.backend.build(cs.stacked, b, cs.grid, U, s, t, cs.static_coef(U), None,
                                      side=[(self.rows, pts[-1][1] - 1)])
                if bm is None:
                    break
                sol = cs._solve(bm, primary)
                if not sol.has_solution:
                    if sol.status != "INFEASIBLE":  # time limit: the rest of the front is unknown
                        self.truncated = True
                        cs.proven = False
                    break
                # the lexicographic tie-break of block_optimum: a span solve leaves transfer bools free, so
                # its energy is only read from the least-energy schedule at that span
                # (with static power the energy already prices the span: no tie-break needed)
                tie = (cs._run(bm, "energy", span_ub=sol.span) if primary == "span"
                       else None if cs.static_coef(U) > 0
                       else cs._run(bm, "span", **{f"{primary}_ub": sol.objective}))
                if tie is not None and tie.has_solution:
                    sol = replace(tie, status=sol.status, objective=sol.objective, bound=sol.bound)
                side = self.side_of(b, sol)
                if pts[-1][0] is None or sol.objective == pts[-1][0].objective:  # (weakly) dominated
                    pts.pop()
                pts.append((sol, side))
        pts = [p for p in pts if p[0] is not None]
        self.fronts[key] = pts
        return pts


@dataclass
class _Final:
    back: tuple  # (exit state, index): what ChainSolver.reconstruct reads of a final chain point


def side_on_grid(stacked, c: Constraints) -> list:
    """Side budgets as integer rows for the block models: per name, costs and budget in units of
    τ = max(|budget|, max |cost|)/10⁶, costs rounded down and the budget down to an integer: every choice
    within the budget in floats stays within it on the grid (a relaxation; the floats decide afterwards)."""
    out = []
    for name, budget in c.side_budgets.items():
        rows = c.side_costs[name]
        scale = max([abs(budget)] + [abs(v) for row in rows for v in row]) / 1e6 or 1.0
        out.append((tuple(tuple(math.floor(v / scale) for v in row) for row in rows), math.floor(budget / scale)))
    return out


def select_side_chain(cs_factory, stacked, objective: Objective, c: Constraints, t0: float,
                      time_limit_s: float, fallback) -> tuple[Assignment | None, bool]:
    """The side-budgeted optimum by the (objective, side) chain DP (module docstring), and whether the
    integer scale's optimum held in floats (else the answer is the next best, FEASIBLE)."""
    import numpy as np

    name = next(iter(c.side_budgets))
    (rows, budget_int), = side_on_grid(stacked, c)
    cs = cs_factory(replace(c, side_costs={}, side_budgets={}))
    g = cs.grid
    sc = SideChain(cs, name, rows, budget_int)
    primary = objective.scalar
    sets = [frozenset(stacked.units)] if primary == "span" else cs.unit_sets()
    thinned = False
    candidates = []  # (objective, side, U, point index, tables, block points)
    for U in sets:
        # least side of the blocks after position k, over their allowed units: the DP's pruning bound
        least = [sc.least_side(b, U, None) for b in cs.blocks]
        tail = [0] * (len(cs.blocks) + 1)
        for k in range(len(cs.blocks) - 1, -1, -1):
            tail[k] = tail[k + 1] + least[k]
        caps = {id(b): budget_int - (tail[0] - least[k]) for k, b in enumerate(cs.blocks)}

        def bpts(b, U_, s, t, caps=caps):
            return [p for p, _ in sc.front(b, U_, s, t, primary, caps[id(b)])]

        tables = []
        cur = {None: (np.zeros(1, np.int64), np.zeros(1, np.int64))}
        for bi, b in enumerate(cs.blocks):
            nxt = {}
            back = {}
            for t in cs.states(b.exit, U):
                sums = chain_dp.combine(cur, lambda s, b=b, t=t, caps=caps: (
                    (bp.objective, side) for bp, side in sc.front(b, U, s, t, primary, caps[id(b)])))
                if sums is None:
                    continue
                ob, sd, bs, bi_, bj = sums
                ok = sd + tail[bi + 1] <= budget_int
                if not ok.any():
                    continue
                ob, sd, bs, bi_, bj = ob[ok], sd[ok], bs[ok], bi_[ok], bj[ok]
                idx, cut = chain_dp.thin(chain_dp.pareto(ob, sd), MAX_CHAIN_SET)  # objective first
                thinned = thinned or cut
                states = list(cur)
                nxt[t] = (ob[idx], sd[idx])
                back[("back", t)] = ([states[k] for k in bs[idx]], bi_[idx], bj[idx])
            tables.append(back)
            cur = nxt
        for t, (obs, sds) in cur.items():
            for k in range(len(obs)):
                candidates.append((int(obs[k]), int(sds[k]), U, t, k, tables, bpts))
    if thinned:
        cs.proven = False
        cs.warnings.append(f"the (objective, side) chain set was thinned to {MAX_CHAIN_SET} points")
    if not candidates:
        if cs.unknown:
            return fallback(stacked, objective, c, t0, time_limit_s, None, cs.backend.name), True
        raise InfeasibleError(f"no assignment satisfies side budget {name!r} with the other constraints")
    candidates.sort(key=lambda x: (x[0], x[1]))
    for attempt, (obj, side, U, t, k, tables, bpts) in enumerate(candidates[:FLOAT_RETRIES]):
        choice, starts, tstarts, span, dyn = cs.reconstruct(tables, U, _Final((t, k)), bpts)
        if c.side_ok(choice):
            break
    else:  # none of them fits in floats: the caller's exact model decides
        return None, False
    exact_int = cs.proven  # every block solve proven, no front truncated, no set thinned: the int optimum
    proven = exact_int and attempt == 0
    if attempt:
        cs.warnings.append("the side budget's integer scale admitted a mapping that breaks it in floats: the "
                           "next best was taken (FEASIBLE)")
    units = stacked.units_of(choice)
    lat = span * g.time_s
    energy = dyn * g.energy_j + sum(stacked.unit(u).static_power_w for u in set(units)) * lat
    to_si = g.time_s if primary == "span" else g.energy_j
    value = obj * to_si
    bound = candidates[0][0] * to_si if exact_int else None  # the relaxation's optimum bounds the floats' one
    gap = (max(0.0, (value - bound) / abs(value)) if value else 0.0) if bound is not None else None
    warns = list(dict.fromkeys(cs.warnings))
    if cs.timed_out:
        warns.append(f"solver stopped at the time limit ({time_limit_s:g} s) before proving optimality; "
                     f"raise --time-limit")
    return Assignment(
        units=units, choice=tuple(choice), method=cs.backend.name, objective=objective,
        status=Status.OPTIMAL if proven else Status.FEASIBLE, objective_value=value,
        bound=bound, gap=gap,
        solve_time_s=time.perf_counter() - t0, latency_s=lat, energy_j=energy, op_start_s=tuple(starts),
        transfer_start_s=tstarts, grid={"time_s": g.time_s, "energy_j": g.energy_j},
        warnings=tuple(warns)), attempt == 0
