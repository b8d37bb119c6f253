"""Number formats as data (issue 12 items 1-3): GPU variants per format, traffic by format, photonic formats,
the precision policy. Expected values are the formats' definitions and the cited YAML peaks, not fits."""

from __future__ import annotations

import json

import pytest

from lightcode.core.devices import unit_variants
from lightcode.errors import BadInputError
from lightcode.hardware.load import load_system, load_unit
from lightcode.hardware.probe import gemm_op
from lightcode.stack.precision import POLICIES, PrecisionFloor, check_policy, precision_floor
from lightcode.stack.stacked import StackedGraph

GEMV = gemm_op(1, 4096, 4096, "fp16")  # decode: memory bound
BIG = gemm_op(4096, 4096, 4096, "fp16")  # prefill-like: compute bound


def _by_name(unit, op):
    return {v.name: v for v in unit_variants(unit, op, "fp16")}


def test_gpu_offers_the_formats_its_yaml_has_peaks_for():
    h100, a100 = load_unit("h100-sxm"), load_unit("a100-sxm-80gb")
    assert list(_by_name(h100, GEMV)) == ["fp16", "fp8", "int8", "w4a16"]
    assert list(_by_name(a100, GEMV)) == ["fp16", "int8", "w4a16"]  # Ampere has no fp8 tensor cores
    f = _by_name(h100, GEMV)
    assert (f["fp16"].formats.weights.bits, f["fp16"].formats.activations.bits) == (16, 16)
    assert (f["fp8"].formats.weights.name, f["fp8"].formats.activations.bits) == ("fp8-e4m3", 8)
    assert (f["int8"].formats.weights.kind, f["int8"].formats.weights.bits) == ("int", 8)
    w4 = f["w4a16"].formats
    assert (w4.weights.name, w4.weights.bits, w4.activations.name) == ("int4", 4, "fp16")
    assert w4.scaling == "per-group-128" and w4.label == "W4A16"
    assert all(v.formats.outputs.name == "fp16" for v in f.values())


def test_non_gemm_ops_and_attention_have_one_variant_at_the_dtype():
    h100 = load_unit("h100-sxm")
    att = gemm_op(1, 128, 2049, "fp16")
    att = type(att)(**{**att.__dict__, "kind": "attention", "weights": (), "weight_bytes": 0,
                       "gemms": tuple(type(g)(g.m, g.k, g.n, g.batch, False) for g in att.gemms)})
    assert [v.name for v in unit_variants(h100, att, "fp16")] == ["fp16"]


def test_traffic_follows_the_format_of_what_is_read():
    h100 = load_unit("h100-sxm")
    fp16 = h100.traffic(GEMV, "fp16", "fp16")
    assert fp16["weights"] == GEMV.weight_bytes and fp16["scales"] == 0
    w4 = h100.traffic(GEMV, "fp16", "w4a16")
    assert w4["weights"] == GEMV.weight_bytes / 4  # 4-bit codes: a quarter of fp16's weight bytes
    assert w4["scales"] == GEMV.weight_bytes / 128  # one fp16 scale (2 B) per 128 weights (2 B each)
    assert w4["activations"] == fp16["activations"]  # A16
    f8 = h100.traffic(GEMV, "fp16", "fp8")
    assert f8["weights"] == GEMV.weight_bytes / 2 and f8["activations"] == fp16["activations"] / 2
    assert f8["outputs"] == fp16["outputs"] == GEMV.bytes_written


def test_peak_rate_by_format_on_a_compute_bound_gemm():
    h100 = load_unit("h100-sxm")
    v = _by_name(h100, BIG)
    p = h100.p
    launch = h100.launch_s
    t16, t8 = v["fp16"].cost.latency_s - launch, v["fp8"].cost.latency_s - launch
    assert t16 / t8 == pytest.approx(p["peak_flops_fp8"] / p["peak_flops_fp16"], rel=1e-9)  # 2x on Hopper
    t4 = v["w4a16"].cost.latency_s - launch
    assert t16 / t4 == pytest.approx(p["w4a16_compute_efficiency"], rel=1e-9)  # dequantising kernel is slower


def test_w4a16_is_memory_bound_faster_and_pays_its_dequantisation_share():
    h100 = load_unit("h100-sxm")
    v = _by_name(h100, GEMV)
    launch = h100.launch_s
    speedup = (v["fp16"].cost.latency_s - launch) / (v["w4a16"].cost.latency_s - launch)
    ratio = sum(h100.traffic(GEMV, "fp16", "fp16").values()) / sum(h100.traffic(GEMV, "fp16", "w4a16").values())
    assert speedup == pytest.approx(ratio, rel=1e-9) and 3.8 < speedup < 4  # bytes bound: 3.87x (scales cost)
    # the dequantisation is the cited share of the W4A16 kernel's energy
    s = h100.p["w4a16_dequant_energy_share"]
    no_dequant = type(h100)("x", {**h100.p, "w4a16_dequant_energy_share": 0.0})
    e_with = v["w4a16"].cost.total_energy_j
    e_without = no_dequant.variant_cost(GEMV, "fp16", "w4a16").total_energy_j
    assert (e_with - e_without) / e_with == pytest.approx(s, rel=1e-9)
    # a compute-bound W4A16 GEMM is at the board limit already: its dequantisation cannot add power above it
    c = _by_name(h100, BIG)["w4a16"].cost
    assert c.total_energy_j / (c.latency_s - launch) + h100.static_power_w == pytest.approx(h100.p["tdp"], rel=1e-9)


