"""Exact joint selection + scheduling of one block with OR-Tools CP-SAT.

Model (all data on the integer grid of `Grid`):
- per op: one bool per realization (AddExactlyOne; a unit may offer several variants of an op), a start,
  and one optional fixed-size interval per realization on its unit; a unit with 1 slot is a NoOverlap, with
  k slots a Cumulative of capacity k; "op i is on unit u" is the realization bool, or for several variants
  on u a bool equal to their sum; a split realization (cost/split.py) has one optional interval per unit
  it holds, all from the op's start with the realization's bool, each with its link shares, and the op
  lasts its longest hold; "on u" reads its host (where the output is assembled, what edges see);
- per edge and pair of distinct units (a, b): a bool "this edge crosses a→b" (≥ x_src,a + x_dst,b − 1; the
  objective never gains from setting it needlessly) carrying the transfer energy and, when the transfer takes
  time, an optional interval on the directed link a->b (NoOverlap) between the producer's end and the
  consumer's start; a link that ops also stream over (a realization's link_demand) is instead a Cumulative
  of LINK_CAPACITY shares (sim/schedule.py): a transfer takes all, the op's interval its share;
- the block's entry (the previous cut op, finished at time 0 on a fixed unit) and host I/O edges are edges
  whose one end is fixed;
- span ≥ every op end and every host-bound transfer end; the exit (cut) op may be pinned to a unit.
Objectives: span (latency) or dyn + c·span (energy: op + transfer energy, plus the static power of the
allowed units × span, c on the grid).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass

from lightcode.core.selection import Status
from lightcode.select.blocks import Block
from lightcode.select.blocksolution import BlockSolution
from lightcode.sim.schedule import LINK_CAPACITY, link_name, link_share
from lightcode.stack.stacked import StackedGraph

# CP-SAT parameters of every block solve. PORTFOLIO_SEARCH interleaves search strategies in one worker: on
# the Llama-2-7B blocks of three DDot systems (latency, energy, EDP) it was the fastest and the only setting
# without a time-out (EDP 1.8 s vs 5.8 s default; linearization_level=2 timed out twice; 2 workers 2.2–5.2 s).
SOLVER_PARAMS: dict = {"search_branching": "PORTFOLIO_SEARCH"}  # enum values by name (resolved in solve)
# A solve whose objective and bounds ignore the schedule (energy without static power, no span bound) is a
# pure assignment problem: CP-SAT's default search proves those at once, where the portfolio above (best on
# scheduling, e.g. 0.3 s vs 4 s for Llama-2-7B EDP fronts) stalled for 20 s on an 11-op random instance.
ASSIGNMENT_PARAMS: dict = {}
# A block with split realizations (several units held by one option): the LP relaxation of the portfolio's
# default linearization misses the two units' shared load, and proofs stall (Llama-2-7B decode B=64 attention
# block, eighths: 46 s portfolio, 31 s pseudo-cost, 13 s default, time-out with core-based search); at
# linearization level 2 the same proof takes 0.5 s, single worker (docs/splitting.md).
SPLIT_PARAMS: dict = {"linearization_level": 2}


def _params(minimise: str, static_coef: int, span_ub: int | None, has_split: bool = False) -> dict:
    schedule_free = span_ub is None and (minimise == "dyn" or (minimise == "energy" and static_coef == 0))
    if schedule_free:
        return ASSIGNMENT_PARAMS
    return SPLIT_PARAMS if has_split else SOLVER_PARAMS


@functools.lru_cache(maxsize=1)
def _model_class():
    """CpModel without the camelCase aliases that CpModel.__init__ (and clone()) rebuild per instance:
    ~1 ms each, 10 % of a sweep point; we call only snake_case methods. The proto is unchanged."""
    from ortools.sat.python import cp_model

    class _Model(cp_model.CpModel):
        def _add_pre_pep8_methods(self) -> None:
            pass

    return _Model


def _new_model():
    return _model_class()()


@dataclass(frozen=True)
class Grid:
    """Integer grid of the solver. time_s: one time unit; energy_j: one energy unit (= time_s × 1 mW or
    finer, so static power in W × span converts to energy with an integer coefficient)."""

    time_s: float
    energy_j: float

    def t(self, seconds: float) -> int:
        return int(round(seconds / self.time_s))

    def e(self, joules: float) -> int:
        return int(round(joules / self.energy_j))

    def static_coef(self, power_w: float) -> int:
        return int(round(power_w * self.time_s / self.energy_j))


def _demands(link_demand) -> tuple:
    return tuple(sorted((link, link_share(d)) for link, d in link_demand.items()))


def _holds(grid: Grid, r) -> tuple:
    return () if not r.parts else tuple((u, grid.t(t), _demands(ld)) for u, t, ld in r.holds)


def _option(grid: Grid, j: int, r) -> tuple:
    """One realization as a prepare() option. A split op lasts at least its longest rounded hold, so that its
    holds end by its end on the grid too."""
    d = grid.t(r.cost.latency_s)
    holds = _holds(grid, r)
    if holds:
        d = max([d] + [t for _u, t, _ld in holds])
    return (j, r.unit, d, grid.e(r.cost.total_energy_j), _demands(r.link_demand), holds)


def op_holds(opt: tuple) -> tuple:
    """The (unit, duration, link demands) an option of prepare() holds, whole or split."""
    j, u, d, en, ld, holds = opt
    return holds or ((u, d, ld),)


def block_edges(stacked: StackedGraph, block: Block, entry_unit: str | None = None) -> list[tuple]:
    """Edges touching a block in a canonical order: (edge, src op | None, dst op | None, fixed src unit,
    fixed dst unit). Identical blocks list corresponding edges at the same positions."""
    inside = set(block.ops)
    out = []
    for i in block.ops:
        for k in stacked.in_edges[i]:
            e = stacked.edges[k]
            if e.src is None:
                out.append((k, None, i, stacked.host, None))
            elif e.src in inside:
                out.append((k, e.src, i, None, None))
            elif e.src == block.entry:
                out.append((k, None, i, entry_unit, None))
            else:
                raise ValueError(f"edge {k} enters a block from outside its entry (bad cut)")
        for k in stacked.out_edges[i]:
            if stacked.edges[k].dst is None:
                out.append((k, i, None, None, stacked.host))
    return out


def prepare(stacked: StackedGraph, block: Block, grid: Grid, allowed: frozenset[str], entry_unit: str | None,
            exit_unit: str | None) -> tuple | None:
    """The block's data on the grid: (options per op, edge list, crossing pairs, horizon); None: infeasible."""
    # options per op: (realization index, unit, duration, energy, link demands ((link, share), ...), holds)
    # holds: () for a whole op (it holds its unit and link shares for its duration), else per unit of a split
    # realization (unit, duration, link demands), each from the op's start; the op lasts the longest hold
    opts: dict[int, list[tuple]] = {}
    horizon = 0
    for i in block.ops:
        o = [_option(grid, j, r) for j, r in enumerate(stacked.realizations[i])
             if all(u in allowed for u in r.units_used)]
        if i == block.exit and exit_unit is not None:
            o = [x for x in o if x[1] == exit_unit]
        if not o:
            return None
        opts[i] = o
        horizon += max(x[2] for x in o)
    edge_list = block_edges(stacked, block, entry_unit)
    edge_pairs = []  # (k, src, dst, a, b, lat, energy)
    for k, src, dst, fa, fb in edge_list:
        src_units = [fa] if src is None else list(dict.fromkeys(x[1] for x in opts[src]))
        dst_units = [fb] if dst is None else list(dict.fromkeys(x[1] for x in opts[dst]))
        best = 0
        for a in src_units:
            for b in dst_units:
                if a == b:
                    continue
                c = stacked.edge_cost(k, a, b)
                lat, en = grid.t(c.latency_s), grid.e(c.total_energy_j)
                best = max(best, lat)
                if lat or en:
                    edge_pairs.append((k, src, dst, a, b, lat, en))
        horizon += best
    return opts, edge_list, edge_pairs, horizon


