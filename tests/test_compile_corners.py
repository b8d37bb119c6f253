"""`compile --corners all`: the request re-solved at each device corner, side by side (pipeline/corners.py)."""

from __future__ import annotations

import pytest

import lightcode as lc
from lightcode.errors import BadInputError
from lightcode.pipeline.compile import run_compile
from lightcode.pipeline.request import CompileRequest


def test_corners_all_reports_every_corner_with_its_own_solve():
    g = lc.capture("gpt2", seq_len=16)
    res = run_compile(g, system="h100+ddot-b-4bit", objective="energy", corner_range="all", heuristics=False)
    block = res.to_json_dict()["corners"]
    rows = block["rows"]
    assert set(rows) == {"conservative", "baseline", "aggressive"} and "assumptions" in block
    # the baseline row is the same solve as a plain compile at the baseline corner
    plain = run_compile(g, system="h100+ddot-b-4bit", objective="energy", corner="baseline", heuristics=False)
    assert rows["baseline"]["energy_j"] == pytest.approx(plain.energy_j)
    for r in rows.values():
        assert r["energy_saving"] == pytest.approx(1 - r["energy_j"] / r["baseline_energy_j"])
        assert r["energy_j"] <= r["baseline_energy_j"] * (1 + 1e-9)  # the energy optimum never loses to all-GPU
    # the conservative corner never costs less energy at the energy optimum; the aggressive one need not beat
    # the baseline: its slow-light MZM (50 fJ but 4.5 dB) asks more of the always-on laser than it saves
    assert max(rows["aggressive"]["energy_j"], rows["baseline"]["energy_j"]) <= rows["conservative"]["energy_j"]
    assert "corners" not in run_compile(g, system="h100+ddot-b-4bit", objective="energy",
                                        heuristics=False).to_json_dict()


def test_corners_rejects_unknown_range():
    with pytest.raises(BadInputError, match="corners"):
        CompileRequest(model="gpt2", corner_range="some")


def test_corners_all_is_shown_in_the_terminal_and_report_html(tmp_path):
    """A no-objective compile: both optima at every corner, in the text table and in report.html."""
    import html.parser

    from rich.console import Console

    from lightcode.report.tables import CORNERS_TITLE, corners_rows, corners_table

    res = run_compile("gpt2", system="h100+ddot-b-4bit", seq_len=16, corner_range="all", heuristics=False,
                      out_dir=tmp_path)
    block = res.to_json_dict()["corners"]
    assert all(set(r["optima"]) == {"latency", "energy"} for r in block["rows"].values())
    header, rows = corners_rows(block)
    assert header[1:] == ["conservative", "baseline", "aggressive"]
    labels = [r[0] for r in rows if r is not None]
    assert "latency-optimal: latency" in labels and "energy-optimal: latency" in labels
    saving = [r for r in rows if r is not None and r[0] == "energy saving"][1]  # the energy optimum's row
    for cell, row in zip(saving[1:], block["rows"].values()):
        assert cell == f"{row['optima']['energy']['energy_saving']:+.1%}"
    console = Console(width=120, record=True)
    console.print(corners_table(block))
    assert "energy-optimal: latency" in console.export_text()

    class Text(html.parser.HTMLParser):
        chunks: list[str] = []

        def handle_data(self, data):
            self.chunks.append(data)

    p = Text()
    p.feed((tmp_path / "report.html").read_text())
    text = " ".join(p.chunks)
    assert CORNERS_TITLE in text and "energy-optimal: latency" in text and "aggressive" in text
