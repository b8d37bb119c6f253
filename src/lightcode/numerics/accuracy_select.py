"""Accuracy-aware selection: solve with the surrogate budget, verify on the twin, tighten, re-solve.

Round k solves the exact selection with Σ_ops surrogate(op, realization) ≤ B_k (B_1 = ln(1 + target));
the chosen mapping is then replayed end to end on held-out text. If the measured perplexity increase
exceeds the target, B_{k+1} = B_k · min(shrink, ln(1 + target) / ln(1 + measured)) and the selection runs
again; the report lists every round (predicted vs measured) and whether the final one holds.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

from lightcode.core.selection import Assignment, Constraints, Objective, Status
from lightcode.errors import BadInputError, InfeasibleError
from lightcode.numerics import evaluate as ev
from lightcode.numerics.sensitivity import ProfileConfig, Profiler, surrogate

SIDE = "accuracy"
SHRINK = 0.7  # tightening factor per failed round when the measured overshoot is small


def _choice(stacked, a: Assignment) -> list[int]:
    ch = getattr(a, "choice", None)
    if ch is not None:
        return list(ch)
    out = []
    for i, u in enumerate(a.units):
        out.append(next(j for j, r in enumerate(stacked.realizations[i]) if r.unit == u))
    return out


def solve_with_side_budget(stacked, objective, side, budget: float, *, time_limit_s: float = 10.0,
                           constraints: Constraints | None = None, backend: str = "cpsat") -> tuple[Assignment, str]:
    """The integration point with the exact selection: `Constraints.side_costs/side_budgets` where the
    selection has them; otherwise a greedy repair of the unconstrained optimum (FEASIBLE, never OPTIMAL)."""
    from lightcode.select import select

    base = constraints or Constraints()
    if "side_costs" in Constraints.__dataclass_fields__:
        if not math.isfinite(budget):  # no budget: nothing to constrain
            return (select(stacked, objective, base, time_limit_s=time_limit_s, backend=backend),
                    "exact (no accuracy budget)")
        # a realization whose measured damage is unbounded (a non-finite surrogate) can never fit a finite
        # budget: a finite cost above the budget forbids it just as well, and the selection needs finite costs
        ceiling = budget + 1.0
        side = tuple(tuple(c if math.isfinite(c) else ceiling for c in per_op) for per_op in side)
        cons = replace(base, side_costs={SIDE: side}, side_budgets={SIDE: budget})
        try:
            return (select(stacked, objective, cons, time_limit_s=time_limit_s, backend=backend),
                    "exact (side budget in the selection)")
        except InfeasibleError:
            # no mapping found in time (the budget itself is feasible: every op has a free realization or
            # check_side refused it): the greedy repair of the unconstrained optimum, FEASIBLE, said so
            a = select(stacked, objective, base, time_limit_s=time_limit_s, backend=backend)
            fixed = _repair(stacked, objective, a, side, budget)
            if predicted(stacked, fixed, side) > budget:
                raise
            return fixed, "heuristic repair (the exact selection found no mapping within the time limit)"
    a = select(stacked, objective, base, time_limit_s=time_limit_s)
    fixed = _repair(stacked, objective, a, side, budget)
    # the repair prices ops alone (no transfers, no static power): keep the all-electronic mapping where the
    # simulator finds it better and it fits the budget too
    from lightcode.sim.simulate import simulate

    ae = select(stacked, objective, method="all-electronic")
    if predicted(stacked, ae, side) <= budget and _metric(objective, simulate(stacked, ae)) < _metric(
            objective, simulate(stacked, fixed)):
        fixed = replace(ae, warnings=fixed.warnings)
    return fixed, "heuristic repair (selection has no side budgets)"


def _metric(objective, sim) -> float:
    return Objective.parse(objective).metric(sim.latency_s, sim.energy_j)


def _repair(stacked, objective, a: Assignment, side, budget: float) -> Assignment:
    """Move ops to cheaper-in-accuracy realizations, best (objective increase / surrogate decrease) first,
    until the surrogate fits the budget. Judged by the simulator afterwards; status FEASIBLE."""
    t0 = time.perf_counter()
    obj = Objective.parse(objective)
    metric = (lambda r: r.cost.latency_s) if obj == Objective.LATENCY else (lambda r: r.cost.total_energy_j)
    choice = _choice(stacked, a)
    total = sum(side[i][c] for i, c in enumerate(choice))
    while total > budget + 1e-12:
        best = None
        for i, c in enumerate(choice):
            s0 = side[i][c]
            if s0 <= 0:
                continue
            reals = stacked.realizations[i]
            for j, r in enumerate(reals):
                gain = s0 - side[i][j]
                if gain <= 0:
                    continue
                ratio = (metric(r) - metric(reals[c])) / gain
                if best is None or ratio < best[0]:
                    best = (ratio, i, j, gain)
        if best is None:
            break
        _, i, j, gain = best
        choice[i] = j
        total -= gain
    units = tuple(stacked.realizations[i][c].unit for i, c in enumerate(choice))
    return Assignment(units=units, choice=tuple(choice), method=f"{a.method}+accuracy-repair", objective=obj, status=Status.FEASIBLE,
                      objective_value=None, bound=a.bound, gap=None,
                      solve_time_s=a.solve_time_s + time.perf_counter() - t0,
                      warnings=a.warnings + ("accuracy budget enforced by a greedy repair, not exactly",))


def predicted(stacked, a: Assignment, side) -> float:
    """The surrogate's sum for a mapping, summed as the selection sums a side budget (math.fsum), so a
    budget equal to a mapping's prediction admits that mapping."""
    return math.fsum(side[i][c] for i, c in enumerate(_choice(stacked, a)))


