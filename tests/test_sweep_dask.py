"""The Dask path: SIGKILL mid-sweep then re-run loses and duplicates nothing; a dying worker or a
crashing point costs only that point."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from lightcode.experiments.spec import parse_spec
from lightcode.experiments.sweep import run_sweep
from sweep_fakes import flaky_point

TESTS = Path(__file__).parent
SPEC = """name: resume
models: [gpt2]
seq_lens: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
systems: [h100, a100]
objectives: [latency]
"""


def _rows(db: Path) -> list[tuple]:
    try:
        with sqlite3.connect(db) as c:
            return c.execute("SELECT point_key, status, finished_at FROM points").fetchall()
    except sqlite3.OperationalError:  # the sweep has created the file but not yet its tables
        return []


def _sweep_cmd(spec: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "lightcode", "sweep", str(spec), "--db", str(db), "--workers", "1",
            "--point", "sweep_fakes:fake_point"]


def test_sigkill_then_rerun_loses_and_duplicates_nothing(tmp_path):
    spec, db = tmp_path / "s.yaml", tmp_path / "r.sqlite"
    spec.write_text(SPEC)
    env = {**os.environ, "PYTHONPATH": f"{TESTS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "LC_FAKE_POINT_DELAY_S": "0.3"}
    # own session: SIGKILL reaches the client and its LocalCluster processes alike
    proc = subprocess.Popen(_sweep_cmd(spec, db), env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 180  # generous: cluster start on a loaded 2-core machine
    try:
        while time.time() < deadline and proc.poll() is None:
            if db.exists() and len(_rows(db)) >= 5:
                break
            time.sleep(0.1)
        assert proc.poll() is None, f"sweep ended before it could be killed: {proc.stderr.read().decode()[-500:]}"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    before = {k: t for k, _, t in _rows(db)}
    assert 5 <= len(before) < 24
    env["LC_FAKE_POINT_DELAY_S"] = "0"
    r = subprocess.run(_sweep_cmd(spec, db), env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    after = _rows(db)
    expected = {p.key for p in parse_spec(__import__("yaml").safe_load(SPEC), check_names=False).points()}
    assert len(after) == 24 and {k for k, _, _ in after} == expected
    assert all(s == "ok" for _, s, _ in after)
    # the points finished before the kill were kept, not recomputed
    assert all(dict((k, t) for k, _, t in after)[k] == t for k, t in before.items())


def test_dask_worker_death_and_crash_cost_only_their_point(tmp_path, monkeypatch):
    monkeypatch.setenv("LC_FAKE_DIE_DIR", str(tmp_path))
    s = parse_spec({"models": ["gpt2"], "seq_lens": [8, 16], "systems": ["a", "die", "crash", "infeasible"],
                    "objectives": ["latency"]}, check_names=False)
    summary = run_sweep(s, tmp_path / "r.sqlite", point_fn=flaky_point, workers=2, retries=1, progress=False)
    assert (summary.ran, summary.ok, summary.errors) == (8, 4, 4)
    with sqlite3.connect(tmp_path / "r.sqlite") as c:
        got = dict(c.execute("SELECT json_extract(params, '$.system') || json_extract(params, '$.seq_len'), "
                             "coalesce(error_type, status) FROM points").fetchall())
    assert got == {"a8": "ok", "a16": "ok", "die8": "ok", "die16": "ok", "crash8": "RuntimeError",
                   "crash16": "RuntimeError", "infeasible8": "InfeasibleError", "infeasible16": "InfeasibleError"}
    assert len(list(tmp_path.glob("died-*"))) == 2  # each 'die' point really killed a worker once
