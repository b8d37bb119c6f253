"""Sensitivity over every parameter of a system: 0/1 switches, system-level parameters (memories, links,
crossing) through the override path, and the categorical GPU operating choices."""

from __future__ import annotations

import math

import pytest

from lightcode.errors import BadInputError
from lightcode.experiments import sensitivity as sens
from lightcode.hardware.load import load_system, read_system
from lightcode.hardware.overrides import check_overrides, system_with_overrides
from lightcode.pipeline.request import CompileRequest

SYSTEM = "h100+ddot-b-4bit"
LINK_BW = "system.link.h100-sxm:ddot-b-4bit.bandwidth"


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LIGHTCODE_CACHE_DIR", str(tmp_path / "cache"))  # derived system files land here


def _req(objective: str = "energy", **kw) -> CompileRequest:
    return CompileRequest(model="gpt2", seq_len=32, system=SYSTEM, objective=objective, heuristics=False, **kw)


def _solve(req: CompileRequest) -> dict:
    from lightcode.pipeline.compile import run_compile

    return run_compile(req.model, req).to_json_dict()


# --- ranges ----------------------------------------------------------------------------------------
def test_every_parameter_is_listed_varied_or_with_a_reason():
    ranges = sens.parameter_ranges(SYSTEM)
    keys = {r.key for r in ranges}
    spec = read_system(SYSTEM)
    for u in spec.units:  # every unit parameter
        assert {f"{u.name}.{p}" for p in u.params} <= keys
    for mem, block in spec.memories.items():  # every stated memory field, every link field, the crossing
        assert {f"system.memory.{mem}.{f}" for f in block} <= keys
    assert {f"{LINK_BW.rpartition('.')[0]}.{f}" for f in ("bandwidth", "latency", "energy")} <= keys
    assert {"system.crossing.latency", "system.gpu_wait_state", "system.execution_regime"} <= keys
    for r in ranges:
        assert r.varied or r.how, r.key  # a skipped parameter says why
    skipped = {r.key: r.how for r in ranges if not r.varied}
    # the crossing's converters are charged by the unit's family: zero, and the reason quotes the file
    assert "op_cost" in skipped["system.crossing.dac_energy"]


def test_a_switch_is_evaluated_at_its_other_value():
    ranges = {r.key: r for r in sens.parameter_ranges(SYSTEM)}
    for name in ("photonic_idle", "head_packing"):
        r = ranges[f"ddot-b-4bit.{name}"]
        assert r.kind == "switch" and r.how == "switch"
        assert (r.low, r.high) == (0, 1) and r.baseline in (0, 1)
        assert r.text(r.high) == 1 and isinstance(r.text(r.high), int)  # written as the YAML integer


def test_an_integer_that_rounds_to_itself_moves_one_step():
    r = {r.key: r for r in sens.parameter_ranges(SYSTEM)}["ddot-b-4bit.detectors_per_node"]
    assert r.how == "±1 step" and (r.low, r.high) == (r.baseline - 1, r.baseline + 1)


def test_system_parameters_take_a_fraction_and_the_choices_every_alternative():
    ranges = {r.key: r for r in sens.parameter_ranges(SYSTEM, range_="±0.5")}
    bw = ranges["system.memory.hbm.bandwidth"]
    assert bw.unit == "B/s" and bw.low == pytest.approx(0.5 * bw.baseline)
    wait = ranges["system.gpu_wait_state"]
    assert wait.kind == "categorical" and set(wait.alternatives) == {"clocked_idle", "deep_idle", "busy_poll"}
    assert wait.baseline in wait.alternatives
    assert set(ranges["system.execution_regime"].alternatives) == {"graphs", "eager"}


def test_params_accepts_system_keys_and_names_the_forms_of_an_unknown_one():
    keys = f"system.memory.hbm.bandwidth,{LINK_BW},system.execution_regime"
    assert [r.key for r in sens.parameter_ranges(SYSTEM, params=keys)] == keys.split(",")
    with pytest.raises(BadInputError, match="system.link.A:B.FIELD"):
        sens.parameter_ranges(SYSTEM, params="system.memory.hbm.nope")


