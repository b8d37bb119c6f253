"""Physical floors (photonics/floor.py) and each unit's distance to them (cost/floor_check.py)."""

from __future__ import annotations

import json
import math

import pytest

from lightcode.cost.floor_check import gemm_floor, unit_floor
from lightcode.hardware.floor_refs import floor_refs_si
from lightcode.hardware.load import list_units, load_unit, read_unit
from lightcode.hardware.probe import gemm_op
from lightcode.photonics import floor, linkbudget
from lightcode.photonics.noise import E_CHARGE, K_BOLTZMANN

LAMBDA = 1550e-9


def test_shot_floor_closed_form():
    # 8 bits: SNR = 10^((6.02·8 + 1.76)/10); N = 2·SNR photons; E = N·hc/λ
    snr8 = 10 ** ((6.02 * 8 + 1.76) / 10)
    assert floor.shot_floor_photons(8) == pytest.approx(2 * snr8)
    assert floor.shot_floor_energy_j(8, LAMBDA) == pytest.approx(2 * snr8 * 6.62607015e-34 * 299792458 / LAMBDA)
    assert floor.shot_floor_energy_j(8, LAMBDA) == pytest.approx(25.16e-15, rel=1e-3)
    assert floor.shot_floor_energy_j(8, LAMBDA, quantum_efficiency=0.5) == pytest.approx(2 * floor.shot_floor_energy_j(8, LAMBDA))
    # each bit costs 4× the light
    assert floor.shot_floor_energy_j(5, LAMBDA) / floor.shot_floor_energy_j(4, LAMBDA) == pytest.approx(10 ** 0.602)
    assert floor.bits_at_shot_floor(floor.shot_floor_energy_j(6.5, LAMBDA), LAMBDA) == pytest.approx(6.5)


def test_shot_floor_is_the_link_budget_law_without_thermal_and_rin():
    # the unit's SNR law with an ideal detector (responsivity qλ/hc), no Johnson noise (T→0) and no RIN
    f = 5e9
    resp = E_CHARGE * LAMBDA / (6.62607015e-34 * 299792458)
    for b in (2, 4, 6, 8):
        p = linkbudget.rx_power_for_bits_snr(b, f / 2, resp, 1e-30, 1.0, -400.0)
        assert p / f == pytest.approx(floor.shot_floor_energy_j(b, LAMBDA), rel=1e-9)
        # and any real receiver (300 K, 1 kΩ, RIN −140 dB/Hz) needs more
        real = linkbudget.rx_power_for_bits_snr(b, f / 2, 1.0, 300.0, 1e3, -140.0)
        assert real is None or real / f > floor.shot_floor_energy_j(b, LAMBDA)


def test_thermal_floor_and_fom():
    snr8 = 10 ** ((6.02 * 8 + 1.76) / 10)
    assert floor.thermal_floor_energy_j(8, 300.0) == pytest.approx(8 * K_BOLTZMANN * 300 * snr8)
    assert floor.thermal_floor_energy_j(8, 300.0) == pytest.approx(3.253e-15, rel=1e-3)
    assert floor.fom_energy_j(8, 16.52e-15) == pytest.approx(16.52e-15 * 256)


def test_ddot_8bit_gemm_distance_to_the_floor():
    refs = floor_refs_si()
    u = load_unit("ddot-b-8bit")
    c = gemm_floor(u, gemm_op(2048, 4096, 4096, "fp16"), "fp16", refs)
    o = c["optical"]
    # LT's law: P_rx = sensitivity·2^8 at −25 dBm, one sample per 5 GHz cycle
    per_sample = 10 ** (-2.5) * 1e-3 * 2**8 / 5e9
    assert o["per_sample_j"] == pytest.approx(per_sample)
    assert o["x_above_floor_per_sample"] == pytest.approx(per_sample / floor.shot_floor_energy_j(8, LAMBDA))
    # K = 4096 → 342 wavelength slices; T' = 3 cycles × C = 2 cores summed per conversion → 57 conversions
    assert o["samples_per_conversion"] == pytest.approx(342 / 57)
    assert o["x_above_floor"] == pytest.approx(6 * o["x_above_floor_per_sample"])
    assert o["x_above_floor"] > 1
    # the unit's ADC is the best ≥5 GS/s ADC itself, priced by its Walden FoM: FoM·2^8 = 4.23 pJ, at the SOTA
    assert c["adc"]["x_above_sota"] == pytest.approx(1.0)
    assert c["adc"]["x_above_thermal"] > 1 and c["dac"]["x_above_thermal"] > 1


