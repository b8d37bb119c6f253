"""`reproduce lightcode-2025` end to end on an injected point function (the report machinery), and the
real compiler on one point once it exists."""

from __future__ import annotations

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
    again = reproduce("lightcode-2025", tmp_path, quick=True, workers=0, progress=False, point_fn=repro_fake_point)
    assert again.read_text().split("## Why")[0].split("\n", 3)[3] == text.split("## Why")[0].split("\n", 3)[3]


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
