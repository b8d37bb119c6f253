"""Chip area: the Lightening-Transformer golden, scaling with the unit's own counts, YAML validation, the
area budget and the solver respecting it.

Golden numbers: Lightening-Transformer's own area report (its released simulator re-run, photonic_sims.md
§1.7b): DOTA-B 60.30 mm² (4- and 8-bit: precision does not change the inventory), DOTA-L 112.82 mm², MRR
bank (7 tiles × 2 PEs) 61.67 mm². Nothing is fitted: the component areas are LT's device sizes
(default.yaml, DAC/ADC tables, memory areas from its area script), the counts are our law (cost/area.py).
DOTA-B 4-bit is in-sample (the counting rules were written against its breakdown); DOTA-L and the MRR bank
are held out (other tile counts, another family).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from lightcode.errors import BadInputError, ConfigError
from lightcode.hardware.area_budget import check_area_budget, restrict_to, system_area, unit_area
from lightcode.hardware.load import UNITS_DIR, build_unit, load_system, read_unit

MM2 = 1e-6


def _area(name_or_path) -> float:
    return unit_area(read_unit(name_or_path)).total_m2


def _variant(tmp_path: Path, unit: str, **params) -> Path:
    """A copy of a library unit with some parameters changed."""
    doc = yaml.safe_load((UNITS_DIR / f"{unit}.yaml").read_text())
    for k, v in params.items():
        doc["params"][k] = {"value": v, "source": "test variant"}
        for block in (doc.get("corners") or {}).values():
            block.pop(k, None)
    tag = "-".join(f"{k}{v}" for k, v in params.items())
    doc["name"] = f"{unit}-{tag}"
    p = tmp_path / f"{doc['name']}.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p


@pytest.mark.parametrize("unit, lt_mm2, sample", [
    ("ddot-b-4bit", 60.30, "in-sample"),
    ("ddot-b-8bit", 60.30, "in-sample"),
    ("ddot-l-4bit", 112.82, "held-out"),
    ("ddot-l-8bit", 112.82, "held-out"),
])
def test_dota_area_golden(unit, lt_mm2, sample):
    assert _area(unit) / MM2 == pytest.approx(lt_mm2, rel=0.02), sample


def test_dota_b_components_match_lt_breakdown():
    # LT README/area script breakdown of DOTA-B 4-bit (photonic_sims.md §1.7b), per component
    lt = {"dac": 15.84, "adc": 1.6416, "tia": 0.0288, "laser": 0.72, "comb": 8.411136, "memory": 14.695399,
          "adder": 0.0512, "photonic_core": 11.318292, "modulator": 7.59416832}
    got = unit_area(read_unit("ddot-b-4bit")).components_m2
    for k, v in lt.items():
        # routers per modulator (not per core) and the splitter tree per branch: the documented differences
        assert got[k] / MM2 == pytest.approx(v, rel=0.006), k


def test_mrr_bank_area_golden_held_out(tmp_path):
    lt_mrr = _variant(tmp_path, "mrr-bank", cores=14)  # LT's MRR baseline: 7 tiles × 2 PEs of 12×12
    assert _area(lt_mrr) / MM2 == pytest.approx(61.67, rel=0.02)


def test_area_scales_with_tiles_and_wavelengths(tmp_path):
    a = {r: unit_area(read_unit(_variant(tmp_path, "ddot-b-4bit", tiles=r))) for r in (2, 4, 6, 8)}
    tot = {r: v.total_m2 for r, v in a.items()}
    # affine in the tile count: each tile adds the same inventory
    assert tot[4] - tot[2] == pytest.approx(tot[6] - tot[4], rel=1e-9)
    assert tot[8] - tot[6] == pytest.approx(tot[6] - tot[4], rel=1e-9)
    assert tot[8] > tot[6] > tot[4] > tot[2]
    # the broadcast operand-2 encoders do not grow with tiles: DACs grow by H·Λ·C per tile only
    u = build_unit(read_unit("ddot-b-4bit"))
    dac = read_unit("ddot-b-4bit").area_si()["dac"]
    assert a[6].components_m2["dac"] - a[4].components_m2["dac"] == pytest.approx(2 * u.H * u.L * u.C * dac)
    # wavelengths multiply the encoders (DAC, MZM) and nothing in the crossbar
    w6, w24 = (unit_area(read_unit(_variant(tmp_path, "ddot-b-4bit", wavelengths=w))) for w in (6, 24))
    assert w24.components_m2["dac"] == pytest.approx(4 * w6.components_m2["dac"])
    assert w24.components_m2["modulator"] == pytest.approx(4 * w6.components_m2["modulator"])
    assert w24.components_m2["photonic_core"] == pytest.approx(w6.components_m2["photonic_core"])
    # weight-stationary: cores, and rows × wavelengths of rings per core
    c4, c16 = (unit_area(read_unit(_variant(tmp_path, "mrr-bank", cores=c))).components_m2 for c in (4, 16))
    assert c16["dac"] == pytest.approx(4 * c4["dac"]) and c16["adc"] == pytest.approx(4 * c4["adc"])


def test_every_library_unit_states_its_area_or_has_no_law():
    from lightcode.cost.area import area_specs
    from lightcode.hardware.load import list_units

    for n in list_units():
        s = read_unit(n)
        a = unit_area(s)
        if area_specs(s.family) is None:
            assert not a.modelled, n
        else:
            assert a.modelled and a.total_m2 > 0 and all(p.source for p in s.area.values()), n
    assert _area("h100-sxm") / MM2 == pytest.approx(814) and _area("a100-sxm-80gb") / MM2 == pytest.approx(826)


def test_area_block_is_validated(tmp_path):
    doc = yaml.safe_load((UNITS_DIR / "ddot-b-4bit.yaml").read_text())
    doc["area"]["bogus"] = {"value": "1 mm^2", "source": "x"}
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError, match="area.bogus: unknown parameter"):
        read_unit(p)
    doc["area"].pop("bogus")
    doc["area"]["dac"] = {"value": "5 mW", "source": "x"}
    p.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError, match="area.dac"):
        read_unit(p)
    doc = yaml.safe_load((UNITS_DIR / "ptu-lightcode.yaml").read_text())
    doc["area"] = {"die": {"value": "1 mm^2", "source": "x"}}
    p.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError, match="no area law"):
        read_unit(p)


def test_area_budget_check_and_restriction():
    s = load_system("h100+ddot-b-4bit")
    a = system_area(s)
    assert a.photonic_m2 == pytest.approx(_area("ddot-b-4bit")) and a.units["h100-sxm"].total_m2 == pytest.approx(814 * MM2)
    ok = check_area_budget(s, 100 * MM2)
    assert ok.fits and ok.fitting_sets == (("ddot-b-4bit",),)
    tight = check_area_budget(s, 50 * MM2)
    assert not tight.fits and tight.fitting_sets == ((),) and tight.excluded == ("ddot-b-4bit",)
    assert "50.00 mm²" in tight.message() and "60.26 mm²" in tight.message()
    r = restrict_to(s, ())
    assert list(r.units) == ["h100-sxm"] and not r.links and [u.name for u in r.spec.units] == ["h100-sxm"]
    assert restrict_to(s, ("ddot-b-4bit",)) is s
    with pytest.raises(BadInputError, match="no area model"):
        check_area_budget(load_system("h100+ptu-lightcode"), 100 * MM2)
    with pytest.raises(BadInputError, match="positive"):
        check_area_budget(s, 0.0)


def _two_photonic_system(tmp_path: Path) -> Path:
    base = yaml.safe_load((Path(load_system("h100+ddot-b-4bit").spec.path)).read_text())
    link = base["links"][0]
    base["name"] = "h100+ddot+mrr"
    base["units"] = [str(UNITS_DIR / f"{u}.yaml") for u in ("h100-sxm", "ddot-b-4bit", "mrr-bank")]
    base["links"] = [link, {**link, "between": ["h100-sxm", "mrr-bank"]}]
    p = tmp_path / "h100+ddot+mrr.yaml"
    p.write_text(yaml.safe_dump(base, sort_keys=False))
    return p


def test_solver_respects_the_area_budget(tmp_path):
    import lightcode as lc
    from lightcode.pipeline.compile import compile_within_area

    g = lc.capture("gpt2", seq_len=64)
    path = _two_photonic_system(tmp_path)
    s = load_system(path)
    areas = {n: a.total_m2 for n, a in system_area(s).photonic.items()}
    assert sum(areas.values()) > 70 * MM2 > max(areas.values())  # both do not fit together, each alone does
    free = compile_within_area(g, system=s, area_budget_m2=200 * MM2, objective="energy", time_limit_s=5)
    assert free.check.fits and len(free.candidates) == 1
    out = compile_within_area(g, system=s, area_budget_m2=70 * MM2, objective="energy", time_limit_s=5)
    assert sorted(map(tuple, (c["photonic_units"] for c in out.candidates))) == [("ddot-b-4bit",), ("mrr-bank",)]
    used = {u for u, n in out.result.chosen.sim.ops_by_unit.items() if n and u in areas}
    assert sum(areas[u] for u in used) <= 70 * MM2
    assert out.result.energy_j >= free.result.energy_j * (1 - 1e-9)  # a tighter budget never helps
    assert out.result.energy_j == pytest.approx(min(c["metric"] for c in out.candidates))
    d = out.to_json_dict()
    assert d["used_m2"] <= d["budget_m2"] and json.dumps(d)
    none = compile_within_area(g, system=s, area_budget_m2=10 * MM2, objective="energy", time_limit_s=5)
    assert all(n == 0 for u, n in none.result.chosen.sim.ops_by_unit.items() if u in areas)
    assert any("none fits" in w for w in none.result.warnings)


def test_screen_points_flags_over_budget():
    from lightcode.experiments.area import point_area, screen_points

    pts = [{"system": "h100+ddot-b-4bit", "overrides": {"ddot-b-4bit.tiles": t}} for t in (2, 4, 8)]
    kept, over = screen_points(pts, 100 * MM2)
    assert [p["overrides"]["ddot-b-4bit.tiles"] for p in kept] == [2, 4]
    assert [p["overrides"]["ddot-b-4bit.tiles"] for p in over] == [8] and "over the 100 mm² budget" in over[0]["skipped"]
    assert point_area(pts[1]) == pytest.approx(_area("ddot-b-4bit"))


def test_scale_to_area_picks_the_closest_size():
    from lightcode.experiments.area import scale_to_area

    v, a = scale_to_area("h100+ddot-b-4bit", "ddot-b-4bit", "tiles", 112.82 * MM2)
    assert v == 8 and a / MM2 == pytest.approx(112.82, rel=0.02)
    v, a = scale_to_area("h100+mrr-bank", "mrr-bank", "cores", 60 * MM2)
    below, above = (scale_to_area("h100+mrr-bank", "mrr-bank", "cores", x)[1] for x in (a * 0.999, a * 1.001))
    assert math.isclose(below, a) and math.isclose(above, a)  # a local optimum of |area - target|


def test_cli_show_prints_the_area(run_cli):
    code, out, _ = run_cli("hardware", "show", "ddot-b-4bit")
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("area of ddot-b-4bit:"))
    assert float(line.split(":")[1].split()[0]) == pytest.approx(60.30, rel=0.02)
    code, out, _ = run_cli("hardware", "show", "ddot-l-4bit", "--json")
    d = json.loads(out)
    assert d["area"]["total_m2"] / MM2 == pytest.approx(112.82, rel=0.02) and d["area_params"]["dac"]["source"]
    code, out, _ = run_cli("hardware", "show", "h100+ddot-b-4bit", "--json")
    assert json.loads(out)["area"]["ddot-b-4bit"]["total_m2"] == pytest.approx(_area("ddot-b-4bit"))


def test_compile_json_blocks():
    import lightcode as lc
    from lightcode.pipeline.area import compile_json_blocks

    r = lc.compile(lc.capture("gpt2", seq_len=64), system="h100+ddot-b-4bit", objective="energy")
    d = compile_json_blocks(r)
    assert d["area"]["photonic_m2"] == pytest.approx(_area("ddot-b-4bit"))
    assert d["area"]["used_m2"] == pytest.approx(_area("ddot-b-4bit"))  # the energy mapping uses the DDot
    assert d["floor"]["ddot-b-4bit"]["physically_checked"] and json.dumps(d)
