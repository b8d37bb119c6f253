"""Simulator invariants on random small stacked graphs, random assignments and random priorities."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compile_fakes import random_instance
from lightcode.core.selection import Assignment, Objective, Status
from lightcode.report.trace import trace_events, validate_trace
from lightcode.sim.schedule import LINK_CAPACITY, link_share
from lightcode.sim.simulate import simulate
from lightcode.stack.stacked import StackedGraph


def _random_assignment(rng: random.Random, sg: StackedGraph, with_priority: bool) -> Assignment:
    choice = tuple(rng.randrange(len(reals)) for reals in sg.realizations)
    units = sg.units_of(choice)
    starts = tuple(rng.random() for _ in units) if with_priority else None
    return Assignment(units=units, choice=choice, method="test", objective=Objective.LATENCY, status=Status.FEASIBLE,
                      objective_value=None, bound=None, gap=None, solve_time_s=0.0, op_start_s=starts)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), n_ops=st.integers(1, 14), static=st.booleans(), prio=st.booleans())
def test_schedule_and_energy_invariants(seed, n_ops, static, prio):
    rng = random.Random(seed)
    g, system = random_instance(rng, n_ops, 3, static=static, slots=rng.choice([1, 2, 3]), max_variants=2,
                                p_link=0.5)
    sg = StackedGraph(g, system)
    a = _random_assignment(rng, sg, prio)
    sim = simulate(sg, a)
    sch = sim.schedule
    ops_ev = [ev for ev in sch.events if ev.kind == "op"]
    # every op scheduled exactly once, on its assigned unit, for its realization's latency
    assert sorted(ev.index for ev in ops_ev) == list(range(n_ops))
    for ev in ops_ev:
        assert ev.resource == a.units[ev.index]
        r = sg.realizations[ev.index][a.choice[ev.index]]
        assert ev.end_s - ev.start_s == pytest.approx(r.cost.latency_s)
    # no op before its inputs arrive (through a transfer on a link when the units differ)
    for k, e in enumerate(sg.edges):
        if k in sch.transfer_event:
            tr = sch.events[sch.transfer_event[k]]
            if e.src is not None:
                assert tr.start_s >= sch.op_end(e.src) - 1e-15
            if e.dst is not None:
                assert sch.op_start(e.dst) >= tr.end_s - 1e-15
            assert tr.end_s <= sim.latency_s + 1e-15
        elif e.src is not None and e.dst is not None:
            assert sch.op_start(e.dst) >= sch.op_end(e.src) - 1e-15
    # no unit or link over capacity: per core no overlap, and core indices within the slots
    by_core: dict = {}
    for ev in sch.events:
        cap = sg.unit(ev.resource).slots if ev.resource in sg.units else 1
        assert 0 <= ev.core < cap
        by_core.setdefault((ev.resource, ev.core), []).append((ev.start_s, ev.end_s))
    for spans in by_core.values():
        spans.sort()
        for (s0, e0), (s1, e1) in zip(spans, spans[1:]):
            assert s1 >= e0 - 1e-15
    # no link over its capacity: transfers take all of it, streaming ops (link_demand) their share
    use: dict = {}
    for ev in sch.events:
        if ev.kind == "transfer":
            use.setdefault(ev.resource, []).append((ev.start_s, ev.end_s, LINK_CAPACITY))
        else:
            for link, d in sg.realizations[ev.index][a.choice[ev.index]].link_demand.items():
                if ev.end_s > ev.start_s:
                    use.setdefault(link, []).append((ev.start_s, ev.end_s, link_share(d)))
    for ivs in use.values():
        for p, _, _ in ivs:
            assert sum(q for s0, e0, q in ivs if s0 <= p < e0) <= LINK_CAPACITY
    # the energy breakdown sums to the total; static power over the makespan for the used units only
    assert sum(sim.energy_breakdown_j.values()) == pytest.approx(sim.energy_j, rel=1e-12, abs=1e-18)
    static = sum(sg.unit(u).static_power_w for u in set(a.units)) * sim.latency_s
    assert sim.energy_breakdown_j["static"] == pytest.approx(static, rel=1e-12, abs=1e-18)
    assert sum(sim.energy_by_unit_j.values()) == pytest.approx(sim.energy_j, rel=1e-12, abs=1e-18)
    assert sum(sim.ops_by_unit.values()) == n_ops
    # same input -> identical JSON; the trace is valid
    again = simulate(sg, a)
    assert json.dumps(sim.to_json_dict(), sort_keys=True) == json.dumps(again.to_json_dict(), sort_keys=True)
    validate_trace(trace_events(sg, sim))


def test_trace_validator_rejects_bad_events():
    with pytest.raises(ValueError):
        validate_trace({"traceEvents": [{"ph": "X", "name": "a", "pid": 1, "tid": 0, "ts": 0.0}]})
    with pytest.raises(ValueError):
        validate_trace({"events": []})
    with pytest.raises(ValueError, match="integers"):
        validate_trace({"traceEvents": [{"ph": "X", "name": "a", "pid": "1", "tid": 0, "ts": 0.0, "dur": 1.0}]})
    named = [{"ph": "M", "name": "process_name", "pid": 1, "tid": 0, "args": {"name": "gpu"}},
             {"ph": "M", "name": "thread_name", "pid": 1, "tid": 0, "args": {"name": "core 0"}}]
    validate_trace({"traceEvents": named + [{"ph": "X", "name": "a", "pid": 1, "tid": 0, "ts": 0, "dur": 1.5}]})
    with pytest.raises(ValueError, match="names"):  # a track no metadata names
        validate_trace({"traceEvents": named + [{"ph": "X", "name": "a", "pid": 1, "tid": 1, "ts": 0, "dur": 1}]})
    with pytest.raises(ValueError, match="negative"):
        validate_trace({"traceEvents": named + [{"ph": "X", "name": "a", "pid": 1, "tid": 0, "ts": 0, "dur": -1}]})
