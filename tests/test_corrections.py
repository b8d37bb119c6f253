"""Photonic model corrections from the issue-13 audit: each test pins the corrected law, so it fails on the
old one. Numbers are derived from the unit YAMLs (no fitted values)."""

from __future__ import annotations

import math

import pytest

from lightcode.hardware.load import load_unit
from lightcode.hardware.probe import gemm_op

GEMM = (2048, 4096, 4096)  # llama2-7b q_proj at prefill S=2048


@pytest.mark.parametrize("name", ["mrr-bank", "mzi-mesh"])
def test_hold_power_during_reprogramming_charged_once(name):
    """Heater power over the settle is in `static` (hold × latency, latency ⊇ settles); reprogramming is
    then only the DAC writes — the old model added hold × settle per cell a second time."""
    base = load_unit(name)
    u = type(base)(name, {**base.p, "photonic_idle": 1})  # gated: the hold is charged per op
    m, k, n = GEMM
    c = u.op_cost(gemm_op(m, k, n), "fp16")
    writes = k * n * u.dac_energy(u.precision_bits)
    assert c.energy_j["reprogramming"] == pytest.approx(writes, rel=1e-9)
    # static covers every round's settle at the held cores' power
    tiles = math.ceil(k / u.core_inputs()) * math.ceil(n / u.core_outputs())
    settle_s = math.ceil(tiles / u.cores) * u.program_time_s()
    hold_w = u.cores * u.cells_per_core() * u.hold_power_per_cell()
    assert c.energy_j["static"] >= hold_w * settle_s * (1 - 1e-9)


def test_pcm_rewrites_per_op_and_wear():
    """A 4096² GEMM on 8 cores of 12×12 cells: ⌈342·342/8⌉ = 14,621 rewrites per cell per op (the old
    `ops_until_worn` assumed 1); 500,000-cycle cells then wear out within 34 executions."""
    from lightcode.core.devices import unit_variants

    u = load_unit("pcm-crossbar")
    op = gemm_op(*GEMM)
    assert u.rewrites_per_op(op) == math.ceil(math.ceil(4096 / 12) ** 2 / 8) == 14621
    assert u.ops_until_worn(op) == pytest.approx(500000 / 14621)
    assert u.ops_until_worn(op, weights_resident=True) == math.inf
    # enforced: not offered to the solver (service life 10^6 executions) but still priced for probes
    assert unit_variants(u, op, "fp16") == ()
    assert u.op_cost(op, "fp16") is not None
    # a unit whose service life the cells do survive offers it again
    short = type(u)("pcm-short", {**u.p, "pcm_service_inferences": 30})
    assert len(unit_variants(short, op, "fp16")) == 1


def test_pcm_write_energy_paired_with_its_endurance_and_differential_cells():
    agg = load_unit("pcm-crossbar", "aggressive")
    assert agg.p["pcm_write_energy"] == pytest.approx(0.96e-12) and agg.endurance_cycles == 6000  # Gao 2025
    base = load_unit("pcm-crossbar")
    assert base._int("cells_per_weight") == 2
    assert base.cells_per_core() == 2 * base.core_inputs() * base.core_outputs()
    m, k, n = GEMM
    c = base.op_cost(gemm_op(m, k, n), "fp16")
    writes = k * n * (base.dac_energy(base.precision_bits) + 2 * base.p["pcm_write_energy"])
    assert c.energy_j["reprogramming"] == pytest.approx(writes, rel=1e-9)


@pytest.mark.parametrize("name", ["ddot-b-4bit", "ddot-b-8bit", "ddot-l-4bit", "ddot-l-8bit", "mzi-mesh",
                                  "pcm-crossbar"])
def test_slow_light_mzm_keeps_its_own_loss(name):
    """The aggressive corner's 50 fJ/bit is SimPhony's SL_MZM, whose insertion loss is 4.5 dB
    (photonic_sims.md §2.4), not the 1.2 dB of the 450 fJ LT MZM; the laser must pay for it."""
    agg = load_unit(name, "aggressive")
    assert agg.p["modulator_energy"] == pytest.approx(50e-15)
    assert agg.p["modulator_loss"] == pytest.approx(4.5)
    lossless = type(agg)("x", {**agg.p, "modulator_loss": 1.2})
    assert agg.always_on_power_w()["laser"] > lossless.always_on_power_w()["laser"]  # the always-on laser
    gated, gated_lossless = (type(agg)("g", {**u.p, "photonic_idle": 1}) for u in (agg, lossless))
    op = gemm_op(*GEMM)
    assert gated.op_cost(op, "fp16").energy_j["laser"] > gated_lossless.op_cost(op, "fp16").energy_j["laser"]


def test_adc_enob_is_the_parameter_and_energy_follows_walden():
    """The LT "8-bit" reference (Liu, ISSCC 2022: SNDR 40.8 dB, 1.48 pJ/conv at 10 GS/s) is ENOB 6.49; at its
    FoM an 8-ENOB conversion costs 2^(8−6.49) = 2.85× the 1.48 pJ the SAR law claimed."""
    from lightcode.photonics import converters

    enob = converters.enob_from_sndr(40.8)
    assert enob == pytest.approx(6.485, abs=1e-3)
    fom = 1.48e-12 / 2**enob
    assert fom == pytest.approx(16.52e-15, rel=0.01)  # the Murmann survey's FOMW_hf for that design
    u = load_unit("ddot-b-8bit")
    assert u.p["adc_fom"] == pytest.approx(16.52e-15)
    assert u.adc_energy(8) / 1.48e-12 == pytest.approx(2 ** (8 - enob), rel=0.01)


def test_receiver_noise_bandwidth_is_a_parameter():
    """The SNR law's noise bandwidth is `receiver_bandwidth_ratio` × clock (was clock/2 in code): a wider
    receiver (Al-Qadasi's DR/√2) needs more received power for the same bits."""
    from lightcode.photonics import linkbudget

    u = load_unit("mrr-bank")
    assert u.p["receiver_bandwidth_ratio"] == pytest.approx(0.5)
    nyq = linkbudget.rx_power_for_bits(6, u.p, u.f)
    wide = linkbudget.rx_power_for_bits(6, {**u.p, "receiver_bandwidth_ratio": 0.707}, u.f)
    assert wide > nyq
    assert load_unit("mrr-bank", "conservative").p["receiver_bandwidth_ratio"] == pytest.approx(0.707)
