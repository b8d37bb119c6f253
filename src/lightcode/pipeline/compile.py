"""The main job: capture → StackedGraph → select → simulate → report (pinned API, docs/DESIGN.md §1 and §4).

`run_compile(...)` returns a CompileResult whose `to_json_dict()` is the `lightcode compile --json` contract.
Without an objective it evaluates all-electronic, latency-optimal and energy-optimal side by side
("comparison"); the contract's `result`/`solver` keys then hold the latency-optimal mapping.
"""

from __future__ import annotations

import time
from dataclasses import replace

from lightcode.core.opgraph import OpGraph
from lightcode.core.selection import Assignment
from lightcode.errors import BadInputError
from lightcode.pipeline.memo import reuse, stacked_graph
from lightcode.pipeline.result import CompileResult, Mapping
from lightcode.report.progress import stage
from lightcode.select import Constraints, Objective, select
from lightcode.sim.simulate import SimResult, simulate
from lightcode.stack.stacked import StackedGraph

DEFAULT_SYSTEM = "h100+ddot-b-4bit"
HEURISTICS = ("greedy", "path-search")


def _load_system(system, corner):
    if isinstance(system, str):
        from lightcode.hardware.load import load_system

        return load_system(system, corner=corner)
    return system


def run_compile(model, *, system=DEFAULT_SYSTEM, phase: str = "prefill", seq_len: int | None = None,
                context: int | None = None, batch: int = 1, dtype: str = "fp16", objective: str | None = None,
                latency_budget_s: float | None = None, energy_budget_j: float | None = None,
                time_limit_s: float = 10.0, corner: str | None = None, out_dir=None,
                heuristics: bool = True, constraints: Constraints | None = None) -> CompileResult:
    """Compile MODEL (preset name, config path, or an already captured OpGraph) onto SYSTEM."""
    t_start = time.perf_counter()
    requested = None if objective is None else Objective.parse(objective)
    for name, v in (("latency budget", latency_budget_s), ("energy budget", energy_budget_j),
                    ("time limit", time_limit_s)):
        if v is not None and not v > 0:
            raise BadInputError(f"{name} must be positive, got {v}")
    sysm = _load_system(system, corner)  # before the capture: a bad system name fails fast

    t0 = time.perf_counter()
    if isinstance(model, OpGraph):
        g = model
    else:
        from lightcode.frontend.capture import capture

        with stage(f"capturing {model}"):
            g = capture(model, seq_len=seq_len, phase=phase, context=context, batch=batch, dtype=dtype)
    t_capture = time.perf_counter() - t0

    t0 = time.perf_counter()
    # captured graph and loaded system come from caches (the same objects for the same inputs): reusable
    shared = not isinstance(model, OpGraph) and isinstance(system, str)
    with stage("building the stacked graph"):
        st = stacked_graph(g, sysm) if shared else StackedGraph(g, sysm)
    t_build = time.perf_counter() - t0

    base = constraints or Constraints()
    cons = Constraints(latency_budget_s=latency_budget_s if latency_budget_s is not None else base.latency_budget_s,
                       energy_budget_j=energy_budget_j if energy_budget_j is not None else base.energy_budget_j,
                       avg_power_cap_w=base.avg_power_cap_w, weight_capacity_bytes=base.weight_capacity_bytes,
                       min_precision_bits=base.min_precision_bits)
    objectives = [requested] if requested is not None else [Objective.LATENCY, Objective.ENERGY]
    t_select = t_sim = 0.0
    optimal: dict[str, Mapping] = {}
    for obj in objectives:
        t0 = time.perf_counter()
        with stage(f"solving {obj.value}-optimal mapping (time limit {time_limit_s:g} s)"):
            a = select(st, obj, cons, time_limit_s=time_limit_s)
        t_select += time.perf_counter() - t0
        t0 = time.perf_counter()
        optimal[obj.value] = Mapping(f"{obj.value}-optimal", a, simulate(st, a))
        t_sim += time.perf_counter() - t0

    t0 = time.perf_counter()

    def evaluated(objective: Objective, method: str) -> tuple[Assignment, SimResult]:
        a = select(st, objective, method=method)
        return a, simulate(st, a)

    baseline = Mapping("all-electronic", *reuse(st, ("all-electronic",),
                                                 lambda: evaluated(Objective.LATENCY, "all-electronic")))
    heur: dict[str, dict[str, Mapping]] = {}
    if heuristics:
        for obj in objectives:
            hobj = Objective.ENERGY if obj == Objective.PARETO else obj
            heur[hobj.value] = {}
            for method in HEURISTICS:
                # a heuristic compares only time (latency) or energy (else): baselines.op_metric
                cost = "time" if hobj == Objective.LATENCY else "energy"
                h, sim = reuse(st, ("heuristic", method, cost), lambda: evaluated(hobj, method))
                heur[hobj.value][method] = Mapping(method, replace(h, objective=hobj), sim)
    t_baselines = time.perf_counter() - t0

    chosen_obj = objectives[0]
    chosen = optimal[chosen_obj.value]
    comparison = {}
    if requested is None:
        comparison = {"all-electronic": baseline, "latency": optimal["latency"], "energy": optimal["energy"]}
    warnings = tuple(dict.fromkeys(w for m in optimal.values() for w in m.assignment.warnings))
    res = CompileResult(
        model=g.model.name, phase=g.phase, batch=g.batch, seq_len=g.seq_len, context=g.context,
        system=getattr(sysm, "name", str(system)), objective=chosen_obj.value,
        requested_objective=None if requested is None else requested.value, graph=g, stacked=st,
        chosen=chosen, baseline=baseline, comparison=comparison,
        heuristics={k: v for k, v in heur.items() if k in ("latency", "energy", "edp")},
        warnings=warnings, time_limit_s=time_limit_s,
    )
    res.timing_s = {"capture": t_capture, "build": t_build, "select": t_select, "simulate": t_sim,
                    "baselines": t_baselines, "total": time.perf_counter() - t_start}
    if out_dir is not None:
        res.write(out_dir)
        res.timing_s["total"] = time.perf_counter() - t_start
    return res
