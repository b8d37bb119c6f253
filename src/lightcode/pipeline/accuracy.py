"""Accuracy in a compile: `--accuracy` (replay the baseline and each optimum on the functional twin) and
`--max-ppl-increase` (each optimum under an accuracy budget: surrogate in the exact selection, verified on
the twin, tightened until it holds), with `--accuracy-proxy` for a model without a twin (sensitivities
transferred per op role: an assumption, flagged; nothing measured). The numerics live in numerics/; this
module only wires them to a compile request."""

from __future__ import annotations

import math

from lightcode.errors import BadInputError

PROXY_SEQ_LEN = 128  # the proxy graph's prompt length: per-op numerics do not depend on it (only shapes' K)


def _eval_config():
    from lightcode.numerics.evaluate import EvalConfig

    return EvalConfig()


def surrogate_for(st, request, progress=None) -> tuple[list[list[float]], dict]:
    """The additive accuracy surrogate (per op, per realization ΔNLL nats) for the request's model: from
    `--accuracy-proxy`'s twin when given, else from the model's own twin."""
    from lightcode.numerics import evaluate as ev

    model = st.graph.model.name
    if request.accuracy_proxy is None:
        if not ev.has_twin(model):
            raise BadInputError(f"--max-ppl-increase needs a functional twin; {model!r} has none (twins: "
                                f"{', '.join(ev.FUNCTIONAL_MODELS)}); give --accuracy-proxy "
                                f"{ev.FUNCTIONAL_MODELS[0]} to transfer its sensitivities (an assumption)")
        from lightcode.numerics.accuracy_select import twin_surrogate

        return twin_surrogate(st, progress=progress)
    proxy = request.accuracy_proxy
    if not ev.has_twin(proxy):
        raise BadInputError(f"--accuracy-proxy {proxy!r} has no functional twin; use one of "
                            f"{', '.join(ev.FUNCTIONAL_MODELS)}")
    from lightcode.frontend.capture import capture
    from lightcode.numerics.proxy import proxy_table, transfer
    from lightcode.numerics.sensitivity import ProfileConfig, Profiler
    from lightcode.pipeline.memo import stacked_graph

    pst = stacked_graph(capture(proxy, seq_len=PROXY_SEQ_LEN, phase="prefill", batch=1, dtype=st.graph.dtype),
                        st.system, st.precision)
    prof = Profiler(proxy, ProfileConfig())
    side, info = transfer(st, proxy_table(pst, prof, progress))
    return side, {"metric": "increase of mean next-token NLL (nats), additive over ops",
                  "granularity": "per op role x realization, transferred", "source": f"proxy twin {proxy!r}",
                  "proxy": proxy, "transfer": info,
                  "assumption": f"ASSUMPTION: {model!r}'s per-op sensitivities are taken to equal {proxy!r}'s "
                                "for the same op role and realization (not measured on this model)",
                  "profile": {"text": "lee_background.cor calibration part", "windows": prof.config.windows,
                              "window": prof.config.window, "new_evaluations": prof.evaluations}}


def constrained_optimum(st, objective, constraints, request, side, info, progress=None):
    """(Assignment, report) of the accuracy-constrained optimum for one objective (numerics/README.md)."""
    from lightcode.numerics.accuracy_select import select_with_accuracy

    return select_with_accuracy(st, objective, request.max_ppl_increase, eval_config=_eval_config(),
                                time_limit_s=request.time_limit_s, constraints=constraints, progress=progress,
                                side=side, surrogate_info=info, backend=request.solver)


def mapping_accuracy(mappings: dict, default_stacked, request, side=None, info=None,
                     known: dict | None = None) -> dict[str, dict]:
    """The `accuracy` object per mapping name: measured on the twin (reusing `known` ones), or "not
    evaluated" with, under a proxy, the transferred surrogate's prediction beside it (flagged)."""
    from lightcode.numerics import evaluate as ev
    from lightcode.numerics.accuracy_select import predicted

    out = {}
    for name, m in mappings.items():
        st = m.stacked or default_stacked
        model = st.graph.model.name
        if known and name in known and known[name].get("evaluated"):
            out[name] = known[name]
            continue
        if ev.has_twin(model):
            out[name] = ev.evaluate_accuracy(m.assignment, st, config=_eval_config(), name=name)
            continue
        acc = dict(known[name]) if known and name in known else ev.not_evaluated(model)
        if side is not None and st is default_stacked:
            d = predicted(st, m.assignment, side)
            acc["proxy_prediction"] = {"ppl_increase": math.expm1(d), "delta_nll_nats": d,
                                       "assumption": info["assumption"]}
        out[name] = acc
    return out


def summary_cell(acc: dict) -> str:
    """One table cell: the measured perplexity increase with its interval, else why there is none."""
    if acc.get("evaluated"):
        d = acc["ppl_increase"]
        return f"{d['value']:+.2%} [{d['ci95'][0]:+.2%}, {d['ci95'][1]:+.2%}]"
    p = acc.get("proxy_prediction")
    return "not evaluated" + (f" (proxy predicts {p['ppl_increase']:+.2%})" if p else "")


def attach(res, accuracy: dict[str, dict], selection: dict[str, dict]) -> None:
    """Put the accuracy objects on a CompileResult (its JSON and table read `accuracy`, `accuracy_selection`;
    each object carries its table cell as `summary`)."""
    for acc in accuracy.values():
        acc["summary"] = summary_cell(acc)
    res.accuracy = accuracy
    res.accuracy_selection = selection
