"""Photonic unit families: golden numbers, LightCode consequences, precision check, utilisation, corners.

Golden sources (all summarised in docs/references/):
- LT = Lightening-Transformer simulator (zhuhanqing/Lightening-Transformer, HPCA'24) re-run on CPU,
  photonic_sims.md §1.5 (per-event costs), §1.7b (area/power and per-inference energy/latency),
  §1.7c (4096×4096 linear-layer probe on DOTA-B);
- LightCode = the authors' code constants and the consequences derived from them, lightcode.md §2.4.
"""

from __future__ import annotations

import math

import pytest

from lightcode.core.devices import UnitModel
from lightcode.core.opgraph import Gemm
from lightcode.cost.ddot import DDotUnit, lt_accounting
from lightcode.experiments.encoder_ops import DEIT_B, attention_op, bert_base, encoder_ops, linear_op
from lightcode.hardware.load import load_system, load_unit, read_unit
from lightcode.hardware.probe import gemm_op, vector_op
from lightcode.photonics import converters, linkbudget, precision

PHOTONIC_UNITS = ["ptu-lightcode", "ddot-b-4bit", "ddot-b-8bit", "ddot-l-4bit", "ddot-l-8bit",
                  "mrr-bank", "mzi-mesh", "pcm-crossbar"]
WEIGHT_STATIONARY = ["mrr-bank", "mzi-mesh", "pcm-crossbar"]
CORNERS = ("aggressive", "baseline", "conservative")


def rel(a: float, b: float) -> float:
    return abs(a / b - 1)


def run(unit, ops, dtype="fp16"):
    lat = en = 0.0
    for op in ops:
        c = unit.op_cost(op, dtype)
        assert c is not None, op.name
        lat += c.latency_s
        en += c.total_energy_j
    return lat, en


# ---- every unit loads through the library and implements the protocol ------------------------------
@pytest.mark.parametrize("name", PHOTONIC_UNITS)
def test_units_load_and_implement_protocol(name):
    for corner in read_unit(name).corners or ("baseline",):
        u = load_unit(name, corner)
        assert isinstance(u, UnitModel) and u.kind == "photonic" and u.slots >= 1
        assert u.static_power_w >= 0
        for kind in ("norm", "softmax", "elementwise"):
            assert u.op_cost(vector_op(kind, (4, 64)), "fp16") is None


# ---- DDot / DOTA against LT ---------------------------------------------------------------------------
@pytest.mark.parametrize("name,watts", [("ddot-b-4bit", 14.75), ("ddot-b-8bit", 50.94),
                                        ("ddot-l-4bit", 28.06), ("ddot-l-8bit", 95.92)])
def test_ddot_peak_power_matches_lt(name, watts):
    """LT area/power report (photonic_sims.md §1.7b): DOTA-B 14.75 / 50.94 W, DOTA-L 28.06 / 95.92 W.
    In-sample: the unit parameters are LT's own, so its totals are a calibration target, not a prediction.
    LT prices its ADC by the SAR law (1.48 pJ · b/8); the library's ADC follows the Walden FoM law at the same
    measured device (photonics/converters.py), so LT's ADC power is put back in for the comparison. LT's
    accounting (no comb loss, gated lasers, flat 1.1 mW photodiodes: cost/ddot.py LT_ACCOUNTING)."""
    u = lt_accounting(load_unit(name))
    peak = u.peak_power_w()
    lt_adc = peak["adc"] * (1.48e-12 * u.precision_bits / 8) / u.adc_energy(u.precision_bits)
    assert rel(sum(peak.values()) - peak["adc"] + lt_adc, watts) < 0.005


def test_ddot_per_event_costs_match_lt():
    """photonic_sims.md §1.5 derived per-event costs at 5 GHz: DAC 0.446 / 3.571 pJ, ADC 0.74 / 1.48 pJ,
    TX 0.56 pJ, link loss 4.22 dB, laser 96.26 / 1540.18 mW per core (LT's accounting)."""
    u4, u8 = lt_accounting(load_unit("ddot-b-4bit")), lt_accounting(load_unit("ddot-b-8bit"))
    assert rel(u4.dac_energy(4), 0.446e-12) < 0.002 and rel(u8.dac_energy(8), 3.571e-12) < 0.001
    # LT's SAR law gives 0.74 / 1.48 pJ; the Walden law at the same device's measured FoM (16.52 fJ, ENOB 6.49)
    # gives FoM·2^b: cheaper at 4 b, 2.85× dearer at 8 b
    assert rel(u4.adc_energy(4), 16.52e-15 * 16) < 1e-9 and rel(u8.adc_energy(8), 16.52e-15 * 256) < 1e-9
    assert rel(u4.tx_energy(), 0.56e-12) < 1e-9
    assert abs(u4.path_loss_db() - 4.22) < 1e-9
    assert rel(u4.laser_power(4), 96.26e-3) < 0.001 and rel(u8.laser_power(8), 1540.18e-3) < 0.001


