"""Accuracy in a compile (pipeline/accuracy.py): the request fields, "accuracy: not evaluated" for a model
without a twin (never a borrowed number), the budget loop's JSON, and the proxy transfer's rule.

The functional twin itself is not run here (minutes on 2 cores): its replay is tested in
test_numerics_twin.py, and the measured figure of the done-when command is in docs/accuracy/. Here the
twin's measurement and the surrogate are stand-ins where a test needs them."""

from __future__ import annotations

import math

import pytest

from lightcode.errors import BadInputError
from lightcode.pipeline import accuracy as pacc
from lightcode.pipeline.compile import run_compile
from lightcode.pipeline.request import CompileRequest


def test_request_reads_a_percentage_and_keeps_old_keys():
    r = CompileRequest(model="gpt2", max_ppl_increase="5%")
    assert r.max_ppl_increase == pytest.approx(0.05)
    assert CompileRequest(model="gpt2", max_ppl_increase="0.2").max_ppl_increase == pytest.approx(0.2)
    # fields at their defaults stay out of a sweep point's key (earlier stores stay valid)
    assert "accuracy" not in CompileRequest(model="gpt2").key_dict()
    assert "max_ppl_increase" in r.key_dict()
    for bad in ("five", "-5%", 0):
        with pytest.raises(BadInputError, match="max_ppl_increase"):
            CompileRequest(model="gpt2", max_ppl_increase=bad)
    with pytest.raises(BadInputError, match="accuracy"):
        CompileRequest(model="gpt2", accuracy="yes")


def test_cli_option_takes_text():
    from lightcode.cli.compile import request_parameters

    p = next(p for p in request_parameters() if p.name == "max_ppl_increase")
    assert "str" in str(p.annotation)  # "5%" reaches the request, which reads it


def test_model_without_twin_is_not_evaluated():
    res = run_compile("gpt2", seq_len=32, objective="energy", accuracy=True, heuristics=False, time_limit_s=30)
    js = res.to_json_dict()
    assert set(js["accuracy"]) == set(res.mappings())
    for acc in js["accuracy"].values():
        assert acc["evaluated"] is False and acc["reason"].startswith("accuracy: not evaluated")
        assert "ppl_increase" not in acc and "proxy_prediction" not in acc  # no number borrowed
        assert acc["summary"] == "not evaluated"


def test_budget_without_twin_or_proxy_names_the_proxy_option():
    with pytest.raises(BadInputError, match="--accuracy-proxy"):
        run_compile("gpt2", seq_len=32, max_ppl_increase=0.05, heuristics=False)


def _photonic_side(st):
    return [[0.0 if st.unit(r.unit).kind == "gpu" else 0.01 for r in reals] for reals in st.realizations]


def test_budget_with_a_proxy_is_flagged_and_unverified(monkeypatch):
    info = {"metric": "stand-in", "source": "test", "assumption": "ASSUMPTION: a stand-in surrogate"}
    monkeypatch.setattr(pacc, "surrogate_for", lambda st, request, progress=None: (_photonic_side(st), info))
    res = run_compile("gpt2", seq_len=32, objective="energy", max_ppl_increase=0.05, accuracy=True,
                      accuracy_proxy="smollm2-135m", heuristics=False, time_limit_s=30, precision="native")
    js = res.to_json_dict()
    rep = js["accuracy_selection"]["energy"]
    assert rep["verified"] is False and rep["holds"] is None and rep["n_rounds"] == 1
    assert rep["rounds"][0]["measured_ppl_increase"] is None
    assert rep["rounds"][0]["predicted_delta_nll_nats"] <= math.log1p(0.05) + 1e-12
    assert rep["assumptions"] and rep["surrogate"]["assumption"].startswith("ASSUMPTION")
    acc = js["accuracy"]["energy"]
    assert acc["evaluated"] is False
    assert acc["proxy_prediction"]["delta_nll_nats"] == pytest.approx(rep["rounds"][0]["predicted_delta_nll_nats"])
    pred = js["accuracy"]["all-electronic"]["proxy_prediction"]  # flagged prediction, never "measured"
    assert pred["ppl_increase"] == 0.0 and pred["assumption"].startswith("ASSUMPTION")
    # the table: a perplexity row per mapping, the loop's line and the assumption
    import io

    from rich.console import Console

    from lightcode.report.tables import print_compile_result

    buf = io.StringIO()
    print_compile_result(res, Console(file=buf, width=250))
    text = buf.getvalue()
    assert "perplexity change" in text and "not evaluated (proxy predicts" in text
    assert "not verified (no functional twin)" in text and "ASSUMPTION: a stand-in surrogate" in text


