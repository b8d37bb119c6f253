"""Exact joint selection + scheduling of one block as a MILP, solved by HiGHS through scipy.optimize.milp.

The same problem as the CP-SAT model (select/blockmodel.py), from the same `prepare()` data on the integer
grid, so both have the same optimum. scipy's bundled HiGHS, not `highspy`: highspy cannot be imported in a
process that has imported ortools.

Variables: per op and realization (prepare()'s options: a unit may offer several variants of an op) a
binary x (exactly one per op); a start s ∈ [0, H] (continuous); an integer span ∈ [0, H]; "op i on unit u"
is x when u has one realization of i, else a binary equal to the sum of u's x; per edge crossing a→b with
both ends free a binary y ≥ on_src,a + on_dst,b − 1 (with one end fixed, y is the other end's "on"); per
timed crossing a transfer start ts ∈ [0, H]. H is prepare()'s horizon (every op serial on its slowest
allowed realization plus every transfer), the big-M of every disjunction. An op's duration is Σ d·x.

- precedence on internal edges: s_dst ≥ end_src (end = s + Σ d·x); a timed crossing: ts ≥ end_src and
  ts + lat ≤ s_dst (or ≤ span for a host-bound output) when y = 1;
- span ≥ every end; the redundant load cut slots·span ≥ Σ d·x per unit (what CP-SAT adds for its LP too);
- per unit, only pairs of ops *not ordered by precedence* can overlap (ordered pairs never do): each such
  pair gets an order binary o and two big-M disjunctions active when both run on the unit with a positive
  duration ("busy": Σ of the x of u's realizations with d > 0; a zero-length realization holds no
  interval, as in CP-SAT). A unit with k > 1 slots (a Cumulative of capacity k in CP-SAT) is k identical
  machines: with unit demands the two are the same (an interval family with at most k overlapping is
  k-colourable), so each op that can conflict picks a slot binary z (Σ z = busy) and the disjunctions hold
  per slot. Slot symmetry is broken by letting the r-th conflicting op (block order) use only slots 0..r; a
  unit gets no slots when its conflicts cannot exceed k. Chosen over a time-indexed model: the grid has
  10⁶–10⁷ time units per block, far too many time slices; over pairwise "no k+1 mutually overlapping"
  constraints: exponentially many cliques;
- a directed link is a resource of LINK_CAPACITY shares (sim/schedule.py): a transfer takes all of it, an
  op whose realization streams over it (link_demand) its share q while it runs. A link that only transfers
  use is one-at-a-time: crossings on it not ordered by precedence get an order binary and disjunctions
  active when both are present. A link that ops share is a Cumulative, and pairwise disjunctions between
  users whose demands sum above capacity would not be exact (shares 0.3 + 0.3 + 0.5 overlap pairwise but
  not all three), so it gets the resource-flow formulation (Artigues, Michelon & Reusser 2003, exact for a
  cumulative resource): users a ≠ b not ordered by precedence get an order binary o_ab (o_ab = 1 ⇒ b starts
  after a ends, big-M; o_ab + o_ba ≤ 1); a continuous flow f_ab ∈ [0, C·o_ab] (free where precedence orders
  a before b, absent where it orders b before a) plus source and sink flows; every user receives and passes
  on exactly its demand (Σ_h f_ha = q_a = Σ_b f_ab, q_a = Σ q·x, 0 when absent), the source gives at most C.
  Users active at one time lie on no common flow path, so their demands sum to at most C; conversely every
  feasible schedule has such a flow. Skipped when all potential demands on the link sum to at most C;
- a split realization (cost/split.py) holds several units (and their link shares) from the op's start, each
  for its own time: "busy on u", its duration on u and its length and demand as a link user are sums over
  the (realization, hold) pairs on u or the link (a realization names each unit and link once), while
  precedence and span read the op's whole duration;
- weight capacity per unit: Σ weight_bytes·x ≤ capacity; side budgets Σ coef·x ≤ bound (cpsat.py scales
  them); a forbidden assignment (forbid) is a no-good Σ_{its x} x ≤ n − 1; the exit op's realizations are
  pinned by prepare().

Objectives span | dyn + c·span | dyn with optional upper bounds. Only integer columns carry objective
weights (x, y, span), all integer, so HiGHS knows the objective is integral and proves optimality without a
relative gap (mip_rel_gap = 0). The reported schedule is recomputed exactly from the solution's decisions
(realizations, slots, orders) as earliest starts on integers, its link profiles checked against capacity, so a binary within HiGHS's integrality tolerance of
0/1 cannot shave big-M slack off the span. When it breaks the MILP's value or a bound, the solve is
repeated with tighter tolerances (TOLERANCE_LADDER); OPTIMAL only when HiGHS's value and its dual bound
both close on the recomputed one, else FEASIBLE (a real schedule, HiGHS's bound) or UNKNOWN.

Exactness is thus HiGHS's, up to its tolerances, checked: on the blocks of the tests (random graphs,
GPT-2, Llama-2-7B) every optimum equals CP-SAT's; with block horizons of ~3·10⁷ grid units (a PTU 10×
slower than the GPU) some epsilon-constraint points stay FEASIBLE where CP-SAT proves them.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from collections import defaultdict

from lightcode.core.selection import Status
from lightcode.select.blockmodel import op_holds, prepare
from lightcode.select.blocks import Block
from lightcode.select.blocksolution import BlockSolution
from lightcode.sim.schedule import LINK_CAPACITY, link_name
from lightcode.stack.stacked import StackedGraph

# HiGHS options of every block solve. The objective is integral, so no relative gap is needed to stop.
HIGHS_OPTIONS: dict = {"mip_rel_gap": 0.0}
# Tries in turn, each only when the one before returned decisions that do not realise its value (or failed):
# (integer start times?, extra HiGHS options). HiGHS accepts a binary within 1e-6 of 0/1 (its default);
# times a big-M of H ~ 10⁶–10⁷ grid units that is a unit or more of slack, enough to pass a span bound by
# one unit: on 40 random brute-force instances (126 selects) 31 block solves needed a second try. Measured
# on those 31: a 1e-8 tolerance realised all (16 s in all); 1e-9 failed once (HiGHS "Solve error") and once
# claimed a 30 % worse value optimal, so it is not used; integer times with the default tolerance still
# left 10 with slack; integer times with 1e-7 realised all (one took 81 s), the last resort.
TOLERANCE_LADDER: tuple[tuple[bool, dict], ...] = (
    (False, {}), (False, {"mip_feasibility_tolerance": 1e-8}), (True, {"mip_feasibility_tolerance": 1e-7}))
_STDOUT_LOCK = threading.Lock()


def _milp(c, integrality, lb, ub, A, lo, hi, options: dict):
    """scipy.optimize.milp, with HiGHS's stray C-level prints to stdout ("…transformNewIntegerFeasible…
    tmpSolver.run();", printed even with output off) sent to stderr, so that a `--json` stdout stays clean;
    the lock keeps threads from swapping file descriptors under each other (HiGHS is serial here anyway)."""
    import os
    import sys

    from scipy.optimize import Bounds, LinearConstraint, milp

    with _STDOUT_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # options beyond scipy's five pass on, with a warning
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            os.dup2(2, 1)
            return milp(c, integrality=integrality, bounds=Bounds(lb, ub), constraints=LinearConstraint(A, lo, hi),
                        options=options)
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def highs_block(stacked: StackedGraph, block: Block, grid, allowed: frozenset[str], entry_unit: str | None,
                exit_unit: str | None, static_coef: int,
                weight_capacity: dict[str, float] | None = None, side: list | None = None) -> HighsBlock | None:
    prep = prepare(stacked, block, grid, allowed, entry_unit, exit_unit)
    if prep is None:
        return None
    slots = {u: max(1, int(stacked.unit(u).slots)) for u in allowed}
    # weight bytes each realization keeps per unit (a split one its fraction on each, as in blockmodel.py)
    weights = {i: {j: {u: int(round(stacked.graph.ops[i].weight_bytes * f)) for u, f in r.fractions.items()}
                   for j, r in enumerate(stacked.realizations[i])} for i in block.ops}
    return HighsBlock(block.ops, prep, slots, static_coef, weight_capacity, weights, side)


class _Rows:
    """A sparse MILP under construction: columns with bounds and integrality, rows lo ≤ a·x ≤ hi."""

    def __init__(self):
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.integer: list[int] = []
        self.data: list[float] = []
        self.cols: list[int] = []
        self.indptr: list[int] = [0]
        self.lo: list[float] = []
        self.hi: list[float] = []

    def var(self, lb: float, ub: float, integer: bool) -> int:
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(1 if integer else 0)
        return len(self.lb) - 1

    def row(self, terms, lo: float = -math.inf, hi: float = math.inf) -> None:
        merged: dict[int, float] = defaultdict(float)
        for j, v in terms:
            merged[j] += v
        for j, v in merged.items():
            if v:
                self.cols.append(j)
                self.data.append(v)
        self.indptr.append(len(self.cols))
        self.lo.append(lo)
        self.hi.append(hi)


class HighsBlock:
    """The MILP of one block; re-solvable with other objectives and bounds (each solve adds its bound rows
    to a copy of the constraint arrays)."""

    def __init__(self, ops: tuple[int, ...], prep: tuple, slots: dict[str, int], static_coef: int,
                 weight_capacity: dict[str, float] | None, weights: dict[int, dict], side: list | None = None):
        opts, edge_list, edge_pairs, horizon = prep
        self.ops = ops
        # per op: realization index -> (unit, duration, energy, link demands ((link, share), ...))
        self.real = {i: {j: (u, d, en, ld) for j, u, d, en, ld, _h in opts[i]} for i in ops}
        # per op: realization index -> the (unit, duration, link demands) it holds from the op's start (one
        # for a whole op: its unit for its duration; one per part for a split one, cost/split.py)
        self.holds = {i: {o[0]: op_holds(o) for o in opts[i]} for i in ops}
        self.static_coef = static_coef
        self.edge_pos = {k: p for p, (k, *_rest) in enumerate(edge_list)}
        self.internal = [(src, dst) for _k, src, dst, _fa, _fb in edge_list if src is not None and dst is not None]
        H = self.horizon = max(1, horizon)
        r = self.rows = _Rows()
        self._lock = threading.Lock()
        self._solved: dict[tuple, BlockSolution] = {}

        # descendants within the block (ops are in topological order): ordered pairs never overlap
        desc: dict[int, set[int]] = {i: set() for i in ops}
        for src, dst in sorted(self.internal, key=lambda e: -e[0]):
            desc[src] |= {dst} | desc[dst]
        self.desc = desc

        def ordered(i: int, j: int) -> bool:
            return j in desc[i] or i in desc[j]

        # ops
        self.x: dict[int, dict[int, int]] = {}  # op -> realization index -> column
        self.on: dict[int, dict[str, int]] = {}  # op -> unit -> column "the op runs on the unit"
        self.s: dict[int, int] = {}
        self.dyn_terms: list[tuple[int, float]] = []
        for i in ops:
            self.s[i] = r.var(0, H, False)
            single = len(self.real[i]) == 1
            self.x[i] = {j: r.var(1 if single else 0, 1, True) for j in self.real[i]}
            r.row([(v, 1) for v in self.x[i].values()], 1, 1)
            self.dyn_terms += [(self.x[i][j], en) for j, (_u, _d, en, _ld) in self.real[i].items() if en]
            by_unit: dict[str, list[int]] = defaultdict(list)
            for j, (u, *_rest) in self.real[i].items():
                by_unit[u].append(self.x[i][j])
            self.on[i] = {}
            for u, cols in by_unit.items():
                if len(cols) == 1:
                    self.on[i][u] = cols[0]
                else:  # several variants on u: one binary for "on u" (what edges read)
                    self.on[i][u] = r.var(0, 1, True)
                    r.row([(self.on[i][u], 1)] + [(c, -1) for c in cols], 0, 0)
        self.span = r.var(0, H, True)
        self.times = list(self.s.values())  # + transfer starts below: integral in an optimum, never weighted
        for i in ops:
            r.row([(self.span, 1), (self.s[i], -1)] + self._dur_terms(i, -1), 0)
        for src, dst in self.internal:
            r.row([(self.s[dst], 1), (self.s[src], -1)] + self._dur_terms(src, -1), 0)

        # crossings: presence, energy, transfer timing
        self.transfers: list[tuple] = []  # (edge, src, dst, a, b, lat, presence column, ts column)
        self.pairs: list[tuple] = []  # (edge, src, dst, a, b, en): for the exact energy of a solution
        for k, src, dst, a, b, lat, en in edge_pairs:
            if src is not None and dst is not None:
                y = r.var(0, 1, True)
                r.row([(y, 1), (self.on[src][a], -1), (self.on[dst][b], -1)], -1)
            else:
                y = self.on[src][a] if src is not None else self.on[dst][b]
            if en:
                self.dyn_terms.append((y, en))
            self.pairs.append((k, src, dst, a, b, en))
            if lat:
                ts = r.var(0, H, False)
                self.times.append(ts)
                if src is not None:  # ts ≥ end_src when present (relaxed: ts ≥ 0 ≥ end_src − H)
                    r.row([(ts, 1), (self.s[src], -1), (y, -H)] + self._dur_terms(src, -1), -H)
                M = H + lat
                after = self.s[dst] if dst is not None else self.span  # ts + lat ≤ s_dst (or span)
                r.row([(after, 1), (ts, -1), (y, -M)], lat - M)
                self.transfers.append((k, src, dst, a, b, lat, y, ts))

        # weight capacity, side budgets
        for u, cap in (weight_capacity or {}).items():
            terms = [(self.x[i][j], weights[i][j].get(u, 0)) for i in ops for j in self.x[i]
                     if weights[i][j].get(u, 0)]
            if terms:
                r.row(terms, hi=float(int(cap)))
        for coefs, bound in side or ():
            terms = [(c, coefs[i][j]) for i in ops for j, c in self.x[i].items() if coefs[i][j]]
            r.row(terms, hi=float(bound))

        # units: load cut, then disjunctions between unordered pairs (per slot)
        self.order: dict[tuple, int] = {}
        self.slot: dict[tuple[int, str], list[int]] = {}  # (op, unit) -> slot columns (k > 1)
        self.conflicts: dict[str, list[tuple[int, int]]] = {}
        dmax = max((d for i in ops for _u, d, _e, _l in self.real[i].values()), default=0)
        M = H + dmax
        for u in sorted({u for i in ops for hs in self.holds[i].values() for u, d, _l in hs if d > 0}):
            cand = [i for i in ops if self._busy(i, u)]
            r.row([(self.span, slots[u])] + [t for i in cand for t in self._busy(i, u, -1, dur=True)], 0)
            conf = [(i, j) for n, i in enumerate(cand) for j in cand[n + 1:] if not ordered(i, j)]
            if not conf:
                continue
            deg: dict[int, int] = defaultdict(int)
            for i, j in conf:
                deg[i] += 1
                deg[j] += 1
            # at most min(#conflicting ops, max degree + 1) of them can overlap at once
            if min(len(deg), max(deg.values()) + 1) <= slots[u]:
                continue  # capacity never binds
            k_eff = slots[u]
            self.conflicts[u] = conf
            if k_eff == 1:
                zs = {i: [self._busy(i, u)] for i in deg}  # term lists: busy on u
            else:
                zs = {}
                for rank, i in enumerate(sorted(deg)):
                    cols = [r.var(0, 1, True) for _c in range(min(rank + 1, k_eff))]
                    r.row([(z, 1) for z in cols] + self._busy(i, u, -1), 0, 0)
                    self.slot[(i, u)] = cols
                    zs[i] = [[(z, 1)] for z in cols]
            for i, j in conf:
                o = self._order(("op", i, j))  # 1: i before j
                di, dj = self._busy(i, u, 1, dur=True), self._busy(j, u, 1, dur=True)
                for c in range(min(len(zs[i]), len(zs[j]))):
                    both = [(col, -M * v) for col, v in zs[i][c] + zs[j][c]]
                    # s_j ≥ s_i + d_i − M(1 − o) − M(2 − z_i − z_j);  s_i ≥ s_j + d_j − M·o − M(2 − z_i − z_j)
                    r.row([(self.s[j], 1), (self.s[i], -1), (o, -M)] + both + [(col, -v) for col, v in di],
                          -3 * M)
                    r.row([(self.s[i], 1), (self.s[j], -1), (o, M)] + both + [(col, -v) for col, v in dj],
                          -2 * M)

        # links: transfers only -> one at a time; shared with ops' streams -> a resource flow (docstring)
        by_link: dict[str, list[int]] = defaultdict(list)
        for n, t in enumerate(self.transfers):
            by_link[link_name(t[3], t[4])].append(n)
        op_users: dict[str, list[int]] = defaultdict(list)
        for i in ops:
            for link in sorted({lk for hs in self.holds[i].values() for _u, d, ld in hs if d > 0 for lk, _q in ld}):
                op_users[link].append(i)
        self.link_conflicts: list[tuple[int, int]] = []
        self.flow_links: dict[str, list[tuple]] = {}  # link -> users (("tr", n) | ("op", i)), for _exact
        lmax = max((t[5] for t in self.transfers), default=0)
        ML = H + max(lmax, dmax)
        for link in sorted(set(by_link) | set(op_users)):
            members = by_link.get(link, [])
            if link not in op_users:
                for n, p in enumerate(members):
                    for q in members[n + 1:]:
                        if self._transfers_ordered(p, q):
                            continue
                        self.link_conflicts.append((p, q))
                        o = self._order(("tr", p, q))
                        tp, tq = self.transfers[p], self.transfers[q]
                        r.row([(tq[7], 1), (tp[7], -1), (o, -ML), (tp[6], -ML), (tq[6], -ML)], tp[5] - 3 * ML)
                        r.row([(tp[7], 1), (tq[7], -1), (o, ML), (tp[6], -ML), (tq[6], -ML)], tq[5] - 2 * ML)
                continue
            users = [("tr", n) for n in members] + [("op", i) for i in op_users[link]]
            if sum(max((v for _c, v in self._demand(w, link)), default=0) for w in users) <= LINK_CAPACITY:
                continue  # capacity never binds
            self._link_flow(link, users, ML)

    def _link_flow(self, link: str, users: list[tuple], M: float) -> None:
        """The resource-flow rows of one shared link (module docstring)."""
        r, C = self.rows, LINK_CAPACITY
        self.flow_links[link] = users
        inflow: dict[tuple, list] = {w: [] for w in users}
        outflow: dict[tuple, list] = {w: [] for w in users}
        source = []
        for a in users:
            f = r.var(0, C, False)
            source.append((f, 1))
            inflow[a].append((f, 1))
            outflow[a].append((r.var(0, C, False), 1))  # to the sink
        for a in users:
            for b in users:
                if a == b or self._user_before(b, a):
                    continue
                f = r.var(0, C, False)
                outflow[a].append((f, 1))
                inflow[b].append((f, 1))
                if self._user_before(a, b):
                    continue  # precedence already orders them
                o = self._order(("flow", link, a, b))
                r.row([(f, 1), (o, -C)], hi=0)  # flow only along a chosen order
                # o_ab = 1 ⇒ start_b ≥ start_a + dur_a (a transfer's duration is a constant: in the bound)
                lat = self.transfers[a[1]][5] if a[0] == "tr" else 0
                dur = [] if a[0] == "tr" else self._link_dur_terms(a[1], link, -1)
                r.row([(self._start(b), 1), (self._start(a), -1), (o, -M)] + dur, lat - M)
                if ("flow", link, b, a) in self.order:
                    r.row([(o, 1), (self.order[("flow", link, b, a)], 1)], hi=1)
        for w in users:
            q = [(c, -v) for c, v in self._demand(w, link)]
            r.row(inflow[w] + q, 0, 0)
            r.row(outflow[w] + q, 0, 0)
        r.row(source, hi=C)

    def _demand(self, w: tuple, link: str) -> list[tuple[int, float]]:
        """A link user's demand on the LINK_CAPACITY scale as terms: a transfer all of it when present, an op
        the share of its chosen realization (0 for one that does not stream over the link)."""
        if w[0] == "tr":
            return [(self.transfers[w[1]][6], LINK_CAPACITY)]
        i = w[1]
        return [(self.x[i][j], q) for j, hs in self.holds[i].items() for _u, d, ld in hs if d > 0
                for lk, q in ld if lk == link]

    def _start(self, w: tuple) -> int:
        return self.transfers[w[1]][7] if w[0] == "tr" else self.s[w[1]]

    def _user_before(self, a: tuple, b: tuple) -> bool:
        """Precedence alone makes user a end before user b starts."""
        def ends_by(w):  # the op whose start follows w's end: w's consumer (a transfer) or w itself's successors
            return w[1] if w[0] == "op" else self.transfers[w[1]][2]

        def starts_after(w):  # the op whose end precedes w's start
            return w[1] if w[0] == "op" else self.transfers[w[1]][1]

        if a[0] == "tr" and b[0] == "tr":
            tp, tq = self.transfers[a[1]], self.transfers[b[1]]
            return tp[2] is not None and tq[1] is not None and (tp[2] == tq[1] or tq[1] in self.desc[tp[2]])
        ea, sb = ends_by(a), starts_after(b)
        if ea is None or sb is None:
            return False
        if a[0] == "op" and b[0] == "op":
            return sb in self.desc[ea]
        if a[0] == "op":  # op a before transfer b: b's producer is a or follows a
            return sb == ea or sb in self.desc[ea]
        # transfer a before op b: a's consumer is b or precedes b
        return ea == sb or sb in self.desc[ea]

    def _busy(self, i: int, u: str, sign: int = 1, dur: bool = False) -> list[tuple[int, float]]:
        """Terms of "op i runs on u with a positive duration" (its realizations' x), or of its duration there."""
        return [(self.x[i][j], sign * (d if dur else 1)) for j, hs in self.holds[i].items()
                for uu, d, _l in hs if uu == u and d > 0]

    def _link_dur_terms(self, i: int, link: str, sign: int) -> list[tuple[int, float]]:
        """Terms of how long op i, once ordered before another user of `link`, keeps it waiting: the hold that
        streams over the link (a hold names a link once); a realization that does not use the link keeps the
        op's whole duration.

        Both choices for a non-streaming realization are exact: its demand is 0, so all its flows are 0 and
        the order binary of the row is free to be 0 (o_ab + o_ba ≤ 1 allows both 0) — the row then restricts
        only that binary, never a schedule; with or without the term the model has the same feasible
        schedules and optimum. The term is kept because it is the stronger LP relaxation, and the weaker one
        broke HiGHS: on tests/test_backends.py's seed-52 instance (6 ops, latency) HiGHS with the term dropped
        returned "optimal" 10.256 µs with its dual bound at 10.256 µs while the same model with the optimum's
        realizations fixed solves to 9.512 µs (CP-SAT's optimum) — a wrong proof of HiGHS's (big-M rows of
        H ≈ 5.6·10⁷ grid units at its 1e-6 tolerances), which random_seed 1, 2 or 3 or a 1e-8 feasibility
        tolerance each avoid. docs/DESIGN.md §2 "Exact backends"; test_backends.py
        test_highs_seed_52_link_rows_keep_the_optimum."""
        out = []
        for j, hs in self.holds[i].items():
            on_link = [d for _u, d, ld in hs if d and any(lk == link for lk, _q in ld)]
            d = on_link[0] if on_link else max((d for _u, d, _l in hs), default=0)
            if d:
                out.append((self.x[i][j], sign * d))
        return out

    def _dur_terms(self, i: int, sign: int) -> list[tuple[int, float]]:
        return [(self.x[i][j], sign * d) for j, (_u, d, _e, _l) in self.real[i].items() if d]

    def _order(self, key: tuple) -> int:
        if key not in self.order:
            self.order[key] = self.rows.var(0, 1, True)
        return self.order[key]

    def _transfers_ordered(self, p: int, q: int) -> bool:
        """p always ends before q starts (or q before p): one's consumer precedes the other's producer."""
        return self._user_before(("tr", p), ("tr", q)) or self._user_before(("tr", q), ("tr", p))

    def forbid(self, choice) -> None:
        """Exclude one assignment (choice: realization index per global op): a no-good on its x."""
        if any(choice[i] not in self.x[i] for i in self.ops):
            return  # this block cannot produce it
        lits = [self.x[i][choice[i]] for i in self.ops if len(self.x[i]) > 1]
        if lits:
            self.rows.row([(c, 1) for c in lits], hi=len(lits) - 1)
        else:  # the block's only assignment
            self.rows.row([(self.span, 1)], hi=-1)
        with self._lock:
            self._solved.clear()

    # --- solving ---------------------------------------------------------------------------------------
    def solve(self, minimise: str, *, span_ub: int | None = None, energy_ub: int | None = None,
              dyn_ub: int | None = None, time_limit_s: float = 10.0, workers: int = 1) -> BlockSolution:
        """As BlockProblem.solve. HiGHS's branch and bound is serial here: `workers` is ignored. Proven
        results (OPTIMAL, INFEASIBLE) are remembered per arguments (HiGHS is deterministic), unless a
        shorter time limit than the first solve took asks for a new one."""
        key = (minimise, span_ub, energy_ub, dyn_ub)
        with self._lock:
            sol = self._solved.get(key)
            if sol is None or time_limit_s < sol.wall_s:
                sol = self._solve(minimise, span_ub, energy_ub, dyn_ub, time_limit_s)
                if sol.status in (Status.OPTIMAL, Status.INFEASIBLE):
                    self._solved[key] = sol
            return sol

    def _solve(self, minimise, span_ub, energy_ub, dyn_ub, time_limit_s) -> BlockSolution:
        import numpy as np
        from scipy.sparse import csr_array

        r = self.rows
        n = len(r.lb)
        dyn = np.zeros(n)
        for j, v in self.dyn_terms:
            dyn[j] += v
        span = np.zeros(n)
        span[self.span] = 1.0
        energy = dyn + self.static_coef * span
        c = {"span": span, "energy": energy, "dyn": dyn}[minimise]
        ubs = {"span": span_ub, "energy": energy_ub, "dyn": dyn_ub}
        data, cols, indptr = list(r.data), list(r.cols), list(r.indptr)
        lo, hi = list(r.lo), list(r.hi)
        for vec, ub in ((span, span_ub), (energy, energy_ub), (dyn, dyn_ub)):
            if ub is not None:
                nz = np.flatnonzero(vec)
                cols += nz.tolist()
                data += vec[nz].tolist()
                indptr.append(len(cols))
                lo.append(-math.inf)
                hi.append(float(ub))
        A = csr_array((np.array(data, float), np.array(cols, np.int64), np.array(indptr, np.int64)),
                      shape=(len(lo), n))
        integer = np.array(r.integer)
        times_integer = integer.copy()
        times_integer[self.times] = 1
        bounds = (np.array(r.lb, float), np.array(r.ub, float))

        t0 = time.perf_counter()
        best = None  # (exact solution, bound): a real solution that HiGHS did not prove
        bound = 0
        errors = []
        for int_times, extra in TOLERANCE_LADDER:
            left = max(0.0, time_limit_s - (time.perf_counter() - t0))
            res = _milp(c, times_integer if int_times else integer, *bounds, A, np.array(lo), np.array(hi),
                        {"time_limit": left, **HIGHS_OPTIONS, **extra})
            if res.status == 2:  # also proven for the real problem: each tolerance only relaxes it
                return BlockSolution(Status.INFEASIBLE, 0, 0, 0, 0, wall_s=time.perf_counter() - t0)
            if res.status not in (0, 1):  # numerical trouble (seen with tight tolerances)
                errors.append(str(res.message))
                continue
            dual = res.get("mip_dual_bound")
            if dual is None or not math.isfinite(dual):
                dual = -math.inf
            else:  # an integral objective: the bound rounds up, after float noise
                bound = max(bound, math.ceil(dual - 1e-9 * max(1.0, abs(dual))))
            if res.x is None:  # the limit came before any solution
                break
            sol = self._exact(res.x)
            if sol is not None:
                span_v, dyn_v = sol[4], sol[5]
                vals = {"span": span_v, "energy": dyn_v + self.static_coef * span_v, "dyn": dyn_v}
                obj = vals[minimise]
                if all(ubs[q] is None or vals[q] <= ubs[q] for q in ubs):
                    # proven: HiGHS's optimum is real and its own bound closes on it (status 0 alone is not
                    # enough: a tight tolerance once ended "optimal" with its bound 65 % below its value)
                    if res.status == 0 and obj <= res.fun + 0.5 and obj <= dual + 0.5:
                        return self._solution(Status.OPTIMAL, sol, obj, obj, time.perf_counter() - t0)
                    if best is None or obj < best[1]:
                        best = (sol, obj)
            if res.status == 1:  # limit reached
                break
        wall = time.perf_counter() - t0
        if best is not None:
            return self._solution(Status.FEASIBLE, best[0], best[1], min(bound, best[1]), wall)
        if errors and len(errors) == len(TOLERANCE_LADDER):
            raise RuntimeError(f"HiGHS block solve failed: {errors[-1]}")
        return BlockSolution(Status.UNKNOWN, 0, 0, 0, bound, wall_s=wall)

    @staticmethod
    def _solution(status: Status, sol: tuple, obj: int, bound: int, wall: float) -> BlockSolution:
        choice, units, starts, tstarts, span_v, dyn_v = sol
        return BlockSolution(status, span_v, dyn_v, obj, bound, units, starts, tstarts, wall, choice)

    def _exact(self, xv) -> tuple | None:
        """The solution's decisions (realizations, slots, orders) and their earliest integer schedule:
        (choice, units, starts, transfer starts by edge position, span, dyn); None when the orders form a
        cycle or the schedule overfills a shared link (decisions off 0/1 within HiGHS's tolerance)."""
        on = lambda j: xv[j] > 0.5  # noqa: E731
        choice = {i: max(self.x[i], key=lambda j: xv[self.x[i][j]]) for i in self.ops}
        chosen = {i: self.real[i][choice[i]][0] for i in self.ops}
        dur = {i: self.real[i][choice[i]][1] for i in self.ops}
        dyn = sum(self.real[i][choice[i]][2] for i in self.ops)
        real = lambda src, dst, a, b: (src is None or chosen[src] == a) and (dst is None or chosen[dst] == b)  # noqa: E731
        dyn += sum(en for k, src, dst, a, b, en in self.pairs if real(src, dst, a, b))
        # nodes: ("op", i) and ("tr", n); arcs (u, v, w): start_v ≥ start_u + w
        arcs: list[tuple] = [(("op", s), ("op", d), dur[s]) for s, d in self.internal]
        live = {n for n, (k, src, dst, a, b, lat, y, ts) in enumerate(self.transfers) if real(src, dst, a, b)}
        sink: list[tuple] = []  # (node, w): span ≥ start + w
        for n in live:
            k, src, dst, a, b, lat, y, ts = self.transfers[n]
            if src is not None:
                arcs.append((("op", src), ("tr", n), dur[src]))
            if dst is not None:
                arcs.append((("tr", n), ("op", dst), lat))
            else:
                sink.append((("tr", n), lat))
        held = {i: {u: d for u, d, _l in self.holds[i][choice[i]] if d > 0} for i in self.ops}
        for u, conf in self.conflicts.items():
            for i, j in conf:
                if u not in held[i] or u not in held[j]:
                    continue
                if (i, u) in self.slot:  # k slots: only ops on the same slot are ordered
                    si = max(range(len(self.slot[(i, u)])), key=lambda c: xv[self.slot[(i, u)][c]])
                    sj = max(range(len(self.slot[(j, u)])), key=lambda c: xv[self.slot[(j, u)][c]])
                    if si != sj:
                        continue
                first = on(self.order[("op", i, j)])
                arcs.append((("op", i), ("op", j), held[i][u]) if first else (("op", j), ("op", i), held[j][u]))
        for p, q in self.link_conflicts:
            if p in live and q in live:
                lp, lq = self.transfers[p][5], self.transfers[q][5]
                first = on(self.order[("tr", p, q)])
                arcs.append((("tr", p), ("tr", q), lp) if first else (("tr", q), ("tr", p), lq))
        # shared links: a user's demand and length under the chosen realizations; the chosen orders as arcs
        load: dict[str, list[tuple]] = {}  # link -> [(node, length, demand)]
        for link, users in self.flow_links.items():
            present = []
            for w in users:
                if w[0] == "tr":
                    if w[1] in live:
                        present.append((w, self.transfers[w[1]][5], LINK_CAPACITY))
                else:
                    for _u, d, ld in self.holds[w[1]][choice[w[1]]]:
                        q = sum(v for lk, v in ld if lk == link) if d else 0
                        if q:
                            present.append((w, d, q))
            load[link] = present
            for a, da, _qa in present:
                for b, _db, _qb in present:
                    key = ("flow", link, a, b)
                    if a != b and key in self.order and on(self.order[key]):
                        arcs.append((a, b, da))
        nodes = [("op", i) for i in self.ops] + [("tr", n) for n in sorted(live)]
        succ: dict[tuple, list] = defaultdict(list)
        indeg = dict.fromkeys(nodes, 0)
        for a, b, w in arcs:
            succ[a].append((b, w))
            indeg[b] += 1
        start = dict.fromkeys(nodes, 0)
        queue = [v for v in nodes if indeg[v] == 0]
        seen = 0
        while queue:
            v = queue.pop()
            seen += 1
            for b, w in succ[v]:
                start[b] = max(start[b], start[v] + w)
                indeg[b] -= 1
                if indeg[b] == 0:
                    queue.append(b)
        if seen < len(nodes):
            return None
        for present in load.values():  # the flow guarantees this for 0/1 decisions; check it for real ones
            for w, _d, _q in present:
                t = start[w]
                if sum(q for v, d, q in present if start[v] <= t < start[v] + d) > LINK_CAPACITY:
                    return None
        span = max([start[("op", i)] + dur[i] for i in self.ops] + [start[v] + w for v, w in sink] + [0])
        tstarts = {self.edge_pos[self.transfers[n][0]]: start[("tr", n)] for n in live}
        return (tuple(choice[i] for i in self.ops), tuple(chosen[i] for i in self.ops),
                tuple(start[("op", i)] for i in self.ops), tstarts, span, dyn)
