"""GPU power states (cost/gpu_power.py) and execution regimes: what each charges, where each is stated."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import yaml

import lightcode as lc
from lightcode.cost.gpu_power import REGIMES, WAIT_STATES, wait_power
from lightcode.errors import ConfigError
from lightcode.hardware.gpu_power_fit import CALIBRATION_BATCHES, LLAMA31_8B_H100, fit_power_floors
from lightcode.hardware.load import SYSTEMS_DIR, list_systems, load_system, load_unit, read_unit
from lightcode.hardware.probe import decoder_decode_ops, gemm_op, llama2_7b_layer_ops

GPUS = ("h100-sxm", "a100-sxm-40gb", "a100-sxm-80gb")
OPS = decoder_decode_ops(layers=2, hidden=4096, heads=32, intermediate=11008, vocab=32000, context=512, batch=4)


def _gpu_energy(unit, makespan: float) -> tuple[float, float]:
    """(busy time, energy) of OPS run on `unit` inside a makespan, the simulator's law (sim/simulate.py)."""
    busy = sum(unit.op_cost(op, "fp16").latency_s for op in OPS)
    return busy, sum(unit.op_cost(op, "fp16").total_energy_j for op in OPS) + unit.static_power_w * makespan


@pytest.mark.parametrize("name", GPUS)
def test_wait_power_is_charged_over_the_time_the_gpu_waits(name):
    base = load_unit(name)
    busy, e_alone = _gpu_energy(base, 0.0)
    wait = 3.0 * busy  # another unit keeps the system busy this much longer
    e = {s: _gpu_energy(base.operated(wait_state=s), busy + wait)[1] for s in WAIT_STATES}
    p = {s: wait_power(base.p, s) for s in WAIT_STATES}
    assert p["deep_idle"] == base.p["deep_idle_power"] < p["clocked_idle"] == base.p["idle_power"] < p["busy_poll"]
    # the same kernels, launch gaps at clocked idle; only the waiting differs (busy_poll also fills the gaps)
    assert e["deep_idle"] - e["clocked_idle"] == pytest.approx((p["deep_idle"] - p["clocked_idle"]) * wait, rel=1e-9)
    assert e["clocked_idle"] == pytest.approx(_gpu_energy(base, busy)[1] + p["clocked_idle"] * wait, rel=1e-12)
    assert e["busy_poll"] > e["clocked_idle"] + (p["busy_poll"] - p["clocked_idle"]) * wait * 0.999
    # a GPU that never waits draws the same energy in the two idle states
    alone = {s: _gpu_energy(base.operated(wait_state=s), busy)[1] for s in ("clocked_idle", "deep_idle")}
    assert alone["clocked_idle"] == pytest.approx(alone["deep_idle"], rel=1e-12)
    assert e_alone > 0


def test_kernel_power_by_class():
    """A compute-bound GEMM at TDP less the HBM power it leaves unused; a memory-bound GEMV at the GEMM floor."""
    u = load_unit("h100-sxm")
    p = u.p
    big = gemm_op(8192, 8192, 8192)
    c = u.op_cost(big, "fp16")
    t_k = c.latency_s - u.launch_s
    power = (c.total_energy_j) / t_k + u.static_power_w
    assert p["tdp"] - p["hbm_bandwidth"] * p["hbm_energy"] < power <= p["tdp"] * 1.0001
    gemv = llama2_7b_layer_ops(1)["up_gate"]
    t_c, t_m, _ = u.roofline(gemv, "fp16")
    c = u.op_cost(gemv, "fp16")
    floor = p["idle_power"] + u.dyn_power_w * (p["active_power_fraction"] + (1 - p["active_power_fraction"]) * t_c / t_m)
    assert c.energy_j["compute"] == pytest.approx((floor - u.static_power_w) * t_m, rel=1e-9)


def test_regime_sets_launch_overhead_and_fusion():
    op = replace(llama2_7b_layer_ops(1)["silu_mul"], n_fused=4)
    g, e = load_unit("h100-sxm").operated(regime="graphs"), load_unit("h100-sxm").operated(regime="eager")
    t_k = max(g.roofline(op, "fp16")[:2])
    assert g.op_cost(op, "fp16").latency_s == pytest.approx(t_k + g.p["graph_launch_overhead"], rel=1e-12)
    assert e.op_cost(op, "fp16").latency_s == pytest.approx(t_k + 4 * e.p["launch_overhead"], rel=1e-12)
    assert g.p["graph_launch_overhead"] < g.p["launch_overhead"]
    with pytest.raises(ValueError, match="execution_regime"):
        g.operated(regime="jit")


