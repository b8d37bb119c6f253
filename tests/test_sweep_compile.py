"""A sweep point is exactly `run_compile` on the same inputs (the real compiler, in process)."""

from __future__ import annotations

import copy

from lightcode.experiments.point import compile_point
from lightcode.experiments.spec import parse_spec
from lightcode.experiments.store import Store
from lightcode.experiments.sweep import run_sweep
from lightcode.pipeline.compile import run_compile


def _stable(d: dict) -> dict:
    """Drop wall-clock fields (they differ run to run)."""
    d = copy.deepcopy(d)
    d.pop("timing_s", None)
    d["solver"].pop("time_s", None)
    for per_obj in (d.get("heuristics") or {}).values():
        for h in per_obj.values():
            h.pop("time_s", None)
    return d


def test_point_equals_run_compile(tmp_path):
    spec = parse_spec({"models": ["gpt2"], "seq_lens": [32], "systems": ["h100+ddot-b-4bit"],
                       "objectives": ["energy"], "time_limit_s": 5})
    run_sweep(spec, tmp_path / "r.sqlite", workers=0, progress=False)
    with Store(tmp_path / "r.sqlite") as st:
        (row,) = list(st.rows(spec.spec_hash))
    assert row["status"] == "ok"
    direct = run_compile("gpt2", system="h100+ddot-b-4bit", seq_len=32, objective="energy", time_limit_s=5).to_json_dict()
    assert _stable(row["result"]) == _stable(direct)


def test_override_point_changes_the_unit():
    base = {"model": "gpt2", "phase": "prefill", "seq_len": 32, "context": None, "batch": 1,
            "system": "h100+ptu-lightcode", "corner": None, "objective": "energy", "time_limit_s": 5}
    slow = compile_point({**base, "overrides": {"ptu-lightcode.multiplex": 1}})
    fast = compile_point({**base, "overrides": {"ptu-lightcode.multiplex": 20}})
    assert slow["system"] == fast["system"] == "h100+ptu-lightcode"
    # the authors' mapping (path-search) runs on the PTU, whose time falls with the multiplex factor
    assert slow["heuristics"]["energy"]["path-search"]["latency_s"] > fast["heuristics"]["energy"]["path-search"]["latency_s"]
