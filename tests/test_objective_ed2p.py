"""ED²P (energy × latency²): the exact selector against brute force on small random graphs (the objective is
one class in core/selection.py; this is its test)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compile_fakes import assert_exact_equals_brute_force, random_instance
from lightcode.sim.simulate import simulate
from lightcode.stack.stacked import StackedGraph
from test_select_exact import SETTINGS


@SETTINGS
@given(seed=st.integers(0, 10**6), n_ops=st.integers(2, 5))
def test_ed2p_equals_brute_force(seed, n_ops):
    g, system = random_instance(random.Random(seed), n_ops, 3, max_real=3, static=True, slots=2)
    sg = StackedGraph(g, system)
    a = assert_exact_equals_brute_force(sg, "ed2p")
    sim = simulate(sg, a)
    assert sim.energy_j * sim.latency_s ** 2 == pytest.approx(a.objective_value, rel=1e-6, abs=0.0)  # E·T²
