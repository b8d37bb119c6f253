"""The model fingerprint (experiments/fingerprint.py) in the result store: a point stored under another
model (code or hardware files) is computed again, one stored under this one is skipped as before, and a
database from before the fingerprint column still opens."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from lightcode.core import warn
from lightcode.core.warn import LightcodeWarning
from lightcode.experiments import fingerprint
from lightcode.experiments.spec import parse_spec
from lightcode.experiments.store import Store
from lightcode.experiments.sweep import pending_points, run_sweep
from lightcode.hardware.search_path import LIBRARY
from sweep_fakes import fake_point

TESTS = Path(__file__).parent


def small_spec(name: str, **kw):
    base = {"name": name, "models": ["gpt2"], "seq_lens": [8, 16, 32], "systems": ["a", "infeasible"],
            "objectives": ["latency", "energy"]}
    base.update(kw)
    return parse_spec(base, check_names=False)


@pytest.fixture(autouse=True)
def _fresh_warnings():
    warn.reset()  # each test sees its own warnings, whatever an earlier test said
    yield
    warn.reset()


def _user_copy(tmp_path: Path, monkeypatch, kind: str, name: str) -> Path:
    """A copy of a library file on LIGHTCODE_HARDWARE_PATH (it hides the library's)."""
    (tmp_path / "hw" / kind).mkdir(parents=True)
    p = tmp_path / "hw" / kind / f"{name}.yaml"
    shutil.copy(LIBRARY / kind / f"{name}.yaml", p)
    monkeypatch.setenv("LIGHTCODE_HARDWARE_PATH", str(tmp_path / "hw"))
    return p


def test_fingerprint_follows_file_content_not_paths_or_times(tmp_path, monkeypatch):
    monkeypatch.delenv("LIGHTCODE_HARDWARE_PATH", raising=False)
    system = "h100+ptu-lightcode"
    lib = fingerprint.model_fingerprint(system)
    assert len(lib) == fingerprint.DIGITS and lib == fingerprint.model_fingerprint(system)
    assert lib != fingerprint.model_fingerprint("h100+ddot-b-4bit")
    files = fingerprint.hardware_files(system)
    assert [f.name for f in files] == ["h100+ptu-lightcode.yaml", "h100-sxm.yaml", "ptu-lightcode.yaml", "floors.yaml"]
    unit = _user_copy(tmp_path, monkeypatch, "units", "ptu-lightcode")
    with pytest.warns(LightcodeWarning, match="hides"):
        assert fingerprint.model_fingerprint(system) == lib  # the same content under another path: same model
    assert fingerprint.hardware_files(system)[2] == unit.resolve()  # the loader (cached) sees the new file at once
    text = unit.read_text()
    unit.write_text(text.replace('mac_energy: {value: "0.04 pJ"', 'mac_energy: {value: "4 pJ"'))
    edited = fingerprint.model_fingerprint(system)
    assert edited != lib
    unit.write_text(text)  # back to the library's content (a newer modification time)
    assert fingerprint.model_fingerprint(system) == lib
    # a system that does not load is fingerprinted by why, not an exception
    assert fingerprint.model_fingerprint("no-such-system") != fingerprint.model_fingerprint(str(tmp_path / "x.yaml"))
    assert fingerprint.combined({system: lib}) == lib
    assert fingerprint.combined({system: lib, "b": edited}) not in (lib, edited)


def test_store_replaces_a_row_of_another_fingerprint_only(tmp_path):
    with Store(tmp_path / "r.sqlite") as st:
        assert st.record("h", "k1", {"x": 1}, status="ok", result={"a": 1}, model_fp="A")
        assert not st.record("h", "k1", {"x": 1}, status="ok", result={"a": 9}, model_fp="A")  # a late duplicate
        assert st.finished("h") == {"k1": "A"}
        assert st.record("h", "k1", {"x": 1}, status="ok", result={"a": 2}, model_fp="B")  # a stale row replaced
        assert st.finished("h") == {"k1": "B"}
        (row,) = st.rows("h")
        assert row["result"] == {"a": 2} and row["model_fp"] == "B"


def test_point_of_another_model_is_recomputed_same_model_skipped(tmp_path, monkeypatch):
    db = tmp_path / "r.sqlite"
    s = small_spec("fp-recompute")
    first = run_sweep(s, db, point_fn=fake_point, workers=0, progress=False)
    assert (first.ran, first.recomputed) == (12, 0)
    assert set(first.model_fingerprints) == {"a", "infeasible"}
    again = run_sweep(s, db, point_fn=fake_point, workers=0, progress=False)
    assert (again.skipped, again.ran, again.recomputed) == (12, 0, 0)  # same model: resumed as before
    assert again.model_fingerprint == first.model_fingerprint
    with Store(db) as st:
        before = {r["point_key"]: r["finished_at"] for r in st.rows(s.spec_hash)}
        assert pending_points(st, s).points == 0

    monkeypatch.setattr(fingerprint, "model_fingerprint", lambda system: f"other-{system}")
    with Store(db) as st:
        assert pending_points(st, s)[:3] == (12, 12, 0)
    with pytest.warns(LightcodeWarning, match=r"fp-recompute: 12 stored points were computed under another model "
                                              r"\(code or hardware files changed\): computing them again"):
        changed = run_sweep(s, db, point_fn=fake_point, workers=0, progress=False)
    assert (changed.skipped, changed.ran, changed.recomputed, changed.ok, changed.errors) == (0, 12, 12, 6, 6)
    assert changed.model_fingerprints == {"a": "other-a", "infeasible": "other-infeasible"}
    with Store(db) as st:
        rows = list(st.rows(s.spec_hash))
        assert len(rows) == 12 and st.count(s.spec_hash) == {"ok": 6, "error": 6}  # replaced, not duplicated
        assert {r["model_fp"] for r in rows} == {"other-a", "other-infeasible"}
        assert all(r["finished_at"] > before[r["point_key"]] for r in rows)
    assert run_sweep(s, db, point_fn=fake_point, workers=0, progress=False).skipped == 12


def test_old_schema_store_opens_and_its_points_are_recomputed(tmp_path):
    db = tmp_path / "old.sqlite"
    s = small_spec("fp-old", seq_lens=[8])
    p = s.points()[0]
    with sqlite3.connect(db) as c:  # the points table as stored before the model_fp column
        c.execute("""CREATE TABLE points (id INTEGER PRIMARY KEY, spec_hash TEXT NOT NULL, point_key TEXT NOT NULL,
                     params TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('ok', 'error')), result TEXT,
                     error_type TEXT, error TEXT, retryable INTEGER NOT NULL DEFAULT 0, started_at REAL,
                     finished_at REAL NOT NULL, duration_s REAL, worker TEXT, UNIQUE (spec_hash, point_key))""")
        c.execute("INSERT INTO points (spec_hash, point_key, params, status, result, finished_at) "
                  "VALUES (?, ?, ?, 'ok', ?, 0)", (s.spec_hash, p.key, json.dumps(p.to_dict()), json.dumps({"old": 1})))
    with Store(db) as st:
        assert st.finished(s.spec_hash) == {p.key: None}  # unknown model
    with pytest.warns(LightcodeWarning, match="1 stored before fingerprints"):
        summary = run_sweep(s, db, point_fn=fake_point, workers=0, progress=False)
    assert (summary.ran, summary.recomputed) == (4, 1)
    with Store(db) as st:
        row = next(r for r in st.rows(s.spec_hash) if r["point_key"] == p.key)
    assert row["model_fp"] == summary.model_fingerprints[p.to_dict()["system"]] and "old" not in row["result"]


def test_edited_system_file_recomputes_the_real_compile(tmp_path, monkeypatch):
    """End to end on the real compiler (gpt2, S=16, in process): an edited hardware file changes the stored
    result instead of returning the old one as done."""
    monkeypatch.setenv("LIGHTCODE_CACHE_DIR", str(tmp_path / "cache"))
    system = _user_copy(tmp_path, monkeypatch, "systems", "h100+ptu-lightcode")
    s = parse_spec({"name": "fp-real", "models": ["gpt2"], "seq_lens": [16], "systems": ["h100+ptu-lightcode"],
                    "objectives": ["energy"], "time_limit_s": 5}, check_names=False)
    db = tmp_path / "r.sqlite"
    with pytest.warns(LightcodeWarning, match="hides"):
        assert run_sweep(s, db, workers=0, progress=False).ran == 1
    assert run_sweep(s, db, workers=0, progress=False).skipped == 1
    with Store(db) as st:
        (old,) = st.rows(s.spec_hash)
    hbm = "read_energy: {value: 31.2 pJ/B"
    assert hbm in system.read_text()
    system.write_text(system.read_text().replace(hbm, "read_energy: {value: 312 pJ/B", 1))
    with pytest.warns(LightcodeWarning, match="fp-real: 1 stored points were computed under another model"):
        again = run_sweep(s, db, workers=0, progress=False)
    assert (again.ran, again.recomputed) == (1, 1)
    with Store(db) as st:
        (new,) = st.rows(s.spec_hash)
    assert new["model_fp"] != old["model_fp"]
    def path_search(row):  # the authors' mapping puts ops on the PTU, whose activations cross the HBM
        return row["result"]["heuristics"]["energy"]["path-search"]["energy_j"]

    assert path_search(new) > path_search(old)  # dearer HBM reads
    # a user unit file that comes to hide the library's, in the same process (the loader's cache sees it)
    unit = _user_copy(tmp_path, monkeypatch, "units", "ptu-lightcode")
    unit.write_text(unit.read_text().replace('mac_energy: {value: "0.04 pJ"', 'mac_energy: {value: "4 pJ"'))
    with pytest.warns(LightcodeWarning, match="fp-real: 1 stored points"):
        assert run_sweep(s, db, workers=0, progress=False).recomputed == 1
    with Store(db) as st:
        (third,) = st.rows(s.spec_hash)
    assert path_search(third) > path_search(new)  # dearer MACs on the PTU


def test_sweep_json_names_the_fingerprint(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("name: fp-cli\nmodels: [gpt2]\nseq_lens: [8]\nsystems: [h100]\nobjectives: [latency]\n")
    cmd = [sys.executable, "-m", "lightcode", "sweep", str(spec), "--db", str(tmp_path / "r.sqlite"), "--workers",
           "0", "--point", "sweep_fakes:fake_point", "--json"]
    env = {**os.environ, "PYTHONPATH": f"{TESTS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.pop("LIGHTCODE_HARDWARE_PATH", None)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["model_fingerprints"] == {"h100": fingerprint.model_fingerprint("h100")}
    assert out["model_fingerprint"] == out["model_fingerprints"]["h100"] and out["recomputed"] == 0
    assert len(out["model_fingerprint"]) == fingerprint.DIGITS