def test_no_library_unit_sits_below_the_shot_floor():
    refs = floor_refs_si()
    op = gemm_op(2048, 4096, 4096, "fp16")
    checked = 0
    for n in list_units():
        s = read_unit(n)
        for corner in ("baseline", *s.corners):
            u = load_unit(n, corner)
            c = gemm_floor(u, op, "fp16", refs)
            if c is None or not c["physically_checked"]:
                continue
            checked += 1
            assert c["optical"]["x_above_floor"] >= 1, (n, corner)
            assert c["adc"]["x_above_thermal"] >= 1 and c["dac"]["x_above_thermal"] >= 1, (n, corner)
    assert checked >= 10


def test_ptu_lightcode_is_not_physically_checked():
    refs = floor_refs_si()
    u = load_unit("ptu-lightcode")
    c = unit_floor(u, refs)
    assert c["physically_checked"] is False and c["status"] == "not physically checked"
    # 0.04 pJ/MAC pays for ~8.3 bits at the shot floor: outputs of ≥ 9 bits per detected product are below it
    assert 8 < c["bits_payable_at_shot_floor"] < 9
    assert gemm_floor(u, gemm_op(16, 64, 64, "fp16"), "fp16", refs)["physically_checked"] is False
    assert unit_floor(load_unit("h100-sxm"), refs) is None


def test_unreachable_precision_has_no_optical_floor_entry():
    refs = floor_refs_si()
    u = load_unit("ddot-b-8bit", "conservative")  # SNR law: 8 bits at 5 GS/s is RIN-limited
    c = unit_floor(u, refs)
    assert c["physically_checked"] and c["optical"] is None
    assert gemm_floor(u, gemm_op(2048, 4096, 4096, "fp16"), "fp16", refs) is None  # no realization


def test_cli_cost_json_reports_the_floor(run_cli):
    code, out, _ = run_cli("hardware", "cost", "ddot-b-8bit", "--gemm", "2048,4096,4096", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["supported"] and d["area"]["total_m2"] > 0
    f = d["floor"]
    assert f["physically_checked"] and math.isfinite(f["optical"]["x_above_floor"]) and f["optical"]["x_above_floor"] > 1
    assert {"x_above_sota", "x_above_thermal"} <= set(f["adc"]) and {"x_above_sota", "x_above_thermal"} <= set(f["dac"])
    code, out, _ = run_cli("hardware", "cost", "h100+ptu-lightcode", "--gemm", "128,256,256")
    assert code == 0 and "not physically checked" in out


def test_mapping_floor_of_a_compiled_mapping():
    import lightcode as lc
    from lightcode.pipeline.area import mapping_floor

    r = lc.compile(lc.capture("gpt2", seq_len=64), system="h100+ddot-b-4bit", objective="energy")
    f = mapping_floor(r)
    n_ph = r.chosen.sim.ops_by_unit.get("ddot-b-4bit", 0)
    assert n_ph > 0 and set(f) == {"ddot-b-4bit"}
    d = f["ddot-b-4bit"]
    assert d["physically_checked"] and d["ops"] == n_ph
    assert 1 <= d["optical_x_min"] <= d["optical_x_max"] and not d["below_a_floor"]
