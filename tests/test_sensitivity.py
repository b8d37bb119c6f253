"""Sensitivity analysis: parameter ranges, the ranked one-at-a-time table, and break-even bisection."""

from __future__ import annotations

import math

import pytest

from lightcode.errors import BadInputError
from lightcode.experiments import sensitivity as sens
from lightcode.pipeline.request import CompileRequest

SYSTEM = "h100+ddot-b-4bit"


def test_ranges_use_corners_where_the_file_has_them_else_a_fraction():
    ranges = {r.key: r for r in sens.parameter_ranges(SYSTEM)}
    mod = ranges["ddot-b-4bit.modulator_energy"]  # the file gives conservative/aggressive values
    assert mod.how == "corners" and mod.low != mod.high
    idle = ranges["h100-sxm.idle_power"]  # no corners: ± 20 %
    assert idle.how == "±20%" and idle.low == pytest.approx(0.8 * idle.baseline)
    assert idle.high == pytest.approx(1.2 * idle.baseline)
    tiles = ranges["ddot-b-4bit.tiles"]  # an integer stays an integer
    assert float(tiles.low).is_integer() and float(tiles.high).is_integer()
    frac = {r.key: r for r in sens.parameter_ranges(SYSTEM, range_="±0.5")}
    assert frac["ddot-b-4bit.modulator_energy"].low == pytest.approx(0.5 * mod.baseline)


@pytest.mark.parametrize("bad", ["corner", "2", "-1.5", "0"])
def test_bad_range_is_refused(bad):
    with pytest.raises(BadInputError):
        sens.parameter_ranges(SYSTEM, range_=bad)


def test_unknown_parameter_is_refused():
    with pytest.raises(BadInputError, match="not a parameter"):
        sens.parameter_ranges(SYSTEM, params="h100-sxm.nope")


def test_one_at_a_time_table_is_ranked_by_swing(tmp_path):
    req = CompileRequest(model="gpt2", seq_len=32, system=SYSTEM, objective="energy", heuristics=False)
    res = sens.run_sensitivity(req, params="h100-sxm.idle_power,ddot-b-4bit.modulator_energy", workers=0,
                               db=tmp_path / "s.sqlite", progress=False)
    rows = res["parameters"]
    assert [r["rank"] for r in rows] == [1, 2]
    assert rows[0]["swing"] >= rows[1]["swing"]
    for r in rows:  # the swing is the table's own objective values, relative to the unmodified optimum
        want = abs(r["high"]["objective"] - r["low"]["objective"]) / res["baseline"]["objective"]
        assert math.isclose(r["swing"], want)
        assert r["low"]["status"] == r["high"]["status"] == "OPTIMAL"
    idle = next(r for r in rows if r["param"] == "h100-sxm.idle_power")
    assert idle["high"]["objective"] > idle["low"]["objective"]  # more idle power, more energy
    # re-running resumes from the store: nothing is solved again
    again = sens.run_sensitivity(req, params="h100-sxm.idle_power,ddot-b-4bit.modulator_energy", workers=0,
                                 db=tmp_path / "s.sqlite", progress=False)
    assert again["parameters"] == rows
    from lightcode.experiments.fingerprint import model_fingerprint

    assert again["model_fingerprint"] == res["model_fingerprint"] == model_fingerprint(SYSTEM)  # provenance


def test_breakeven_brackets_the_switch():
    """A closed-form stand-in for the solver: the photonic unit is chosen iff idle power < 123 W."""
    req = CompileRequest(model="gpt2", seq_len=32, system=SYSTEM, objective="energy")

    def solve(r: CompileRequest) -> dict:
        watts = float(str(r.overrides["h100-sxm.idle_power"]).split()[0])
        ph = 10 if watts < 123 else 0
        return {"ops": [{"unit": "h100-sxm"}], "result": {"ops_by_unit": {"h100-sxm": 5, "ddot-b-4bit": ph}}}

    res = sens.breakeven(req, "h100-sxm.idle_power", low=10, high=300, solve=solve)
    assert res["found"] and res["photonic_below"] and not res["photonic_above"]
    lo, hi = res["between"]
    assert lo <= 123 <= hi and (hi - lo) / hi <= 0.011


def test_breakeven_line_names_the_side_the_photonic_units_are_chosen_on(monkeypatch):
    """The CLI printed "chosen above" when the photonic units were chosen below the switch."""
    from typer.testing import CliRunner

    from lightcode.cli import app

    def fake(request, key, low=None, high=None):
        return {"param": key, "found": True, "unit": "W", "between": [72.15, 72.61], "photonic_below": True,
                "photonic_above": False, "baseline_value": 70.0, "steps": [1] * 8, "objective": "energy"}

    monkeypatch.setattr(sens, "breakeven", fake)
    out = CliRunner().invoke(app, ["sensitivity", "gpt2", "--breakeven", "h100-sxm.idle_power"]).output
    assert "chosen below 72.15" in out
