"""`lightcode compile llama2-7b --seq-len 2048 --out DIR`: every mapping's trace and timeline, the
latency–energy figure and a self-contained report.html, rendered in headless Chromium with no console
errors and every figure present."""

from __future__ import annotations

import json
import re

import pytest

from browser_support import browser, save_screenshot, serve

pytestmark = pytest.mark.browser

FIGURES = ("latency_energy", "energy", "timeline-all-electronic", "timeline-latency", "timeline-energy")


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    import sys

    from lightcode import cli

    out = tmp_path_factory.mktemp("compile") / "run"
    argv, sys.argv = sys.argv, ["lightcode", "compile", "llama2-7b", "--seq-len", "2048", "--out", str(out)]
    code = 0
    try:
        cli.main()
    except SystemExit as e:
        code = e.code
    finally:
        sys.argv = argv
    assert code in (0, None)
    return out


def test_compile_out_writes_every_mapping(out_dir):
    for f in ("report.html", "report.json", "latency_energy.png", "energy.png", "trace.json", "timeline.png"):
        assert (out_dir / f).stat().st_size > 0, f
    for name in ("all-electronic", "latency", "energy"):
        assert (out_dir / f"trace-{name}.json").stat().st_size > 0
        assert (out_dir / f"timeline-{name}.png").stat().st_size > 0
    rep = json.loads((out_dir / "report.json").read_text())
    prov = rep["provenance"]
    assert prov["lightcode_version"] and prov["argv"][1:3] == ["compile", "llama2-7b"]
    assert prov["corner"] == "baseline" and prov["dtype"] == "fp16" and prov["time_limit_s"] == 10.0
    assert set(prov["system_files_sha256"]) == {"h100+ddot-b-4bit.yaml", "h100-sxm.yaml", "ddot-b-4bit.yaml"}
    # every mapping accounts for every op; with the photonic lasers always on (issue 13 item 4) and the measured
    # GPU power (clocked idle while waiting, docs/references/gpu_power.md) the default prefill energy optimum may
    # keep every op on the GPU, but it never loses to all-electronic, and the report states the GPU power state
    for m in rep["comparison"].values():
        assert sum(m["ops_by_unit"].values()) == rep["result"]["ops_total"]
    en, ae = rep["comparison"]["energy"], rep["comparison"]["all-electronic"]
    assert en["energy_j"] <= ae["energy_j"] * (1 + 1e-9)
    assert rep["gpu_operation"]["gpu_wait_state"]["value"] == "clocked_idle"
    html = (out_dir / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html) and "<script" not in html  # self-contained


def test_report_html_renders_in_chromium(out_dir, tmp_path):
    with serve(out_dir) as url, browser(tmp_path) as (page, console):
        page.goto(f"{url}/report.html")
        page.wait_for_load_state("load")
        figs = page.evaluate("""() => Array.from(document.querySelectorAll('figure[data-figure]')).map(f => {
            const g = f.querySelector('svg, img'); const r = g ? g.getBoundingClientRect() : {width: 0, height: 0};
            return [f.dataset.figure, Math.round(r.width), Math.round(r.height)]; })""")
        text = page.inner_text("body")
        save_screenshot(page, "report-html", full_page=True)
    errors = [m for m in console if m[0] in ("error", "pageerror")]
    assert errors == [], errors
    got = {k: (w, h) for k, w, h in figs}
    assert set(got) == set(FIGURES)
    assert all(w > 200 and h > 100 for w, h in got.values()), got
    for needle in ("Key numbers", "energy-optimal", "Assumptions", "precision policy", "parity (floor W4A4", "Provenance",
                   "system_files_sha256", "ddot-b-4bit", "Why not chosen: the latency-optimal mapping", "own costs"):
        assert needle in text, needle
