"""kvselect decode-step cost: closed forms from reference/prism.md §5, bad input, CLI exit codes."""

import math
import sys

import pytest

from lightcode.errors import BadInputError
from lightcode.kvselect import cost as kc


def test_kv_bytes_per_token_matches_reference():
    # prism.md §5.2: Qwen2.5-7B 56 KiB/token, Llama-3-8B 128 KiB/token (bf16)
    assert kc.model_dims("qwen2.5-7b").kv_bytes_per_token == 56 * 1024
    assert kc.model_dims("llama3-8b").kv_bytes_per_token == 128 * 1024


def test_scan_and_fetch_closed_forms():
    n, sel = 65536, kc.Selection()
    m = kc.model_dims("qwen2.5-7b")
    q = kc.step_cost("qwen2.5-7b", n, 1, "h100", "quest", sel)
    s = kc.step_cost("qwen2.5-7b", n, 1, "h100", "signature", sel)
    heads = m.layers * m.kv_heads
    assert s["bytes"]["scan"] == heads * (n // 128) * 32 * 2  # ≈3.7 MB (prism.md §5.2)
    assert q["bytes"]["scan"] == heads * (n // 16) * 2 * 128 * 2  # ≈235 MB
    budget = 32 * 128 + sel.sink + sel.window
    assert s["bytes"]["kv_fetch"] == budget * m.kv_bytes_per_token
    # prism.md §5.3: Quest metadata scan equals the k·B fetch near 64K
    assert q["bytes"]["scan"] == pytest.approx(32 * 128 * m.kv_bytes_per_token, rel=0.01)


def test_compare_ratios_and_energy_sum():
    r = kc.compare("llama3-8b", 32768, 4, "a100")
    for name, row in r["methods"].items():
        assert math.isclose(sum(row["energy_breakdown_j"].values()), row["energy_j"], rel_tol=1e-9)
        assert row["latency_s"] > 0
    assert r["methods"]["full"]["speedup_vs_full"] == 1.0
    assert r["methods"]["photonic-signature"]["photonic"]["query_rate_hz"] > 0


def test_bad_cost_inputs():
    with pytest.raises(BadInputError):
        kc.step_cost("no-such-model", 4096)
    with pytest.raises(BadInputError):
        kc.step_cost("qwen2.5-7b", 4096, gpu="tpu")
    assert kc.step_cost("llama3-8b", 131072)["beyond_trained_context"]  # priced, but flagged
    with pytest.raises(BadInputError):
        kc.step_cost("qwen2.5-7b", 4096, sel=kc.Selection(block=0))


@pytest.mark.parametrize("args", [
    ["kvselect", "eval", "--block", "0"],
    ["kvselect", "eval", "--k", "1000"],
    ["kvselect", "eval", "--context", "100000"],
    ["kvselect", "cost", "qwen2.5-7b", "--context", "4096", "--gpu", "tpu"],
])
def test_cli_bad_input_exits_2(args, monkeypatch, capsys):
    from lightcode import cli

    monkeypatch.setattr(sys, "argv", ["lightcode", *args])
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_cli_cost_json(monkeypatch, capsys):
    import json

    from lightcode import cli

    monkeypatch.setattr(sys, "argv", ["lightcode", "kvselect", "cost", "qwen2.5-7b", "--context", "32768", "--json"])
    try:
        cli.main()
    except SystemExit as e:
        assert e.code in (0, None)
    out = json.loads(capsys.readouterr().out)
    assert set(out["methods"]) == set(kc.METHODS)


def test_photonic_compute_energy_keeps_engine_topk():
    # the engine's top-k energy and the GPU's active energy both land in "compute"; neither overwrites the other
    from lightcode.hardware.load import load_unit

    g = load_unit("h100-sxm").p
    u = load_unit("tfln-mrr", "baseline").params
    r = kc.step_cost("qwen2.5-7b", 32768, 4, "h100", "photonic-signature")
    gpu_active_w = (g["tdp"] - g["idle_power"] - g["hbm_bandwidth"] * g["hbm_energy"]) * g["active_power_fraction"]
    want = gpu_active_w * r["time_s"]["gpu"] + r["photonic"]["evaluations"] * u["topk_energy"]
    assert r["energy_breakdown_j"]["compute"] == pytest.approx(want, rel=1e-9)


def test_capacity_check_marks_and_offload_prices():
    # qwen2.5-7b: 56 KiB of KV per token (prism.md §5.2); at 32K × 64 users the KV alone is 120 GB > 80 GB
    m = kc.model_dims("qwen2.5-7b")
    need_kv = 64 * 32768 * m.kv_bytes_per_token
    r = kc.compare("qwen2.5-7b", 32768, 64, "h100")
    assert not r["feasible"]
    for row in r["methods"].values():
        assert not row["feasible"] and row["speedup_vs_full"] is None and row["energy_ratio_vs_full"] is None
        assert "80 GB HBM" in row["infeasible_reason"]
    assert kc.compare("qwen2.5-7b", 32768, 16, "h100")["feasible"]  # 30 GB of KV + 15 GB weights fit
    off = kc.compare("qwen2.5-7b", 32768, 64, "h100", kc.Selection(offload=True))
    full = off["methods"]["full"]
    assert full["feasible"] and full["speedup_vs_full"] == 1.0
    spill = m.weight_params * kc.BYTES + need_kv - 80e9
    assert full["capacity"]["kv_offload_fraction"] == pytest.approx(spill / need_kv)
    host_bw = kc.system_params()["host_link_bandwidth"]
    assert full["time_s"]["gpu"] >= spill / host_bw  # the offloaded share crosses PCIe every step
    # beyond HBM + host memory: infeasible even with offload, and the CLI refuses it outright
    big = kc.compare("qwen2.5-7b", 131072, 64, "h100", kc.Selection(offload=True))
    assert not big["feasible"] and "host memory" in big["methods"]["full"]["infeasible_reason"]
    with pytest.raises(BadInputError, match="at most"):
        kc.check_point("qwen2.5-7b", 10_000_000, 1, "h100", kc.Selection())
    with pytest.raises(BadInputError, match="exceeds"):
        kc.check_point("qwen2.5-7b", 4096, 1, "h100", kc.Selection(k=32))


def test_bank_source_and_parallel_banks():
    n, b = 1048576, 1
    link = kc.step_cost("qwen2.5-7b", n, b, "h100", "photonic-signature", kc.Selection())
    local = kc.step_cost("qwen2.5-7b", n, b, "h100", "photonic-signature", kc.Selection(bank_source="local"))
    res = kc.step_cost("qwen2.5-7b", n, b, "h100", "photonic-signature", kc.Selection(resident=True))
    par = kc.step_cost("qwen2.5-7b", n, b, "h100", "photonic-signature", kc.Selection(resident=True, parallel_banks=True))
    sp, u = kc.system_params(), kc._engine("baseline").params
    sig = link["photonic"]["signature_bytes"]
    m = kc.model_dims("qwen2.5-7b")
    # per layer, TDM reload time moves from the PCIe bandwidth to the engine-local memory's
    dt = link["photonic"]["selection_time_per_layer_s"] - local["photonic"]["selection_time_per_layer_s"]
    assert dt == pytest.approx(sig / m.layers * (1 / u["interface_bandwidth"] - 1 / sp["engine_memory_bandwidth"]))
    assert local["energy_breakdown_j"]["transfer"] < link["energy_breakdown_j"]["transfer"]
    assert par["time_s"]["selection_critical_path"] < res["time_s"]["selection_critical_path"]
    with pytest.raises(BadInputError):
        kc.Selection(parallel_banks=True)
    with pytest.raises(BadInputError):
        kc.Selection(bank_source="disk")


@pytest.mark.parametrize("corner", ["baseline", "conservative", "aggressive"])
def test_engine_laser_is_the_shared_laser_law_with_the_units_comb_efficiency(corner):
    # one laser law (photonics/linkbudget.py) for every photonic unit: the engine's comb is a WDM source, so its
    # pump draws the comb's optical power over wall-plug × comb conversion efficiency, both from tfln-mrr.yaml
    from lightcode.hardware.load import load_unit
    from lightcode.photonics.linkbudget import laser_electrical_power_w

    p = load_unit("tfln-mrr", corner).params
    want = laser_electrical_power_w(p["laser_power"], 0.0, 1.0, p["laser_wall_plug"], p["comb_efficiency"])
    r = kc.step_cost("qwen2.5-7b", 8192, 1, "h100", "photonic-signature", corner=corner)
    assert r["photonic"]["laser_power_w"] == pytest.approx(want, rel=1e-12)
    assert r["photonic"]["static_power_w"] == pytest.approx(p["tec_power"] + p["tia_power"] * p["rows"] + want,
                                                            rel=1e-12)
    without_comb = laser_electrical_power_w(p["laser_power"], 0.0, 1.0, p["laser_wall_plug"])
    assert want == pytest.approx(without_comb / p["comb_efficiency"], rel=1e-12)


def test_engine_comb_efficiency_per_corner_is_the_cited_value():
    # baseline: Kim et al., Opt. Lett. 2019 (41 %, as the other WDM units); conservative: bright solitons ~1 %
    # (Helgason et al., Nat. Photon. 2023); aggressive: PRISM charges the comb's optical power (1)
    from lightcode.hardware.load import load_unit

    got = {c: load_unit("tfln-mrr", c).params["comb_efficiency"] for c in ("baseline", "conservative", "aggressive")}
    assert got == {"baseline": pytest.approx(0.41), "conservative": pytest.approx(0.01), "aggressive": 1.0}