@pytest.mark.parametrize("name,workload,mj,ms", [
    ("ddot-b-4bit", "deit-b", 5.437, 0.2653), ("ddot-b-8bit", "deit-b", 16.98, 0.2656),
    ("ddot-l-4bit", "deit-b", 5.089, 0.1328), ("ddot-b-4bit", "bert-b-384", 9.324, 0.5161),
    ("ddot-b-8bit", "bert-b-384", 30.53, 0.5161), ("ddot-l-4bit", "bert-b-384", 8.630, 0.2581),
])
def test_ddot_inference_matches_lt(name, workload, mj, ms):
    """LT per-inference energy/latency (photonic_sims.md §1.7b), GEMM ops only; goal ≤ 5 %. In-sample for
    the DeiT workloads the event model was written against; see the probe test for a workload it was not."""
    shape = DEIT_B if workload == "deit-b" else bert_base(384)
    lat, en = run(lt_accounting(load_unit(name)), encoder_ops(shape))
    assert rel(en, mj * 1e-3) < 0.05 and rel(lat, ms * 1e-3) < 0.05


@pytest.mark.parametrize("name,tokens,mj,us", [
    ("ddot-b-4bit", 1, 0.305, 7.74), ("ddot-b-4bit", 8, 0.317, 7.74), ("ddot-b-4bit", 128, 0.764, 32.2),
    ("ddot-b-4bit", 2048, 7.91, 500.0), ("ddot-b-8bit", 1, 0.677, 15.5), ("ddot-b-8bit", 2048, 27.4, 500.0),
])
def test_ddot_llm_probe_matches_lt(name, tokens, mj, us):
    """LT 4096×4096 linear-layer probe on DOTA-B (photonic_sims.md §1.7c); goal ≤ 5 %."""
    c = lt_accounting(load_unit(name)).op_cost(linear_op("probe", tokens, 4096, 4096), "fp16")
    assert rel(c.total_energy_j, mj * 1e-3) < 0.05 and rel(c.latency_s, us * 1e-6) < 0.05


def test_ddot_gemv_fills_one_column_and_is_weight_bound():
    """Batch 1 uses 1 of 12 crossbar columns: the same compute cycles as batch 12, ~1/12 utilisation;
    DRAM weight reads dominate the energy (photonic_sims.md §1.7c: 86 %)."""
    u = load_unit("ddot-b-4bit")
    m1, m12 = u.mapping(Gemm(1, 4096, 4096)), u.mapping(Gemm(12, 4096, 4096))
    assert m1["cycles"] == m12["cycles"]
    assert m1["utilisation"] < 1 / 12 + 1e-9 and m12["utilisation"] > 0.9
    c = u.op_cost(linear_op("gemv", 1, 4096, 4096), "fp16")
    assert c.energy_j["memory"] / c.total_energy_j > 0.85
    assert c.latency_s > m1["cycles"] / u.f  # streaming the weights is the bound, not the optics


def test_ddot_decode_attention_wastes_the_core():
    """One query fills one of H = 12 rows in LT's orientation (and only one of the 4 broadcast tiles);
    the swapped orientation (keys on the height) fills all tiles but still one of W = 12 columns:
    ≤ 1/12 utilisation either way. The core runs it (both operands dynamic)."""
    u = load_unit("ddot-b-4bit")
    op = attention_op("attn", q_len=1, kv_len=4096, heads=32, head_dim=128)
    qk = op.gemms[0]
    lt = u._tiling(qk, qk.m, qk.k, qk.n)  # LT: query rows on the height
    assert lt["utilisation"] <= 1 / 12 / u.R + 1e-9
    assert rel(u.mapping(qk)["cycles"] * u.R, lt["cycles"]) < 0.01  # swapped: keys spread over the R tiles
    assert all(u.mapping(g)["utilisation"] <= 1 / 12 + 1e-9 for g in op.gemms)
    assert u.op_cost(op, "fp16") is not None
    # the KV cache streamed in decode is charged (LT charged none)
    op_kv = attention_op("attn", 1, 4096, 32, 128, kv_cache_len=4095)
    assert u.op_cost(op_kv, "fp16").energy_j["memory"] > u.op_cost(op, "fp16").energy_j["memory"]