def test_params_refuses_an_unknown_system_key_in_one_line(tmp_path, capsys, monkeypatch):
    from lightcode.cli import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as ex:
        main(["sensitivity", "gpt2", "--seq-len", "32", "--params", "system.link.h100-sxm:gpu.bandwidth"])
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert ex.value.code == 2 and len(lines) == 1 and lines[0].startswith("error: --params")
    assert list(tmp_path.iterdir()) == []  # nothing written


# --- the override path -----------------------------------------------------------------------------
def test_a_system_override_reaches_the_loaded_system():
    over = {LINK_BW: "45 GB/s", "system.memory.hbm.read_energy": "40 pJ/B", "system.crossing.latency": "20 ns",
            "system.gpu_wait_state": "deep_idle", "ddot-b-4bit.tiles": 2}
    s = load_system(system_with_overrides(SYSTEM, over))
    assert next(iter(s.links.values())).bandwidth_bytes_per_s == pytest.approx(45e9)
    assert s.memories["hbm"].read_j_per_byte == pytest.approx(40e-12)
    assert s.crossing.latency_s == pytest.approx(20e-9)
    assert s.spec.gpu_operation["gpu_wait_state"]["value"] == "deep_idle"
    assert s.units["h100-sxm"].static_power_w == pytest.approx(read_system(SYSTEM).units[0].params["deep_idle_power"].value)
    assert s.spec.units[1].params["tiles"].value == 2
    base = load_system(SYSTEM)  # the library system is untouched
    assert next(iter(base.links.values())).bandwidth_bytes_per_s == pytest.approx(450e9)


@pytest.mark.parametrize("over,fragment", [
    ({"system.memory.dram.bandwidth": "1 GB/s"}, "no memory 'dram'"),
    ({"system.memory.sram.bandwidth": "1 GB/s"}, "states no bandwidth"),
    ({"system.link.h100-sxm:nope.bandwidth": "1 GB/s"}, "no link"),
    ({"system.wait": "deep_idle"}, "expected one of"),
    ({"system.gpu_wait_state": "asleep"}, "unknown gpu_wait_state"),
    ({"system.memory.hbm.bandwidth": "-1 GB/s"}, "must be > 0"),
])
def test_a_bad_system_override_is_refused(over, fragment):
    with pytest.raises(BadInputError, match=fragment):
        check_overrides(SYSTEM, over)


def test_lower_link_bandwidth_never_lowers_latency():
    base = _solve(_req("latency"))["result"]["latency_s"]
    slow = _solve(_req("latency", overrides={LINK_BW: "4.5 GB/s"}))["result"]
    assert slow["latency_s"] >= base
    assert slow["latency_s"] > base * 1.01  # the link matters here: the optimum used the photonic unit


# --- the table -------------------------------------------------------------------------------------
def test_switch_system_parameter_and_choice_rows(tmp_path):
    keys = f"ddot-b-4bit.photonic_idle,{LINK_BW},system.gpu_wait_state"
    res = sens.run_sensitivity(_req(), range_="±0.9", params=keys, workers=0, db=tmp_path / "s.sqlite",
                               progress=False)
    rows = {r["param"]: r for r in res["parameters"]}
    assert set(rows) == set(keys.split(","))
    assert res["points"] == 1 + 1 + 2 + 2  # baseline, the switch's other value, two link ends, two other choices
    base = res["baseline"]["objective"]

    idle = rows["ddot-b-4bit.photonic_idle"]
    assert idle["kind"] == "switch" and {idle["low"]["value"], idle["high"]["value"]} == {0, 1}
    gated, always_on = idle["high"]["objective"], idle["low"]["objective"]
    assert always_on == base and gated <= always_on  # gating lasers and locks never costs energy

    link = rows[LINK_BW]
    assert link["low"]["objective"] >= link["high"]["objective"]  # a slower link never saves energy

    wait = rows["system.gpu_wait_state"]
    by = {a["value"]: a["objective"] for a in wait["alternatives"]}
    assert set(by) == {"clocked_idle", "deep_idle", "busy_poll"} and by["clocked_idle"] == base
    assert by["deep_idle"] <= by["clocked_idle"] <= by["busy_poll"]  # the wait power's order
    assert (wait["low"]["value"], wait["high"]["value"]) == ("deep_idle", "busy_poll")
    assert math.isclose(wait["swing"], (by["busy_poll"] - by["deep_idle"]) / base)
    # ranked with the numeric rows by swing
    assert [r["swing"] for r in res["parameters"]] == sorted((r["swing"] for r in res["parameters"]), reverse=True)

    from lightcode.experiments.sensitivity import plot_tornado

    assert plot_tornado(res, tmp_path / "t.png").stat().st_size > 0


