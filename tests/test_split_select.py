"""Split realizations in the exact selection: both backends against brute force on small random instances
with random split options (each holding two units, the accelerator part with link shares), and a split
never losing to the whole options it extends."""

from __future__ import annotations

import copy
import random
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compile_fakes import brute_force, random_instance
from lightcode.core.cost import CostBreakdown
from lightcode.cost.split import Part
from lightcode.select import Status, select
from lightcode.select.backend import BACKENDS
from lightcode.sim.schedule import link_name
from lightcode.sim.simulate import simulate
from lightcode.stack.stacked import Realization, StackedGraph

NS = 1e-9  # the fakes' costs are integer nanoseconds / nanojoules


def with_random_splits(sg: StackedGraph, rng: random.Random, *, p_split: float = 0.6,
                       p_link: float = 0.5) -> StackedGraph:
    """A copy of `sg` whose ops that run whole on the host and on an accelerator also get split options at
    random fractions: the host part takes (1 − f) of its time, the accelerator part f of its time plus a
    random move time and energy, sometimes streaming over the host -> accelerator link."""
    view = copy.copy(sg)
    host = sg.host
    sig_reals = []
    for reals in sg.sig_realizations:
        extra = []
        hosts = [r for r in reals if r.unit == host]
        accs = [r for r in reals if r.unit != host]
        if hosts and accs and rng.random() < p_split:
            for f in rng.sample([Fraction(1, 4), Fraction(1, 2), Fraction(3, 4)], 2):
                h, a = rng.choice(hosts), rng.choice(accs)
                th = round(h.cost.latency_s * float(1 - f) / NS) * NS
                mv_t, mv_e = rng.randint(0, 200) * NS, rng.randint(0, 100) * NS
                ta = round(a.cost.latency_s * float(f) / NS) * NS + mv_t
                eh = round(h.cost.total_energy_j * float(1 - f) / NS) * NS
                ea = round(a.cost.total_energy_j * float(f) / NS) * NS
                ld = {link_name(host, a.unit): rng.choice([0.3, 0.6, 1.0])} if rng.random() < p_link else {}
                parts = (Part(host, 1 - f, h.variant, CostBreakdown(th, {"compute": eh}), CostBreakdown(0.0, {}), th),
                         Part(a.unit, f, a.variant, CostBreakdown(ta - mv_t, {"compute": ea}),
                              CostBreakdown(mv_t, {"transfer": mv_e}), ta, ld))
                cost = CostBreakdown(max(th, ta), {"compute": eh + ea, "transfer": mv_e})
                extra.append(Realization(host, cost, f"split {f}", None, {}, parts))
        sig_reals.append(tuple(reals) + tuple(extra))
    view.sig_realizations = sig_reals
    view.realizations = tuple(sig_reals[s] for s in sg.op_sig)
    return view





def _instance(seed: int, n_ops: int, static: bool):
    rng = random.Random(seed)
    g, system = random_instance(rng, n_ops, 2, max_real=2, static=static, slots=rng.choice([1, 2]))
    base = StackedGraph(g, system)
    return base, with_random_splits(base, rng)


SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(seed=st.integers(0, 10**6), n_ops=st.integers(2, 4), static=st.booleans())
def test_both_backends_reach_the_brute_force_optimum_with_splits(seed, n_ops, static):
    base, sg = _instance(seed, n_ops, static)
    for objective in ("latency", "energy"):
        bf = brute_force(sg, objective)
        for backend in BACKENDS:
            a = select(sg, objective, time_limit_s=30, backend=backend)
            assert a.status == Status.OPTIMAL, backend
            assert a.objective_value == pytest.approx(bf, rel=1e-6, abs=1e-12), backend
            sim = simulate(sg, a)
            got = sim.latency_s if objective == "latency" else sim.energy_j
            assert got == pytest.approx(bf, rel=1e-6, abs=1e-12), backend
        # a superset of the whole options: never worse than without the splits
        assert bf <= brute_force(base, objective) * (1 + 1e-12)


def test_a_split_can_beat_both_whole_options():
    """One op, host 1000 ns, accelerator 1000 ns: half on each ends at 500 ns (+ move) — faster than either."""
    from compile_fakes import FakeSystem, VariantUnit, graph_of, make_op

    g = graph_of([make_op("mm", "matmul", 1)], [])
    system = FakeSystem("s", {"gpu": VariantUnit("gpu", "gpu", table={1: (1000 * NS, 10 * NS)}),
                              "ptu": VariantUnit("ptu", "photonic", table={1: (1000 * NS, 2 * NS)})},
                       link={"default": (0.0, 0.0, 0.0)})
    base = StackedGraph(g, system)
    h, a = base.realizations[0]
    f = Fraction(1, 2)
    parts = (Part("gpu", f, "x", CostBreakdown(500 * NS, {"compute": 5 * NS}), CostBreakdown(0.0, {}), 500 * NS),
             Part("ptu", f, "y", CostBreakdown(500 * NS, {"compute": NS}), CostBreakdown(50 * NS, {"transfer": NS}),
                  550 * NS, {link_name("gpu", "ptu"): 0.5}))
    sg = copy.copy(base)
    sg.sig_realizations = [base.sig_realizations[0] + (
        Realization("gpu", CostBreakdown(550 * NS, {"compute": 6 * NS, "transfer": NS}), "split 1/2", None, {}, parts),)]
    sg.realizations = (sg.sig_realizations[0],)
    for backend in BACKENDS:
        a = select(sg, "latency", backend=backend)
        assert a.choice == (2,) and a.objective_value == pytest.approx(550 * NS)
    sim = simulate(sg, a)
    ev = sim.schedule.events[sim.schedule.op_event[0]]
    # both halves run at once: one from the op's start on each unit, overlapping
    assert [(u, e) for u, _c, e in ev.parts] == [("gpu", pytest.approx(500 * NS)), ("ptu", pytest.approx(550 * NS))]
    assert ev.start_s == 0.0 and sim.latency_s == pytest.approx(550 * NS)
    # energy: both parts, the move, static power of both units (zero here); by unit: parts to units, move to links
    assert sim.energy_j == pytest.approx(7 * NS)
    assert sim.energy_by_unit_j["gpu"] == pytest.approx(5 * NS) and sim.energy_by_unit_j["ptu"] == pytest.approx(NS)
    assert sim.energy_by_unit_j["links"] == pytest.approx(NS)
    assert sim.flops_by_unit == {"gpu": 0.5, "ptu": 0.5}
    assert sim.utilisation["ptu"] == pytest.approx(1.0) and sim.utilisation["gpu"] == pytest.approx(500 / 550)
