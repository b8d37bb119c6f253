"""Side budgets (an additive cost per op and realization, e.g. an accuracy loss, under a budget): the exact
selector against brute force on small random graphs."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compile_fakes import assert_exact_equals_brute_force, random_instance
from lightcode.errors import BadInputError, InfeasibleError
from lightcode.select import Constraints, Status, select
from lightcode.stack.stacked import StackedGraph
from test_select_exact import SETTINGS


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
        a = assert_exact_equals_brute_force(sg, objective, c)
        assert c.side_total("loss", a.choice) <= c.side_budgets["loss"]


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