def test_breakeven_on_a_system_parameter():
    """A closed-form stand-in for the solver: the photonic unit is chosen iff the link carries > 200 GB/s."""
    seen = []

    def solve(r: CompileRequest) -> dict:
        value, unit = str(r.overrides[LINK_BW]).split()
        assert unit == "B/s"
        seen.append(float(value))
        ph = 10 if float(value) > 200e9 else 0
        return {"ops": [{"unit": "h100-sxm"}], "result": {"ops_by_unit": {"h100-sxm": 5, "ddot-b-4bit": ph}}}

    res = sens.breakeven(_req(), LINK_BW, solve=solve)
    assert res["found"] and not res["photonic_below"] and res["photonic_above"] and res["unit"] == "B/s"
    lo, hi = res["between"]
    assert lo <= 200e9 <= hi and (hi - lo) / hi <= 0.011


@pytest.mark.parametrize("key", ["system.gpu_wait_state", "ddot-b-4bit.photonic_idle"])
def test_breakeven_refuses_a_choice_or_a_switch(key):
    with pytest.raises(BadInputError, match="no value to bisect"):
        sens.breakeven(_req(), key, solve=lambda r: {})


def test_an_end_the_unit_rejects_leaves_a_one_sided_swing(tmp_path):
    """− 90 % of the H100's TDP leaves no budget above idle and HBM, which the GPU family refuses."""
    key = "h100-sxm.tdp"
    (r,) = sens.parameter_ranges(SYSTEM, range_="±0.9", params=key)
    p = read_system(SYSTEM).units[0].params
    assert r.low < p["idle_power"].value + p["hbm_bandwidth"].value * p["hbm_energy"].value  # the precondition
    res = sens.run_sensitivity(_req(), range_="±0.9", params=key, workers=0, db=tmp_path / "s.sqlite",
                               progress=False)
    (row,) = res["parameters"]
    assert "error" in row["low"] and "objective" in row["high"] and row["one_sided"]
    base = res["baseline"]["objective"]
    assert math.isclose(row["swing"], abs(row["high"]["objective"] - base) / base) and row["swing"] > 0


def test_a_fraction_stops_at_its_declared_maximum():
    """± 90 % of an achievable-bandwidth fraction would exceed 1: the high end is held at the family's bound."""
    (r,) = sens.parameter_ranges(SYSTEM, range_="±0.9", params="h100-sxm.memory_eff_elementwise")
    assert r.high == 1.0 and "maximum" in r.how and r.low == pytest.approx(0.1 * r.baseline)


def test_a_switch_brings_the_parameters_its_other_value_needs_from_the_corner_that_sets_it():
    """DDot precision_law 1 (the SNR law) reads receiver_temperature, which only the conservative corner
    states: alone, the override is not a valid unit."""
    (r,) = sens.parameter_ranges(SYSTEM, params="ddot-b-4bit.precision_law")
    assert r.kind == "switch" and r.baseline == 0
    over = r.overrides(1)
    assert over["ddot-b-4bit.precision_law"] == 1 and over["ddot-b-4bit.receiver_temperature"] == "300.0 K"
    assert "receiver_temperature" in r.how and r.overrides(0) == {}
    unit = load_system(system_with_overrides(SYSTEM, over)).units["ddot-b-4bit"]
    assert unit.p["precision_law"] == 1 and unit.p["receiver_temperature"] == 300.0