# Models of a worker process's recent blocks, keyed by everything the model is built from: solves of one
# (model, length, system) recur across its latency/energy/EDP points. LRU bounded by total size (ops +
# crossing pairs, ~1 kB each in Python and proto: ≤ ~50 MB); see block_model.
_MODELS: OrderedDict[tuple, tuple[BlockModel, int]] = OrderedDict()
MAX_SHARED_SIZE = 50_000
_MODELS_LOCK = threading.Lock()
_models_size = 0


def block_model(stacked: StackedGraph, block: Block, grid: Grid, allowed: frozenset[str],
                entry_unit: str | None, exit_unit: str | None, static_coef: int,
                weight_capacity: dict[str, float] | None = None) -> BlockModel | None:
    """BlockModel(...) (None when infeasible), shared with earlier calls whose model is identical.

    The key is the model's whole content: the ops (their indices name the variables), each op's options
    (unit, duration, energy) and the edges' crossing pairs on the grid, the edge list (with the fixed entry,
    host and I/O ends), the slots of every allowed unit, the static-power coefficient and the weight
    capacities with the ops' weights. Equal keys build equal CP-SAT models, so a shared one gives the
    results a new one would."""
    prep = prepare(stacked, block, grid, allowed, entry_unit, exit_unit)
    if prep is None:
        return None
    opts, edge_list, edge_pairs, horizon = prep
    cap = tuple(sorted((weight_capacity or {}).items()))
    key = (block.ops, tuple(tuple(opts[i]) for i in block.ops), tuple(edge_list), tuple(edge_pairs), horizon,
           tuple(sorted((u, max(1, int(stacked.unit(u).slots))) for u in allowed)), static_coef, cap,
           tuple(stacked.graph.ops[i].weight_bytes for i in block.ops) if cap else ())
    global _models_size
    with _MODELS_LOCK:
        hit = _MODELS.get(key)
        if hit is not None:
            _MODELS.move_to_end(key)
            return hit[0]
    bm = BlockModel(stacked, block, grid, allowed, entry_unit, exit_unit, static_coef, weight_capacity, prep)
    size = len(block.ops) + len(edge_pairs)
    with _MODELS_LOCK:
        if key not in _MODELS and size <= MAX_SHARED_SIZE:
            _MODELS[key] = (bm, size)
            _models_size += size
            while _models_size > MAX_SHARED_SIZE:
                _models_size -= _MODELS.popitem(last=False)[1][1]
    return bm


