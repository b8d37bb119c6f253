"""ED²P (energy × latency²): the exact selector against brute force on small random graphs (the objective is
one class in core/selection.py; this is its test)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compile_fakes import random_instance
from lightcode.select import Status, select
from lightcode.sim.simulate import simulate
from lightcode.stack.stacked import StackedGraph
from test_select_exact import SETTINGS, brute_force


@SETTINGS
@given(seed=st.integers(0, 10**6), n_ops=st.integers(2, 5))
def test_ed2p_equals_brute_force(seed, n_ops):
    g, system = random_instance(random.Random(seed), n_ops, 3, max_real=3, static=True, slots=2)
    sg = StackedGraph(g, system)
    a = select(sg, "ed2p", time_limit_s=20)
    assert a.status == Status.OPTIMAL
    bf = brute_force(sg, "ed2p")
    assert a.objective_value == pytest.approx(bf, rel=1e-6)
    sim = simulate(sg, a)
    assert sim.energy_j * sim.latency_s ** 2 == pytest.approx(bf, rel=1e-6)