# ---- LightCode PTU (lightcode.md §2.4) ----------------------------------------------------------------
def _decoder_gemm_ops(layers, hidden, heads, mlp, vocab, seq, gated):
    """LightCode's matmul-type ops of a decoder prefill: dense layers plus QKᵀ and A·V as batch matmuls."""
    d = hidden // heads
    per_layer = [gemm_op(seq, hidden, hidden, name="q"), gemm_op(seq, hidden, hidden, name="k"),
                 gemm_op(seq, hidden, hidden, name="v")] if gated else [gemm_op(seq, hidden, 3 * hidden)]
    per_layer += [gemm_op(seq, d, seq, batch=heads, weight_operand=False),
                  gemm_op(seq, seq, d, batch=heads, weight_operand=False), gemm_op(seq, hidden, hidden)]
    per_layer += ([gemm_op(seq, hidden, mlp), gemm_op(seq, hidden, mlp), gemm_op(seq, mlp, hidden)] if gated
                  else [gemm_op(seq, hidden, mlp), gemm_op(seq, mlp, hidden)])
    return per_layer * layers + [gemm_op(seq, hidden, vocab)]


def gpt2(seq):
    return _decoder_gemm_ops(12, 768, 12, 3072, 50257, seq, gated=False)


def llama2_7b(seq):
    return _decoder_gemm_ops(32, 4096, 32, 11008, 32000, seq, gated=True)


def test_lightcode_pure_phu_matmul_times():
    """lightcode.md §2.4: GPT-2 prefill, 73 matmul-type ops, 1 core, M=20: 3.19 ms at S=5, 32.1 ms at
    S=50 (641 ms with M=1, exactly 20×), 351 ms at S=512; Llama-2-7B (289 ops) 170 ms at S=5, 1.71 s at S=50."""
    u = load_unit("ptu-lightcode")
    assert len(gpt2(5)) == 73 and len(llama2_7b(5)) == 289
    t = lambda ops, unit=u: sum(unit.compute_time_s(o) for o in ops)  # noqa: E731
    assert rel(t(gpt2(5)), 3.19e-3) < 0.005
    assert rel(t(gpt2(50)), 32.1e-3) < 0.005
    assert rel(t(gpt2(512)), 351e-3) < 0.005
    assert rel(t(llama2_7b(5)), 170e-3) < 0.01
    assert rel(t(llama2_7b(50)), 1.71) < 0.01
    m1 = type(u)("m1", {**u.p, "multiplex": 1})
    assert rel(t(gpt2(50), m1), 641e-3) < 0.005
    assert rel(t(gpt2(50), m1) / t(gpt2(50)), 20.0) < 0.01
    # op latency is the compute time (crossing delays belong to the system's transfers)
    assert u.op_cost(gpt2(5)[0], "fp16").latency_s == u.compute_time_s(gpt2(5)[0])


def test_lightcode_mac_energy():
    """lightcode.md §2.4: GPT-2 matmul MAC energy at S=50 is 0.249 mJ on the PHU (0.04 pJ/MAC)."""
    u = load_unit("ptu-lightcode")
    e = sum(u.op_cost(o, "fp16").energy_j["compute"] for o in gpt2(50))
    assert rel(e, 0.249e-3) < 0.005


@pytest.mark.parametrize("m_k_n_batch,weight,s_gpu01,s_gpu007", [
    ((4096, 4096, 1), True, 55, 111),   # Llama q/k/v/o dense
    ((768, 3072, 1), True, 56, 119),    # GPT-2 fc
    ((768, 2304, 1), True, 57, 120),    # GPT-2 qkv
    ((128, None, 32), False, 134, 364),  # Llama QKᵀ, 32 heads, d = 128
    ((64, None, 12), False, 182, 1273),  # GPT-2 QKᵀ, 12 heads, d = 64
])
def test_lightcode_energy_break_even(m_k_n_batch, weight, s_gpu01, s_gpu007):
    """lightcode.md §2.4: the PHU beats an electronic unit at 0.1 / 0.07 pJ/MAC from this sequence length on,
    with weight DACs in op_cost and activation DAC/ADC from the h100+ptu-lightcode system crossing."""
    u, sysm = load_unit("ptu-lightcode"), load_system("h100+ptu-lightcode")
    host, ptu = "h100-sxm", "ptu-lightcode"

    def op_at(s):
        k, n, b = m_k_n_batch
        return gemm_op(s, k, n) if weight else gemm_op(s, k, s, batch=b, weight_operand=False)

    def photonic_extra(s, gpu_mac):
        op = op_at(s)
        c = u.op_cost(op, "fp16")
        acts = op.inputs[:1] if weight else op.inputs  # weights are no edges: op_cost converts them
        conv = sum(sysm.transfer_cost(host, ptu, t.nbytes).energy_j.get("dac", 0.0) for t in acts)
        conv += sysm.transfer_cost(ptu, host, op.outputs[0].nbytes).energy_j.get("adc", 0.0)
        macs = sum(g.macs for g in op.gemms)
        return c.energy_j["compute"] + c.energy_j.get("dac", 0.0) + conv - gpu_mac * macs

    for gpu_mac, expected in ((0.1e-12, s_gpu01), (0.07e-12, s_gpu007)):
        # S − 1 does not win (GPT-2 QKᵀ at 0.07 pJ ties exactly at 1272: the reference counts a tie as no win)
        assert photonic_extra(expected, gpu_mac) < 0 <= photonic_extra(expected - 1, gpu_mac) + 1e-18


