"""GPU power states (cost/gpu_power.py) and execution regimes: what each charges, where each is stated."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import yaml

import lightcode as lc
from lightcode.cost.gpu_power import REGIMES, WAIT_STATES, wait_power
from lightcode.errors import ConfigError
from lightcode.hardware import gpu_power_fit as GP
from lightcode.hardware.load import SYSTEMS_DIR, list_systems, load_system, load_unit, read_unit
from lightcode.hardware.probe import decoder_decode_ops, decoder_step_ops, gemm_op, llama2_7b_layer_ops
from lightcode.hardware.serving_measurements import MEASURED, SHAPES
from lightcode.hardware.serving_step import serving_step, step_cost

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
    """A compute-bound GEMM at the board limit (its cores get what HBM leaves); a memory-bound GEMV at the GEMM
    floor plus its HBM power."""
    u = load_unit("h100-sxm")
    p = u.p
    big = gemm_op(8192, 8192, 8192)
    c = u.op_cost(big, "fp16")
    t_k = c.latency_s - u.launch_s
    power = (c.total_energy_j) / t_k + u.static_power_w
    assert power == pytest.approx(p["tdp"], rel=1e-9)
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


def test_power_floors_and_prompt_refit_to_the_stated_values():
    """The YAML floors and the mean prompt are what benchmarks/fit_gpu.py fits on the in-sample ML.ENERGY runs."""
    a, a_att, prompt, rms = GP.fit()
    p = read_unit("h100-sxm").si()
    assert a == pytest.approx(p["active_power_fraction"], abs=5e-4)
    assert a_att == pytest.approx(p["active_power_fraction_attention"], abs=5e-4)
    assert round(prompt) == GP.MEAN_PROMPT_TOKENS
    assert rms < 0.05


def test_mixed_step_is_the_decode_step_plus_the_prompts():
    shape = dict(layers=2, hidden=512, heads=8, intermediate=1024, vocab=1000, kv_heads=2)
    plain = decoder_decode_ops(**shape, context=100, batch=4, dtype="bf16")
    assert decoder_step_ops(**shape, context=100, batch=4, prompts=0, dtype="bf16") == plain
    mixed = decoder_step_ops(**shape, context=100, batch=4, prompts=3, prompt_len=50, dtype="bf16")
    alone = decoder_step_ops(**shape, context=100, batch=150 + 4, dtype="bf16")  # same rows through the linears
    lin = lambda ops: sum(o.flops for o in ops if o.kind == "matmul" and o.name != "lm_head")  # noqa: E731
    assert lin(mixed) == lin(alone)
    # each prompt's causal attention, and logits for the decodes plus each prompt's last token only
    pre = [o for o in mixed if o.name.endswith("attn_prefill")]
    assert len(pre) == 2 and pre[0].flops == 4 * 3 * 8 * 50 * 50 * 64
    assert next(o for o in mixed if o.name == "lm_head").gemms[0].m == 4 + 3
    with pytest.raises(ValueError):
        decoder_step_ops(**shape, context=100, batch=4, prompts=1, prompt_len=0)


def test_serving_step_without_prompts_is_the_decode_step_and_prompts_cost_time():
    u, shape = GP.h100(), SHAPES["Llama-3.1-8B"]
    t, e = step_cost(u, decoder_decode_ops(**shape, context=400, batch=64, dtype="bf16"))
    s0 = serving_step(u, shape, batch=64, mean_output=400, output_residual=400, mean_prompt=0)
    assert (s0.mean_step_s, s0.energy_per_step_j) == pytest.approx((t, e), rel=1e-12)
    s1 = serving_step(u, shape, batch=64, mean_output=400, output_residual=0, mean_prompt=400)
    assert s1.mean_step_s > s1.median_step_s == pytest.approx(t, rel=1e-12)  # median: no prompt admitted
    assert s1.j_per_token > s0.j_per_token


def test_fidelity_gpu_power_table():
    """Held out (not fitted): every Llama-3.1-8B run but two, and all of Qwen3-8B's, J/token within 15 %."""
    from benchmarks.fidelity import gpu_power_rows

    rows = gpu_power_rows()
    model, batches = GP.CALIBRATION
    assert len(rows) == sum(len(v) for v in MEASURED.values())
    assert {(r["model"], r["batch"]) for r in rows if r["in_sample"]} == {(model, b) for b in batches}
    for r in rows:
        for k in ("step_s", "itl_s", "power_w", "j_per_token"):
            pred, ref = r[k]
            assert pred > 0 and ref > 0, (r["model"], r["batch"], k)
        if not r["in_sample"]:
            assert abs(r["j_per_token"][0] / r["j_per_token"][1] - 1) <= 0.15, (r["model"], r["batch"])
    at8 = next(r for r in rows if r["in_sample"] and r["batch"] == 8)
    assert at8["power_w"][0] == pytest.approx(at8["power_w"][1], rel=0.01)  # the in-sample point is fitted


def test_compile_reports_the_gpu_operation():
    r = lc.compile(lc.capture("gpt2", seq_len=16), system="h100+ddot-b-4bit", objective="energy")
    d = json.loads(r.to_json())
    assert d["gpu_operation"]["gpu_wait_state"]["value"] == "clocked_idle"
    assert d["gpu_operation"]["execution_regime"]["value"] == "graphs"
    assert "clocked_idle" in r.gpu_operation_line() and "graphs" in r.gpu_operation_line()