def twin_surrogate(stacked, profile_config: ProfileConfig = ProfileConfig(), progress=None) -> tuple[list, dict]:
    """The surrogate from the model's own twin (per op, per realization ΔNLL) and how it was profiled."""
    t0 = time.perf_counter()
    prof = Profiler(stacked.graph.model.name, profile_config)
    side = surrogate(stacked, prof, progress)
    return side, {"metric": "increase of mean next-token NLL (nats), additive over ops",
                  "granularity": "per op (= op kind x layer)", "source": "the model's own functional twin",
                  "profile": {"text": "lee_background.cor calibration part", "offset": profile_config.offset,
                              "windows": profile_config.windows, "window": profile_config.window,
                              "new_evaluations": prof.evaluations, "wall_s": time.perf_counter() - t0}}


def select_with_accuracy(stacked, objective="energy", max_ppl_increase: float = 0.05, *, rounds: int = 4,
                         eval_config: ev.EvalConfig = ev.EvalConfig(), profile_config: ProfileConfig = ProfileConfig(),
                         time_limit_s: float = 10.0, constraints: Constraints | None = None,
                         progress=None, side=None, surrogate_info: dict | None = None,
                         backend: str = "cpsat") -> tuple[Assignment, dict]:
    """The accuracy-constrained optimum and its report (see numerics/README.md for the JSON).

    `side`: a surrogate given by the caller (e.g. transferred from a proxy twin, numerics/proxy.py; then
    `surrogate_info` says how it was made); default: profiled on the model's own twin. A model without a
    twin is solved once under the surrogate budget and reported unverified (no measured figure exists)."""
    from lightcode.sim.simulate import simulate

    model = stacked.graph.model.name
    verify = ev.has_twin(model)
    if side is None and not verify:
        raise BadInputError(f"--max-ppl-increase needs a functional twin; {model!r} has none "
                            f"(twins: {', '.join(ev.FUNCTIONAL_MODELS)}); or give --accuracy-proxy "
                            f"{ev.FUNCTIONAL_MODELS[0]} to transfer its sensitivities (an assumption)")
    if not max_ppl_increase > 0:
        raise BadInputError(f"the perplexity-increase budget must be positive, got {max_ppl_increase}")
    if side is None:
        side, surrogate_info = twin_surrogate(stacked, profile_config, progress)
    target = math.log1p(max_ppl_increase)
    budget = target
    log = []
    a = acc = None
    for k in range(1, (rounds if verify else 1) + 1):
        a, how = solve_with_side_budget(stacked, objective, side, budget, time_limit_s=time_limit_s,
                                        constraints=constraints, backend=backend)
        pred = predicted(stacked, a, side)
        sim = simulate(stacked, a)
        entry = {"round": k, "budget_nats": budget, "selection": how, "solver": a.solver_dict(),
                 "predicted_ppl_increase": math.expm1(pred), "predicted_delta_nll_nats": pred,
                 "energy_j": sim.energy_j, "latency_s": sim.latency_s, "ops_by_unit": a.ops_by_unit()}
        if not verify:
            entry.update(measured_ppl_increase=None, holds=None)
            log.append(entry)
            break
        acc = ev.evaluate_accuracy(a, stacked, config=eval_config)
        meas = acc["ppl_increase"]["value"]
        holds = meas <= max_ppl_increase
        entry.update(measured_ppl_increase=meas, measured_ci95=acc["ppl_increase"]["ci95"],
                     measured_delta_nll_nats=acc["ppl_increase"]["delta_nll_nats"], holds=holds)
        log.append(entry)
        if progress:
            progress(f"round {k}: predicted {math.expm1(pred):+.2%}, measured {meas:+.2%}")
        if holds:
            break
        overshoot = math.log1p(max(meas, 0.0))
        budget *= min(SHRINK, target / overshoot) if overshoot > 0 else SHRINK
    report = {
        "target": {"max_ppl_increase": max_ppl_increase, "surrogate_budget_nats": target},
        "surrogate": surrogate_info, "verified": verify,
        "rounds": log, "n_rounds": len(log), "holds": bool(log and log[-1]["holds"]) if verify else None,
        "final": log[-1] if log else None, "accuracy": acc if verify else ev.not_evaluated(model),
    }
    if not verify:
        report["assumptions"] = [f"{model!r} has no functional twin: the budget holds for the transferred "
                                 "surrogate only; the mapping's accuracy was not measured"]
    return a, report
