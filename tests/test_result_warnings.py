"""Warnings that change a result's assumptions travel with it: `compile --json`, report.json and report.html
all list the missing-corner warning (core/warn.py), and a second compile in the same process (loaders cached,
the warning already said once) still carries it."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from lightcode.core import warn

SYSTEM = "h100+ddot-b-4bit"  # h100-sxm.yaml defines no corners: asking for one falls back to its baseline
LACKS = "unit h100-sxm"


@pytest.fixture(autouse=True)
def _library_only(monkeypatch):
    monkeypatch.delenv("LIGHTCODE_HARDWARE_PATH", raising=False)


class _Warnings(HTMLParser):
    """The text of every `<div class="warn">` of a report."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in = False

    def handle_starttag(self, tag, attrs):
        if tag == "div" and ("class", "warn") in attrs:
            self._in = True
            self.found.append("")

    def handle_endtag(self, tag):
        if tag == "div":
            self._in = False

    def handle_data(self, data):
        if self._in:
            self.found[-1] += data


def _missing(ws, corner):
    return [w for w in ws if w.startswith(LACKS) and f"defines no {corner!r} corner" in w]


def test_missing_corner_warning_is_in_json_report_json_and_html(run_cli, tmp_path):
    warn.reset()  # stderr's once-per-process memory starts empty (an earlier test may have said it)
    out = tmp_path / "rep"
    code, stdout, err = run_cli("compile", "gpt2", "--system", SYSTEM, "--seq-len", "8", "--objective", "latency",
                                "--no-heuristics", "--corners", "all", "--json", "--out", str(out))
    assert code == 0, err
    js = json.loads(stdout)
    rep = json.loads((out / "report.json").read_text())
    parser = _Warnings()
    parser.feed((out / "report.html").read_text(encoding="utf-8"))
    html_ws = [w.removeprefix("warning: ") for w in parser.found]
    for corner in ("conservative", "aggressive"):
        assert len(_missing(js["warnings"], corner)) == 1, js["warnings"]
        assert _missing(rep["warnings"], corner) == _missing(js["warnings"], corner)
        assert _missing(html_ws, corner) == _missing(js["warnings"], corner)
    assert err.count("defines no 'aggressive' corner") == 1  # stderr still says it once
    warn.reset()


def test_a_second_compile_still_carries_the_warning_and_a_clean_one_has_none():
    from lightcode.pipeline.compile import run_compile

    kw = dict(system=SYSTEM, seq_len=8, objective="latency", heuristics=False)
    first = run_compile("gpt2", corner="aggressive", **kw)
    again = run_compile("gpt2", corner="aggressive", **kw)  # system cached, message already said: still there
    assert _missing(first.warnings, "aggressive") and _missing(again.warnings, "aggressive") == _missing(
        first.warnings, "aggressive")
    clean = run_compile("gpt2", corner="baseline", **kw)
    assert clean.to_json_dict()["warnings"] == []  # always a list; nothing leaks from the compiles before


def test_collecting_nests_and_remembers_warnings_replays_on_a_hit():
    warn.reset()
    calls = []

    @warn.remembers_warnings(4)
    def load(x):
        calls.append(x)
        warn.warn_once(f"load {x}")
        return x * 2

    with pytest.warns(warn.LightcodeWarning):
        with warn.collecting() as outer:
            assert load(1) == 2
            with warn.collecting() as inner:
                assert load(1) == 2  # a cache hit: fn not called, its warning said again to the collectors
                warn.warn_once("inner only")
    assert calls == [1] and outer == ["load 1", "inner only"] and inner == ["load 1", "inner only"]
    with warn.collecting() as later:
        load(1)
    assert later == ["load 1"]
    load.cache_clear()
    load(1)
    assert calls == [1, 1]
    warn.reset()


def test_an_area_compile_called_directly_keeps_its_systems_load_warnings():
    from lightcode.pipeline.compile import compile_within_area

    r = compile_within_area("gpt2", system=SYSTEM, area_budget_m2=1.0, corner="aggressive", seq_len=8,
                            objective="latency", heuristics=False).result  # 1 m²: every unit fits
    assert len(_missing(r.warnings, "aggressive")) == 1, r.warnings


def test_collecting_is_per_thread():
    """A compile on another thread (a sweep worker's) does not collect this thread's warnings."""
    import threading

    from lightcode.core import warn

    seen: list[list[str]] = []

    def other() -> None:
        with warn.collecting() as said:
            barrier.wait()
            barrier.wait()
        seen.append(said)

    barrier = threading.Barrier(2)
    t = threading.Thread(target=other)
    t.start()
    with warn.collecting() as mine:
        barrier.wait()
        warn.warn_once("only this thread's compile assumed this")
        barrier.wait()
    t.join()
    assert mine == ["only this thread's compile assumed this"] and seen == [[]]


def test_a_system_loaded_before_the_compile_still_gives_its_load_warnings():
    """lc.load_system(…) in one cell, lc.compile(…, system=obj) in the next: the result still says what the
    system's units lack at the corner asked for."""
    from lightcode.core import warn
    from lightcode.hardware.load import clear_caches, load_system
    from lightcode.pipeline.compile import run_compile

    clear_caches()
    warn.reset()
    sysm = load_system("h100+ddot-b-4bit", corner="aggressive")  # h100-sxm has no aggressive corner
    assert any("aggressive" in m for m in sysm.load_warnings)
    res = run_compile("gpt2", system=sysm, seq_len=16, corner="aggressive", objective="latency")
    assert set(sysm.load_warnings) <= set(res.warnings)
