"""`lightcode generate` (issue 17 items 3–4): a request's costs are its phases' sums; the interpolation
between compiled decode contexts is within its stated tolerance where every step is compiled (gpt2, S=8,
T=9: 8 decode steps on h100+ddot-l-8bit — an in-process check, no reference number); bad inputs are one line."""

from __future__ import annotations

import json

import pytest

from lightcode.cli import main
from lightcode.experiments.generate import GenerateResult, Phase, _percentile, run_generate
from lightcode.pipeline.request import CompileRequest

SYS = "h100+ddot-l-8bit"


def _phase(ctx, lat, en, ops=None):
    costs = {n: {"latency_s": lat * f, "energy_j": en * f, "status": "OPTIMAL",
                 "energy_breakdown_j": {"compute": 0.75 * en * f, "memory": 0.25 * en * f},
                 "ops_by_unit": ops or {"gpu": 3}} for n, f in (("all-electronic", 1.0), ("latency", 0.5))}
    return Phase(ctx, costs, 0.0)


def _synthetic(t=6, batch=2):
    req = CompileRequest(model="gpt2", seq_len=10, batch=batch)
    knots = {10: _phase(10, 1.0, 2.0), 12: _phase(12, 2.0, 3.0, {"gpu": 2, "pho": 1}), 14: _phase(14, 4.0, 7.0)}
    return GenerateResult(req, 10, t, _phase(None, 10.0, 20.0), knots, 0.01, 0.0)


def test_totals_are_the_sum_of_their_phases():
    r = _synthetic()
    for name, f in zip(r.mappings, (1.0, 0.5)):
        tot = r.totals(name)
        lat = r.step_series(name, "latency_s")
        assert lat == pytest.approx([f * v for v in (1.0, 1.5, 2.0, 3.0, 4.0)])  # contexts 10..14
        assert tot["request_latency_s"] == pytest.approx(tot["phases"]["prefill"]["latency_s"]
                                                         + tot["phases"]["decode"]["latency_s"])
        assert tot["energy_per_request_j"] == pytest.approx(tot["phases"]["prefill"]["energy_j"]
                                                            + tot["phases"]["decode"]["energy_j"])
        assert sum(tot["energy_breakdown_j"].values()) == pytest.approx(tot["energy_per_request_j"])
        assert tot["energy_per_token_j"] == pytest.approx(tot["energy_per_request_j"] / (2 * 6))
        assert tot["tokens_per_s"] == pytest.approx(12 / tot["request_latency_s"])
        assert tot["ttft_s"] == tot["phases"]["prefill"]["latency_s"]
        assert tot["tpot_s"] == pytest.approx(sum(lat) / 5)
    ch = r.mapping_changes("latency")
    assert [(c["from"], c["to"], c["located"]) for c in ch] == [(10, 12, False), (12, 14, False)]


def test_percentile_is_nearest_rank():
    v = [float(i) for i in range(1, 101)]
    assert (_percentile(v, 50), _percentile(v, 90), _percentile(v, 99)) == (50.0, 90.0, 99.0)
    assert _percentile([], 50) is None


@pytest.fixture(scope="module")
def checked():
    req = CompileRequest(model="gpt2", system=SYS, seq_len=8, objective="latency")
    return run_generate(req, 9, check_every_step=True)


def test_interpolation_within_its_bound_on_the_checked_case(checked):
    d = checked.to_json_dict()
    i = d["interpolation"]
    assert i["checked"] == "every step" and i["knots"][0] == 8 and i["knots"][-1] == 15
    assert len(i["knots"]) < 8  # fewer compiles than steps
    assert i["measured_max_rel_error"] <= i["tolerance"]
    assert i["held_out_max_rel_error"] <= i["tolerance"]
    assert set(d["mappings"]) == {"all-electronic", "latency"}
    for k in ("ttft_s", "tpot_s", "tokens_per_s", "energy_per_token_j"):
        assert d[k] == d["mappings"]["latency"][k] > 0
    # the decode total equals the sum of the exact compiles within the measured error
    exact = sum(p.costs["latency"]["latency_s"] for p in checked.exact.values())
    assert d["mappings"]["latency"]["phases"]["decode"]["latency_s"] == pytest.approx(
        exact, rel=i["measured_max_rel_error"] + 1e-12)


