"""Side budgets (an additive cost per op and realization, e.g. an accuracy loss, under a budget): the exact
selector against brute force on small random graphs."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compile_fakes import random_instance
from lightcode.errors import BadInputError, InfeasibleError
from lightcode.select import Constraints, Objective, Status, select
from lightcode.sim.simulate import simulate
from lightcode.stack.stacked import StackedGraph
from test_select_exact import SETTINGS, optimal_makespan


def brute_force(sg: StackedGraph, objective: str, c: Constraints) -> float:
    metric = Objective.parse(objective).metric
    best = math.inf
    for choice in itertools.product(*[range(len(r)) for r in sg.realizations]):
        if not c.side_ok(choice):
            continue
        dyn = sum(r.cost.total_energy_j for r in sg.chosen(choice))
        units = sg.units_of(choice)
        for k, e in enumerate(sg.edges):
            a = sg.host if e.src is None else units[e.src]
            b = sg.host if e.dst is None else units[e.dst]
            if a != b:
                dyn += sg.edge_cost(k, a, b).total_energy_j
        power = sum(sg.unit(u).static_power_w for u in set(units))
        t = optimal_makespan(sg, choice)
        best = min(best, metric(t, dyn + power * t))
    return best


@SETTINGS
@given(seed=st.integers(0, 10**6), n_ops=st.integers(2, 4), static=st.booleans(), frac=st.floats(0.0, 1.0))
def test_side_budget_equals_brute_force(seed, n_ops, static, frac):
    rng = random.Random(seed)
    g, system = random_instance(rng, n_ops, 2, max_real=2, static=static, slots=2, max_variants=2)
    sg = StackedGraph(g, system)
    costs = tuple(tuple(rng.choice([0.0, 0.1, 0.25, 0.7, 1.3]) for _ in r) for r in sg.realizations)
    lo = math.fsum(min(r) for r in costs)
    hi = math.fsum(max(r) for r in costs)
    c = Constraints(side_costs={"loss": costs}, side_budgets={"loss": lo + frac * (hi - lo)})
    for objective in ("latency", "energy", "edp"):
        a = select(sg, objective, c, time_limit_s=20)
        assert a.status == Status.OPTIMAL
        assert c.side_total("loss", a.choice) <= c.side_budgets["loss"]
        bf = brute_force(sg, objective, c)
        assert a.objective_value == pytest.approx(bf, rel=1e-6, abs=1e-12)
        sim = simulate(sg, a)
        assert Objective.parse(objective).metric(sim.latency_s, sim.energy_j) == pytest.approx(bf, rel=1e-6, abs=1e-12)


def test_side_budget_exact_at_the_boundary_and_bad_input():
    """A budget equal to a sum that the integer scale cannot tell from a slightly larger one: the floats
    decide. Too small a budget names the least achievable sum; malformed costs are refused."""
    rng = random.Random(3)
    g, system = random_instance(rng, 4, 2, max_real=2, max_variants=2)
    sg = StackedGraph(g, system)
    free = select(sg, "energy")
    # the unconstrained optimum costs 1 + 1e-12 more than the budget allows; every other choice is free
    costs = tuple(tuple((0.25 + 1e-12 / 4) if j == free.choice[i] else 0.0 for j in range(len(r)))
                  for i, r in enumerate(sg.realizations))
    c = Constraints(side_costs={"loss": costs}, side_budgets={"loss": 1.0})
    a = select(sg, "energy", c)
    assert a.choice != free.choice and c.side_ok(a.choice) and a.status == Status.OPTIMAL
    with pytest.raises(InfeasibleError, match="least achievable sum"):
        select(sg, "energy", Constraints(side_costs={"loss": costs}, side_budgets={"loss": -1.0}))
    with pytest.raises(BadInputError, match="one row per op"):
        select(sg, "energy", Constraints(side_costs={"loss": costs[:-1]}, side_budgets={"loss": 1.0}))
    with pytest.raises(BadInputError, match="no side costs"):
        select(sg, "energy", Constraints(side_budgets={"acc": 1.0}))
