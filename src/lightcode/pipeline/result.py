"""CompileResult: what a compile returns — the chosen mapping, the baseline and the comparison, with their
simulations — and its views: the `--json` contract (docs/DESIGN.md §4), a short repr and an HTML repr for
notebooks, pandas frames, traces, figures (matplotlib Figures; nothing here selects a backend) and
`write(DIR)`, which writes everything at once."""

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
    time_limit_s: float | None = None  # the solver's limit per objective (provenance)

    # --- typed results (docs/DESIGN.md §1) -------------------------------------------------------------------
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

    # --- JSON (docs/DESIGN.md §4) ----------------------------------------------------------------------------
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
        if getattr(self, "corners", None):  # --corners all (pipeline/corners.py)
            out["corners"] = self.corners
        if getattr(self, "accuracy", None) is not None:  # --accuracy / --max-ppl-increase (pipeline/accuracy.py)
            out["accuracy"] = self.accuracy
            out["accuracy_selection"] = {k: {kk: v for kk, v in r.items() if kk != "accuracy"}
                                         for k, r in self.accuracy_selection.items()}
        out["precision"] = {"policy": self.stacked.precision, "floor": self.stacked.precision_floor.to_dict()}
        out["baseline"]["precision"] = self.stacked.precision
        gpu_op = self.gpu_operation()
        if gpu_op:  # the GPU's stated power state while waiting and its execution regime (cost/gpu_power.py)
            out["gpu_operation"] = gpu_op
        if self.baseline_dtype is not None:
            b = self.baseline_dtype
            out["baseline_dtype"] = {"name": b.name, "latency_s": b.sim.latency_s, "energy_j": b.sim.energy_j,
                                     "dtype": self.graph.dtype}
        out["ops"] = self.ops_json()
        out["why_not_chosen"] = self.why_not_chosen()
        from lightcode.pipeline.area import compile_json_blocks

        blocks = compile_json_blocks(self)  # the system's area, the area the mapping uses, the physical floors
        if getattr(self, "area", None):  # an --area-budget compile: its check and candidates
            blocks["area"] = {**blocks["area"], **self.area}
        out.update(blocks)
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
        out["warnings"] = list(self.warnings)  # solvers' and loaders' (core/warn.py), [] when none
        out["provenance"] = self.provenance()
        return out

    def gpu_operation(self) -> dict[str, Any]:
        """The system's GPU wait state and execution regime with their sources ({} without a GPU)."""
        op = getattr(self.stacked.system, "gpu_operation", None)
        return dict(op) if op and op.get("gpu_wait_power_w") else {}

    def gpu_operation_line(self) -> str:
        """One line for the assumptions: wait state (power while waiting) and regime, 'default' if unstated."""
        op = self.gpu_operation()
        if not op:
            return ""
        w, r = op["gpu_wait_state"], op["execution_regime"]
        watts = ", ".join(f"{u} {p:.0f} W" for u, p in op["gpu_wait_power_w"].items())
        tag = lambda x: "" if x["stated"] else " (default, not stated by the system)"  # noqa: E731
        return (f"GPU waiting on another unit: {w['value']}{tag(w)} ({watts}); execution regime: "
                f"{r['value']}{tag(r)}")

    def why_not_chosen(self) -> dict[str, Any]:
        """Per op kind, each unit's best realizations against the chosen mapping's (report/why_not.py)."""
        from lightcode.report.why_not import NOTE, why_not_chosen

        return {"note": NOTE, "kinds": why_not_chosen(self.stacked, self.chosen.sim.choice, self.objective)}

    def ops_json(self, mapping: "Mapping | None" = None) -> list[dict[str, Any]]:
        """Per op of a mapping (default: the chosen one): its unit, the unit's variant, its formats and the
        fraction of its output each unit computes."""
        m = mapping or self.chosen
        st, a = self.stacked, m.assignment
        choice = getattr(a, "choice", None)
        out = []
        for i, op in enumerate(st.graph.ops):
            reals = st.realizations[i]
            r = reals[choice[i]] if choice else next(x for x in reals if x.unit == a.units[i])
            out.append({"name": op.name, "kind": op.kind, "unit": r.unit, "variant": r.variant,
                        "formats": None if r.formats is None else r.formats.to_dict(),
                        "fractions": r.fractions})  # share of the op's output per unit (1.0: a whole op)
            if r.parts:  # a split op (cost/split.py): each unit's part, its variant and how long it held the unit
                out[-1]["parts"] = [{"unit": p.unit, "fraction": str(p.fraction), "variant": p.variant,
                                     "busy_s": p.busy_s} for p in r.parts]
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_json_dict(), sort_keys=True)

    # --- settings and provenance ---------------------------------------------------------------------
    @property
    def corner(self) -> str | None:
        return getattr(self.stacked.system, "corner", None)

    @property
    def dtype(self) -> str:
        return self.stacked.dtype

    @property
    def precision_policy(self) -> str:
        """The precision policy the compile ran under and its floor (stack/precision.py)."""
        fl = self.stacked.precision_floor
        return f"{self.stacked.precision} (floor W{fl.weights_bits}A{fl.activations_bits}: {fl.reason})"

    def system_files(self) -> list[Path]:
        spec = getattr(self.stacked.system, "spec", None)
        if spec is None:
            return []
        return [spec.path, *(u.path for u in getattr(spec, "units", ()))]

    def provenance(self, argv: list[str] | None = None) -> dict[str, Any]:
        from lightcode.core.provenance import provenance

        return provenance(system=self.system, system_files=self.system_files(), corner=self.corner,
                          dtype=self.dtype, precision_policy=self.precision_policy,
                          time_limit_s=self.time_limit_s, argv=argv)

    # --- notebook views ------------------------------------------------------------------------------
    def mappings(self) -> dict[str, Mapping]:
        """Every mapping this result holds, by name: the comparison when one was made (all-electronic,
        latency-optimal, energy-optimal), else the all-electronic baseline and the chosen mapping."""
        if self.comparison:
            return dict(self.comparison)
        return {"all-electronic": self.baseline, self.objective: self.chosen}

    def _shape(self) -> str:
        return f"S={self.seq_len}" if self.phase == "prefill" else f"C={self.context}"

    def __repr__(self) -> str:
        from lightcode.report.si import si

        base = self.baseline.sim
        parts = []
        for name, m in self.mappings().items():
            if name == "all-electronic":
                parts.append(f"all-electronic {si(base.latency_s, 's')}, {si(base.energy_j, 'J')}")
                continue
            rl = m.sim.latency_s / base.latency_s if base.latency_s else float("nan")
            re_ = m.sim.energy_j / base.energy_j if base.energy_j else float("nan")
            parts.append(f"{name}-optimal {si(m.sim.latency_s, 's')} ({rl:.3g}×), {si(m.sim.energy_j, 'J')} ({re_:.3g}×)")
        return (f"<CompileResult {self.model} {self.phase} B={self.batch} {self._shape()} on {self.system}: "
                + "; ".join(parts) + " (× = vs all-electronic)>")

    def comparison_rows(self) -> tuple[list[str], list[list[str] | None]]:
        """The side-by-side table (header, rows; None marks a section break) shared by the HTML views."""
        from lightcode.report.si import si

        maps = self.mappings()
        base = self.baseline.sim
        header = [""] + list(maps)
        rows: list[list[str] | None] = []

        def row(label, f):
            rows.append([label] + [f(m) for m in maps.values()])

        row("latency", lambda m: si(m.sim.latency_s, "s"))
        row("energy", lambda m: si(m.sim.energy_j, "J"))
        row("EDP", lambda m: si(m.sim.edp, "J·s"))
        row("latency × all-electronic", lambda m: f"{m.sim.latency_s / base.latency_s:.3f}" if base.latency_s else "-")
        row("energy × all-electronic", lambda m: f"{m.sim.energy_j / base.energy_j:.3f}" if base.energy_j else "-")
        rows.append(None)
        for u in self.stacked.units:
            row(f"ops on {u}", lambda m, u=u: str(m.sim.ops_by_unit.get(u, 0)))
        for u in self.stacked.units:
            row(f"FLOP on {u}", lambda m, u=u: si(m.sim.flops_by_unit.get(u, 0.0), "FLOP"))
        rows.append(None)
        from lightcode.core.cost import ENERGY_COMPONENTS

        for c in ENERGY_COMPONENTS:
            if any(m.sim.energy_breakdown_j.get(c, 0.0) for m in maps.values()):
                row(f"energy: {c}", lambda m, c=c: si(m.sim.energy_breakdown_j.get(c, 0.0), "J"))
        rows.append(None)
        row("solver", lambda m: m.assignment.status.value if m.assignment.method == "cpsat" else m.assignment.method)
        row("gap", lambda m: f"{m.assignment.gap:.2%}" if m.assignment.gap is not None else "-")
        return header, rows

    def _repr_html_(self) -> str:
        import html

        header, rows = self.comparison_rows()
        keep = {"latency", "energy", "EDP", "latency × all-electronic", "energy × all-electronic", "solver"}
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                       for r in rows if r is not None and r[0] in keep)
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        title = html.escape(f"{self.model} {self.phase} (batch {self.batch}, {self._shape()}) on {self.system}")
        return (f"<div><b>CompileResult</b> — {title}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
                "</table><small>× = ratio to the all-electronic mapping; r.to_frame(mapping=…) per op, "
                "r.plot_energy() / plot_timeline() / plot_latency_energy() for figures.</small></div>")

    # --- tables, traces, figures ---------------------------------------------------------------------
    def mapping(self, name: str | None = None) -> Mapping:
        """A mapping by name ("all-electronic", "latency", "energy", …); None: the chosen one."""
        if name is None:
            return self.chosen
        maps = self.mappings()
        for key in (name, name.removesuffix("-optimal")):
            if key in maps:
                return maps[key]
        from lightcode.errors import BadInputError

        raise BadInputError(f"no mapping {name!r} in this result (known: {', '.join(maps)})")

    def to_frame(self, mapping: str | None = None):
        """pandas DataFrame of one mapping (default: the chosen one): a row per op, a row per transfer between
        units, and a row per used unit's static energy (its static power × the makespan), so the `energy_j`
        column sums to the mapping's total energy. Columns: row ("op" | "transfer" | "static"), op, kind,
        module, layer, unit, start_s, end_s, latency_s, energy_j, one `energy_<component>_j` column per energy
        component, flops, bytes."""
        import pandas as pd

        from lightcode.core.cost import ENERGY_COMPONENTS

        st, m = self.stacked, self.mapping(mapping)
        sim = m.sim
        sched = sim.schedule
        comp_cols = [f"energy_{c}_j" for c in ENERGY_COMPONENTS]
        rows = []

        def energies(ej: dict[str, float]) -> dict[str, float]:
            return {col: ej.get(c, 0.0) for col, c in zip(comp_cols, ENERGY_COMPONENTS)}

        for i, op in enumerate(st.graph.ops):
            r = st.realizations[i][sim.choice[i]]
            u, cost = r.unit, r.cost
            rows.append({"row": "op", "op": op.name, "kind": op.kind, "module": op.module, "layer": op.layer,
                         "unit": u, "variant": r.variant, "start_s": sched.op_start(i), "end_s": sched.op_end(i),
                         "latency_s": cost.latency_s, "energy_j": cost.total_energy_j, **energies(cost.energy_j),
                         "flops": op.flops, "bytes": op.bytes_read + op.bytes_written})
        ops = st.graph.ops
        for k, e in enumerate(st.edges):
            su = st.host if e.src is None else sim.units[e.src]
            du = st.host if e.dst is None else sim.units[e.dst]
            if su == du:
                continue
            cost = st.edge_cost(k, su, du)
            p = sched.transfer_event.get(k)
            start = sched.events[p].start_s if p is not None else (sched.op_end(e.src) if e.src is not None else 0.0)
            src = "host" if e.src is None else ops[e.src].name
            dst = "host" if e.dst is None else ops[e.dst].name
            rows.append({"row": "transfer", "op": f"{src} → {dst}", "kind": "transfer", "module": None,
                         "layer": None, "unit": f"{su}->{du}", "start_s": start, "end_s": start + cost.latency_s,
                         "latency_s": cost.latency_s, "energy_j": cost.total_energy_j, **energies(cost.energy_j),
                         "flops": 0.0, "bytes": e.nbytes})
        for u in sorted(set(sim.units), key=st.units.index):
            static = st.unit(u).static_power_w * sim.latency_s
            rows.append({"row": "static", "op": f"static power of {u}", "kind": "static", "module": None,
                         "layer": None, "unit": u, "start_s": 0.0, "end_s": sim.latency_s,
                         "latency_s": sim.latency_s, "energy_j": static, **energies({"static": static}),
                         "flops": 0.0, "bytes": 0})
        return pd.DataFrame(rows)

    def write_trace(self, path: str | Path, mapping: str | None = None) -> Path:
        """The Perfetto / chrome://tracing JSON of one mapping (default: the chosen one)."""
        from lightcode.report.trace import write_trace

        m = self.mapping(mapping)
        return write_trace(self.stacked, m.sim, path, name=m.name)

    def _title(self) -> str:
        return f"{self.model} {self.phase} ({self._shape()}) on {self.system}"

    def plot_timeline(self, path: str | Path | None = None, *, mapping: str | None = None, ax=None):
        """Gantt chart of one mapping (default: the chosen one) as a matplotlib Figure; saved to PATH when given."""
        from lightcode.report.plots import plot_timeline

        m = self.mapping(mapping)
        fig = plot_timeline(self.stacked, m.sim, title=f"{self._title()} — {m.name}", ax=ax)
        return self._maybe_save(fig, path)

    def plot_energy(self, path: str | Path | None = None, *, ax=None):
        """Energy by component of every mapping (stacked bars, fixed component colours) as a Figure."""
        from lightcode.report.plots import plot_energy

        rows = {name: m.sim.energy_breakdown_j for name, m in self.mappings().items()}
        fig = plot_energy(rows, title=f"{self._title()}: energy by component", ax=ax)
        return self._maybe_save(fig, path)

    def pareto_points(self) -> list[tuple[float, float]]:
        return [(p.latency_s, p.energy_j) for p in self.chosen.assignment.pareto]

    def plot_latency_energy(self, path: str | Path | None = None, *, ax=None):
        """Latency against energy of every mapping, with the Pareto front where it was computed."""
        from lightcode.report.plots import plot_latency_energy

        pts = {name: (m.sim.latency_s, m.sim.energy_j) for name, m in self.mappings().items()}
        fig = plot_latency_energy(pts, pareto=self.pareto_points(), title=f"{self._title()}: latency vs energy",
                                  ax=ax)
        return self._maybe_save(fig, path)

    @staticmethod
    def _maybe_save(fig, path):
        if path is not None:
            from lightcode.report.style import save

            save(fig, path)
        return fig

    # --- everything at once --------------------------------------------------------------------------
    def write(self, out_dir: str | Path, *, fmt: str = "png", dpi: int | None = None,
              argv: list[str] | None = None) -> dict[str, Path]:
        """Write report.json, report.html, a trace and a timeline per mapping (trace-NAME.json,
        timeline-NAME.FMT), energy.FMT, latency_energy.FMT, and the chosen mapping's trace.json and
        timeline.FMT. Everything is rendered into a temporary directory first and then moved into OUT_DIR
        (renamed whole when OUT_DIR does not exist yet), so a failure leaves no partial output."""
        import os
        import shutil
        import tempfile

        from lightcode.report.style import check_format

        fmt = check_format(fmt, dpi)
        out = Path(out_dir)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp's 0700 would become the output directory's mode
        try:
            names = self._render_into(tmp, fmt, dpi, argv)
            if not out.exists():
                os.replace(tmp, out)
            else:
                for name in names.values():  # an existing directory (e.g. made by the --out check): file by file
                    os.replace(tmp / name, out / name)
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return {k: out / v for k, v in names.items()}

    def _render_into(self, d: Path, fmt: str, dpi: int | None, argv) -> dict[str, str]:
        import io

        from lightcode.report import html as rhtml
        from lightcode.report.si import si
        from lightcode.report.style import save

        files: dict[str, str] = {}
        data = self.to_json_dict()
        data["provenance"] = self.provenance(argv)
        (d / "report.json").write_text(json.dumps(data, indent=1, sort_keys=True))
        files["report"] = "report.json"
        figs: list[rhtml.Figure] = []

        def emit(key: str, fig, filename: str, caption: str, inline: bool = True) -> None:
            files[key] = save(fig, d / filename, fmt=fmt, dpi=dpi).name
            if inline:
                buf = io.StringIO()
                fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
                figs.append(rhtml.Figure(key, caption, svg=buf.getvalue()))

        maps = self.mappings()
        emit("latency_energy", self.plot_latency_energy(), "latency_energy", "Latency against energy of every "
             "mapping" + (f"; the Pareto front ({len(self.pareto_points())} points)" if self.pareto_points() else "")
             + "; dashed/dotted lines: the all-electronic latency and energy.")
        emit("energy", self.plot_energy(), "energy", "Energy by component per mapping (fixed colour per component).")
        for name, m in maps.items():
            files[f"trace-{name}"] = self.write_trace(d / f"trace-{name}.json", mapping=name).name
            emit(f"timeline-{name}", self.plot_timeline(mapping=name), f"timeline-{name}",
                 f"Timeline of the {name} mapping: one row per unit core and per link, ops coloured by kind.")
        files["trace"] = self.write_trace(d / "trace.json").name
        files["timeline"] = save(self.plot_timeline(), d / "timeline", fmt=fmt, dpi=dpi).name

        base = self.baseline.sim
        cards = []
        for name, m in maps.items():
            note = "baseline" if name == "all-electronic" else (
                f"{m.sim.latency_s / base.latency_s:.3f}× latency, {m.sim.energy_j / base.energy_j:.3f}× energy")
            photonic_flops = sum(v for u, v in m.sim.flops_by_unit.items()
                                 if getattr(self.stacked.unit(u), "kind", "") == "photonic")
            total_flops = sum(m.sim.flops_by_unit.values()) or 1.0
            cards.append((f"{name}{'' if name == 'all-electronic' else '-optimal'}",
                          f"{si(m.sim.latency_s, 's')} · {si(m.sim.energy_j, 'J')}",
                          f"{note}; {photonic_flops / total_flops:.2%} of FLOPs photonic"))
        header, rows = self.comparison_rows()
        extra = []
        js = data
        if "pareto" in js:
            extra.append(("Latency–energy Pareto front", ["#", "latency", "energy", "EDP"],
                          [[str(k), si(p["latency_s"], "s"), si(p["energy_j"], "J"),
                            si(p["latency_s"] * p["energy_j"], "J·s")] for k, p in enumerate(js["pareto"])]))
        if "corners" in js:  # --corners all
            from lightcode.report.tables import CORNERS_TITLE, corners_rows

            extra.append((CORNERS_TITLE, *corners_rows(js["corners"])))
        if "heuristics" in js:
            extra.append(("Heuristics against the optimum", ["objective", "method", "latency", "energy", "loss"],
                          [[obj, name, si(r["latency_s"], "s"), si(r["energy_j"], "J"),
                            f"{r['loss_vs_optimum']:+.2%}" if r["loss_vs_optimum"] is not None else "-"]
                           for obj, rs in js["heuristics"].items() for name, r in rs.items()]))
        def formats_of(m: Mapping) -> str:
            """Per used unit: its realizations' declared formats, else the variant with that gap said."""
            per_unit: dict[str, set[str]] = {}
            st = m.stacked or self.stacked
            for i, u in enumerate(m.sim.units):
                r = st.realizations[i][m.sim.choice[i]]
                label = r.formats.label if r.formats is not None else f"variant {r.variant or '-'} (formats not declared)"
                per_unit.setdefault(u, set()).add(label)
            return "; ".join(f"{u}: {', '.join(sorted(v))}" for u, v in per_unit.items())
        prov = data["provenance"]
        assumptions = {
            "system": f"{self.system} ({', '.join(self.stacked.units)}; host {self.stacked.host})",
            "corner": str(self.corner),
            "precision policy": self.precision_policy,
            **{f"formats, {name}": formats_of(m) for name, m in maps.items()},
            "graph dtype": self.dtype,
            "workload": f"{self.model} {self.phase}, batch {self.batch}, {self._shape()}, {len(self.graph.ops)} ops",
            "objective": (self.requested_objective or "none: all-electronic, latency- and energy-optimal side by side"),
            "solver time limit": f"{self.time_limit_s:g} s per objective" if self.time_limit_s else "-",
            "energy law": "Σ op costs + Σ transfers between units + static power of each used unit × makespan",
            **({"GPU operation": self.gpu_operation_line()} if self.gpu_operation() else {}),
            "latency": "makespan of the list schedule (units concurrent; a GPU runs one kernel at a time)",
        }
        listed = sorted(set(files.values()) | {"report.html"})
        rep = rhtml.Report(
            title=f"lightcode: {self.model} {self.phase} on {self.system}",
            subtitle=f"batch {self.batch}, {self._shape()}, dtype {self.dtype}, corner {self.corner}; "
                     f"{prov['created_utc']}, lightcode {prov['lightcode_version']}"
                     + (f" @ {prov['commit'][:10]}" if prov.get("commit") else ""),
            cards=cards, table_header=header, table_rows=rows, figures=figs, assumptions=assumptions,
            provenance=prov, extra_tables=extra, warnings=list(self.warnings), files=listed,
            why_not_chosen=data["why_not_chosen"], why_not_mapping=f"{self.objective}-optimal")
        (d / "report.html").write_text(rhtml.render(rep), encoding="utf-8")
        files["html"] = "report.html"
        return files