def test_a_tight_tolerance_compiles_every_step(checked):
    req = CompileRequest(model="gpt2", system=SYS, seq_len=8, objective="latency")
    r = run_generate(req, 9, tolerance=1e-12)  # below the curvature measured above: bisection refines
    assert len(r.knots) > len(checked.knots) and r.held_out_error > 1e-12
    r.exact = checked.exact
    assert r.measured_error() <= checked.measured_error()


@pytest.mark.parametrize("argv,fragment", [
    (["generate", "gpt2", "--prompt", "8", "--new-tokens", "0"], "--new-tokens"),
    (["generate", "gpt2", "--prompt", "1000", "--new-tokens", "25"], "1024 positions"),
    (["generate", "gpt2", "--prompt", "0", "--new-tokens", "4"], "1..1024"),  # the capture names the model's limit
    (["generate", "gpt2", "--prompt", "8", "--new-tokens", "4", "--tolerance", "2"], "--tolerance"),
])
def test_bad_inputs_are_one_line(argv, fragment, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1 and err[0].startswith("error:") and fragment in err[0]


def test_cli_json_and_figure(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["generate", "gpt2", "--prompt", "8", "--new-tokens", "3", "--system", SYS, "--json",
              "--out", str(tmp_path)])
    assert e.value.code == 0
    d = json.loads(capsys.readouterr().out)
    assert set(d["mappings"]) == {"all-electronic", "latency", "energy"}
    assert (tmp_path / "generate.png").stat().st_size > 0 and (tmp_path / "generate.json").exists()


def test_sweep_spec_new_tokens_runs_generation_into_the_store(tmp_path):
    from lightcode.experiments.export import to_frame
    from lightcode.experiments.spec import parse_spec
    from lightcode.experiments.store import open_existing
    from lightcode.experiments.sweep import run_sweep

    base = {"models": ["gpt2"], "systems": [SYS], "seq_lens": [8], "objectives": ["latency"]}
    spec = parse_spec({**base, "new_tokens": [2, 3]})
    assert parse_spec(base).spec_hash != spec.spec_hash and spec.count_points() == 2
    assert parse_spec(base).spec_hash == parse_spec({**base, "new_tokens": None}).spec_hash  # old specs keep theirs
    s = run_sweep(spec, tmp_path / "r.sqlite", workers=0, progress=False)
    assert (s.total, s.ok) == (2, 2)
    with open_existing(tmp_path / "r.sqlite") as store:
        df = to_frame(store.rows(spec.spec_hash))
    assert sorted(df["new_tokens"]) == [2, 3] and (df["ttft_s"] > 0).all() and (df["tpot_s"] > 0).all()
    assert run_sweep(spec, tmp_path / "r.sqlite", workers=0, progress=False).skipped == 2  # resumable


def test_sweep_spec_new_tokens_needs_prompts():
    from lightcode.errors import BadInputError
    from lightcode.experiments.spec import parse_spec

    with pytest.raises(BadInputError, match="new_tokens"):
        parse_spec({"models": ["gpt2"], "systems": [SYS], "phases": ["decode"], "contexts": [8],
                    "new_tokens": [4]})
    with pytest.raises(BadInputError, match="new_tokens"):
        parse_spec({"models": ["gpt2"], "systems": [SYS], "seq_lens": [8], "new_tokens": [0]})


def test_compile_json_ops_carry_their_fractions_per_unit():
    from lightcode.pipeline.compile import run_compile

    res = run_compile("gpt2", CompileRequest(model="gpt2", system=SYS, seq_len=8, objective="latency",
                                             heuristics=False))
    ops = res.to_json_dict()["ops"]
    assert len(ops) == len(res.graph.ops)
    assert all(o["fractions"] == {o["unit"]: 1.0} for o in ops)  # whole ops: no split realizations yet
