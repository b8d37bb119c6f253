"""Rich tables for the terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from lightcode.core.opgraph import OP_KINDS, OpGraph
from lightcode.report.si import si
from lightcode.select.backend import BACKENDS


def print_graph_summary(g: OpGraph, console: Console | None = None) -> None:
    """`lightcode graph`: ops by kind (count, GFLOP, MB read/written, % of FLOPs) and totals."""
    console = console or Console()
    tot = g.totals()
    by = g.by_kind()
    shape = f"batch {g.batch}, " + (f"seq {g.seq_len}" if g.phase == "prefill" else f"1 new token, context {g.context}")
    t = Table(title=f"{g.model.name} — {g.phase} ({shape}, {g.dtype})")
    for col in ("kind", "ops", "FLOP", "% FLOP", "read", "written"):
        t.add_column(col, justify="left" if col == "kind" else "right")
    for kind in OP_KINDS:
        if kind not in by:
            continue
        r = by[kind]
        pct = 100.0 * r["flops"] / tot["flops"] if tot["flops"] else 0.0
        t.add_row(kind, str(int(r["count"])), si(r["flops"], "FLOP"), f"{pct:.1f}",
                  si(r["bytes_read"], "B"), si(r["bytes_written"], "B"))
    t.add_section()
    t.add_row("total", str(tot["ops"]), si(tot["flops"], "FLOP"), "100.0",
              si(tot["bytes_read"], "B"), si(tot["bytes_written"], "B"), style="bold")
    console.print(t)
    extra = (f"parameters {si(g.model.num_parameters)} ({si(tot['weight_bytes'], 'B')}), "
             f"matmul {si(tot['matmul_flops'], 'FLOP')}")
    if g.phase == "decode":
        extra += f", KV cache read {si(tot['kv_cache_bytes_read'], 'B')}"
    console.print(extra)


# --- `lightcode compile` -------------------------------------------------------------------------------
PARETO_ROWS = 25  # the terminal shows this many points of a longer front (all are in --json / report.json)


def _thin(n: int, k: int) -> list[int]:
    """k indices spread evenly over range(n), both ends included."""
    if n <= k:
        return list(range(n))
    return sorted({round(j * (n - 1) / (k - 1)) for j in range(k)})


def print_compile_result(res, console: Console | None = None) -> None:
    """Mappings side by side (latency, energy, EDP, ratios to all-electronic, ops/FLOPs per unit, energy by
    component, solver status), then the heuristics' loss against the optimum."""
    from lightcode.core.cost import ENERGY_COMPONENTS

    console = console or Console()
    maps = dict(res.comparison) if res.comparison else {"all-electronic": res.baseline, res.chosen.name: res.chosen}
    base = res.baseline.sim
    shape = f"seq {res.seq_len}" if res.phase == "prefill" else f"context {res.context}"
    t = Table(title=f"{res.model} — {res.phase} (batch {res.batch}, {shape}) on {res.system}")
    t.add_column("")
    for name in maps:
        t.add_column(name, justify="right")

    def row(label, f, style=None):
        t.add_row(label, *[f(m) for m in maps.values()], style=style)

    row("latency", lambda m: si(m.sim.latency_s, "s"), "bold")
    row("energy", lambda m: si(m.sim.energy_j, "J"), "bold")
    row("EDP", lambda m: si(m.sim.edp, "J·s"))
    row("latency × baseline", lambda m: f"{m.sim.latency_s / base.latency_s:.3f}" if base.latency_s else "-")
    row("energy × baseline", lambda m: f"{m.sim.energy_j / base.energy_j:.3f}" if base.energy_j else "-")
    t.add_section()
    units = list(res.stacked.units)
    for u in units:
        row(f"ops on {u}", lambda m, u=u: str(m.sim.ops_by_unit.get(u, 0)))
    for u in units:
        row(f"FLOP on {u}", lambda m, u=u: si(m.sim.flops_by_unit.get(u, 0.0), "FLOP"))

    def formats_on(m, u: str) -> str:
        """The number formats the mapping's ops on unit u compute in (W/A bits), most used first."""
        st = m.stacked or res.stacked
        count: dict[str, int] = {}
        for i, c in enumerate(m.sim.choice):
            r = st.realizations[i][c]
            if r.unit == u:
                label = r.formats.label if r.formats is not None else (r.variant or "-")
                count[label] = count.get(label, 0) + 1
        return ", ".join(k for k, _ in sorted(count.items(), key=lambda kv: -kv[1])) or "-"

    for u in units:
        row(f"formats on {u}", lambda m, u=u: formats_on(m, u))
    row("precision policy", lambda m: (m.stacked or res.stacked).precision)
    t.add_section()
    for c in ENERGY_COMPONENTS:
        if any(m.sim.energy_breakdown_j.get(c, 0.0) for m in maps.values()):
            row(f"energy: {c}", lambda m, c=c: si(m.sim.energy_breakdown_j.get(c, 0.0), "J"))
    t.add_section()
    row("solver", lambda m: m.assignment.status.value if m.assignment.method in BACKENDS else m.assignment.method)
    row("gap", lambda m: f"{m.assignment.gap:.2%}" if m.assignment.gap is not None else "-")
    row("solve time", lambda m: si(m.assignment.solve_time_s, "s"))
    acc = getattr(res, "accuracy", None)
    if acc is not None:  # --accuracy / --max-ppl-increase: the perplexity change on held-out text, its 95 % CI
        t.add_section()
        cell = lambda n: (acc.get(n) or acc.get(n.removesuffix("-optimal")) or {}).get("summary", "-")  # noqa: E731
        t.add_row("perplexity change", *[cell(n) for n in maps], style="bold")
    console.print(t)
    if res.gpu_operation():
        console.print(f"assumed: {res.gpu_operation_line()}")
    for obj, rep in (getattr(res, "accuracy_selection", None) or {}).items():
        rounds = "; ".join(
            f"round {r['round']}: predicted {r['predicted_ppl_increase']:+.2%}, measured "
            + (f"{r['measured_ppl_increase']:+.2%}" if r["measured_ppl_increase"] is not None else "not evaluated")
            for r in rep["rounds"])
        verdict = {True: "the final one holds", False: "the final one does NOT hold",
                   None: "not verified (no functional twin)"}[rep["holds"]]
        console.print(f"{obj}-optimal under perplexity +{rep['target']['max_ppl_increase']:.3g} max: "
                      f"{rep['n_rounds']} round(s) ({rounds}); {verdict}")
        if rep["surrogate"].get("assumption"):
            console.print(rep["surrogate"]["assumption"])
    b16 = getattr(res, "baseline_dtype", None)
    if b16 is not None and b16 is not res.baseline:  # the fair baseline above; the graph's own dtype for reference
        console.print(f"all-electronic at {res.graph.dtype} (native precision, for reference): "
                      f"{si(b16.sim.latency_s, 's')}, {si(b16.sim.energy_j, 'J')}; the table's all-electronic "
                      f"column runs at the precision policy ({res.stacked.precision})")

    js = res.to_json_dict()
    if "pareto" in js:
        front = js["pareto"]
        shown = _thin(len(front), PARETO_ROWS)
        note = "" if len(shown) == len(front) else f", {len(shown)} of {len(front)} points shown (all in --json/--out)"
        exact = res.chosen.assignment.status.value == "OPTIMAL"
        p = Table(title=f"latency–energy Pareto front ({'each point exact' if exact else 'thinned: FEASIBLE'}{note})")
        for col in ("#", "latency", "energy", "EDP"):
            p.add_column(col, justify="right")
        for k in shown:
            pt = front[k]
            p.add_row(str(k), si(pt["latency_s"], "s"), si(pt["energy_j"], "J"), si(pt["latency_s"] * pt["energy_j"], "J·s"))
        console.print(p)
    if "heuristics" in js:
        h = Table(title="heuristics against the optimum")
        for col in ("objective", "method", "latency", "energy", "loss vs optimum"):
            h.add_column(col, justify="right" if col not in ("objective", "method") else "left")
        for obj, rows in js["heuristics"].items():
            for name, r in rows.items():
                loss = r["loss_vs_optimum"]
                h.add_row(obj, name, si(r["latency_s"], "s"), si(r["energy_j"], "J"),
                          f"{loss:+.2%}" if loss is not None else "-")
        console.print(h)
    if "corners" in js:  # --corners all: the same request at every device corner (pipeline/corners.py)
        console.print(corners_table(js["corners"]))
        console.print(js["corners"]["assumptions"], highlight=False)
    from lightcode.report.why_not import why_not_lines

    why = js["why_not_chosen"]
    lines = why_not_lines(why["kinds"])
    if lines:
        console.print(f"why not chosen ({why['note']}):")
        for line in lines:
            console.print(f"  {line}", highlight=False)
    # warnings are printed once, by the CLI, on stderr (`warning: …`)
    tm = res.timing_s
    console.print("time: " + ", ".join(f"{k} {si(v, 's', 3)}" for k, v in tm.items()))


