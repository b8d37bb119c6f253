"""`lightcode compile` and `run_compile`: the DESIGN §4 JSON contract, the CLI's exit codes, the outputs."""

from __future__ import annotations

import json

import pytest

import lightcode as lc
from lightcode.errors import BadInputError, InfeasibleError
from lightcode.pipeline.compile import run_compile
from lightcode.report.trace import SYSTEM_PROCESS, validate_trace

SYSTEM = "h100+ddot-b-4bit"


@pytest.fixture(scope="module")
def gpt2():
    return lc.capture("gpt2", seq_len=16)


def _check_contract(d: dict) -> None:
    for k, t in (("model", str), ("phase", str), ("batch", int), ("seq_len", int), ("system", str),
                 ("objective", str)):
        assert isinstance(d[k], t), k
    assert "context" in d
    r = d["result"]
    for k in ("latency_s", "energy_j"):
        assert isinstance(r[k], float) and r[k] > 0
    assert sum(r["energy_breakdown_j"].values()) == pytest.approx(r["energy_j"], rel=1e-9)
    assert isinstance(r["ops_total"], int) and sum(r["ops_by_unit"].values()) == r["ops_total"]
    assert set(r["flops_by_unit"]) == set(r["ops_by_unit"])
    assert d["baseline"]["name"] == "all-electronic"
    assert d["baseline"]["latency_s"] > 0 and d["baseline"]["energy_j"] > 0
    assert d["solver"]["status"] in ("OPTIMAL", "FEASIBLE", "INFEASIBLE")
    for k in ("objective", "bound", "gap", "time_s"):
        assert k in d["solver"]
    assert set(d["timing_s"]) >= {"capture", "build", "select", "simulate", "total"}


def test_compile_default_compares_three_mappings(gpt2):
    res = run_compile(gpt2, system=SYSTEM)
    d = json.loads(res.to_json())
    _check_contract(d)
    assert d["objective"] == "latency" and set(d["comparison"]) == {"all-electronic", "latency", "energy"}
    lat, en, ae = (d["comparison"][k] for k in ("latency", "energy", "all-electronic"))
    assert lat["latency_s"] <= ae["latency_s"] * (1 + 1e-9) and lat["latency_s"] <= en["latency_s"] * (1 + 1e-9)
    assert en["energy_j"] <= ae["energy_j"] * (1 + 1e-9) and en["energy_j"] <= lat["energy_j"] * (1 + 1e-9)
    # one cost model: the simulated value of the chosen assignment equals the solver's objective (grid)
    for name in ("latency", "energy"):
        m = res.comparison[name]
        a = m.assignment
        got = m.sim.latency_s if name == "latency" else m.sim.energy_j
        # + the grid's power resolution: each used unit's static power is an integer number of energy units
        # per time unit (blockmodel.Grid.static_coef), rounded by up to half a unit, over the makespan
        power_res = 0.5 * a.grid["energy_j"] / a.grid["time_s"] * len(set(a.units)) * m.sim.latency_s
        tol = 1e-6 * got + g_tol(a, len(gpt2.ops)) + (power_res if name == "energy" else 0.0)
        assert abs(got - a.objective_value) <= tol
    assert all(v >= -1e-9 for rows in d["heuristics"].values() for v in
               (r["loss_vs_optimum"] for r in rows.values()))


def g_tol(a, n_ops: int) -> float:
    return n_ops * (a.grid["time_s"] + a.grid["energy_j"]) * 10


def test_compile_objectives_and_api(gpt2, tmp_path):
    r = lc.compile(gpt2, system=SYSTEM, objective="energy")
    assert r.objective == "energy" and r.energy_j > 0 and r.latency_s > 0
    assert set(r.breakdown) >= {"compute", "static", "transfer"}
    frame = r.to_frame()
    ops = frame[frame["row"] == "op"]  # plus transfer and static rows: energy_j sums to the total
    assert len(ops) == len(gpt2.ops) and set(ops["unit"]) <= set(r.stacked.units)
    validate_trace(json.loads(r.write_trace(tmp_path / "t.json").read_text()))
    p = run_compile(gpt2, system=SYSTEM, objective="pareto")
    d = p.to_json_dict()
    _check_contract(d)
    lats = [x["latency_s"] for x in d["pareto"]]
    assert lats == sorted(lats)
    with pytest.raises(BadInputError, match="known"):
        run_compile(gpt2, system=SYSTEM, objective="fastest")
    fastest = run_compile(gpt2, system=SYSTEM, objective="latency", heuristics=False).latency_s
    with pytest.raises(InfeasibleError, match="fastest achievable"):
        run_compile(gpt2, system=SYSTEM, objective="energy", latency_budget_s=fastest / 3, heuristics=False)


