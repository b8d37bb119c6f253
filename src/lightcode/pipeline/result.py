"""CompileResult: what a compile returns — the chosen mapping, the baseline and the comparison, with their
simulations — and its views: the `--json` contract, pandas frames, traces and figures."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lightcode.core.opgraph import OpGraph
from lightcode.core.selection import Assignment, Objective
from lightcode.sim.simulate import SimResult
from lightcode.stack.stacked import StackedGraph


@dataclass
class Mapping:
    """One assignment and its simulation."""

    name: str
    assignment: Assignment
    sim: SimResult
    stacked: Any = None  # the StackedGraph it was evaluated on, when not the result's (another policy)

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
    return objective.metric(sim.latency_s, sim.energy_j)


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
    request: Any = None  # the CompileRequest that produced this result
    baseline_dtype: Any = None  # Mapping: all-electronic at the graph's dtype (native policy), for reference

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
        if self.request is not None:
            out["request"] = self.request.to_dict()
        out["precision"] = {"policy": self.stacked.precision, "floor": self.stacked.precision_floor.to_dict()}
        out["baseline"]["precision"] = self.stacked.precision
        if self.baseline_dtype is not None:
            b = self.baseline_dtype
            out["baseline_dtype"] = {"name": b.name, "latency_s": b.sim.latency_s, "energy_j": b.sim.energy_j,
                                     "dtype": self.graph.dtype}
        out["ops"] = self.ops_json()
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

    def ops_json(self, mapping: "Mapping | None" = None) -> list[dict[str, Any]]:
        """Per op of a mapping (default: the chosen one): its unit, the unit's variant and its formats."""
        m = mapping or self.chosen
        st, a = self.stacked, m.assignment
        choice = getattr(a, "choice", None)
        out = []
        for i, op in enumerate(st.graph.ops):
            reals = st.realizations[i]
            r = reals[choice[i]] if choice else next(x for x in reals if x.unit == a.units[i])
            out.append({"name": op.name, "kind": op.kind, "unit": r.unit, "variant": r.variant,
                        "formats": None if r.formats is None else r.formats.to_dict()})
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
            r = st.realizations[i][sim.choice[i]]
            u, cost = r.unit, r.cost
            rows.append({"op": op.name, "kind": op.kind, "module": op.module, "layer": op.layer, "unit": u,
                         "variant": r.variant,
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
