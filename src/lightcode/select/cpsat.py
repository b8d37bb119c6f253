"""Exact selection + scheduling: CP-SAT per distinct block, dynamic programme over the block chain.

Method (DESIGN §2):
1. Split the graph at strict articulation points (select/blocks.py). The makespan is then exactly the sum of
   block spans and the state passed between blocks is the unit holding the cut op's output.
2. Static power couples energy and makespan (hardware/api.py: Σ_{used units} P·makespan). For every set U
   of powered units we charge Σ_{u∈U} P_u per unit of time in every block; the true optimum is the minimum
   over U (a solution that leaves a unit of U idle is also found, cheaper, for the smaller set). Units with
   zero static power are always in U. Latency does not depend on U: all units are allowed.
3. Each distinct (block signature, U, entry unit, exit unit) is solved once by CP-SAT (select/blockmodel.py):
   for scalar objectives its optimum with a lexicographic tie-break (fastest among the least-energy, least
   energy among the fastest), for fronts its full latency–energy Pareto front by the epsilon-constraint
   method (each point: min energy s.t. span ≤ ε, then min span at that energy).
4. A DP over the chain keeps, per boundary unit, the best value (scalar objectives) or the Pareto set of
   (span, energy) (EDP, Pareto, budgets, power cap). The chain front is the Pareto filter of sums of block
   front points, so each of its points is exact when every block front is. A block front is enumerated from
   its slow end and cut after MAX_FRONT_POINTS_PER_BLOCK points; the cut part is dominated by one corner
   point (fastest span, last enumerated dyn), so the same chain with the corners in bounds the objective:
   an answer that reaches that bound is still optimal, else FEASIBLE with it (_front_certificate).

Integer grid (CP-SAT needs integers; Grid in blockmodel.py): the time unit τt is the power of ten at or below
H/10⁶, H the largest block's serial time with every op on its fastest unit; the energy unit τe is the power
of ten at or below both E/10⁹ (E the largest block's least energy) and P_min·τt/10³, so static power enters
with ≥ 3 significant digits. Durations and energies are rounded to the nearest grid unit; the simulator re-evaluates the chosen
assignment in floats, and the two agree within (ops on the critical path)·τt/2 in time and
(ops + edges)·τe/2 + P·that in energy.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Callable

from lightcode.core.selection import Assignment, Constraints, Objective, Status
from lightcode.errors import BadInputError, InfeasibleError
from lightcode.select import chain_dp, side_chain
from lightcode.select.backend import BlockProblem, get_backend
from lightcode.select.blockmodel import Grid, block_edges
from lightcode.select.blocks import Block, split_blocks
from lightcode.select.blocksolution import BlockSolution
from lightcode.select.side_chain import side_on_grid
from lightcode.stack.stacked import StackedGraph

MAX_FRONT_POINTS_PER_BLOCK = 64
MAX_CHAIN_FRONT = 4000


def choose_grid(stacked: StackedGraph, blocks: list[Block]) -> Grid:
    """Grid from the *cheapest* realization of each op: the optimum is made of ops of that order, while a
    scale taken from the slowest realization (an MRR bank 2000× slower than the GPU on GPT-2) made τt
    100× coarser than the GPU's kernels and the solver's makespan 0.13 % off the simulated one."""
    h_max = 0.0
    e_max = 0.0
    for b in blocks:
        h = sum(min(r.cost.latency_s for r in stacked.realizations[i]) for i in b.ops)
        e = sum(min(r.cost.total_energy_j for r in stacked.realizations[i]) for i in b.ops)
        h_max, e_max = max(h_max, h), max(e_max, e)
    powers = [stacked.unit(u).static_power_w for u in stacked.units]
    e_max += min(powers) * h_max
    tau_t = 10.0 ** math.floor(math.log10(h_max / 1e6)) if h_max > 0 else 1e-9
    tau_e = 10.0 ** math.floor(math.log10(e_max / 1e9)) if e_max > 0 else 1e-12
    p_min = min((p for p in powers if p > 0), default=0.0)
    if p_min > 0:
        tau_e = min(tau_e, 10.0 ** math.floor(math.log10(p_min * tau_t / 1e3)))
    return Grid(tau_t, tau_e)


def restrict_precision(stacked: StackedGraph, constraints: Constraints, *, side_feasible: bool = False) -> StackedGraph:
    """A view of `stacked` without realizations on units below the minimum precision of the op's kind (its
    choices map back with view.to_base). `side_feasible`: also without realizations that no choice within a
    side budget can use (their cost plus every other op's least cost exceeds the budget): an exact
    reduction, and what keeps a 4-bit unit that no op may use under an accuracy budget out of the model."""
    need = [constraints.min_precision_bits.get(op.kind, 0) for op in stacked.graph.ops] \
        if constraints.min_precision_bits else None
    rest = {}
    if side_feasible:
        for name, budget in constraints.side_budgets.items():
            rows = constraints.side_costs[name]
            least = [min(row) for row in rows]
            total = math.fsum(least)
            # keep borderline ones: the floats decide them later (cpsat._select)
            rest[name] = (rows, [budget - (total - v) + 1e-12 * max(1.0, abs(budget)) for v in least])
    if need is None and not rest:
        return stacked
    real_index = {i: {id(r): j for j, r in enumerate(rs)} for i, rs in enumerate(stacked.realizations)} if rest else {}

    def keep(i, r) -> bool:
        if need is not None and any(stacked.unit(u).precision_bits < need[i] for u in r.units_used):
            return False
        return all(rows[i][real_index[i][id(r)]] <= room[i] for rows, room in rest.values())

    view = stacked.restricted(keep)
    if all(len(a) == len(b) for a, b in zip(view.realizations, stacked.realizations)):
        return stacked
    for i, op in enumerate(stacked.graph.ops):
        if not view.realizations[i]:
            raise InfeasibleError(f"no unit delivers {need[i]} bits for op {op.name!r} ({op.kind}); "
                                  f"lower the minimum precision for {op.kind!r}")
    return view


@dataclass
class _Point:
    span: int
    energy: int  # dyn + c_U·span on the grid
    back: tuple  # (prev state, prev index, block point)


class SolverBudget:
    """The time limit of one selection, spent only by block solves: each solve gets what is left and is
    charged the time it took by `clock`. Model building, imports and a fresh worker's start-up are not
    charged, so the same problem gets the same search whatever ran before it (issue 11 item 6)."""

    def __init__(self, limit_s: float, clock: Callable[[], float] = time.perf_counter):
        self.limit_s = limit_s
        self.clock = clock
        self.spent_s = 0.0
        self.n_solves = 0

    def remaining(self) -> float:
        # no floor: a spent budget gives a solve 0 s and it ends UNKNOWN at once, so --time-limit is honoured
        return max(0.0, self.limit_s - self.spent_s)

    def run(self, solve: Callable[[float], BlockSolution]) -> BlockSolution:
        self.n_solves += 1
        t = self.clock()
        try:
            return solve(self.remaining())
        finally:
            self.spent_s += max(0.0, self.clock() - t)


class ChainSolver:
    """The chain DP over blocks (module docstring), solving each distinct block once.

    Time limit: `time_limit_s` (or a shared `budget`) counts solver time only — the block solves, each
    given what is left and charged what it took by `clock` — not building the blocks' models, imports or a
    fresh worker's first-call start-up, so a loaded machine or a cold process does not turn an OPTIMAL
    answer into a FEASIBLE one. A solve that finds the budget spent gets 0 s (ends UNKNOWN/FEASIBLE, never
    OPTIMAL unless proven)."""

    def __init__(self, stacked: StackedGraph, constraints: Constraints, *, time_limit_s: float, workers: int,
                 decompose: bool = True, budget: SolverBudget | None = None,
                 clock: Callable[[], float] = time.perf_counter, backend: str = "cpsat"):
        self.stacked = stacked
        self.backend = get_backend(backend)  # builds the block problems (select/backend.py)
        self.constraints = constraints
        self.budget = budget if budget is not None else SolverBudget(time_limit_s, clock)
        self.workers = workers
        if constraints.couples_blocks or not decompose:  # a global capacity ties all layers: one model
            all_ops = tuple(range(stacked.n_ops))
            self.blocks = [Block(all_ops, None, None, ("monolithic",))]
        else:
            self.blocks = split_blocks(stacked)
        self.grid = choose_grid(stacked, self.blocks)
        self.models: dict[tuple, BlockProblem | None] = {}
        self.cache: dict[tuple, object] = {}
        self.proven = True  # every solve used was OPTIMAL (a front cut by the cap: _front_certificate decides)
        self.unknown = False  # some solve ended without any solution (time limit)
        self.timed_out = False  # some solve hit the time limit
        self.thinned = False
        # block fronts cut by MAX_FRONT_POINTS_PER_BLOCK: key -> the corner point (span of the block's fastest
        # point, dyn of the last enumerated one) that dominates every point of the cut part (block_front)
        self.front_gaps: dict[tuple, BlockSolution] = {}
        self.warnings: list[str] = []
        self.side = side_on_grid(stacked, constraints)

    # --- units and boundary states ---------------------------------------------------------------------
    def unit_sets(self) -> list[frozenset[str]]:
        st = self.stacked
        free = [u for u in st.units if st.unit(u).static_power_w <= 0]
        powered = [u for u in st.units if st.unit(u).static_power_w > 0]
        out = []
        for r in range(len(powered), -1, -1):
            for combo in combinations(powered, r):
                U = frozenset(free) | frozenset(combo)
                if all(any(x.unit in U for x in st.realizations[i]) for i in range(st.n_ops)):
                    out.append(U)
        return out

    def static_coef(self, U: frozenset[str]) -> int:
        return self.grid.static_coef(sum(self.stacked.unit(u).static_power_w for u in U))

    def states(self, op: int | None, U: frozenset[str]) -> list[str | None]:
        if op is None:
            return [None]
        return list(dict.fromkeys(r.unit for r in self.stacked.realizations[op] if r.unit in U))

    def model(self, b: Block, U, s, t) -> BlockProblem | None:
        key = (b.signature, U, s, t)
        if key not in self.models:
            cap = dict(self.constraints.weight_capacity_bytes) or None
            # with side budgets each model is its own (forbid() adds no-goods to it), else shareable
            self.models[key] = self.backend.build(self.stacked, b, self.grid, U, s, t, self.static_coef(U), cap,
                                                  side=self.side)
        return self.models[key]

    def forbid(self, choice) -> None:
        """Exclude an assignment from every model (a no-good) and forget the solves it may invalidate."""
        for bm in self.models.values():
            if bm is not None:
                bm.forbid(choice)
        self.cache.clear()

    def remaining(self) -> float:
        return self.budget.remaining()

    def _run(self, bm: BlockProblem, minimise: str, **kw) -> BlockSolution:
        """One block solve, charged to the budget (a tie-break solve: no bookkeeping of its status)."""
        return self.budget.run(lambda left: bm.solve(minimise, time_limit_s=left, workers=self.workers, **kw))

    def _solve(self, bm: BlockProblem, minimise: str, **kw) -> BlockSolution:
        sol = self._run(bm, minimise, **kw)
        if sol.status in ("FEASIBLE", "UNKNOWN"):  # a backend ends so only at its time limit
            self.proven = False
            self.timed_out = True
        if sol.status == "UNKNOWN":
            self.unknown = True
        return sol

    # --- one block: optimum or front -------------------------------------------------------------------
    def block_optimum(self, b: Block, U, s, t, primary: str) -> BlockSolution | None:
        """primary "span": fastest, least energy among the fastest; "energy" / "dyn": the least energy
        (with / without static power), fastest among those."""
        key = ("opt", b.signature, U, s, t, primary)
        if key in self.cache:
            return self.cache[key]
        bm = self.model(b, U, s, t)
        sol = None
        if bm is not None:
            first = self._solve(bm, primary)
            if first.status in ("OPTIMAL", "FEASIBLE"):
                if primary == "span":
                    tie = self._run(bm, "energy", span_ub=first.span)
                else:
                    tie = self._run(bm, "span", **{f"{primary}_ub": first.objective})
                sol = first
                if tie.status in ("OPTIMAL", "FEASIBLE"):
                    sol = replace(tie, status=first.status, objective=first.objective, bound=first.bound)
            elif first.status == "UNKNOWN":  # no solution, but its bound still bounds the chain
                self.warnings.append("a block found no solution within the time limit")
                self.cache[("bound",) + key[1:]] = max(first.bound, self.block_lower_bound(b, U, t, primary))
        self.cache[key] = sol
        return sol

    def block_lower_bound(self, b: Block, U, t, primary: str) -> int:
        """A bound that needs no search (CP-SAT stopped at 0 s reports 0): the span is at least the longest
        dependency path and the work per core (all ops on their fastest allowed unit, transfers free; ops
        with one unit load that unit); energy: every op on its least-energy unit plus U's static power over
        that span."""
        st, g = self.stacked, self.grid
        inside = set(b.ops)
        finish: dict[int, int] = {}
        dyn = work = 0
        pinned: dict[str, int] = {}
        for i in b.ops:
            reals = [r for r in st.realizations[i] if r.unit in U and (i != b.exit or t is None or r.unit == t)]
            if not reals:
                return 0
            d = min(g.t(r.cost.latency_s) for r in reals)
            ready = max((finish[st.edges[k].src] for k in st.in_edges[i] if st.edges[k].src in inside), default=0)
            finish[i] = ready + d
            work += d
            if len(reals) == 1:
                pinned[reals[0].unit] = pinned.get(reals[0].unit, 0) + d
            dyn += min(g.e(r.cost.total_energy_j) for r in reals)
        slots = {u: max(1, int(st.unit(u).slots)) for u in U}
        span = max([max(finish.values(), default=0), -(-work // sum(slots.values()))]
                   + [-(-w // slots[u]) for u, w in pinned.items()])
        return {"span": span, "dyn": dyn}.get(primary, dyn + self.static_coef(U) * span)

    def block_front(self, b: Block, U, s, t) -> list[BlockSolution]:
        key = ("front", b.signature, U, s, t)
        if key in self.cache:
            return self.cache[key]
        bm = self.model(b, U, s, t)
        pts: list[BlockSolution] = []
        if bm is not None:
            # The front in (dyn, span): every (dyn + c·span, span)-Pareto point is (dyn, span)-Pareto, and
            # "least dyn under a deadline" proves in milliseconds where "least dyn + c·span under a deadline"
            # timed out (Llama-2-7B attention block); the chain filter then works in (dyn + c·span, span).
            fastest = self.block_optimum(b, U, s, t, "span")
            least = self.block_optimum(b, U, s, t, "dyn")
            if fastest is not None and least is not None:
                pts.append(least)
                ub = least.span - 1
                while ub >= fastest.span and len(pts) < MAX_FRONT_POINTS_PER_BLOCK:
                    p = self._solve(bm, "dyn", span_ub=ub)
                    if p.status not in ("OPTIMAL", "FEASIBLE"):
                        break
                    tie = self._run(bm, "span", dyn_ub=p.objective)
                    # a MIP backend may stop its tie-break within its gap at a slower point: keep the faster
                    # (else the deadline rises again and the front cycles until the point cap)
                    if tie.status in ("OPTIMAL", "FEASIBLE") and tie.span <= p.span:
                        p = replace(tie, status=p.status, objective=p.objective, bound=p.bound)
                    pts.append(p)
                    ub = p.span - 1
                if ub >= fastest.span and len(pts) >= MAX_FRONT_POINTS_PER_BLOCK and pts[-1].status == "OPTIMAL":
                    # Cut by the cap: every point left out has span ≥ fastest's and dyn ≥ the last point's
                    # (the least dyn under a looser deadline), so this corner dominates them all; whether the
                    # objective's optimum could lie there is decided over the chain (_front_certificate).
                    self.front_gaps[key] = replace(pts[-1], status=Status.UNKNOWN, span=fastest.span)
                elif ub >= fastest.span:  # a solve ended without a proven point (its time-out is recorded)
                    self.proven = False
                    self.warnings.append("a block front stopped at a solve without a proven point (time limit)")
                if pts[-1].span > fastest.span:
                    pts.append(fastest)
        # a front point's objective is its energy including the static power of U
        pts = [replace(p, objective=p.dyn + self.static_coef(U) * p.span) for p in pts]
        self.cache[key] = pts
        return pts

    def relaxed_front(self, b: Block, U, s, t) -> list[BlockSolution]:
        """block_front plus, where the cap cut it, its corner point (not achievable: a bound only)."""
        pts = self.block_front(b, U, s, t)
        gap = self.front_gaps.get(("front", b.signature, U, s, t))
        if gap is None:
            return pts
        return pts + [replace(gap, objective=gap.dyn + self.static_coef(U) * gap.span)]

    # --- the chain ---------------------------------------------------------------------------------------
    def chain(self, U, block_points, keep: str):
        """DP over the block chain. block_points(b, U, s, t) -> list of BlockSolution; keep: "pareto" (the
        (span, energy) Pareto set per boundary unit), "hull" (its lower convex hull's vertices: enough for
        EDP, see _lower_hull), "span" or "energy" (the single best). Numpy arrays per
        boundary unit: span, energy and back pointers (previous unit, previous index, block point)."""
        import numpy as np

        tables = []
        cur: dict = {None: (np.zeros(1, np.int64), np.zeros(1, np.int64))}
        for b in self.blocks:
            nxt: dict = {}
            for t in self.states(b.exit, U):
                sums = chain_dp.combine(cur, lambda s, b=b, t=t: ((bp.span, bp.objective)
                                                                 for bp in block_points(b, U, s, t)))
                if sums is None:
                    continue
                sp, en, bs, bi_, bj = sums
                if keep in ("pareto", "hull"):
                    idx = chain_dp.pareto(sp, en)
                    if keep == "hull":
                        idx = idx[_lower_hull(sp[idx].tolist(), en[idx].tolist())]
                    idx, cut = chain_dp.thin(idx, MAX_CHAIN_FRONT)
                    if cut:
                        if not self.thinned:
                            self.warnings.append(f"the chain front was thinned to {MAX_CHAIN_FRONT} points")
                        self.thinned = True
                        self.proven = False
                else:
                    key = sp if keep == "span" else en
                    idx = np.array([int(np.lexsort((en if keep == "span" else sp, key))[0])])
                states = list(cur)
                nxt[t] = (sp[idx], en[idx])
                nxt[("back", t)] = ([states[k] for k in bs[idx]], bi_[idx], bj[idx])
            tables.append({k: v for k, v in nxt.items() if isinstance(k, tuple) and k and k[0] == "back"})
            cur = {k: v for k, v in nxt.items() if not (isinstance(k, tuple) and k and k[0] == "back")}
        final = [_Point(int(spans[k]), int(ens[k]), (t, k)) for t, (spans, ens) in cur.items() for k in range(len(spans))]
        return tables, final

    def reconstruct(self, tables, U, point: _Point, block_points) -> tuple[list[int], list[float], dict, int, int]:
        """Realization choice per op, start times (s) and transfer starts of a final chain point."""
        n = self.stacked.n_ops
        choice = [0] * n
        starts_local: list[tuple[int, BlockSolution, Block]] = []
        t, k = point.back
        for bi in range(len(self.blocks) - 1, -1, -1):
            prev_states, prev_idx, js = tables[bi][("back", t)]
            s = prev_states[k]
            bp = block_points(self.blocks[bi], U, s, t)[int(js[k])]
            starts_local.append((bi, bp, self.blocks[bi]))
            t, k = s, int(prev_idx[k])
        starts = [0.0] * n
        tstarts: dict[int, float] = {}
        offset = 0
        dyn = 0
        for bi, bp, b in reversed(starts_local):
            for pos, i in enumerate(b.ops):
                # a backend that reports only units: unambiguous only where a unit has one variant
                choice[i] = bp.choice[pos] if bp.choice else self.stacked.unique_index(i, bp.units[pos])
                starts[i] = (offset + bp.starts[pos]) * self.grid.time_s
            # transfer starts are keyed by edge position within the block (shared by identical blocks)
            edges = block_edges(self.stacked, b)
            for pos, ts in bp.transfer_starts.items():
                tstarts[edges[pos][0]] = (offset + ts) * self.grid.time_s
            offset += bp.span
            dyn += bp.dyn
        return choice, starts, tstarts, offset, dyn


def select_cpsat(stacked: StackedGraph, objective: Objective | str = Objective.ENERGY,
                 constraints: Constraints | None = None, *, time_limit_s: float = 10.0,
                 workers: int = 1, decompose: bool = True, backend: str = "cpsat",
                 clock: Callable[[], float] = time.perf_counter) -> Assignment:
    """Exact selection (module docstring). `time_limit_s` bounds solver time only (ChainSolver); `clock`
    measures it (tests inject one); `backend` names the exact block solver (select/backend.py)."""
    objective = Objective.parse(objective)
    constraints = constraints or Constraints()
    check_side(stacked, constraints)
    view = restrict_precision(stacked, constraints, side_feasible=True)
    a = _select(view, objective, _side_on_view(view, constraints), time_limit_s=time_limit_s, workers=workers,
                decompose=decompose, budget=SolverBudget(time_limit_s, clock), backend=backend)
    if view is stacked:
        return a
    return replace(a, choice=view.to_base(a.choice),
                   pareto=tuple(replace(p, choice=view.to_base(p.choice)) for p in a.pareto))


def _select(stacked: StackedGraph, objective: Objective, constraints: Constraints, *, time_limit_s: float,
            workers: int, decompose: bool, budget: SolverBudget, backend: str = "cpsat") -> Assignment:
    t0 = time.perf_counter()
    if constraints.couples_blocks and decompose:
        # Solve the relaxation without the global capacity by blocks; if its optimum fits, it is optimal.
        # (The monolithic solve after it gets what the relaxation's solves left of the shared budget.)
        relaxed = replace(constraints, weight_capacity_bytes={}, side_budgets={})
        a = _select(stacked, objective, relaxed, time_limit_s=time_limit_s, workers=workers, decompose=True,
                    budget=budget, backend=backend)
        if _fits(stacked, a, constraints) and all(_fits(stacked, p, constraints) for p in a.pareto):
            return replace(a, solve_time_s=time.perf_counter() - t0)
    side_dp = None
    if decompose and constraints.side_budgets:
        if side_chain.applies(objective, constraints):  # the side cost as a DP dimension (select/side_chain.py)
            def factory(c: Constraints) -> ChainSolver:
                return ChainSolver(stacked, c, time_limit_s=time_limit_s, workers=workers, budget=budget,
                                   backend=backend)

            side_dp, int_answer_held = side_chain.select_side_chain(factory, stacked, objective, constraints, t0,
                                                                    time_limit_s, _fallback)
            blocks = split_blocks(stacked)
            side_dp = side_dp and replace(side_dp, n_blocks=len(blocks), n_distinct_blocks=len({b.signature for b in blocks}),
                              n_solves=budget.n_solves)
            if int_answer_held:
                return side_dp
            # the integer scale's optimum broke the budget in floats (a budget within rounding of a sum): the
            # exact monolithic model below forbids it and re-solves; the DP's next best stands if that times out
    cs = ChainSolver(stacked, constraints, time_limit_s=time_limit_s, workers=workers, decompose=decompose,
                     budget=budget, backend=backend)
    forbidden: set[tuple[int, ...]] = set()
    while True:
        a = replace(_solve_chain(cs, objective, t0, time_limit_s), n_blocks=len(cs.blocks),
                    n_distinct_blocks=len({b.signature for b in cs.blocks}), n_solves=budget.n_solves)
        # side budgets are modelled on an integer scale rounded down (a relaxation): an answer that breaks
        # one in floats is forbidden and the chain solved again, so what comes back meets them exactly (the
        # relaxation's optimum, when feasible, is the optimum)
        bad = {p.choice for p in (a, *a.pareto) if not constraints.side_ok(p.choice)}
        if not bad:
            if side_dp is not None and a.status != Status.OPTIMAL and (
                    a.objective_value is None or side_dp.objective_value <= a.objective_value):
                return side_dp
            return a
        if bad & forbidden:
            raise RuntimeError("a forbidden assignment came back from the block model")
        forbidden |= bad
        for ch in bad:
            cs.forbid(ch)


def _solve_chain(cs: ChainSolver, objective: Objective, t0: float, time_limit_s: float) -> Assignment:
    stacked, constraints = cs.stacked, cs.constraints
    g = cs.grid
    c = constraints
    needs_front = objective.scalar is None or objective.needs_front(c)

    def finish(choice, starts, tstarts, span, dyn, obj_value, bound, pareto=()):
        units = stacked.units_of(choice)
        used = {u for r in stacked.chosen(choice) for u in r.units_used}  # a split op uses all its parts' units
        lat = span * g.time_s
        energy = dyn * g.energy_j + sum(stacked.unit(u).static_power_w for u in used) * lat
        status = Status.OPTIMAL if cs.proven else Status.FEASIBLE
        gap = None
        if bound is not None and obj_value:
            gap = max(0.0, (obj_value - bound) / abs(obj_value))
        warns = list(dict.fromkeys(cs.warnings))
        if cs.timed_out:  # (other reasons not to claim optimality carry their own warning)
            gap_txt = f"gap {gap:.3g}" if gap is not None else "no proven bound"
            warns.append(f"solver stopped at the time limit ({time_limit_s:g} s) before proving optimality; "
                         f"{gap_txt}; raise --time-limit")
        return Assignment(
            units=units, choice=tuple(choice), method=cs.backend.name, objective=objective, status=status,
            objective_value=obj_value, bound=bound, gap=gap, solve_time_s=time.perf_counter() - t0,
            latency_s=lat, energy_j=energy, op_start_s=tuple(starts), transfer_start_s=tstarts,
            pareto=tuple(pareto), grid={"time_s": g.time_s, "energy_j": g.energy_j}, warnings=tuple(warns))

    if not needs_front:
        primary = objective.scalar
        sets = [frozenset(stacked.units)] if primary == "span" else cs.unit_sets()
        best = None
        lb_best = math.inf
        for U in sets:
            def bpts(b, U_, s, t, primary=primary):
                sol = cs.block_optimum(b, U_, s, t, primary)
                return [] if sol is None else [sol]

            key = (lambda p: p.span) if primary == "span" else (lambda p: p.energy)
            tables, final = cs.chain(U, bpts, primary)
            lb_best = min(lb_best, _chain_bound(cs, U, primary))  # also for a U whose chain timed out
            if not final:
                continue
            p = min(final, key=key)
            if best is None or key(p) < key(best[1]):
                best = (U, p, tables, bpts)
        if best is None:
            if cs.unknown:
                lb = lb_best * (g.time_s if primary == "span" else g.energy_j) if lb_best < math.inf else None
                return _fallback(stacked, objective, c, t0, time_limit_s, lb, cs.backend.name)
            raise InfeasibleError("no assignment satisfies the constraints")
        U, p, tables, bpts = best
        choice, starts, tstarts, span, dyn = cs.reconstruct(tables, U, p, bpts)
        if primary == "span":
            obj_value, bound = span * g.time_s, lb_best * g.time_s
        else:
            obj_value, bound = p.energy * g.energy_j, lb_best * g.energy_j
        a = finish(choice, starts, tstarts, span, dyn, obj_value, bound)
        _check_budgets(a, c)
        return a

    # --- fronts: EDP, Pareto, budgets, power cap -------------------------------------------------------
    # an objective whose minimum lies on the hull (EDP, ED²P) needs only hull vertices without budgets (exact,
    # and the chain front can no longer need thinning)
    keep = "hull" if objective.hull_exact and c.latency_budget_s is None and c.energy_budget_j is None \
        and c.avg_power_cap_w is None else "pareto"
    finals = []
    for U in cs.unit_sets():
        def bpts(b, U_, s, t):
            return cs.block_front(b, U_, s, t)

        tables, final = cs.chain(U, bpts, keep)
        for p in final:
            finals.append((U, p, tables, bpts))
    if not finals:
        if cs.unknown:
            return _fallback(stacked, objective, c, t0, time_limit_s, None, cs.backend.name)
        raise InfeasibleError("no assignment satisfies the constraints")
    # global Pareto filter across unit sets
    finals.sort(key=lambda x: (x[1].span, x[1].energy))
    front = []
    best_e = None
    for f in finals:
        if best_e is None or f[1].energy < best_e:
            front.append(f)
            best_e = f[1].energy
    t_min = front[0][1].span * g.time_s
    feas = front
    if c.latency_budget_s is not None:
        feas = [f for f in feas if f[1].span * g.time_s <= c.latency_budget_s * (1 + 1e-9)]
        if not feas:
            raise InfeasibleError(f"latency budget {c.latency_budget_s:.6g} s is below the fastest achievable "
                                  f"latency {t_min:.6g} s; raise --latency-budget to at least that")
    if c.energy_budget_j is not None:
        within = feas  # the least energy under the latency budget is the tightest achievable value
        feas = [f for f in feas if f[1].energy * g.energy_j <= c.energy_budget_j * (1 + 1e-9)]
        if not feas:
            e_lo = min(f[1].energy for f in within) * g.energy_j
            raise InfeasibleError(f"energy budget {c.energy_budget_j:.6g} J is below the least achievable "
                                  f"energy {e_lo:.6g} J under the other constraints; raise --energy-budget")
    if c.avg_power_cap_w is not None:
        cap = c.avg_power_cap_w
        feas = [f for f in feas if f[1].energy * g.energy_j <= cap * f[1].span * g.time_s * (1 + 1e-9)]
        if not feas:
            raise InfeasibleError(f"average power cap {cap:.6g} W is below every Pareto-optimal mapping; "
                                  f"the least-power one draws {min(x[1].energy * g.energy_j / max(x[1].span * g.time_s, 1e-30) for x in front):.6g} W")
        cs.warnings.append("the average power cap is applied over the latency–energy front (not proven optimal)")
        cs.proven = False

    def assignment_of(f, obj_value):
        U, p, tables, bp = f
        choice, starts, tstarts, span, dyn = cs.reconstruct(tables, U, p, bp)
        return finish(choice, starts, tstarts, span, dyn, obj_value, None)

    if objective.returns_front:
        if cs.front_gaps:
            cs.proven = False
            cs.warnings.append(f"a block front was truncated at {MAX_FRONT_POINTS_PER_BLOCK} points: the front is partial")
        pts = [assignment_of(f, f[1].energy * g.energy_j) for f in feas]
        head = min(pts, key=lambda a: objective.metric(a.latency_s, a.energy_j))  # the front's best leads
        return replace(head, pareto=tuple(pts), bound=None, gap=None, solve_time_s=time.perf_counter() - t0)
    f = feas[objective.pick([(x[1].span, x[1].energy) for x in feas])]
    v = objective.metric(f[1].span * g.time_s, f[1].energy * g.energy_j)
    bound = None
    if cs.front_gaps:
        bound = _front_certificate(cs, objective, keep, v)
    a = assignment_of(f, v)
    if a.status == Status.OPTIMAL:
        return replace(a, bound=v, gap=0.0)
    gap = None if bound is None or not v else max(0.0, (v - bound) / abs(v))
    return replace(a, bound=bound, gap=gap)


def _front_certificate(cs: ChainSolver, objective: Objective, keep: str, value: float) -> float | None:
    """A block front cut by MAX_FRONT_POINTS_PER_BLOCK: the same chain and pick over the fronts with each cut
    part replaced by its corner point (ChainSolver.front_gaps) bound the objective from below — every point
    left out is dominated by a corner, and the metrics grow with span and energy. When the answer `value`
    reaches that bound the cut cost nothing and the status stays as the solves make it; else the answer is
    FEASIBLE with that bound. Returns the bound (None where it is not one: the relaxed chain was thinned)."""
    c, g = cs.constraints, cs.grid
    cut = f"a block front was truncated at {MAX_FRONT_POINTS_PER_BLOCK} points"
    if not cs.proven:  # other fronts are not exact either: their corners would bound nothing
        cs.warnings.append(cut)
        return None
    saved = (cs.proven, cs.thinned, list(cs.warnings))
    cs.thinned = False
    pts = []
    for U in cs.unit_sets():
        _tables, final = cs.chain(U, cs.relaxed_front, keep)
        pts += [(p.span * g.time_s, p.energy * g.energy_j) for p in final]
    thinned = cs.thinned
    cs.proven, cs.thinned, cs.warnings = saved
    if c.latency_budget_s is not None:
        pts = [p for p in pts if p[0] <= c.latency_budget_s * (1 + 1e-9)]
    if c.energy_budget_j is not None:
        pts = [p for p in pts if p[1] <= c.energy_budget_j * (1 + 1e-9)]
    if thinned or not pts:
        cs.proven = False
        cs.warnings.append(f"{cut}; no bound on what it cut")
        return None
    bound = min(objective.metric(t, e) for t, e in pts)
    if value <= bound * (1 + 1e-12):
        cs.warnings.append(f"{cut}; the cut part cannot hold a better {objective.value} (its corner bound "
                           f"{bound:.6g} is not below the answer)")
    else:
        cs.proven = False
        cs.warnings.append(f"{cut}; the answer is within {(value - bound) / value:.3g} of the bound {bound:.6g} "
                           f"from its cut part")
    return bound


def _lower_hull(xs: list[int], ys: list[int]) -> list[int]:
    """Positions of the lower convex hull's vertices of Pareto points sorted by x ascending (y descending).

    Why this is enough for EDP (and any Objective with hull_exact): E·T is quasi-concave and increasing on the positive quadrant, so over any
    finite set its minimum is at a vertex of the set's lower-left convex hull; and a chain prefix that is no
    such vertex of its own partial-sum set cannot be the prefix of one (p = Σλ·sᵢ ⇒ p + q = Σλ·(sᵢ + q)).
    Exact integers: spans × energies overflow int64."""
    hull: list[int] = []
    for k in range(len(xs)):
        while len(hull) >= 2:
            o, a = hull[-2], hull[-1]
            if (xs[a] - xs[o]) * (ys[k] - ys[o]) - (ys[a] - ys[o]) * (xs[k] - xs[o]) > 0:
                break
            hull.pop()
        hull.append(k)
    return hull


def _chain_bound(cs: ChainSolver, U, primary: str) -> int:
    """Lower bound of the chain from the block bounds (equals the optimum when every block is proven)."""
    cur = {None: 0}
    for b in cs.blocks:
        nxt = {}
        for t in cs.states(b.exit, U):
            vals = []
            for s, v in cur.items():
                sol = cs.cache.get(("opt", b.signature, U, s, t, primary))
                if sol is not None:
                    vals.append(v + sol.bound)
                elif ("bound", b.signature, U, s, t, primary) in cs.cache:
                    vals.append(v + cs.cache[("bound", b.signature, U, s, t, primary)])
                elif ("opt", b.signature, U, s, t, primary) not in cs.cache and cs.model(b, U, s, t) is not None:
                    vals.append(v + cs.block_lower_bound(b, U, t, primary))  # never reached: a time-out upstream
            if vals:
                nxt[t] = min(vals)
        cur = nxt
    return min(cur.values()) if cur else 0


def _fallback(stacked: StackedGraph, objective: Objective, c: Constraints, t0: float, time_limit_s: float,
              bound: float | None, method: str = "cpsat") -> Assignment:
    """Some block found no solution in time: the best heuristic mapping that meets the constraints, judged by
    the simulator, FEASIBLE with the gap to the blocks' proven bound (None where no bound is known)."""
    from lightcode.select.baselines import all_electronic, greedy
    from lightcode.select.pathsearch import path_search
    from lightcode.sim.simulate import simulate

    best = None  # the heuristics compare the objective's own per-op metric
    for a in (greedy(stacked, objective), path_search(stacked, objective), all_electronic(stacked, objective)):
        sim = simulate(stacked, a)
        ok = _fits(stacked, a, c) and (c.latency_budget_s is None or sim.latency_s <= c.latency_budget_s) and \
            (c.energy_budget_j is None or sim.energy_j <= c.energy_budget_j) and \
            (c.avg_power_cap_w is None or sim.energy_j <= c.avg_power_cap_w * sim.latency_s)
        v = objective.metric(sim.latency_s, sim.energy_j)
        if ok and (best is None or v < best[0]):
            best = (v, a, sim)
    if best is None:
        raise InfeasibleError(f"no mapping meeting the constraints was found within the time limit "
                              f"({time_limit_s:g} s), nor proven impossible; raise --time-limit")
    v, a, sim = best
    gap = max(0.0, (v - bound) / v) if bound is not None and v > 0 else None
    gap_txt = f"gap {gap:.3g} to the proven bound" if gap is not None else "no proven bound"
    return replace(a, method=method, objective=objective, status=Status.FEASIBLE, objective_value=v,
                   bound=bound, gap=gap, latency_s=sim.latency_s, energy_j=sim.energy_j,
                   solve_time_s=time.perf_counter() - t0, warnings=(
        f"the solver found no solution within the time limit ({time_limit_s:g} s): best heuristic "
        f"({a.method}) used, {gap_txt}; raise --time-limit",))


def check_side(stacked: StackedGraph, c: Constraints) -> None:
    """Side costs must name every budget, hold one row per op and one cost per realization; a budget below
    the least achievable sum (each op at its cheapest realization) is infeasible."""
    for name, budget in c.side_budgets.items():
        if name not in c.side_costs:
            raise BadInputError(f"side budget {name!r} has no side costs; give side_costs[{name!r}]")
        rows = c.side_costs[name]
        if not isinstance(budget, (int, float)) or not math.isfinite(budget):
            raise BadInputError(f"side budget {name!r} must be a finite number, got {budget!r}")
        if len(rows) != stacked.n_ops or any(len(r) != len(rs) for r, rs in zip(rows, stacked.realizations)):
            raise BadInputError(f"side costs {name!r} need one row per op ({stacked.n_ops}) with one cost per "
                                f"realization of that op")
        if not all(math.isfinite(v) for row in rows for v in row):
            raise BadInputError(f"side costs {name!r} must be finite numbers")
        least = math.fsum(min(row) for row in rows)
        if least > budget:
            raise InfeasibleError(f"side budget {name!r} {budget:.6g} is below the least achievable sum "
                                  f"{least:.6g}; raise it to at least that")


def _side_on_view(view: StackedGraph, c: Constraints) -> Constraints:
    """The side costs indexed by a restricted view's realizations."""
    if not c.side_costs or view.base_index is None:
        return c
    costs = {name: tuple(tuple(rows[i][j] for j in view.base_index[i]) for i in range(view.n_ops))
             for name, rows in c.side_costs.items()}
    return replace(c, side_costs=costs)


def _fits(stacked: StackedGraph, a: Assignment, c: Constraints) -> bool:
    if not c.side_ok(a.choice):
        return False
    used: dict[str, float] = {}
    for i, u in enumerate(a.units):
        used[u] = used.get(u, 0.0) + stacked.graph.ops[i].weight_bytes
    return all(used.get(u, 0.0) <= cap for u, cap in c.weight_capacity_bytes.items())


def _check_budgets(a: Assignment, c: Constraints) -> None:
    if c.latency_budget_s is not None and a.latency_s > c.latency_budget_s * (1 + 1e-9):
        raise InfeasibleError(f"latency budget {c.latency_budget_s:.6g} s is below the fastest achievable "
                              f"latency {a.latency_s:.6g} s; raise --latency-budget to at least that")
    if c.energy_budget_j is not None and a.energy_j > c.energy_budget_j * (1 + 1e-9):
        raise InfeasibleError(f"energy budget {c.energy_budget_j:.6g} J is below the least achievable energy "
                              f"{a.energy_j:.6g} J; raise --energy-budget to at least that")
