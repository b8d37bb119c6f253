"""Small fake units/systems implementing hardware/api.py, graph builders, and the brute-force reference the
exact selector is checked against, for the compiler tests."""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field

import pytest

from lightcode.core.cost import CostBreakdown
from lightcode.core.opgraph import Edge, Gemm, ModelInfo, Op, OpGraph, TensorSpec
from lightcode.select import Constraints, Objective, Status, select
from lightcode.sim.schedule import LINK_CAPACITY, link_name, link_share
from lightcode.sim.simulate import simulate
from lightcode.stack.stacked import StackedGraph


@dataclass
class TableUnit:
    """op_cost from a table keyed by op.flops (tests give every op a distinct flops value)."""

    name: str
    kind: str
    slots: int = 1
    static_power_w: float = 0.0
    weight_capacity_bytes: float | None = None
    precision_bits: int = 16
    table: dict = field(default_factory=dict)  # flops -> (latency_s, energy_j) | None

    def op_cost(self, op, dtype):
        v = self.table.get(op.flops)
        if v is None:
            return None
        lat, en = v
        return CostBreakdown(lat, {"compute": en})


@dataclass
class VariantUnit(TableUnit):
    """A TableUnit that offers several variants per op: variants[flops] = [(name, latency_s, energy_j,
    link_demand), ...] (core/devices.py op_variants); ops not listed there fall back to `table`."""

    variants: dict = field(default_factory=dict)

    def op_variants(self, op, dtype):
        from lightcode.core.devices import Variant

        if op.flops in self.variants:
            return [Variant(name, CostBreakdown(lat, {"compute": en}), link_demand=dict(ld))
                    for name, lat, en, ld in self.variants[op.flops]]
        c = self.op_cost(op, dtype)
        return [] if c is None else [Variant(dtype, c)]


@dataclass
class KindUnit:
    """A unit with a simple roofline-ish cost by kind: runs `kinds`, time = flops/rate + overhead."""

    name: str
    kind: str
    kinds: tuple
    rate: float
    overhead_s: float
    joule_per_flop: float
    slots: int = 1
    static_power_w: float = 0.0
    weight_capacity_bytes: float | None = None
    precision_bits: int = 16

    def op_cost(self, op, dtype):
        if op.kind not in self.kinds:
            return None
        return CostBreakdown(op.flops / self.rate + self.overhead_s,
                             {"compute": op.flops * self.joule_per_flop, "memory": op.bytes_read * 1e-12})


@dataclass
class FakeSystem:
    name: str
    units: dict
    link: dict = field(default_factory=dict)  # (src, dst) -> (latency_s fixed, s per byte, J per byte)

    def transfer_cost(self, src_unit, dst_unit, nbytes):
        if src_unit == dst_unit:
            return CostBreakdown(0.0, {})
        fixed, per_b, e_b = self.link.get((src_unit, dst_unit), self.link.get("default", (1e-6, 1e-10, 1e-11)))
        return CostBreakdown(fixed + per_b * nbytes, {"transfer": e_b * nbytes})


INFO = ModelInfo("fake", "Fake", 1, 8, 1, 1, 8, 16, 10, 16, 0, "x")


