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
    assert "| paper's claim | ours, authors' constants | ours, fuller physics |" in text
    assert all(text.count(f"\n| ({c}) ") == 1 for c in ("i", "ii", "iii"))
    assert "n/a" not in text.split("## Why")[0]
    # the fake's energy-optimal mapping saves 40 % at every length ≥ 64
    assert "**gpt2** S=1024: energy-optimal saves 40.0 % (4/10 ops on the PTU" in text
    for fig in ("e1_energy_vs_length.png", "e2_latency_vs_multiplexing.png", "e3_mappings.png"):
        assert (tmp_path / fig).stat().st_size > 10_000
    again = reproduce("lightcode-2025", tmp_path, quick=True, workers=0, progress=False, point_fn=repro_fake_point)
    assert again.read_text().split("## Why")[0].split("\n", 3)[3] == text.split("## Why")[0].split("\n", 3)[3]


def test_unknown_paper():
    with pytest.raises(BadInputError, match="unknown paper"):
        reproduce("lightcode-2031", None, quick=True)
