"""The main job: capture → StackedGraph → select → simulate → report (pinned API, docs/DESIGN.md §1 and §4).

`run_compile(...)` returns a CompileResult whose `to_json_dict()` is the `lightcode compile --json` contract.
Without an objective it evaluates all-electronic, latency-optimal and energy-optimal side by side
("comparison"); the contract's `result`/`solver` keys then hold the latency-optimal mapping.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from lightcode.core.devices import SystemModel
from lightcode.core.opgraph import OpGraph
from lightcode.core.selection import Assignment
from lightcode.pipeline.area import AreaCompile
from lightcode.pipeline.memo import reuse, stacked_graph
from lightcode.pipeline.request import CompileRequest
from lightcode.pipeline.result import CompileResult, Mapping
from lightcode.report.progress import stage
from lightcode.select import Constraints, Objective, select
from lightcode.sim.simulate import SimResult, simulate
from lightcode.stack.stacked import StackedGraph

HEURISTICS = ("greedy", "path-search")


def _load_system(request: CompileRequest | None, system_obj: SystemModel | None) -> SystemModel:
    if system_obj is not None:  # loaded before the compile: what its loading warned still belongs to the result
        from lightcode.core.warn import warn_once

        for message in getattr(system_obj, "load_warnings", ()):
            warn_once(message)
        return system_obj
    from lightcode.hardware.load import load_system
    from lightcode.hardware.overrides import system_with_overrides

    return load_system(system_with_overrides(request.system, request.overrides, request.corner),
                       corner=request.corner)


def run_compile(model, request: CompileRequest | None = None, *, system: str | SystemModel | None = None,
                constraints: Constraints | None = None, out_dir=None, **fields: Any) -> CompileResult:
    """Compile MODEL (preset name, config path, or an already captured OpGraph) as REQUEST says.

    Without `request`, one is built from `fields` (the CompileRequest field names) — construction validates
    them. `system` may be a loaded SystemModel (then its name fills the request's `system`). `constraints`
    adds what a request cannot spell (per-unit capacities, precision floors, side budgets) to its budgets.
    The result's `warnings` hold the solvers' and every loader warning said during the compile (core/warn.py:
    a unit lacking the corner asked for, a user file hiding a library one), before `out_dir` is written."""
    from lightcode.core.warn import collecting

    t_start = time.perf_counter()
    with collecting() as said:
        res = _compile(model, request, system, constraints, fields, t_start)
    res.warnings = tuple(dict.fromkeys((*res.warnings, *said)))
    if out_dir is not None:
        res.write(out_dir)
        res.timing_s["total"] = time.perf_counter() - t_start
    return res


def _compile(model, request: CompileRequest | None, system: str | SystemModel | None,
             constraints: Constraints | None, fields: dict[str, Any], t_start: float) -> CompileResult:
    system_obj = None if system is None or isinstance(system, str) else system
    if system is not None:
        fields["system"] = system if isinstance(system, str) else getattr(system, "name", "system")
    if isinstance(model, OpGraph):  # the graph says what it is
        fields.update(model=model.model.name, phase=model.phase, batch=model.batch, dtype=model.dtype,
                      seq_len=model.seq_len if model.phase == "prefill" else None, context=model.context)
    else:
        fields["model"] = model
    if request is None:
        request = CompileRequest.from_dict(fields)
    elif fields.keys() - {"model", "system", "phase", "batch", "dtype", "seq_len", "context"}:
        raise TypeError("run_compile: give either a request or fields, not both")
    requested = None if request.objective is None else Objective.parse(request.objective)
    sysm = _load_system(request, system_obj)  # before the capture: a bad system name fails fast
    if request.area_budget_m2 is not None:  # the best over the fitting sets of photonic units (pipeline/area.py)
        inner = request.replace(area_budget_m2=None)
        best = compile_within_area(model if isinstance(model, OpGraph) else request.model, system=sysm,
                                   area_budget_m2=request.area_budget_m2, request=inner,
                                   constraints=constraints).result
        best.request = request
        return best

    t0 = time.perf_counter()
    if isinstance(model, OpGraph):
        g = model
    else:
        from lightcode.frontend.capture import capture

        with stage(f"capturing {request.model}"):
            g = capture(request.model, seq_len=request.seq_len, phase=request.phase, context=request.context,
                        batch=request.batch, dtype=request.dtype)
    t_capture = time.perf_counter() - t0

    t0 = time.perf_counter()
    # captured graph and loaded system come from caches (the same objects for the same inputs): reusable
    shared = not isinstance(model, OpGraph) and system_obj is None
    with stage("building the stacked graph"):
        st = (stacked_graph(g, sysm, request.precision, request.split) if shared
              else StackedGraph(g, sysm, precision=request.precision, split=request.split))
    t_build = time.perf_counter() - t0

    base = constraints or Constraints()
    cons = replace(base, latency_budget_s=request.latency_budget_s if request.latency_budget_s is not None
                   else base.latency_budget_s,
                   energy_budget_j=request.energy_budget_j if request.energy_budget_j is not None
                   else base.energy_budget_j)
    objectives = [requested] if requested is not None else [Objective.LATENCY, Objective.ENERGY]
    t_select = t_sim = t_acc = 0.0
    optimal: dict[str, Mapping] = {}
    side = side_info = None
    selection: dict[str, dict] = {}
    if request.max_ppl_increase is not None or (request.accuracy and request.accuracy_proxy is not None):
        from lightcode.pipeline import accuracy as pacc

        t0 = time.perf_counter()
        with stage("profiling per-op accuracy sensitivities (the surrogate)"):
            side, side_info = pacc.surrogate_for(st, request)
        t_acc += time.perf_counter() - t0
    for obj in objectives:
        t0 = time.perf_counter()
        if request.max_ppl_increase is not None:
            with stage(f"solving {obj.value}-optimal mapping with perplexity +{request.max_ppl_increase:.3g} max"):
                a, selection[obj.value] = pacc.constrained_optimum(st, obj, cons, request, side, side_info)
        else:
            with stage(f"solving {obj.value}-optimal mapping (time limit {request.time_limit_s:g} s)"):
                a = select(st, obj, cons, time_limit_s=request.time_limit_s, backend=request.solver)
        t_select += time.perf_counter() - t0
        t0 = time.perf_counter()
        optimal[obj.value] = Mapping(f"{obj.value}-optimal", a, simulate(st, a))
        t_sim += time.perf_counter() - t0

    t0 = time.perf_counter()

    def evaluated(on: StackedGraph, objective: Objective, method: str) -> tuple[Assignment, SimResult]:
        a = select(on, objective, method=method)
        return a, simulate(on, a)

    baseline = Mapping("all-electronic", *reuse(st, ("all-electronic",),
                                                 lambda: evaluated(st, Objective.LATENCY, "all-electronic")))
    # the all-GPU baseline at the graph's own dtype (fp16), beside the one at the request's policy: a reader
    # sees how much of a saving is precision and how much is the photonic unit
    if request.precision == "native":
        baseline_dtype = baseline
    else:
        st_native = (stacked_graph(g, sysm, "native") if shared else StackedGraph(g, sysm, precision="native"))
        a16, sim16 = reuse(st_native, ("all-electronic",),
                           lambda: evaluated(st_native, Objective.LATENCY, "all-electronic"))
        baseline_dtype = Mapping(f"all-electronic ({g.dtype})", a16, sim16, stacked=st_native)
    heur: dict[str, dict[str, Mapping]] = {}
    if request.heuristics:
        for obj in objectives:
            hobj = Objective.ENERGY if obj == Objective.PARETO else obj
            heur[hobj.value] = {}
            for method in HEURISTICS:
                # a heuristic compares only the objective's per-op metric: time or energy (Objective.heuristic)
                cost = hobj.heuristic
                h, sim = reuse(st, ("heuristic", method, cost), lambda: evaluated(st, hobj, method))
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
        system=getattr(sysm, "name", request.system), objective=chosen_obj.value,
        requested_objective=None if requested is None else requested.value, graph=g, stacked=st,
        chosen=chosen, baseline=baseline, comparison=comparison,
        heuristics={k: v for k, v in heur.items() if k != "pareto"},
        warnings=warnings, request=request, baseline_dtype=baseline_dtype, time_limit_s=request.time_limit_s,
    )
    if request.corner_range == "all":  # the same request at every device corner (pipeline/corners.py)
        from lightcode.pipeline.corners import corner_rows

        res.corners = corner_rows(model, request, system_obj, run_compile)
    if request.accuracy or request.max_ppl_increase is not None:
        from lightcode.pipeline import accuracy as pacc

        t0 = time.perf_counter()
        # the optima measured by the budget loop are not replayed again; --accuracy adds the baseline
        known = {k: r["accuracy"] for k, r in selection.items()}  # keyed as res.mappings() is
        maps = res.mappings() if request.accuracy else {k: v for k, v in res.mappings().items() if k in known}
        with stage("replaying mappings on the functional twin"):
            accs = pacc.mapping_accuracy(maps, st, request, side, side_info, known)
        pacc.attach(res, accs, selection)
        t_acc += time.perf_counter() - t0
    res.timing_s = {"capture": t_capture, "build": t_build, "select": t_select, "simulate": t_sim,
                    "baselines": t_baselines, "accuracy": t_acc, "total": time.perf_counter() - t_start}
    return res


def compile_within_area(model, *, system, area_budget_m2: float, corner: str | None = None, request=None,
                        **kw) -> AreaCompile:
    """`run_compile` restricted to photonic units whose combined area fits `area_budget_m2` (what
    `--area-budget` means: the photonic units a mapping may use must fit; the GPU die is not counted). One
    compile per maximal fitting set of units, the best by the objective kept (the no-objective comparison's
    chosen mapping is the latency-optimal one): exact, as each compile is."""
    from lightcode.core.warn import collecting
    from lightcode.hardware.area_budget import systems_within_budget
    from lightcode.hardware.load import load_system

    with collecting() as said:  # called directly, the system's own load warnings go with the result too
        if isinstance(system, (str, Path)):
            sysm = load_system(system, corner=corner)
        else:
            sysm = _load_system(None, system)  # a loaded object: its load warnings said again
    check, systems = systems_within_budget(sysm, area_budget_m2)
    if request is not None:  # from run_compile: the request's capture fields
        kw.update(seq_len=request.seq_len, phase=request.phase, context=request.context, batch=request.batch,
                  dtype=request.dtype)
        kw.update({k: v for k, v in request.to_dict().items()
                   if k not in ("model", "system", "seq_len", "phase", "context", "batch", "dtype", "corner",
                                "overrides", "area_budget_m2")})
    if not isinstance(model, str) or len(systems) > 1:  # capture once, compile each restricted system
        if not isinstance(model, OpGraph):
            from lightcode.frontend.capture import capture

            model = capture(model, **{k: kw.pop(k) for k in ("seq_len", "phase", "context", "batch", "dtype") if k in kw})
        else:
            for k in ("seq_len", "phase", "context", "batch", "dtype"):
                kw.pop(k, None)
    best, cands = None, []
    for s in systems:
        r = run_compile(model, system=s, **kw)
        m = Objective.parse(kw.get("objective") or "latency").metric(r.chosen.sim.latency_s, r.chosen.sim.energy_j)
        cands.append({"photonic_units": [u for u in s.units if s.units[u].kind == "photonic"], "metric": m})
        if best is None or m < best[0]:
            best = (m, r)
    r = best[1]
    r.warnings = tuple(dict.fromkeys((*r.warnings, *said, *(() if check.fits else (check.message(),)))))
    out = AreaCompile(r, check, cands)
    r.area = out.to_json_dict()  # carried for the compile JSON (`area` block)
    return out
