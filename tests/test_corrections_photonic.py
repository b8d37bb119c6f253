"""Photonic model corrections from the issue-13 audit, second part: comb conversion efficiency, always-on
lasers and ring locks, one photodiode law, decode-attention orientation and head packing as variants. Each
test pins the corrected law, so it fails on the old one; numbers are derived from the unit YAMLs."""

from __future__ import annotations

import pytest

from compile_fakes import FakeSystem, graph_of
from lightcode.cost.ddot import LT_ACCOUNTING, lt_accounting
from lightcode.experiments.encoder_ops import attention_op
from lightcode.hardware.load import load_unit
from lightcode.hardware.probe import gemm_op
from lightcode.photonics import detector, linkbudget
from lightcode.select import Status, select
from lightcode.sim.simulate import simulate
from lightcode.stack.stacked import StackedGraph

GEMM = (2048, 4096, 4096)  # llama2-7b q_proj at prefill S=2048
WDM = ["ddot-b-4bit", "ddot-l-8bit", "mrr-bank", "pcm-crossbar"]


def with_params(u, **kw):
    return type(u)(u.name, {**u.p, **kw})


# ---- comb conversion efficiency ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", WDM)
def test_comb_efficiency_divides_the_laser_power_of_every_wdm_family(name):
    """Electrical laser power = optical / (wall-plug × comb efficiency): a comb that puts 41 % of its pump in
    the used lines needs 1/0.41 of the pump a lossless source would (the old law left the comb out)."""
    u = load_unit(name)
    assert u.p["comb_efficiency"] == pytest.approx(0.41)  # Kim et al., Opt. Lett. 2019 (baseline)
    b = u.sizing_bits()
    lossless = with_params(u, comb_efficiency=1.0)
    assert u.laser_power(b) == pytest.approx(lossless.laser_power(b) / 0.41, rel=1e-12)
    # cited corners: bright solitons ~1 % (Helgason 2023), > 50 % (eLight review 2024)
    assert load_unit(name, "conservative").p["comb_efficiency"] == pytest.approx(0.01)
    assert load_unit(name, "aggressive").p["comb_efficiency"] == pytest.approx(0.5)


def test_comb_law_is_one_law_and_a_single_line_source_has_none():
    assert linkbudget.laser_electrical_power_w(1e-3, 3.0, 10, 0.2, 0.5) == pytest.approx(
        linkbudget.laser_electrical_power_w(1e-3, 3.0, 10, 0.2) / 0.5)
    assert load_unit("mzi-mesh").p["comb_efficiency"] == 1.0  # coherent mesh, one laser line


# ---- always-on lasers and ring locks ------------------------------------------------------------------------
def test_ddot_lasers_and_router_locks_are_static_power_when_always_on():
    """Always on (default): the static power is the SRAM plus R·C lasers sized for the widest read plus every
    WDM router's lock; ops carry no laser or router energy. Gated (LT): static = SRAM, the op carries both."""
    u = load_unit("ddot-b-4bit")
    p = u.p
    assert u.always_on and u.sizing_bits() == 4
    routers = sum(u.n_encoders()) * p["routers_per_modulator"] * p["router_power"]
    assert u.static_power_w == pytest.approx(p["sram_power"] + u.R * u.C * u.laser_power(4) + routers, rel=1e-12)
    assert u.tx_energy() == p["modulator_energy"]
    op = gemm_op(*GEMM)
    on = u.op_cost(op, "fp16")
    gated = with_params(u, photonic_idle=1)
    off = gated.op_cost(op, "fp16")
    assert on.energy_j["laser"] == 0 and off.energy_j["laser"] > 0
    assert gated.static_power_w == p["sram_power"]
    assert off.energy_j["modulator"] - on.energy_j["modulator"] == pytest.approx(
        (off.energy_j["dac"] / u.dac_energy(4)) * routers / sum(u.n_encoders()) / u.f, rel=1e-9)


def test_always_on_power_is_charged_over_the_makespan_by_the_static_law():
    """Through the simulator's one static law (static_power_w × makespan of a used unit): an op that keeps
    the unit busy 1/k of the makespan still pays the lasers for the whole makespan."""
    u = load_unit("ddot-b-4bit")
    op = gemm_op(64, 4096, 4096)
    g = graph_of([op], [])
    sg = StackedGraph(g, FakeSystem("one-ddot", {u.name: u}), precision="native")
    a = select(sg, "energy")
    sim = simulate(sg, a)
    assert sim.energy_breakdown_j["static"] == pytest.approx(u.static_power_w * sim.latency_s, rel=1e-12)
    assert sim.energy_breakdown_j["laser"] == 0
    assert sim.energy_breakdown_j["static"] > u.always_on_power_w()["laser"] * sim.latency_s


def test_mrr_ring_locks_stay_on_mzi_phase_holds_do_not():
    """MRR weight rings and input-modulator locks are ring locks (on with the unit); MZI phase shifters hold
    a weight only while an op holds it, so they stay in the op's `static`."""
    mrr = load_unit("mrr-bank")
    p = mrr.p
    locks = mrr.cores * (mrr.cells_per_core() * p["ring_hold_power"] + mrr.core_inputs() * p["modulator_hold_power"])
    assert mrr.always_on_power_w()["ring_locks"] == pytest.approx(locks, rel=1e-12)
    assert mrr.static_power_w == pytest.approx(locks + mrr.cores * mrr.laser_power(mrr.sizing_bits()), rel=1e-12)
    mzi = load_unit("mzi-mesh")
    assert mzi.always_on_power_w()["ring_locks"] == 0  # MZMs have no lock power (modulator_hold_power 0)
    assert mzi.op_cost(gemm_op(*GEMM), "fp16").energy_j["static"] > 0  # phase holds while weights are held