def clear_shared() -> None:
    """Forget the shared block models and their proven solves (benchmarks time first solves with it)."""
    global _models_size
    with _MODELS_LOCK:
        _MODELS.clear()
        _models_size = 0


class BlockModel:
    """The CP-SAT model of one block for one set of allowed units and boundary units; re-solvable with
    different objectives and bounds (epsilon-constraint, lexicographic tie-break)."""

    def __init__(self, stacked: StackedGraph, block: Block, grid: Grid, allowed: frozenset[str],
                 entry_unit: str | None, exit_unit: str | None, static_coef: int,
                 weight_capacity: dict[str, float] | None = None, prepared: tuple | None = None,
                 side: list[tuple[tuple[tuple[int, ...], ...], int]] | None = None):
        """`side`: additive side costs on the integer scale, [(per op (global index) per realization a
        coefficient, bound)], each kept as Σ coef·x ≤ bound (cpsat.py scales and verifies them)."""
        from ortools.sat.python import cp_model

        self.cp_model = cp_model
        self.block = block
        self.static_coef = static_coef
        m = _new_model()
        self.m = m
        self._work = None  # the model solved: a copy of m plus one solve's bounds and objective
        ops = block.ops
        self.feasible = True
        self.has_split = False
        self._lock = threading.Lock()  # one solve at a time: shared models (block_model) reuse self._work
        self._solved: dict[tuple, BlockSolution] = {}  # proven results per solve's arguments (see solve)

        prep = prepared if prepared is not None else prepare(stacked, block, grid, allowed, entry_unit, exit_unit)
        if prep is None:
            self.feasible = False
            return
        opts, edge_list, edge_pairs, horizon = prep
        self.has_split = any(o[5] for i in ops for o in opts[i])
        self.edge_pos = {k: p for p, (k, *_rest) in enumerate(edge_list)}
        self.horizon = H = max(1, horizon)

        # op variables
        self.x: dict[int, dict[int, object]] = {}  # op -> realization index -> bool
        self.on: dict[int, dict[str, object]] = {}  # op -> unit -> literal "the op runs on the unit"
        self.unit_of: dict[int, dict[int, str]] = {}
        self.choice_vars = []  # the selection bools (constants excluded): what a hint fixes
        self.start: dict[int, object] = {}
        self.end: dict[int, object] = {}
        unit_intervals: dict[str, list] = {}
        unit_load: dict[str, list] = {}
        link_demands: dict[str, list[tuple]] = {}  # link -> [(op interval, share on the LINK_CAPACITY scale)]
        dyn_terms = []
        self.weight_terms: dict[str, list] = {}
        for i in ops:
            s = m.new_int_var(0, H, f"s{i}")
            self.start[i] = s
            xs, on = {}, {}
            self.unit_of[i] = {j: u for j, u, *_ in opts[i]}
            if len(opts[i]) == 1:
                j, u, d, en, ld, _h = opts[i][0]
                xs[j] = on[u] = m.new_constant(1)
                self.end[i] = s + d
                for n_h, (hu, hd, hld) in enumerate(op_holds(opts[i][0])):
                    if hd > 0:
                        iv = m.new_fixed_size_interval_var(s, hd, f"iv{i}_{n_h}")
                        unit_intervals.setdefault(hu, []).append(iv)
                        unit_load.setdefault(hu, []).append(hd)
                        for link, q in hld:
                            link_demands.setdefault(link, []).append((iv, q))
                dyn_terms.append(en)
            else:
                n_on = {}
                for _, u, *_rest in opts[i]:
                    n_on[u] = n_on.get(u, 0) + 1
                dur_expr = []
                by_unit: dict[str, list] = {}
                for opt in opts[i]:
                    j, u, d, en, ld, _h = opt
                    tag = f"{i}_{u}" if n_on[u] == 1 else f"{i}_{u}_{j}"
                    b = m.new_bool_var(f"x{tag}")
                    self.choice_vars.append(b)
                    xs[j] = b
                    by_unit.setdefault(u, []).append(b)
                    for n_h, (hu, hd, hld) in enumerate(op_holds(opt)):
                        if hd > 0:  # a split realization holds each of its units from the op's start
                            iv = m.new_optional_fixed_size_interval_var(s, hd, b, f"iv{tag}_{n_h}")
                            unit_intervals.setdefault(hu, []).append(iv)
                            unit_load.setdefault(hu, []).append(hd * b)
                            for link, q in hld:
                                link_demands.setdefault(link, []).append((iv, q))
                    dur_expr.append(d * b)
                    dyn_terms.append(en * b)
                m.add_exactly_one(list(xs.values()))
                for u, bs in by_unit.items():
                    if len(bs) == 1:
                        on[u] = bs[0]
                    else:  # several variants on u: one literal for "on u" (what edges and capacities read)
                        on[u] = m.new_bool_var(f"on{i}_{u}")
                        m.add(on[u] == sum(bs))
                self.end[i] = s + sum(dur_expr)
            self.x[i] = xs
            self.on[i] = on
            wb = stacked.graph.ops[i].weight_bytes
            if weight_capacity and wb:  # a split realization keeps its fraction of the weights on each unit
                reals = stacked.realizations[i]
                for j, b in xs.items():
                    for u, share in reals[j].fractions.items():
                        if u in weight_capacity:
                            self.weight_terms.setdefault(u, []).append(int(round(wb * share)) * b)
        for u, caps in (weight_capacity or {}).items():
            if u in self.weight_terms:
                m.add(sum(self.weight_terms[u]) <= int(caps))
        for coefs, bound in side or ():
            m.add(sum(coefs[i][j] * b for i in ops for j, b in self.x[i].items() if coefs[i][j]) <= bound)

        span = m.new_int_var(0, H, "span")
        self.span = span
        for i in ops:
            m.add(span >= self.end[i])

        # edges: precedence, crossing bools, link intervals
        for k, src, dst, fa, fb in edge_list:
            if src is not None and dst is not None:
                m.add(self.start[dst] >= self.end[src])
        link_intervals: dict[str, list] = {}
        self.crossings: list[tuple] = []  # (edge, src, dst, unit a, unit b, presence, transfer start)
        for k, src, dst, a, b, lat, en in edge_pairs:
            lits = []
            if src is not None:
                lits.append(self.on[src][a])
            if dst is not None:
                lits.append(self.on[dst][b])
            if len(lits) == 2:
                y = m.new_bool_var(f"y{k}_{a}_{b}")
                m.add_bool_or([lits[0].Not(), lits[1].Not(), y])
            else:
                y = lits[0]
            if en:
                dyn_terms.append(en * y)
            ts = None
            if lat:
                ts = m.new_int_var(0, H, f"t{k}_{a}_{b}")
                if src is not None:
                    m.add(ts >= self.end[src]).only_enforce_if(y)
                if dst is not None:
                    m.add(ts + lat <= self.start[dst]).only_enforce_if(y)
                else:
                    m.add(ts + lat <= span).only_enforce_if(y)
                link_intervals.setdefault(link_name(a, b), []).append(
                    m.new_optional_fixed_size_interval_var(ts, lat, y, f"l{k}_{a}_{b}"))
            self.crossings.append((k, src, dst, a, b, y, ts))

        # redundant load bounds (span ≥ work on a unit / its slots): make the LP relaxation see resources
        for u, terms in unit_load.items():
            slots = max(1, int(stacked.unit(u).slots))
            m.add(slots * span >= sum(terms))
        for u, ivs in unit_intervals.items():
            slots = max(1, int(stacked.unit(u).slots))
            if slots == 1:
                m.add_no_overlap(ivs)
            elif len(ivs) > slots:
                m.add_cumulative(ivs, [1] * len(ivs), slots)
        # a link: transfers one at a time (NoOverlap), or, where ops also stream over it (link_demand), a
        # Cumulative of LINK_CAPACITY where a transfer takes all of it and an op its share
        for link in list(link_intervals) + [k for k in link_demands if k not in link_intervals]:
            ivs = link_intervals.get(link, [])
            shares = link_demands.get(link, [])
            if not shares:
                if len(ivs) > 1:
                    m.add_no_overlap(ivs)
            elif len(ivs) + len(shares) > 1:
                m.add_cumulative(ivs + [iv for iv, _ in shares],
                                 [LINK_CAPACITY] * len(ivs) + [q for _, q in shares], LINK_CAPACITY)

        self.dyn = sum(dyn_terms)
        self.energy = self.dyn + static_coef * span
        self.ops = ops
        # No solution hints: measured on Llama-2-7B blocks, a hint (least-energy realizations, or the previous
        # solve's solution) turned 0.03 s proofs into 5 s time-outs with a 9 % gap.
        self._hint = None

    def forbid(self, choice) -> None:
        """Exclude one assignment of the block's ops (choice: per global op index, the realization index):
        a no-good on its selection bools. Forgets the remembered solves, which it may invalidate."""
        if not self.feasible or any(choice[i] not in self.x[i] for i in self.ops):
            return  # this model cannot produce it
        lits = [self.x[i][choice[i]] for i in self.ops if len(self.x[i]) > 1]
        if lits:
            self.m.add_bool_or([b.Not() for b in lits])
        else:  # the block's only assignment
            self.m.add(self.span < 0)
        with self._lock:
            self._solved.clear()

    # --- solving ---------------------------------------------------------------------------------------
    def solve(self, minimise: str, *, span_ub: int | None = None, energy_ub: int | None = None,
              dyn_ub: int | None = None, time_limit_s: float = 10.0, workers: int = 1) -> BlockSolution:
        """minimise "span", "energy" (dyn + c·span) or "dyn" (op + transfer energy), optionally under upper
        bounds (added as constraints on a copy so the model stays reusable).

        Proven results (OPTIMAL, INFEASIBLE) are remembered per arguments: CP-SAT with fixed parameters is
        deterministic, so a repeat would return the same — if given the time it took (a shorter limit solves
        again, so a time limit is honoured as before); time-limited ones (FEASIBLE, UNKNOWN) are not kept."""
        key = (minimise, span_ub, energy_ub, dyn_ub, workers,
               tuple(sorted(_params(minimise, self.static_coef, span_ub, self.has_split).items())))
        with self._lock:
            sol = self._solved.get(key)
            if sol is None or time_limit_s < sol.wall_s:
                sol = self._solve(minimise, span_ub, energy_ub, dyn_ub, time_limit_s, workers)
                if sol.status in ("OPTIMAL", "INFEASIBLE"):
                    self._solved[key] = sol
            return sol

    def _solve(self, minimise: str, span_ub: int | None, energy_ub: int | None, dyn_ub: int | None,
               time_limit_s: float, workers: int) -> BlockSolution:
        cp_model = self.cp_model
        import time

        if self._work is None:
            self._work = _new_model()
        model = self._work  # = self.m.clone(), reusing one instance (its proto is overwritten below)
        model.proto.copy_from(self.m.proto)
        model.rebuild_constant_map()
        # the copy keeps variable indices, so expressions built on self.m apply to it by index
        span = model.get_int_var_from_proto_index(self.span.index)
        objective_expr = {"span": self.span, "energy": self.energy, "dyn": self.dyn}[minimise]
        if span_ub is not None:
            model.add(span <= span_ub)
        if energy_ub is not None:
            model.add(self.energy <= energy_ub)
        if dyn_ub is not None:
            model.add(self.dyn <= dyn_ub)
        model.minimize(objective_expr)
        if self._hint is not None:
            for var, val in self._hint:
                model.add_hint(var, val)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.0, time_limit_s)
        solver.parameters.num_workers = workers
        # CP-SAT would catch Ctrl-C itself, stop the search and return FEASIBLE (and leave SIGINT at its
        # default, so the next Ctrl-C kills the process without a word): leave SIGINT to Python instead
        solver.parameters.catch_sigint_signal = False
        for k, v in _params(minimise, self.static_coef, span_ub, self.has_split).items():
            setattr(solver.parameters, k, getattr(cp_model, v) if isinstance(v, str) else v)
        t0 = time.perf_counter()
        st = solver.solve(model)
        wall = time.perf_counter() - t0
        if st == cp_model.MODEL_INVALID:
            raise RuntimeError(f"invalid CP-SAT block model: {model.validate()}")
        if st == cp_model.INFEASIBLE:
            return BlockSolution(Status.INFEASIBLE, 0, 0, 0, 0, (), (), {}, wall)
        if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # UNKNOWN: time-out before any solution
            return BlockSolution(Status.UNKNOWN, 0, 0, 0, int(solver.best_objective_bound), (), (), {}, wall)
        choice = tuple(next(j for j, b in self.x[i].items() if solver.boolean_value(b)) for i in self.ops)
        units = [self.unit_of[i][j] for i, j in zip(self.ops, choice)]
        starts = tuple(solver.value(self.start[i]) for i in self.ops)
        tstarts = {}
        chosen = dict(zip(self.ops, units))
        for k, src, dst, a, b, y, ts in self.crossings:
            # only the pair the assignment really crosses (a spurious y = 1 elsewhere is harmless but not real)
            if ts is not None and (src is None or chosen[src] == a) and (dst is None or chosen[dst] == b):
                tstarts[self.edge_pos[k]] = solver.value(ts)
        span_v = solver.value(self.span)
        dyn_v = solver.value(self.dyn)
        obj = int(round(solver.objective_value))
        bound = int(round(solver.best_objective_bound)) if st != cp_model.OPTIMAL else obj
        status = Status.OPTIMAL if st == cp_model.OPTIMAL else Status.FEASIBLE
        return BlockSolution(status, span_v, dyn_v, obj, bound, tuple(units), starts, tstarts, wall, choice)