def make_op(name, kind, flops, nbytes=64, layer=None, weight_bytes=0, gemm=None):
    t = TensorSpec((nbytes // 2,), "fp16")
    return Op(name=name, kind=kind, target=f"aten.{kind}", inputs=(t,), outputs=(t,), flops=flops,
              bytes_read=nbytes + weight_bytes, bytes_written=nbytes, weight_bytes=weight_bytes, layer=layer,
              module=name, gemms=(gemm,) if gemm else ())


def graph_of(ops, edges) -> OpGraph:
    return OpGraph(model=INFO, phase="prefill", batch=1, seq_len=4, context=None, dtype="fp16", ops=tuple(ops),
                   edges=tuple(Edge(s, d, b) for s, d, b in edges), parameter_bytes=0)


def random_instance(rng: random.Random, n_ops: int, n_units: int, *, max_real: int = 3, static: bool = False,
                    slots: int = 2, p_edge: float = 0.35, max_variants: int = 1, p_link: float = 0.0):
    """A random DAG (topological order 0..n-1) and a system of `n_units` table units (unit 0 = host runs
    everything), random costs, random transfer costs; up to `max_variants` variants per (op, unit), each with
    probability `p_link` streaming over a random link (link_demand)."""
    ops = [make_op(f"op{i}", "matmul", flops=i + 1, nbytes=rng.choice([64, 256, 1024])) for i in range(n_ops)]
    edges = []
    for j in range(1, n_ops):
        srcs = [i for i in range(j) if rng.random() < p_edge]
        if not srcs and rng.random() < 0.8:
            srcs = [rng.randrange(j)]
        for i in srcs:
            edges.append((i, j, ops[i].bytes_written))
    units = {}
    for u in range(n_units):
        name = "gpu" if u == 0 else f"ptu{u}"
        units[name] = VariantUnit(name, "gpu" if u == 0 else "photonic", slots=1 if u == 0 else slots,
                                  static_power_w=rng.choice([0.0, 5.0, 20.0]) if static else 0.0)
    names = list(units)
    for i in range(n_ops):
        k = rng.randint(1, min(max_real, n_units))
        chosen = [names[0]] + rng.sample(names[1:], k - 1)
        for name in chosen:
            units[name].table[i + 1] = (rng.choice([1, 2, 3, 5, 8]) * 1e-6, rng.choice([1, 2, 4, 7]) * 1e-6)
            nv = rng.randint(1, max_variants) if max_variants > 1 else 1  # (no draw: same instances)
            if nv > 1:  # several variants of this op on this unit (e.g. fp16 and fp8)
                units[name].variants[i + 1] = [
                    (f"v{v}", rng.choice([1, 2, 3, 5, 8]) * 1e-6, rng.choice([1, 2, 4, 7]) * 1e-6,
                     {link_of(rng, names): rng.choice([0.3, 0.5, 0.6])} if rng.random() < p_link else {})
                    for v in range(nv)]
    link = {}
    for a in names:
        for b in names:
            if a != b:
                link[(a, b)] = (rng.choice([0.0, 1e-6, 2e-6]), rng.choice([0.0, 1e-9]), rng.choice([0.0, 1e-9]))
    return graph_of(ops, edges), FakeSystem("fake", units, link)


def link_of(rng: random.Random, names) -> str:
    a, b = rng.sample(list(names), 2)
    return f"{a}->{b}"


def layered_instance(n_layers: int = 4, *, static_ptu: float = 2.0, slots: int = 2):
    """A transformer-like chain: embedding, per layer norm → 3 matmuls (q,k,v) → attention → o-proj → add,
    norm → up → act → down → add; then norm → lm_head. GPU runs everything; PTU runs matmuls."""
    ops, edges = [], []

    def add(name, kind, flops, inputs, layer=None, wb=0):
        ops.append(make_op(name, kind, flops, nbytes=4096, layer=layer, weight_bytes=wb,
                           gemm=Gemm(64, 64, 64) if kind == "matmul" else None))
        j = len(ops) - 1
        for i in inputs:
            edges.append((i, j, 4096))
        return j

    x = add("embed", "embedding", 1000, [])
    for L in range(n_layers):
        n1 = add(f"l{L}.norm1", "norm", 2000, [x], L)
        q = add(f"l{L}.q", "matmul", 4_000_000, [n1], L, wb=8192)
        k = add(f"l{L}.k", "matmul", 4_000_000, [n1], L, wb=8192)
        v = add(f"l{L}.v", "matmul", 4_000_000, [n1], L, wb=8192)
        a = add(f"l{L}.attn", "attention", 3_000_000, [q, k, v], L)
        o = add(f"l{L}.o", "matmul", 4_000_000, [a], L, wb=8192)
        h = add(f"l{L}.add1", "elementwise", 500, [x, o], L)
        n2 = add(f"l{L}.norm2", "norm", 2000, [h], L)
        up = add(f"l{L}.up", "matmul", 16_000_000, [n2], L, wb=32768)
        act = add(f"l{L}.act", "elementwise", 800, [up], L)
        dn = add(f"l{L}.down", "matmul", 16_000_000, [act], L, wb=32768)
        x = add(f"l{L}.add2", "elementwise", 500, [h, dn], L)
    n = add("norm_f", "norm", 2000, [x])
    add("lm_head", "matmul", 8_000_000, [n], wb=16384)
    gpu = KindUnit("gpu", "gpu", ("matmul", "attention", "norm", "elementwise", "embedding", "softmax",
                                  "data_movement"), rate=1e12, overhead_s=4e-6, joule_per_flop=1e-12, slots=1,
                   static_power_w=50.0)
    ptu = KindUnit("ptu", "photonic", ("matmul",), rate=4e11, overhead_s=1e-6, joule_per_flop=2e-13, slots=slots,
                   static_power_w=static_ptu)
    system = FakeSystem("gpu+ptu", {"gpu": gpu, "ptu": ptu},
                        {("gpu", "ptu"): (1e-6, 1e-10, 2e-11), ("ptu", "gpu"): (1e-6, 1e-10, 2e-11)})
    return graph_of(ops, edges), system


def optimal_makespan(sg: StackedGraph, choice) -> float:
    """Least makespan of a fixed assignment: every precedence-feasible order of its tasks (ops and timed
    transfers), each placed as early as its inputs, a free core on every unit it holds (non-insertion serial
    generation; the order of an optimal schedule's starts reproduces it) and room on the links it streams over
    (LINK_CAPACITY profiles, insertion) allow, with branch and bound. A split op holds several units from its
    start, each for its own time (Realization.holds); a whole op holds one."""
    reals = sg.chosen(choice)
    units = [r.unit for r in reals]
    dur, holds, preds = [], [], []  # holds: [(resource, seconds, [(link, share)])]
    for r in reals:
        dur.append(r.cost.latency_s)
        holds.append([(u, t, [(k, link_share(d)) for k, d in ld.items()] if t > 0 else []) for u, t, ld in r.holds])
        preds.append([])
    shared = {k for hs in holds for _u, _t, ls in hs for k, _q in ls}
    for k, e in enumerate(sg.edges):
        a = sg.host if e.src is None else units[e.src]
        b = sg.host if e.dst is None else units[e.dst]
        lat = sg.edge_cost(k, a, b).latency_s if a != b else 0.0
        if lat > 0:
            t = len(dur)
            dur.append(lat)
            lk = link_name(a, b)
            holds.append([(lk, lat, [(lk, LINK_CAPACITY)] if lk in shared else [])])
            preds.append([] if e.src is None else [e.src])
            if e.dst is not None:
                preds[e.dst].append(t)
        elif e.src is not None and e.dst is not None:
            preds[e.dst].append(e.src)
    T = len(dur)
    slots = {u: sg.unit(u).slots for u in sg.units}
    best = [math.inf]
    end = [0.0] * T

    def room(placed, s, e, link, q):
        ivs = [(a, b, qq) for a, b, lk, qq in placed if lk == link]
        pts = [s] + [a for a, _, _ in ivs if s < a < e]
        return all(sum(qq for a, b, qq in ivs if a <= p < b) + q <= LINK_CAPACITY for p in pts)

    def rec(done: frozenset, free: dict, placed: tuple, cur: float):
        if cur >= best[0] - 1e-15:
            return
        if len(done) == T:
            best[0] = cur
            return
        for t in range(T):
            if t in done or any(p not in done for p in preds[t]):
                continue
            s = max((end[p] for p in preds[t]), default=0.0)
            picks = []
            for res, _d, _ls in holds[t]:
                if res in shared:
                    continue
                cores = free.get(res, [0.0] * slots.get(res, 1))
                c = min(range(len(cores)), key=lambda j: cores[j])
                picks.append((res, c))
                s = max(s, cores[c])
            need = [(lk, q, d) for _r, d, ls in holds[t] for lk, q in ls]
            if need:
                cands = sorted({s} | {b - 0.0 for _, b, lk, _ in placed if b > s and lk in {x[0] for x in need}})
                s = next(x for x in cands if all(room(placed, x, x + d, lk, q) for lk, q, d in need))
            end[t] = s + dur[t]
            nf = dict(free)
            for (res, c), (_r, d, _l) in zip(picks, [h for h in holds[t] if h[0] not in shared]):
                nc = list(nf.get(res, [0.0] * slots.get(res, 1)))
                nc[c] = s + d
                nf[res] = nc
            rec(done | {t}, nf, placed + tuple((s, s + d, lk, q) for lk, q, d in need), max(cur, end[t]))

    rec(frozenset(), {}, (), 0.0)
    return best[0]


def brute_force(sg: StackedGraph, objective: str, constraints: Constraints | None = None) -> float:
    """Least objective metric over every choice of realizations within the side budgets of `constraints`,
    each at its least makespan (every metric of ours grows with the makespan at fixed dynamic energy)."""
    metric = Objective.parse(objective).metric
    best = math.inf
    for choice in itertools.product(*[range(len(reals)) for reals in sg.realizations]):
        if constraints is not None and not constraints.side_ok(choice):
            continue
        units = sg.units_of(choice)
        dyn = sum(r.cost.total_energy_j for r in sg.chosen(choice))
        for k, e in enumerate(sg.edges):
            a = sg.host if e.src is None else units[e.src]
            b = sg.host if e.dst is None else units[e.dst]
            if a != b:
                dyn += sg.edge_cost(k, a, b).total_energy_j
        # static power of every unit a chosen realization holds (a split one holds two)
        power = sum(sg.unit(u).static_power_w for u in {u for r in sg.chosen(choice) for u in r.units_used})
        if objective == "energy" and power == 0:
            best = min(best, dyn)
            continue
        t = optimal_makespan(sg, choice)
        best = min(best, metric(t, dyn + power * t))
    return best


def assert_exact_equals_brute_force(sg: StackedGraph, objective: str, constraints: Constraints | None = None, *,
                                    backend: str = "cpsat", rel: float = 1e-6, abs: float = 0.0):
    """The exact selector reaches brute force's optimum (status OPTIMAL, within the side budgets), and the
    simulator replaying its assignment measures that same metric (one cost model). Relative tolerance only by
    default: an absolute one of pytest's 1e-12 would pass any EDP (~1e-11 J·s) or ED²P here. Returns the
    assignment."""
    a = select(sg, objective, constraints, time_limit_s=20, backend=backend)
    assert a.status == Status.OPTIMAL and a.method == backend
    assert len(a.choice) == sg.n_ops and a.units == sg.units_of(a.choice)
    if constraints is not None:
        assert constraints.side_ok(a.choice)
    bf = brute_force(sg, objective, constraints)
    assert a.objective_value == pytest.approx(bf, rel=rel, abs=abs), backend
    sim = simulate(sg, a)
    assert Objective.parse(objective).metric(sim.latency_s, sim.energy_j) == pytest.approx(bf, rel=rel, abs=abs)
    return a

