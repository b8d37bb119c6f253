"""CLI consistency (issue 16 item 9) and the compile's "why not chosen" lines (item 8): one SI formatter, the
same flags across commands, the sweep database under --out, --json where it was missing, warnings once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lightcode.core.si import si_quantity


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    from lightcode.core import warn
    from lightcode.hardware.load import clear_caches

    clear_caches()  # a system cached by an earlier test would not re-read its units (nor warn)
    monkeypatch.delenv("LIGHTCODE_HARDWARE_PATH", raising=False)
    warn.reset()
    yield
    warn.reset()


# --- the SI formatter -----------------------------------------------------------------------------------
@pytest.mark.parametrize("value,dim,text", [
    (5e9, "Hz", "5 GHz"), (3.35e12, "B/s", "3.35 TB/s"), (31.2e-12, "J/B", "31.2 pJ/B"), (0.0, "J", "0 J"),
    (0.95, "dB", "0.95 dB"),  # a logarithmic unit takes no prefix ("950 mdB" means nothing)
    (-140.0, "dB/Hz", "-140 dB/Hz"), (0.2, "1", "0.2"), (4.0, "1", "4"), (0.0, "1", "0"),
    (2.5e-9, "m**2", "2.5e-09 m²"),  # a prefix on a squared unit would be squared too: none
    (1000.0, "ohm", "1 kohm"),
])
def test_si_quantity(value, dim, text):
    assert si_quantity(value, dim) == text


def test_parameter_values_print_with_prefixes():
    from lightcode.hardware.load import read_unit

    p = read_unit("h100-sxm").params
    assert p["hbm_bandwidth"].si == "3.35 TB/s" and p["launch_overhead"].si.endswith("µs")


def test_graph_table_uses_prefixes(run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run_cli("graph", "gpt2", "--seq-len", "8")
    assert code == 0
    total = next(ln for ln in out.splitlines() if "total" in ln)
    assert re.search(r"\d FLOP|\d [kMGT]FLOP", total) and re.search(r"\d [kMG]?B\b", total)
    assert "GFLOP" not in out.splitlines()[2]  # no fixed-unit column headers


# --- why not chosen -------------------------------------------------------------------------------------
def test_why_not_chosen_sums_the_best_realization_per_op():
    from lightcode.core.selection import Objective
    from lightcode.pipeline.compile import run_compile
    from lightcode.report.why_not import why_not_chosen, why_not_lines

    r = run_compile("gpt2", system="h100+ddot-b-4bit", seq_len=8, objective="energy", heuristics=False)
    st, choice = r.stacked, r.chosen.sim.choice
    rows = {x["kind"]: x for x in r.to_json_dict()["why_not_chosen"]["kinds"]}
    assert set(rows) == {op.kind for op in st.graph.ops}
    obj = Objective.parse("energy")
    for kind, row in rows.items():
        idx = [i for i, op in enumerate(st.graph.ops) if op.kind == kind]
        assert sum(row["chosen_units"].values()) == row["ops"] == len(idx)
        assert row["chosen_energy_j"] == pytest.approx(sum(st.realizations[i][choice[i]].cost.total_energy_j for i in idx))
        for a in row["alternatives"]:
            u = a["unit"]
            power = st.unit(u).static_power_w
            on_u = [[x for x in st.realizations[i] if x.unit == u] for i in idx]
            assert a["cannot_run"] == sum(1 for xs in on_u if not xs)
            if not a["cannot_run"]:  # each op at its best on u, by the objective's per-op law
                best = sum(min(xs, key=lambda x: obj.op_metric(x.cost, power)).cost.total_energy_j for xs in on_u)
                assert a["energy_j"] == pytest.approx(best)
    assert rows["matmul"]["alternatives"], "the GPU is an alternative for the photonic unit's matmuls or vice versa"
    lines = why_not_lines(why_not_chosen(st, choice, "energy"))
    assert any(ln.startswith("matmul: ") and "(energy)" in ln and "vs chosen" in ln for ln in lines)
    assert any(ln.startswith("ddot-b-4bit cannot run: ") and "norm" in ln for ln in lines)


def test_compile_table_prints_why_not_chosen(run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    code, out, _ = run_cli("compile", "gpt2", "--seq-len", "8", "--objective", "latency", "--no-heuristics")
    assert code == 0 and "why not chosen" in out
    assert re.search(r"  (matmul|attention): \S+ best .* vs chosen .* \(latency\)", out)


# --- warnings once --------------------------------------------------------------------------------------
def test_echo_once_prints_each_warning_once(capsys):
    from lightcode.core.warn import echo_once

    for _ in range(3):
        echo_once("a")
    echo_once("b")
    assert capsys.readouterr().err.splitlines() == ["warning: a", "warning: b"]


def test_a_loader_warning_is_one_line_through_the_cli(run_cli):
    code, _, err = run_cli("hardware", "show", "h100", "--corner", "conservative")
    assert code == 0 and [ln for ln in err.splitlines() if ln.strip()] == [
        ln for ln in err.splitlines() if ln.startswith("warning: unit h100-sxm")] and err.count("warning:") == 1


# --- kvselect cost --system -----------------------------------------------------------------------------
def test_kvselect_cost_system_is_its_host_gpu(run_cli):
    args = ["kvselect", "cost", "qwen2.5-7b", "--context", "8192", "--json"]
    code, a, err = run_cli(*args, "--system", "a100+mrr-bank")
    assert code == 0, err
    code, b, _ = run_cli(*args, "--gpu", "a100")
    code, c, _ = run_cli(*args)
    assert json.loads(a) == json.loads(b) and json.loads(a)["gpu"] == "a100" and json.loads(c)["gpu"] == "h100"


@pytest.mark.parametrize("extra,fragment", [
    (["--system", "a100", "--gpu", "h100"], "not both"),
    (["--system", "no-such-system"], "unknown system"),
    (["--system", "{tmp}/cpu.yaml"], "host GPU"),
])
def test_kvselect_cost_system_bad_inputs(extra, fragment, run_cli, tmp_path):
    from lightcode.hardware.load import read_unit

    gpu = Path(read_unit("h100-sxm").path).read_text().replace("name: h100-sxm", "name: other-gpu")
    (tmp_path / "other-gpu.yaml").write_text(gpu)
    (tmp_path / "cpu.yaml").write_text("name: cpu\nunits: [other-gpu.yaml]\n")
    code, _, err = run_cli("kvselect", "cost", "qwen2.5-7b", "--context", "8192",
                           *[x.replace("{tmp}", str(tmp_path)) for x in extra])
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], err


# --- sweep: db under --out, --json; reproduce --json checks --out first ---------------------------------
def test_sweep_db_defaults_under_out_and_json(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "s.yaml"
    spec.write_text("name: t\nmodels: [gpt2]\nseq_lens: [4, 8]\nsystems: [h100]\nobjectives: [latency]\n")
    out = tmp_path / "out"
    code, js, err = run_cli("sweep", str(spec), "--workers", "0", "--out", str(out), "--json",
                            "--point", "sweep_fakes:fake_point")
    assert code == 0, err
    d = json.loads(js)
    assert d["db"] == str(out / "results.sqlite") and (out / "results.sqlite").is_file()
    assert d["total"] == 2 and d["ok"] == 2 and str(out / "results.csv") in d["files"]
    assert not (tmp_path / "results.sqlite").exists()  # nothing in the working directory
    code, js, _ = run_cli("sweep", str(spec), "--workers", "0", "--out", str(out), "--json",
                          "--point", "sweep_fakes:fake_point")
    assert json.loads(js)["skipped"] == 2  # the same db found again under --out: resumable


@pytest.mark.parametrize("args", [
    ["reproduce", "lightcode-2025", "--out", "/proc/nope", "--json"],
    ["sweep", "{spec}", "--out", "/proc/nope", "--json"],
])
def test_unwritable_out_fails_before_work(args, run_cli, tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("models: [gpt2]\nseq_lens: [4]\nsystems: [h100]\n")
    code, out, err = run_cli(*[a.replace("{spec}", str(spec)) for a in args])
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: --out") and not out, err


def test_shared_flags_mean_the_same_everywhere():
    """--json, --out, --system, --corner, --workers: one spelling, one default across commands."""
    import typer.main

    from lightcode.cli import app

    cmd = typer.main.get_command(app)

    def walk(group, path=()):
        for name, c in group.commands.items():
            if hasattr(c, "commands"):
                yield from walk(c, (*path, name))
            else:
                yield " ".join((*path, name)), c

    seen: dict[str, dict[str, object]] = {}
    for name, c in walk(cmd):
        for p in c.params:
            for flag in getattr(p, "opts", []):
                seen.setdefault(flag, {})[name] = p
    for name, p in seen["--json"].items():
        assert p.is_flag and p.default is False, name
    for name, p in seen["--workers"].items():
        assert p.default == 2 and "-w" in p.opts, name
    defaults = {name: p.default for name, p in seen["--system"].items() if name != "kvselect cost"}
    from lightcode.pipeline.request import DEFAULT_SYSTEM

    assert set(defaults.values()) == {DEFAULT_SYSTEM}, defaults
    for name, p in seen["--corner"].items():
        assert p.default in (None, "baseline"), name
    for name in ("compile", "sweep run", "reproduce", "hardware validate", "hardware list", "hardware show",
                 "hardware family", "hardware cost", "graph", "sensitivity", "generate", "accuracy", "kvselect cost"):
        assert name in seen["--json"], f"{name} has no --json"
