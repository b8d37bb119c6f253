"""The trace's own invariants, without a browser: integer-ns events that never overlap on one track (the
cause of Perfetto's dropped events), flows that pair, counters whose cumulative energy ends at the total."""

from __future__ import annotations

import json

import pytest

import lightcode as lc
from lightcode.report.trace import ns, power_profile, trace_events, validate_trace, write_trace


@pytest.fixture(scope="module")
def hybrid():
    return lc.compile(lc.capture("gpt2", seq_len=64), system="h100+ddot-b-4bit", objective="energy",
                      heuristics=False)


def _spans(obj):
    by: dict = {}
    for e in obj["traceEvents"]:
        if e["ph"] == "X":
            s = round(e["ts"] * 1000)
            by.setdefault((e["pid"], e["tid"]), []).append((s, s + round(e["dur"] * 1000)))
    return by


def test_no_same_track_overlap_after_ns_rounding(hybrid, tmp_path):
    obj = json.loads(write_trace(hybrid.stacked, hybrid.sim, tmp_path / "t.json").read_text())
    spans = _spans(obj)
    assert sum(map(len, spans.values())) == len(hybrid.sim.schedule.events)
    for track, items in spans.items():
        items.sort()
        for (_s0, e0), (s1, _e1) in zip(items, items[1:]):
            assert s1 >= e0, f"overlap on {track}"
    # what Perfetto's importer reads (µs double × 1000, truncated) lands on the same integer ns
    for e in obj["traceEvents"]:
        if e["ph"] == "X":
            assert int(e["ts"] * 1000 + 1e-6) == round(e["ts"] * 1000)


def test_validate_rejects_a_one_ns_overlap():
    """What Perfetto drops, the validator refuses (so the test above can fail): an event that starts 1 ns
    before its neighbour on the same thread ends."""
    obj = {"traceEvents": [
        {"ph": "M", "name": "process_name", "pid": 1, "tid": 0, "args": {"name": "u"}},
        {"ph": "M", "name": "thread_name", "pid": 1, "tid": 0, "args": {"name": "core 0"}},
        {"ph": "X", "name": "a", "pid": 1, "tid": 0, "ts": 1.0, "dur": 1.001},
        {"ph": "X", "name": "b", "pid": 1, "tid": 0, "ts": 2.0, "dur": 1.0}]}
    with pytest.raises(ValueError, match="overlap"):
        validate_trace(obj)
    obj["traceEvents"][2]["dur"] = 1.0
    validate_trace(obj)


def test_ns_quantisation_of_back_to_back_float_times():
    """Float end times equal the next start, but their separately rounded µs start + duration would not."""
    starts = [k * 0.6e-9 for k in range(50)]  # 0.6 ns apart: start and duration both round up
    ends = starts[1:]
    old = [(round(s * 1e9), round(s * 1e9) + round((e - s) * 1e9)) for s, e in zip(starts, ends)]
    assert any(b[0] < a[1] for a, b in zip(old, old[1:]))  # the old encoding overlaps somewhere
    new = [(ns(s), ns(e)) for s, e in zip(starts, ends)]
    assert all(b[0] >= a[1] for a, b in zip(new, new[1:]))


def test_layout_flows_counters_and_energy_args(hybrid):
    r = hybrid
    obj = trace_events(r.stacked, r.sim, name="energy")
    validate_trace(obj)
    evs = obj["traceEvents"]
    xs = [e for e in evs if e["ph"] == "X"]
    for e in xs:  # per-component energy in args sums to the event's total
        assert sum(e["args"]["energy_J"].values()) == pytest.approx(e["args"]["energy_total_J"], rel=1e-9)
    n_transfer = sum(e["cat"] == "transfer" for e in xs)
    assert n_transfer == len(r.sim.schedule.transfer_event) > 0
    flows = [e for e in evs if e["ph"] in ("s", "f")]
    assert obj["otherData"]["flows"] * 2 == len(flows) > 0
    # every flow end binds inside a slice on its own track
    spans = _spans(obj)
    for e in flows:
        t = round(e["ts"] * 1000)
        assert any(s <= t < end for s, end in spans[(e["pid"], e["tid"])])
    cum = [e["args"]["cumulative J"] for e in evs if e["ph"] == "C" and e["name"] == "energy"]
    assert cum == sorted(cum) and cum[-1] == pytest.approx(r.energy_j, rel=1e-6)
    times, power, cum2 = power_profile(r.stacked, r.sim)
    assert times[-1] == ns(r.latency_s) and set(power) >= set(r.stacked.units)
    unit_pids = {e["pid"] for e in evs if e["name"] == "process_name" and e["args"]["name"] in r.stacked.units}
    assert {e["pid"] for e in evs if e["ph"] == "C" and e["name"] == "power"} >= unit_pids