def test_fp16_variant_is_op_cost():
    h100 = load_unit("h100-sxm")
    assert _by_name(h100, BIG)["fp16"].cost == h100.op_cost(BIG, "fp16")


def test_photonic_formats_come_from_the_units_bits():
    for name, bits in (("ddot-b-4bit", 4), ("ddot-b-8bit", 8), ("mrr-bank", None)):
        u = load_unit(name)
        vs = unit_variants(u, GEMV, "fp16")
        assert len(vs) == 1
        f = vs[0].formats
        b = bits or u.precision_bits
        assert (f.weights.kind, f.weights.bits, f.activations.bits) == ("analog", b, b)
        assert f.outputs.kind == "int" and f.outputs.bits >= b  # read by an ADC at least as wide
    ptu = load_unit("ptu-lightcode")  # the authors' model has no precision: the graph's dtype
    assert unit_variants(ptu, GEMV, "fp16")[0].formats.weights.name == "fp16"


def test_cli_cost_format_w4a16_reads_a_quarter_of_fp16s_weight_bytes(run_cli):
    code, out, _ = run_cli("hardware", "cost", "h100-sxm", "--gemm", "1,4096,4096", "--format", "w4a16", "--json")
    assert code == 0
    w4 = json.loads(out)
    code, out, _ = run_cli("hardware", "cost", "h100-sxm", "--gemm", "1,4096,4096", "--json")
    fp16 = json.loads(out)
    assert fp16["format"] == "fp16" and w4["format"] == "w4a16"
    assert w4["bytes_read"]["weights"] == fp16["bytes_read"]["weights"] / 4 == 4096 * 4096 / 2
    assert w4["formats"]["weights"]["bits"] == 4 and w4["latency_s"] < fp16["latency_s"]
    code, _, err = run_cli("hardware", "cost", "a100-sxm-80gb", "--gemm", "1,4096,4096", "--format", "fp8")
    assert code == 2 and err.startswith("error: --format: a100-sxm-80gb has no variant 'fp8'") and "int8" in err


# --- precision policy ------------------------------------------------------------------------------------
def _graph(op=GEMV):
    """A one-op graph (the op reads its input from and writes its output to the host)."""
    from lightcode.core.opgraph import ModelInfo, OpGraph

    info = ModelInfo("probe", "Probe", 1, 4096, 32, 32, 128, 11008, 32000, 4096, op.weight_bytes // 2, "x")
    return OpGraph(info, "decode", 1, 1, 16, "fp16", (op,), (), op.weight_bytes)


def _floor(system: str) -> PrecisionFloor:
    return StackedGraph(_graph(), load_system(system), precision="native").precision_floor


def test_parity_floor_is_the_narrowest_accelerator_format():
    assert (_floor("h100+ddot-b-4bit").weights_bits, _floor("h100+ddot-b-4bit").activations_bits) == (4, 4)
    assert (_floor("h100+ddot-b-8bit").weights_bits, _floor("h100+ddot-b-8bit").activations_bits) == (8, 8)
    f = _floor("h100")  # no accelerator: the graph's dtype
    assert (f.weights_bits, f.activations_bits) == (16, 16) and "no accelerator" in f.reason
    assert "ddot-b-4bit" in _floor("h100+ddot-b-4bit").reason


def _gpu_variants(system: str, policy: str) -> list[str]:
    st = StackedGraph(_graph(), load_system(system), precision=policy)
    return [r.variant for r in st.realizations[0] if r.unit == st.host]


def test_parity_offers_every_unit_only_formats_at_least_the_floor():
    assert _gpu_variants("h100+ddot-b-4bit", "parity") == ["fp16", "fp8", "int8", "w4a16"]  # W4A16 next to 4-bit
    assert _gpu_variants("h100+ddot-b-8bit", "parity") == ["fp16", "fp8", "int8"]  # W4 is below an 8-bit floor
    assert _gpu_variants("h100", "parity") == ["fp16"]  # nothing to be at parity with: the model's dtype
    st = StackedGraph(_graph(), load_system("h100+ddot-b-8bit"), precision="parity")
    fl = st.precision_floor
    for r in st.realizations[0]:
        assert r.formats.weights.bits >= fl.weights_bits and r.formats.activations.bits >= fl.activations_bits


def test_native_is_todays_behaviour():
    assert _gpu_variants("h100+ddot-b-4bit", "native") == ["fp16"]
    st = StackedGraph(_graph(), load_system("h100+ddot-b-4bit"), precision="native")
    assert st.precision == "native"
    assert [r.unit for r in st.realizations[0]] == ["h100-sxm", "ddot-b-4bit"]


def test_unknown_policy():
    assert POLICIES == ("parity", "native") and check_policy("parity") == "parity"
    with pytest.raises(BadInputError, match="unknown precision policy 'fp4'; known: parity, native"):
        StackedGraph(_graph(), load_system("h100"), precision="fp4")


def test_floor_of_a_custom_realization_set():
    sysm = load_system("h100+ddot-b-4bit")
    f = precision_floor(sysm, "fp16", ())
    assert (f.weights_bits, f.activations_bits) == (16, 16)  # nothing offered by an accelerator