CORNERS_TITLE = "At each device corner (a range, not a point; each corner solved exactly)"


def corners_rows(block: dict[str, Any]) -> tuple[list[str], list[list[str] | None]]:
    """`--corners all` (pipeline/corners.py) as (header, rows; None = a section break): per corner, the
    all-electronic baseline, then each optimum's latency, energy, saving, speedup, ops per unit and status."""
    rows = block["rows"]
    first = next(iter(rows.values()))
    optima = list(first.get("optima") or {first["objective"]: first})
    out: list[list[str] | None] = [
        ["all-electronic latency", *[si(r["baseline_latency_s"], "s") for r in rows.values()]],
        ["all-electronic energy", *[si(r["baseline_energy_j"], "J") for r in rows.values()]]]
    for name in optima:
        got = [(r.get("optima") or {}).get(name, r) for r in rows.values()]
        label = name if name.endswith("optimal") else f"{name}-optimal"
        out += [None,
                [f"{label}: latency", *[si(g["latency_s"], "s") for g in got]],
                ["energy", *[si(g["energy_j"], "J") for g in got]],
                ["energy saving", *[f"{g['energy_saving']:+.1%}" if g["energy_saving"] is not None else "-"
                                    for g in got]],
                ["speedup", *[f"{g['speedup']:.3f}×" if g["speedup"] is not None else "-" for g in got]],
                ["ops per unit", *[", ".join(f"{u} {n}" for u, n in g["ops_by_unit"].items()) for g in got]],
                ["solver", *[str(g["status"]) for g in got]]]
    return ["", *rows], out


def corners_table(block: dict[str, Any]) -> Table:
    header, rows = corners_rows(block)
    t = Table(title=CORNERS_TITLE)
    t.add_column(header[0], style="bold")
    for corner in header[1:]:
        t.add_column(corner, justify="right")
    for row in rows:
        if row is None:
            t.add_section()
        else:
            t.add_row(*row)
    return t