# ---- shared physics: converters, link budget, precision --------------------------------------------------
def test_converter_laws():
    assert rel(converters.dac_energy_j(4, 50e-3, 14e9, 8) * 8, converters.dac_energy_j(8, 50e-3, 14e9, 8)) < 1e-12
    assert rel(converters.adc_energy_j(4, 14.8e-3, 10e9, 8) * 2, 1.48e-12) < 1e-12
    assert rel(converters.walden_adc_energy_j(8, 16.52e-15) / converters.walden_adc_energy_j(6, 16.52e-15), 4) < 1e-12
    assert converters.converter_supports(8, 5e9, 8, 10e9)
    assert not converters.converter_supports(10, 5e9, 8, 10e9) and not converters.converter_supports(8, 20e9, 8, 10e9)


def test_snr_precision_limits():
    """photonic_sims.md §3.5 (Al-Qadasi et al. 2022 noise values, 50 Ω, RIN −140 dB/Hz): 8 bits at 5 GS/s
    is unreachable at any power (RIN-limited); 4 bits needs about −14 dBm (our SNR convention: within 3 dB)."""
    args = (2.5e9, 1.2, 300.0, 50.0, -140.0)
    assert linkbudget.rx_power_for_bits_snr(8, *args) is None
    p4 = linkbudget.rx_power_for_bits_snr(4, *args)
    assert abs(linkbudget.w_to_dbm(p4) - (-14.4)) < 3.0
    assert abs(linkbudget.enob_at_power(p4, *args) - 4.0) < 1e-6
    assert linkbudget.rx_power_for_bits_snr(6, *args) > p4


def test_adc_bits_grow_with_accumulation():
    assert precision.adc_bits_required(4, 1, 0.5) == 4
    assert precision.adc_bits_required(4, 16, 0.5) == 6
    assert precision.adc_bits_required(4, 4096, 1.0) == 16
    assert precision.adc_bits_required(4, 72, 0.0) == 4  # LT's assumption


def test_precision_check_rejects_ops_the_unit_cannot_resolve():
    op = linear_op("fc", 16, 768, 768)
    # DOTA with accumulation growth: 4-bit needs 4 + ⌈0.5·log2 72⌉ = 8 ADC bits (ok, costlier laser and ADC);
    # lasers gated to active cycles, so the op carries its laser energy
    base = DDotUnit("gated", {**load_unit("ddot-b-4bit").p, "photonic_idle": 1})
    grow4 = DDotUnit("g4", {**base.p, "adc_bits_per_doubling": 0.5})
    c0, c1 = base.op_cost(op, "fp16"), grow4.op_cost(op, "fp16")
    assert c1 is not None and c1.energy_j["laser"] > 10 * c0.energy_j["laser"] and c1.energy_j["adc"] > c0.energy_j["adc"]
    # 8-bit would need 12 ADC bits: beyond the 8-bit ADC reference, no realization
    grow8 = DDotUnit("g8", {**load_unit("ddot-b-8bit").p, "adc_bits_per_doubling": 0.5})
    assert grow8.op_cost(op, "fp16") is None
    # the same unit computing narrower int4 operands is feasible again
    assert grow8.op_cost(op, "int4") is not None
    # SNR law, 50 Ω receiver: 8-bit operands are RIN-limited at 5 GS/s
    mrr = load_unit("mrr-bank")
    assert mrr.op_cost(op, "fp16") is not None
    mrr8 = type(mrr)("mrr8", {**mrr.p, "bits": 8, "adc_bits_per_doubling": 0.0, "receiver_load": 50.0})
    assert mrr8.op_cost(op, "fp16") is None
    # PCM: 16 levels hold 4 bits, not 8
    pcm = load_unit("pcm-crossbar")
    assert type(pcm)("pcm8", {**pcm.p, "bits": 8}).op_cost(op, "int8") is None


