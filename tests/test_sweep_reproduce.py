"""`reproduce lightcode-2025` end to end on an injected point function (the report machinery), and the
real compiler on one point once it exists."""

from __future__ import annotations

import json
import warnings

import pytest

from lightcode.errors import BadInputError
from lightcode.experiments.reproduce import reproduce
from sweep_fakes import repro_fake_point


def test_reproduce_quick_writes_report_and_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("LIGHTCODE_CACHE_DIR", str(tmp_path / "cache"))
    path = reproduce("lightcode-2025", tmp_path, quick=True, workers=0, progress=False, point_fn=repro_fake_point)
    text = path.read_text()
    assert ("| paper's claim | ours, authors' constants | ours, fuller physics, native formats | "
            "ours, fuller physics, precision parity |") in text
    assert all(text.count(f"\n| ({c}) ") == 1 for c in ("i", "ii", "iii"))
    assert "n/a" not in text.split("## Why")[0]
    # the authors' one published run (their numbers from papers/lightcode-2025.yaml) faced with ours
    assert "\n| (repo) gpt2 prefill S=50, energy objective: 43.08 mJ total, makespan 49.84 ms, 73/73 GEMMs" in text
    assert "## The authors' one published run" in text
    # the fake's energy-optimal mapping saves 40 % at every length ≥ 64
    assert "**gpt2** S=1024: energy-optimal saves 40.0 % (4/10 ops on the PTU" in text
    for fig in ("e1_energy_vs_length.png", "e2_latency_vs_multiplexing.png", "e3_mappings.png"):
        assert (tmp_path / fig).stat().st_size > 10_000
    prov = json.loads((tmp_path / "reproduction.json").read_text())["provenance"]
    assert f"model fingerprint `{prov['model_fingerprint']}`" in text.splitlines()[2] and prov["recomputed"] == 0
    again = reproduce("lightcode-2025", tmp_path, quick=True, workers=0, progress=False, point_fn=repro_fake_point)
    assert again.read_text().split("## Why")[0].split("\n", 3)[3] == text.split("## Why")[0].split("\n", 3)[3]
    assert json.loads((tmp_path / "reproduction.json").read_text())["provenance"] == prov  # resumed: same model

    # another model (code or hardware files changed): every stored point is computed again, through the CLI
    from typer.testing import CliRunner

    from lightcode.cli import app
    from lightcode.experiments import fingerprint
    from lightcode.experiments import reproduce as rep

    real = rep.reproduce
    monkeypatch.setattr(fingerprint, "model_fingerprint", lambda system: f"new-{system}")
    monkeypatch.setattr(rep, "reproduce", lambda *a, **kw: real(*a, **{**kw, "workers": 0, "progress": False,
                                                                     "point_fn": repro_fake_point}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = CliRunner().invoke(app, ["reproduce", "lightcode-2025", "--quick", "--out", str(tmp_path), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout.splitlines()[-1])
    assert out["model_fingerprints"] == {s: f"new-{s}" for s in prov["model_fingerprints"]}
    n = len(sqlite_rows(tmp_path / "reproduce.sqlite"))
    assert out["recomputed"] == n
    said = [w for w in caught if "stored points" in str(w.message)]  # one line for the six sweeps
    assert len(said) == 1 and str(said[0].message).startswith(f"reproduce lightcode-2025: {n} stored points were "
                                                              f"computed under another model")
    assert f"model fingerprint `{out['model_fingerprint']}`" in path.read_text().splitlines()[2]


def sqlite_rows(db):
    import sqlite3

    with sqlite3.connect(db) as c:
        return c.execute("SELECT point_key FROM points").fetchall()


def test_unknown_paper():
    with pytest.raises(BadInputError, match="unknown paper"):
        reproduce("lightcode-2031", None, quick=True)


def test_paper_single_run_in_si():
    from lightcode.experiments.reproduce import load_single_run

    one = load_single_run()
    assert (one.model, one.seq_len, one.objective) == ("gpt2", 50, "energy")
    assert one.energy_j == pytest.approx(43.079811496e-3) and one.makespan_s == pytest.approx(49.84e-3)
    assert (one.ptu_gemms, one.ptu_capable_gemms) == (73, 73)
    assert one.weight_memory_node_j == pytest.approx(200e-12) and one.gpu_mac_j == pytest.approx(0.1e-12)