def test_budget_loop_json_with_a_twin(monkeypatch):
    """The JSON of the done-when command's shape: predicted and measured per round, the round count and
    whether the final one holds (the twin's measurement replaced by 2x the surrogate's prediction)."""
    from lightcode.numerics import accuracy_select as acs

    info = {"metric": "stand-in", "source": "test"}
    monkeypatch.setattr(pacc, "surrogate_for", lambda st, request, progress=None: (_photonic_side(st), info))
    monkeypatch.setattr(acs.ev, "has_twin", lambda m: True)
    side = {}

    def fake_eval(a, st, config=None, name=None):
        s = side.setdefault("s", _photonic_side(st))
        d = 2.0 * acs.predicted(st, a, s)
        return {"evaluated": True, "ppl_increase": {"value": math.expm1(d), "ci95": [0, 0], "delta_nll_nats": d},
                "mapping": name}

    monkeypatch.setattr(acs.ev, "evaluate_accuracy", fake_eval)
    monkeypatch.setattr("lightcode.numerics.evaluate.evaluate_accuracy", fake_eval)
    res = run_compile("gpt2", seq_len=32, objective="energy", max_ppl_increase=0.05, heuristics=False,
                      time_limit_s=30, precision="native")
    js = res.to_json_dict()
    rep = js["accuracy_selection"]["energy"]
    assert rep["holds"] is True and rep["n_rounds"] == len(rep["rounds"]) >= 1
    for r in rep["rounds"]:
        assert {"predicted_ppl_increase", "measured_ppl_increase", "holds", "budget_nats"} <= set(r)
    assert rep["final"]["measured_ppl_increase"] <= 0.05
    assert js["accuracy"]["energy"]["ppl_increase"]["value"] == rep["final"]["measured_ppl_increase"]
    assert "accuracy" not in rep  # the measured object lives once, under "accuracy"


class _FakeProfiler:
    """ΔNLL by op role and numerics label only, so the transfer's averaging can be checked by hand."""

    def __init__(self):
        self.calls = 0

    def delta(self, path, num):
        self.calls += 1
        layer = int(path.split(".")[2]) if path.startswith("model.layers.") else 0
        return 0.0 if num.is_reference else 0.001 * (1 + layer % 3) + 0.01 * ("mlp" in path)

    def save(self):
        pass


def test_proxy_transfer_charges_every_layer_alike():
    import lightcode as lc
    from lightcode.hardware.load import load_system
    from lightcode.numerics.proxy import proxy_table, role, transfer
    from lightcode.stack.stacked import StackedGraph

    system = load_system("h100+ddot-b-4bit")
    proxy = StackedGraph(lc.capture("smollm2-135m", seq_len=16), system, precision="native")
    target = StackedGraph(lc.capture("llama2-7b", seq_len=16), system, precision="native")
    table = proxy_table(proxy, _FakeProfiler())
    side, info = transfer(target, table)
    by_role: dict = {}
    for i, op in enumerate(target.graph.ops):
        if op.kind in ("matmul", "attention") and op.gemms:
            by_role.setdefault(role(op), set()).add(tuple(side[i]))
        else:
            assert all(v == 0.0 for v in side[i])
    assert set(by_role) >= {"self_attn.q_proj", "mlp.down_proj", "self_attn", "lm_head"}
    assert all(len(rows) == 1 for rows in by_role.values())  # one row per role: the layers alike
    # the mean over the proxy's 30 layers of 0.001·(1 + L mod 3) (+0.01 for the MLP): 0.002 (+0.01)
    (q_row,) = by_role["self_attn.q_proj"]
    (d_row,) = by_role["mlp.down_proj"]
    assert max(q_row) == pytest.approx(0.002) and max(d_row) == pytest.approx(0.012)
    assert not info["roles_without_counterpart"]