# ---- weight-stationary families ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", WEIGHT_STATIONARY)
def test_weight_stationary_reprogramming_and_capacity(name):
    u = load_unit(name)
    assert u.weight_capacity_bytes > 0
    assert u.op_cost(attention_op("attn", 128, 128, 12, 64), "fp16") is None  # both operands dynamic
    op = linear_op("fc", 1, 768, 768)
    c = u.op_cost(op, "fp16")
    tiles = math.ceil(768 / u.core_inputs()) * math.ceil(768 / u.core_outputs())
    assert c.latency_s >= math.ceil(tiles / u.cores) * u.program_time_s()
    assert c.energy_j["reprogramming"] > 0
    # a small op whose weights fit stays resident: no loading, much faster
    small = linear_op("small", 1, u.core_inputs(), u.core_outputs())
    r = u.op_cost(small, "fp16", weights_resident=True)
    assert r.energy_j["reprogramming"] == 0 and r.latency_s < u.op_cost(small, "fp16").latency_s
    # an op larger than the unit cannot be resident: loading is charged anyway
    assert u.op_cost(op, "fp16", weights_resident=True).energy_j["reprogramming"] > 0


def test_pcm_has_no_hold_power_and_mrr_does():
    op = linear_op("fc", 64, 768, 768)
    pcm, mrr = load_unit("pcm-crossbar"), load_unit("mrr-bank")
    assert pcm.op_cost(op, "fp16").energy_j["static"] == 0 and pcm.always_on_power_w()["ring_locks"] == 0
    # always on (the default) the rings' locks are unit static power; gated they are held while the op runs
    assert mrr.always_on_power_w()["ring_locks"] > 0 and mrr.op_cost(op, "fp16").energy_j["static"] == 0
    gated = type(mrr)("gated", {**mrr.p, "photonic_idle": 1})
    assert gated.static_power_w == 0 and gated.op_cost(op, "fp16").energy_j["static"] > 0
    assert load_unit("pcm-crossbar").endurance_cycles > 0


@pytest.mark.parametrize("name", WEIGHT_STATIONARY + ["ddot-b-4bit", "ddot-l-4bit"])
@pytest.mark.parametrize("tokens", [1, 128])
def test_corners_are_monotonic(name, tokens):
    op = linear_op("fc", tokens, 1024, 1024)
    e = [load_unit(name, c).op_cost(op, "fp16").total_energy_j for c in CORNERS]
    assert e[0] <= e[1] <= e[2]


def test_ddot_conservative_corner_is_noise_limited():
    """Under the SNR law with accumulation growth, 8-bit DDot needs 10 ADC bits: no realization; the
    LT-faithful baseline still reproduces LT."""
    op = linear_op("fc", 16, 768, 768)
    assert load_unit("ddot-b-8bit", "conservative").op_cost(op, "fp16") is None
    assert load_unit("ddot-b-8bit", "conservative").op_cost(op, "int4") is not None
    assert load_unit("ddot-b-8bit").op_cost(op, "fp16") is not None


# ---- properties on random shapes ---------------------------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_dim = st.integers(min_value=1, max_value=3000)


@settings(max_examples=40, deadline=None)
@given(m=_dim, k=_dim, n=_dim, batch=st.integers(1, 16), dynamic=st.booleans())
def test_ddot_mapping_and_cost_properties(m, k, n, batch, dynamic):
    u = load_unit("ddot-b-4bit")
    g = Gemm(m, k, n, batch=batch, weight_operand=not dynamic)
    mp = u.mapping(g)
    assert 0 < mp["utilisation"] <= 1 + 1e-12
    assert mp["cycles"] >= g.macs / u.peak_macs_per_s() * u.f - 1e-9
    op = gemm_op(m, k, n, batch=batch, weight_operand=not dynamic)
    c, c2 = u.op_cost(op, "fp16"), u.op_cost(gemm_op(m + 1, k, n, batch=batch, weight_operand=not dynamic), "fp16")
    assert c is not None and all(v >= 0 for v in c.energy_j.values())
    assert c2.total_energy_j >= c.total_energy_j * (1 - 1e-9)  # one more row never costs less


@settings(max_examples=25, deadline=None)
@given(m=_dim, k=_dim, n=_dim, name=st.sampled_from(WEIGHT_STATIONARY))
def test_weight_stationary_cost_properties(m, k, n, name):
    u = load_unit(name)
    c = u.op_cost(gemm_op(m, k, n), "fp16")
    assert c is not None and c.latency_s > 0 and all(v >= 0 for v in c.energy_j.values())
    assert c.energy_j["reprogramming"] > 0
