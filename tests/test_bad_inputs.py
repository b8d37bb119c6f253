"""The bad-input battery (issue 11): every user mistake gives exactly one `error: …` line on stderr, exit 2
(3 for an infeasible budget), no traceback, and nothing written. Run in-process through the real entry
point `lightcode.cli.main`, so click's own usage errors are covered too. The frontend's (model configs) and
kvselect's cases live beside their stages (test_frontend_bad_inputs.py, test_kvselect_bad_inputs.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lightcode.cli import main

BIG = str(2**63)


def _spec(tmp: Path, body: dict | str) -> str:
    p = tmp / "spec.yaml"
    p.write_text(body if isinstance(body, str) else json.dumps(body))
    return str(p)


GOOD = {"models": ["gpt2"], "systems": ["h100+ddot-b-4bit"], "seq_lens": [8], "objectives": ["energy"]}


def _with(**kw):
    return {**GOOD, **kw}


# (argv, expected exit code, fragment of the message). "{tmp}" is replaced by a fresh directory; a
# {"spec": …} entry is written as a sweep spec file first (a dict as JSON, which is YAML; a str as is).
CASES: list[tuple[list, int, str]] = [
    # --- compile: options -------------------------------------------------------------------------------
    (["compile", "gpt2", "--seq-len", "abc"], 2, "--seq-len"),
    (["compile", "gpt2", "--seq-len", "0"], 2, "1..1024"),
    (["compile", "gpt2", "--seq-len", "-5"], 2, "1..1024"),
    (["compile", "gpt2", "--seq-len", "99999999999"], 2, "seq_len"),
    (["compile", "gpt2", "--seq-len", "1025"], 2, "1..1024"),
    (["compile", "gpt2", "--seq-len", "8", "--batch", "0"], 2, "batch"),
    (["compile", "gpt2", "--seq-len", "8", "--batch", "-3"], 2, "batch"),
    (["compile", "gpt2", "--seq-len", "8", "--batch", BIG], 2, "batch"),
    (["compile", "gpt2", "--seq-len", "8", "--batch", "1.5"], 2, "--batch"),
    (["compile", "gpt2", "--seq-len", "8", "--dtype", "fp8"], 2, "dtype"),
    (["compile", "gpt2", "--seq-len", "8", "--phase", "train"], 2, "phase"),
    (["compile", "gpt2", "--seq-len", "8", "--objective", "fastest"], 2, "objective"),
    (["compile", "gpt2", "--seq-len", "8", "--corner", "typical"], 2, "corner"),
    (["compile", "gpt2", "--seq-len", "8", "--solver", "gurobi"], 2, "solver"),
    (["compile", "gpt2", "--seq-len", "8", "--time-limit", "0"], 2, "time limit"),
    (["compile", "gpt2", "--seq-len", "8", "--time-limit", "-1"], 2, "time limit"),
    (["compile", "gpt2", "--seq-len", "8", "--time-limit", "nan"], 2, "time limit"),
    (["compile", "gpt2", "--seq-len", "8", "--time-limit", "inf"], 2, "time limit"),
    (["compile", "gpt2", "--seq-len", "8", "--time-limit", "1e9"], 2, "time limit"),
    (["compile", "gpt2", "--seq-len", "8", "--time-limit", "soon"], 2, "--time-limit"),
    (["compile", "gpt2", "--seq-len", "8", "--latency-budget", "0"], 2, "latency budget"),
    (["compile", "gpt2", "--seq-len", "8", "--latency-budget", "-1"], 2, "latency budget"),
    (["compile", "gpt2", "--seq-len", "8", "--latency-budget", "nan"], 2, "latency budget"),
    (["compile", "gpt2", "--seq-len", "8", "--latency-budget", "inf"], 2, "latency budget"),
    (["compile", "gpt2", "--seq-len", "8", "--energy-budget", "0"], 2, "energy budget"),
    (["compile", "gpt2", "--seq-len", "8", "--energy-budget", "nan"], 2, "energy budget"),
    (["compile", "gpt2", "--seq-len", "8", "--energy-budget", "lots"], 2, "--energy-budget"),
    (["compile", "gpt2", "--seq-len", "8", "--objective", "energy", "--latency-budget", "1e-9"], 3, "latency"),
    (["compile", "gpt2", "--seq-len", "8", "--context", "16"], 2, "decode only"),
    (["compile", "gpt2", "--phase", "decode"], 2, "context"),
    (["compile", "gpt2", "--phase", "decode", "--context", "0"], 2, "context"),
    (["compile", "gpt2", "--phase", "decode", "--context", "1024"], 2, "context"),
    (["compile", "gpt2"], 2, "seq-len"),
    (["compile"], 2, "Missing argument"),
    (["compile", "gpt2", "--seq-len", "8", "--nope"], 2, "--nope"),
    (["compile", "gpt2", "extra", "--seq-len", "8"], 2, "extra"),
    (["compile", "no-such-model", "--seq-len", "8"], 2, "no-such-model"),
    (["compile", "{tmp}/missing/config.json", "--seq-len", "8"], 2, "config"),
    (["compile", "gpt2", "--seq-len", "8", "--system", "no-such-system"], 2, "no-such-system"),
    (["compile", "gpt2", "--seq-len", "8", "--system", "{tmp}/missing.yaml"], 2, "missing.yaml"),
    (["compile", "gpt2", "--seq-len", "8", "--system", "{tmp}/bad.yaml"], 2, "bad.yaml"),
    (["compile", "gpt2", "--seq-len", "8", "--out", "{tmp}/afile"], 2, "existing file"),
    (["compile", "gpt2", "--seq-len", "8", "--out", "/proc/nope"], 2, "--out"),
    # --- graph ------------------------------------------------------------------------------------------
    (["graph", "no-such-model", "--seq-len", "8"], 2, "no-such-model"),
    (["graph", "gpt2", "--seq-len", "0"], 2, "sequence length"),
    (["graph", "gpt2", "--seq-len", "8", "--phase", "train"], 2, "phase"),
    (["graph", "gpt2", "--seq-len", "8", "--dtype", "int3"], 2, "dtype"),
    (["graph", "gpt2", "--seq-len", "8", "--batch", "0"], 2, "batch"),
    # --- sweep ------------------------------------------------------------------------------------------
    (["sweep", "{tmp}/missing.yaml"], 2, "not found"),
    (["sweep", {"spec": "key: [unclosed\n"}], 2, "YAML"),
    (["sweep", {"spec": "- a list\n"}], 2, "mapping"),
    (["sweep", {"spec": _with(colour="red")}], 2, "colour"),
    (["sweep", {"spec": _with(models=[])}], 2, "models"),
    (["sweep", {"spec": _with(systems=[])}], 2, "systems"),
    (["sweep", {"spec": _with(batches=[0])}], 2, "batches"),
    (["sweep", {"spec": _with(seq_lens=[0])}], 2, "lengths"),
    (["sweep", {"spec": _with(phases=["decode"])}], 2, "contexts"),
    (["sweep", {"spec": _with(objectives=["speed"])}], 2, "speed"),
    (["sweep", {"spec": _with(corners=["typical"])}], 2, "corners"),
    (["sweep", {"spec": _with(dtype="fp8")}], 2, "dtype"),
    (["sweep", {"spec": _with(time_limit_s=0)}], 2, "time limit"),
    (["sweep", {"spec": _with(time_limit_s=-1)}], 2, "time limit"),
    (["sweep", {"spec": _with(solver="gurobi")}], 2, "solver"),
    (["sweep", {"spec": _with(latency_budget_s=-1)}], 2, "latency budget"),
    (["sweep", {"spec": _with(seq_lens={"start": 1, "stop": 1024, "num": 10_000_000})}], 2, "10,000,000 points"),
    (["sweep", {"spec": _with(grid={"ddot-b-4bit.tiles": list(range(400)), "ddot-b-4bit.wavelengths":
                                    list(range(1, 400))})}], 2, "points"),
    (["sweep", {"spec": _with(grid={"ddot-b-4bit.tiles": []})}], 2, "empty"),
    (["sweep", {"spec": _with(overrides=[{"tiles": 4}])}], 2, "UNIT.PARAM"),
    (["sweep", {"spec": _with(overrides=[{"nounit.tiles": 4}])}], 2, "nounit"),
    (["sweep", {"spec": _with(overrides=[{"ddot-b-4bit.nope": 4}])}], 2, "nope"),
    (["sweep", {"spec": _with(models=["no-such-model"])}], 2, "no-such-model"),
    (["sweep", {"spec": _with(systems=["no-such-system"])}], 2, "no-such-system"),
    (["sweep", {"spec": GOOD}, "--workers", "-1"], 2, "--workers"),
    (["sweep", {"spec": GOOD}, "--workers", "many"], 2, "--workers"),
    (["sweep", {"spec": GOOD}, "--db", "/proc/nope/r.sqlite"], 2, "--db"),
    (["sweep", {"spec": GOOD}, "--db", "{tmp}"], 2, "directory"),
    (["sweep", {"spec": GOOD}, "--out", "{tmp}/afile"], 2, "existing file"),
    (["sweep", {"spec": GOOD}, "--scheduler", "not-an-address"], 2, "address"),
    (["sweep", "export", "--db", "{tmp}/none.sqlite"], 2, "not found"),
    (["sweep", "plot", "--db", "{tmp}/none.sqlite"], 2, "not found"),
    # --- hardware ---------------------------------------------------------------------------------------
    (["hardware", "show", "no-such-unit"], 2, "no-such-unit"),
    (["hardware", "show"], 2, "Missing argument"),
    (["hardware", "cost", "no-such-unit", "--gemm", "1,2,3"], 2, "no-such-unit"),
    (["hardware", "cost", "h100-sxm", "--gemm", "1,2"], 2, "gemm"),
    (["hardware", "cost", "h100-sxm", "--gemm", "a,b,c"], 2, "gemm"),
    (["hardware", "cost", "h100-sxm", "--gemm", "0,1,1"], 2, "gemm"),
    (["hardware", "validate", "{tmp}/missing.yaml"], 2, "no such file"),
    (["hardware", "validate", "{tmp}/bad.yaml"], 2, "bad.yaml"),
    (["hardware", "validate", "{tmp}/eff.yaml"], 2, "compute_eff_matmul"),
    (["hardware", "validate", "{tmp}/idle.yaml"], 2, "tdp"),
    (["hardware", "validate", "{tmp}/sys-missing-unit.yaml"], 2, "no-such-unit"),
    (["hardware", "nope"], 2, "nope"),
    # --- reproduce and the top level --------------------------------------------------------------------
    (["reproduce", "no-such-paper"], 2, "no-such-paper"),
    (["no-such-command"], 2, "no-such-command"),
    (["--no-such-flag"], 2, "--no-such-flag"),
]


def _fixtures(tmp: Path) -> None:
    from lightcode.hardware.load import UNITS_DIR

    (tmp / "afile").write_text("x")
    (tmp / "bad.yaml").write_text("units: [unclosed\n")
    gpu = (UNITS_DIR / "h100-sxm.yaml").read_text()
    (tmp / "eff.yaml").write_text(gpu.replace("compute_eff_matmul: {value: 0.693", "compute_eff_matmul: {value: 1.5"))
    (tmp / "idle.yaml").write_text(gpu.replace("  idle_power: {value: 108 W", "  idle_power: {value: 900 W"))
    (tmp / "sys-missing-unit.yaml").write_text("name: s\ndescription: x\nunits: [no-such-unit]\n")


def _argv(case: list, tmp: Path) -> list[str]:
    out = []
    for a in case:
        if isinstance(a, dict):
            a = _spec(tmp, a["spec"])
        out.append(a.replace("{tmp}", str(tmp)))
    return out


@pytest.mark.parametrize("case,code,fragment", CASES, ids=[" ".join(str(x)[:40] for x in c[0]) for c in CASES])
def test_bad_input_is_one_clean_line(case, code, fragment, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a sweep's default --db lands here, never in the repository
    _fixtures(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(SystemExit) as ex:
        main(_argv(case, tmp_path))
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert ex.value.code == code, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    assert fragment.lower() in lines[0].lower(), lines[0]
    after = sorted(p.name for p in tmp_path.iterdir() if p.name != "spec.yaml")
    assert after == [n for n in before if n != "spec.yaml"], "a failed command left files behind"


def test_battery_is_large():
    assert len(CASES) >= 90
