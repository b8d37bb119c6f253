"""The side budget as a chain-DP dimension (select/side_chain.py) against the monolithic exact model
(decompose=False, the side row in one CP-SAT model) on multi-block graphs, and against brute force."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from compile_fakes import brute_force, layered_instance, random_instance
from lightcode.select import Constraints, Status, select
from lightcode.select.blocks import split_blocks
from lightcode.sim.simulate import simulate
from lightcode.stack.stacked import StackedGraph


def _costs(sg, rng, values=(0.0, 0.1, 0.25, 0.7, 1.3)):
    # the GPU's realizations cost nothing (as the reference numerics would); others a random loss
    return tuple(tuple(0.0 if sg.unit(r.unit).kind == "gpu" else rng.choice(values) for r in reals)
                 for reals in sg.realizations)


@pytest.mark.parametrize("seed,frac", [(0, 0.3), (1, 0.6), (2, 0.15)])
def test_chain_dp_equals_the_monolithic_model(seed, frac):
    rng = random.Random(seed)
    g, system = layered_instance(2, static_ptu=2.0 if seed % 2 else 0.0)
    sg = StackedGraph(g, system)
    assert len(split_blocks(sg)) > 2  # the DP has blocks to combine
    costs = _costs(sg, rng)
    hi = math.fsum(max(r) for r in costs)
    c = Constraints(side_costs={"loss": costs}, side_budgets={"loss": frac * hi})
    for objective in ("latency", "energy"):
        dp = select(sg, objective, c, time_limit_s=60)
        mono = select(sg, objective, c, time_limit_s=60, decompose=False)
        assert dp.status == mono.status == Status.OPTIMAL
        assert c.side_ok(dp.choice)
        assert dp.objective_value == pytest.approx(mono.objective_value, rel=1e-9)
        sim = simulate(sg, dp)  # the DP's reconstructed schedule is the simulator's
        assert sim.latency_s == pytest.approx(dp.latency_s, rel=1e-9)
        assert sim.energy_j == pytest.approx(dp.energy_j, rel=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_chain_dp_equals_brute_force_on_small_random_graphs(seed):
    rng = random.Random(100 + seed)
    g, system = random_instance(rng, 5, 2, max_real=2, static=bool(seed % 2), slots=2, max_variants=2)
    sg = StackedGraph(g, system)
    costs = tuple(tuple(rng.choice([0.0, 0.1, 0.25, 0.7, 1.3]) for _ in r) for r in sg.realizations)
    lo, hi = math.fsum(min(r) for r in costs), math.fsum(max(r) for r in costs)
    c = Constraints(side_costs={"loss": costs}, side_budgets={"loss": lo + 0.4 * (hi - lo)})
    for objective in ("latency", "energy"):
        a = select(sg, objective, c, time_limit_s=30)
        assert a.status == Status.OPTIMAL and c.side_ok(a.choice)
        assert a.objective_value == pytest.approx(brute_force(sg, objective, c), rel=1e-6, abs=1e-12)


def test_identical_layers_with_identical_side_costs_share_fronts():
    """A proxy surrogate charges every layer alike: the DP solves each distinct block's front once, so the
    solve count does not grow with the number of identical layers."""
    counts = {}
    for n in (2, 4):
        g, system = layered_instance(n)
        sg = StackedGraph(g, system)
        costs = tuple(tuple(0.0 if sg.unit(r.unit).kind == "gpu" else {"matmul": 0.3, "attention": 0.5}.get(
            op.kind, 0.1) for r in reals) for op, reals in zip(sg.graph.ops, sg.realizations))
        c = Constraints(side_costs={"loss": costs}, side_budgets={"loss": 0.9 * n})
        a = select(sg, "energy", c, time_limit_s=60)
        assert a.status == Status.OPTIMAL and c.side_ok(a.choice)
        counts[n] = a.n_solves
    assert counts[4] == counts[2]


def test_choices_enumerated_agree_for_one_layer():
    """Exhaustive check on one layer (14 ops): the DP's energy optimum is the least energy over every
    choice within the budget (brute force over the realizations)."""
    g, system = layered_instance(1, static_ptu=0.0)
    sg = StackedGraph(g, system)
    rng = random.Random(7)
    costs = _costs(sg, rng)
    n_choices = math.prod(len(r) for r in sg.realizations)
    assert n_choices <= 256
    c = Constraints(side_costs={"loss": costs}, side_budgets={"loss": 0.5 * math.fsum(max(r) for r in costs)})
    a = select(sg, "energy", c, time_limit_s=60)
    assert a.objective_value == pytest.approx(brute_force(sg, "energy", c), rel=1e-6)
    assert sum(1 for ch in itertools.product(*[range(len(r)) for r in sg.realizations]) if c.side_ok(ch)) > 1


def test_llama2_7b_scale_with_per_role_side_costs():
    """Model scale (the monolithic side-budget model did not solve Llama-2-7B in 60 s): a per-role side cost
    (what --accuracy-proxy gives: every layer alike) under a binding budget is solved and proven through the
    chain DP, and it is no worse than the greedy repair of the unconstrained optimum."""
    import lightcode as lc
    from lightcode.hardware.load import load_system
    from lightcode.numerics.accuracy_select import _repair
    from lightcode.numerics.proxy import role

    st = StackedGraph(lc.capture("llama2-7b", seq_len=64), load_system("h100+ddot-b-4bit"), precision="native")
    side = tuple(tuple(0.0 if st.unit(r.unit).kind != "photonic" else (0.02 if "mlp" in role(op) else 0.01)
                       for r in reals) for op, reals in zip(st.graph.ops, st.realizations))
    free = select(st, "energy", time_limit_s=60)
    c = Constraints(side_costs={"acc": side}, side_budgets={"acc": 0.5})
    assert c.side_total("acc", free.choice) > 0.5  # the budget binds
    a = select(st, "energy", c, time_limit_s=60)
    assert a.status == Status.OPTIMAL and c.side_ok(a.choice)
    assert a.n_distinct_blocks <= 8  # 32 identical layers: a handful of distinct blocks
    repaired = _repair(st, "energy", free, side, 0.5)
    assert c.side_ok(repaired.choice)
    assert simulate(st, a).energy_j <= simulate(st, repaired).energy_j * (1 + 1e-9)
    assert a.energy_j >= free.energy_j * (1 - 1e-9)
