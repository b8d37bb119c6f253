"""The main job: capture → StackedGraph → select → simulate → report (pinned API, DESIGN §1 and §4).

`run_compile(...)` returns a CompileResult whose `to_json_dict()` is the `lightcode compile --json` contract.
Without an objective it evaluates all-electronic, latency-optimal and energy-optimal side by side
("comparison"); the contract's `result`/`solver` keys then hold the latency-optimal mapping.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lightcode.core.opgraph import OpGraph
from lightcode.core.selection import Assignment
from lightcode.errors import BadInputError
from lightcode.pipeline.memo import reuse, stacked_graph
from lightcode.select import Constraints, Objective, select
from lightcode.sim.simulate import SimResult, simulate
from lightcode.stack.stacked import StackedGraph

DEFAULT_SYSTEM = "h100+ddot-b-4bit"
HEURISTICS = ("greedy", "path-search")


@dataclass
class Mapping:
    """One assignment and its simulation."""

    name: str
    assignment: Assignment
    sim: SimResult

    def summary(self) -> dict[str, Any]:
        s = self.sim
        return {
            "latency_s": s.latency_s,
            "energy_j": s.energy_j,
            "edp_js": s.edp,
            "energy_breakdown_j": dict(s.energy_breakdown_j),
            "ops_total": sum(s.ops_by_unit.values()),
            "ops_by_unit": dict(s.ops_by_unit),
            "flops_by_unit": dict(s.flops_by_unit),
            "solver": self.assignment.solver_dict(),
        }


def _metric(objective: Objective, sim: SimResult) -> float:
    if objective == Objective.LATENCY:
        return sim.latency_s
    if objective == Objective.EDP:
        return sim.edp
    return sim.energy_j


@dataclass
class CompileResult:
    model: str
    phase: str
    batch: int
    seq_len: int
    context: int | None
    system: str
    objective: str  # the objective of `chosen` ("latency" when none was asked for)
    requested_objective: str | None
    graph: OpGraph = field(repr=False)
    stacked: StackedGraph = field(repr=False)
    chosen: Mapping = field(repr=False)
    baseline: Mapping = field(repr=False)
    comparison: dict[str, Mapping] = field(default_factory=dict, repr=False)
    heuristics: dict[str, dict[str, Mapping]] = field(default_factory=dict, repr=False)  # objective -> name -> mapping
    timing_s: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    # --- typed results (DESIGN §1) -------------------------------------------------------------------
    @property
    def latency_s(self) -> float:
        return self.chosen.sim.latency_s

    @property
    def energy_j(self) -> float:
        return self.chosen.sim.energy_j

    @property
    def edp(self) -> float:
        return self.chosen.sim.edp

    @property
    def breakdown(self) -> dict[str, float]:
        return dict(self.chosen.sim.energy_breakdown_j)

    @property
    def assignment(self) -> Assignment:
        return self.chosen.assignment

    @property
    def sim(self) -> SimResult:
        return self.chosen.sim

    # --- JSON (DESIGN §4) ----------------------------------------------------------------------------
    def to_json_dict(self) -> dict[str, Any]:
        s = self.chosen.sim
        out: dict[str, Any] = {
            "model": self.model,
            "phase": self.phase,
            "batch": self.batch,
            "seq_len": self.seq_len,
            "context": self.context,
            "system": self.system,
            "objective": self.objective,
            "result": {
                "latency_s": s.latency_s,
                "energy_j": s.energy_j,
                "energy_breakdown_j": dict(s.energy_breakdown_j),
                "ops_total": sum(s.ops_by_unit.values()),
                "ops_by_unit": dict(s.ops_by_unit),
                "flops_by_unit": dict(s.flops_by_unit),
                "edp_js": s.edp,
                "utilisation": dict(s.utilisation),
            },
            "baseline": {"name": "all-electronic", "latency_s": self.baseline.sim.latency_s,
                         "energy_j": self.baseline.sim.energy_j},
            "solver": self.chosen.assignment.solver_dict(),
            "timing_s": dict(self.timing_s),
        }
        a = self.chosen.assignment
        out["solver"]["grid"] = dict(a.grid)
        if self.comparison:
            out["comparison"] = {name: m.summary() for name, m in self.comparison.items()}
        if a.pareto:
            out["pareto"] = [{"latency_s": p.latency_s, "energy_j": p.energy_j, "ops_by_unit": p.ops_by_unit()}
                             for p in a.pareto]
        if self.heuristics:
            h: dict[str, Any] = {}
            for obj_name, maps in self.heuristics.items():
                opt = self.comparison.get(obj_name, self.chosen)
                ref = _metric(Objective(obj_name), opt.sim)
                h[obj_name] = {name: {"latency_s": m.sim.latency_s, "energy_j": m.sim.energy_j,
                                      "loss_vs_optimum": (_metric(Objective(obj_name), m.sim) / ref - 1.0) if ref else None,
                                      "time_s": m.assignment.solve_time_s}
                               for name, m in maps.items()}
            out["heuristics"] = h
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_json_dict(), sort_keys=True)

    # --- tables, traces, figures ---------------------------------------------------------------------
    def to_frame(self):
        """pandas DataFrame, one row per op of the chosen mapping."""
        import pandas as pd

        st, sim = self.stacked, self.chosen.sim
        rows = []
        for i, op in enumerate(st.graph.ops):
            u = sim.units[i]
            cost = st.realization(i, u).cost
            rows.append({"op": op.name, "kind": op.kind, "module": op.module, "layer": op.layer, "unit": u,
                         "start_s": sim.schedule.op_start(i), "end_s": sim.schedule.op_end(i),
                         "latency_s": cost.latency_s, "energy_j": cost.total_energy_j, "flops": op.flops})
        return pd.DataFrame(rows)

    def write_trace(self, path: str | Path) -> Path:
        from lightcode.report.trace import write_trace

        return write_trace(self.stacked, self.chosen.sim, path)

    def plot_timeline(self, path: str | Path = "timeline.png") -> Path:
        from lightcode.report.plots import plot_timeline

        return plot_timeline(self.stacked, self.chosen.sim, path,
                             title=f"{self.model} {self.phase} on {self.system} — {self.chosen.name}")

    def plot_energy(self, path: str | Path = "energy.png") -> Path:
        from lightcode.report.plots import plot_energy

        rows = {"all-electronic": self.baseline.sim.energy_breakdown_j}
        for name, m in (self.comparison or {self.chosen.name: self.chosen}).items():
            rows[name] = m.sim.energy_breakdown_j
        return plot_energy(rows, path, title=f"{self.model} {self.phase} on {self.system}: energy by component")

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """report.json, trace.json, energy.png, timeline.png."""
        d = Path(out_dir)
        d.mkdir(parents=True, exist_ok=True)
        (d / "report.json").write_text(json.dumps(self.to_json_dict(), indent=1, sort_keys=True))
        return {"report": d / "report.json", "trace": self.write_trace(d / "trace.json"),
                "energy": self.plot_energy(d / "energy.png"), "timeline": self.plot_timeline(d / "timeline.png")}


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

        g = capture(model, seq_len=seq_len, phase=phase, context=context, batch=batch, dtype=dtype)
    t_capture = time.perf_counter() - t0

    t0 = time.perf_counter()
    # captured graph and loaded system come from caches (the same objects for the same inputs): reusable
    shared = not isinstance(model, OpGraph) and isinstance(system, str)
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
        warnings=warnings,
    )
    res.timing_s = {"capture": t_capture, "build": t_build, "select": t_select, "simulate": t_sim,
                    "baselines": t_baselines, "total": time.perf_counter() - t_start}
    if out_dir is not None:
        res.write(out_dir)
        res.timing_s["total"] = time.perf_counter() - t_start
    return res