# ---- one photodiode law -----------------------------------------------------------------------------------
def test_photodiode_power_is_bias_times_current_in_every_family():
    """P_pd = V_bias·(𝓡·P_rx + I_dark), the received power the laser is sized for: DDot's LT 1.1 mW and
    the weight-stationary 25 nW were two definitions (LT's flat figure and a dark-current power)."""
    for name in ("ddot-b-4bit", "mrr-bank", "mzi-mesh", "pcm-crossbar"):
        u = load_unit(name)
        b = u.sizing_bits()
        rx = linkbudget.rx_power_for_bits(b, u.p, u.f)
        assert u.detector_power(b) == pytest.approx(1.0 * (1.0 * rx + 25e-9), rel=1e-12)  # 1 V, 1 A/W, 25 nA
    # DDot 4-bit, LT's precision law: P_rx = −25 dBm·2^4 = 50.6 µW, so 50.6 µW + 25 nW per diode, not 1.1 mW
    assert load_unit("ddot-b-4bit").detector_power(4) == pytest.approx(linkbudget.dbm_to_w(-25) * 16 + 25e-9)
    lt = lt_accounting(load_unit("ddot-b-4bit"))
    assert lt.detector_power(4) == pytest.approx(1.1e-3) and LT_ACCOUNTING["pd_power_law"] == detector.PD_FLAT


# ---- decode attention orientation and head packing ----------------------------------------------------------
def _picks(unit, op):
    sg = StackedGraph(graph_of([op], []), FakeSystem("one", {unit.name: unit}), precision="native")
    out = {}
    for objective in ("latency", "energy"):
        a = select(sg, objective)
        assert a.status == Status.OPTIMAL
        out[objective] = sg.realizations[0][a.choice[0]]
    return out


def test_both_orientations_are_variants_and_the_objective_picks():
    """Prefill A·V (S×S)·(S×d): LT's orientation is faster, the swapped one (d on the height, the S-long
    score rows broadcast) spends less memory energy. Gated (static = SRAM only), energy picks the swapped,
    latency LT's; always on, the lasers' static power over the extra time outweighs the saving, so energy
    picks the faster one too — the choice is the objective's, not the cost model's."""
    op = attention_op("attn", q_len=2048, kv_len=2048, heads=32, head_dim=128)
    gated = with_params(load_unit("ddot-b-4bit"), photonic_idle=1)
    v = {x.name: x.cost for x in gated.op_variants(op, "fp16")}
    assert set(v) == {"analog-4b", "analog-4b-swap"}
    fast, cheap = v["analog-4b"], v["analog-4b-swap"]
    assert fast.latency_s < cheap.latency_s and cheap.total_energy_j < fast.total_energy_j
    picks = _picks(gated, op)
    assert picks["latency"].variant == "analog-4b" and picks["energy"].variant == "analog-4b-swap"
    on = load_unit("ddot-b-4bit")
    w = {x.name: x.cost for x in on.op_variants(op, "fp16")}
    want = min(w, key=lambda k: w[k].total_energy_j + on.static_power_w * w[k].latency_s)
    assert _picks(on, op)["energy"].variant == want == "analog-4b"


def test_decode_attention_offers_lt_orientation_beside_the_fewest_cycles_one():
    """One query: the fewest-cycles orientation puts the keys on the height (all R tiles busy); LT's keeps the
    query on one of H rows — R× the cycles. Both are offered."""
    u = load_unit("ddot-b-4bit")
    op = attention_op("attn", q_len=1, kv_len=2048, heads=32, head_dim=128)
    v = {x.name: x.cost for x in u.op_variants(op, "fp16")}
    assert set(v) == {"analog-4b", "analog-4b-lt"}
    assert v["analog-4b-lt"].latency_s / v["analog-4b"].latency_s == pytest.approx(12.621 / 3.302, rel=1e-3)


def test_head_packing_shortens_latency_by_the_tile_factor():
    """With per-tile operand-2 encoders (`head_packing` 1) the R tiles take different heads: a one-query
    attention in LT's orientation (one row tile per head) runs ⌈32/R⌉ passes instead of 32 — R× faster; the
    latency objective takes a packed variant. LT's own DOTA shares one encoder set, so it offers none."""
    base = load_unit("ddot-b-4bit")
    op = attention_op("attn", q_len=1, kv_len=2048, heads=32, head_dim=128)
    assert not any("packed" in x.name for x in base.op_variants(op, "fp16"))
    packing = with_params(base, head_packing=1)
    v = {x.name: x.cost for x in packing.op_variants(op, "fp16")}
    assert {"analog-4b-packed", "analog-4b-lt-packed"} <= set(v)
    assert v["analog-4b-lt"].latency_s / v["analog-4b-lt-packed"].latency_s == pytest.approx(packing.R, rel=1e-9)
    assert packing.n_encoders()[1] == packing.R * base.n_encoders()[1]  # the encoders it needs
    assert "packed" in _picks(packing, op)["latency"].variant
    # weight GEMMs have one batch item: nothing to pack
    assert [x.name for x in packing.op_variants(gemm_op(*GEMM), "fp16")] == ["analog-4b"]