def _system_copy(tmp_path, **fields) -> str:
    doc = yaml.safe_load((SYSTEMS_DIR / "h100+ddot-b-4bit.yaml").read_text())
    for k, v in fields.items():
        if v is None:
            doc.pop(k, None)
        else:
            doc[k] = {"value": v, "source": "test"}
    p = tmp_path / f"s-{len(list(tmp_path.iterdir()))}.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(p)


def test_system_states_the_wait_state_and_regime(tmp_path):
    s = load_system(_system_copy(tmp_path, gpu_wait_state="deep_idle", execution_regime="eager"))
    gpu = s.units["h100-sxm"]
    assert (gpu.wait_state, gpu.regime) == ("deep_idle", "eager")
    assert gpu.static_power_w == read_unit("h100-sxm").si()["deep_idle_power"]
    op = s.gpu_operation
    assert op["gpu_wait_state"] == {"value": "deep_idle", "source": "test", "stated": True}
    assert op["gpu_wait_power_w"] == {"h100-sxm": gpu.static_power_w}
    unstated = load_system(_system_copy(tmp_path, gpu_wait_state=None, execution_regime=None)).gpu_operation
    assert unstated["gpu_wait_state"]["value"] == "clocked_idle" and not unstated["gpu_wait_state"]["stated"]
    with pytest.raises(ConfigError, match="unknown gpu_wait_state 'napping'"):
        load_system(_system_copy(tmp_path, gpu_wait_state="napping"))


def test_every_library_system_states_both_with_a_source():
    for name in list_systems():
        op = load_system(name).gpu_operation
        for k in ("gpu_wait_state", "execution_regime"):
            assert op[k]["stated"] and op[k]["source"], (name, k)
        assert op["gpu_wait_state"]["value"] in WAIT_STATES and op["execution_regime"]["value"] in REGIMES


@pytest.mark.parametrize("name", GPUS)
def test_gpu_power_params_cited_not_guessed(name):
    params = read_unit(name).params
    for k in ("idle_power", "deep_idle_power", "active_power_fraction", "active_power_fraction_attention",
              "launch_overhead", "graph_launch_overhead"):
        src = params[k].source
        assert src and not src.lower().startswith("guess"), (name, k, src)


def test_power_floors_refit_to_the_yaml_values():
    """The YAML floors are what benchmarks/fit_gpu.py fits on the two in-sample ML.ENERGY points."""
    a, a_att, rms = fit_power_floors()
    p = read_unit("h100-sxm").si()
    assert a == pytest.approx(p["active_power_fraction"], abs=5e-4)
    assert a_att == pytest.approx(p["active_power_fraction_attention"], abs=5e-4)
    assert rms < 0.05


def test_fidelity_gpu_power_table():
    from benchmarks.fidelity import gpu_power_rows

    rows = gpu_power_rows()
    llama = [r for r in rows if r["model"] == "Llama-3.1-8B"]
    assert [r["batch"] for r in llama] == list(LLAMA31_8B_H100)
    assert {r["batch"] for r in llama if r["in_sample"]} == set(CALIBRATION_BATCHES)
    assert all(not r["in_sample"] for r in rows if r["model"] != "Llama-3.1-8B")
    for r in llama:
        for k in ("itl_s", "power_w", "step_j_per_token", "j_per_token"):
            pred, ref = r[k]
            assert pred > 0 and ref > 0, (r["batch"], k)
    at8 = llama[0]
    assert at8["power_w"][0] == pytest.approx(at8["power_w"][1], rel=0.01)  # the in-sample point is fitted


def test_compile_reports_the_gpu_operation():
    r = lc.compile(lc.capture("gpt2", seq_len=16), system="h100+ddot-b-4bit", objective="energy")
    d = json.loads(r.to_json())
    assert d["gpu_operation"]["gpu_wait_state"]["value"] == "clocked_idle"
    assert d["gpu_operation"]["execution_regime"]["value"] == "graphs"
    assert "clocked_idle" in r.gpu_operation_line() and "graphs" in r.gpu_operation_line()