def test_cli_json_out_and_errors(run_cli, tmp_path):
    out = tmp_path / "run"
    code, stdout, _ = run_cli("compile", "gpt2", "--seq-len", "16", "--objective", "energy", "--json",
                              "--out", str(out))
    assert code == 0
    d = json.loads(stdout)
    _check_contract(d)
    assert d["objective"] == "energy"
    for f in ("report.json", "trace.json", "energy.png", "timeline.png"):
        assert (out / f).stat().st_size > 0
    validate_trace(json.loads((out / "trace.json").read_text()))
    assert json.loads((out / "report.json").read_text())["result"]["ops_total"] == d["result"]["ops_total"]

    for bad in ("no-such-system", "h100+foo"):  # a near miss gets the suggestion *and* the known names
        code, _, err = run_cli("compile", "gpt2", "--seq-len", "16", "--system", bad)
        assert code == 2 and "known: a100" in err and "h100+ddot-b-4bit" in err and "Traceback" not in err
    code, _, err = run_cli("compile", "gpt2", "--seq-len", "16", "--objective", "speed")
    assert code == 2 and "latency" in err
    code, _, err = run_cli("compile", "gpt2", "--seq-len", "16", "--latency-budget", "1e-9")
    assert code == 3 and "fastest achievable" in err and "Traceback" not in err
    code, _, err = run_cli("compile", "gpt2", "--seq-len", "16", "--energy-budget", "1e-9")
    assert code == 3 and "least achievable energy" in err and err.count("\n") == 1
    # a time-out is FEASIBLE with its gap and a warning, exit 0 (never reported optimal)
    code, stdout, err = run_cli("compile", "gpt2", "--seq-len", "16", "--objective", "latency", "--time-limit",
                                "1e-9", "--json")
    d = json.loads(stdout)
    assert code == 0 and err.startswith("warning:") and "time limit" in err
    assert d["solver"]["status"] == "FEASIBLE" and 0 <= d["solver"]["gap"] < 1

    code, stdout, _ = run_cli("compile", "gpt2", "--seq-len", "16")
    assert code == 0 and "all-electronic" in stdout and "energy" in stdout


def test_trace_one_track_per_unit_core_and_link(gpt2, tmp_path):
    """The Perfetto trace of a hybrid mapping: a process per unit and per used link, a thread per core, every
    op and transfer once as a complete event in µs within the makespan."""
    r = run_compile(gpt2, system=SYSTEM, objective="energy", heuristics=False)
    st, sched = r.stacked, r.sim.schedule
    obj = json.loads(r.write_trace(tmp_path / "trace.json").read_text())
    validate_trace(obj)
    evs = obj["traceEvents"]
    procs = {e["pid"]: e["args"]["name"] for e in evs if e["name"] == "process_name"
             and e["args"]["name"] != SYSTEM_PROCESS}  # the counters' process
    links = {ev.resource for ev in sched.events if ev.kind == "transfer"}
    assert links and len(set(r.assignment.units)) == 2  # the mapping really is hybrid
    assert sorted(procs.values()) == sorted(list(st.units) + [f"link {x}" for x in links])
    threads = {(e["pid"], e["tid"]) for e in evs if e["name"] == "thread_name"}
    for pid, name in procs.items():
        cores = st.unit(name).slots if name in st.units else 1
        assert {t for p, t in threads if p == pid} == set(range(cores))
    xs = [e for e in evs if e["ph"] == "X"]
    assert sum(e["cat"] != "transfer" for e in xs) == len(gpt2.ops)
    assert sum(e["cat"] == "transfer" for e in xs) == len(sched.transfer_event)
    assert max(e["ts"] + e["dur"] for e in xs) == pytest.approx(r.latency_s * 1e6, abs=1e-3)  # ns grid
    index = {o.name: i for i, o in enumerate(gpt2.ops)}
    for e in xs:
        if e["cat"] != "transfer":
            assert procs[e["pid"]] == r.assignment.units[index[e["name"]]]
