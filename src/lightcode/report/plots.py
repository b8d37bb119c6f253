"""Figures of a compile result, each returned as a matplotlib Figure (save it with `style.save`):
energy by component per mapping, a Gantt timeline of one mapping, latency against energy of every mapping
with the Pareto front. Every function accepts `ax=` to draw into an existing Axes."""

from __future__ import annotations

from lightcode.core.cost import ENERGY_COMPONENTS
from lightcode.report.si import si
from lightcode.report.style import (
    COMPONENT_COLOURS,
    MAPPING_COLOURS,
    OP_KIND_COLOURS,
    colour,
    figure_and_axes,
    legend_outside,
    reference_line,
    style,
)


def _si_axis(axis, unit: str) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: si(v, unit, 3)))


def plot_energy(rows: dict[str, dict[str, float]], *, title: str = "", ax=None):
    """Stacked bars of energy by component, one bar per mapping; colours fixed per component."""
    with style():
        fig, ax = figure_and_axes(ax, (7.0, 3.8))
        names = list(rows)
        bottom = [0.0] * len(names)
        for comp in ENERGY_COMPONENTS:
            vals = [rows[n].get(comp, 0.0) for n in names]
            if not any(vals):
                continue
            ax.bar(names, vals, bottom=bottom, label=comp, color=COMPONENT_COLOURS[comp], edgecolor="white",
                   linewidth=0.5)
            bottom = [b + v for b, v in zip(bottom, vals)]
        for k, total in enumerate(bottom):
            ax.annotate(si(total, "J", 3), (k, total), xytext=(0, 2), textcoords="offset points", ha="center",
                        va="bottom", fontsize=8)
        ax.set_ylabel("energy")
        ax.set_xlabel("mapping")
        _si_axis(ax.yaxis, "J")
        ax.set_ylim(0, max(bottom + [0.0]) * 1.12 or 1.0)
        ax.set_title(title)
        legend_outside(ax, title="component")
    return fig


def plot_timeline(stacked, sim, *, title: str = "", ax=None, max_events: int = 20000):
    """Gantt chart: one row per unit core and per link, ops coloured by kind, transfers brown."""
    with style():
        events = sim.schedule.events[:max_events]
        rows: list[tuple[str, int]] = []
        for u in stacked.units:
            for c in range(max(1, int(stacked.unit(u).slots))):
                rows.append((u, c))
        for r in sorted({ev.resource for ev in events if ev.resource not in stacked.units}):
            rows.append((r, 0))
        row_of = {r: k for k, r in enumerate(rows)}
        fig, ax = figure_and_axes(ax, (10.0, 1.2 + 0.32 * len(rows)))
        by_kind: dict[str, dict[int, list]] = {}
        for ev in events:
            kind = stacked.graph.ops[ev.index].kind if ev.kind == "op" else "transfer"
            by_kind.setdefault(kind, {}).setdefault(row_of[(ev.resource, ev.core)], []).append(
                (ev.start_s, ev.end_s - ev.start_s))
        for k, (kind, per_row) in enumerate(sorted(by_kind.items(), key=lambda kv: kv[0] == "transfer")):
            for j, (y, spans) in enumerate(sorted(per_row.items())):
                ax.broken_barh(spans, (y - 0.4, 0.8), color=colour(kind, OP_KIND_COLOURS, k),
                               label=kind if j == 0 else None)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([f"{r} core {c}" if r in stacked.units else f"link {r}" for r, c in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlim(0, max(sim.latency_s, 1e-30))
        ax.set_xlabel("time")
        ax.set_ylabel("unit core / link")
        _si_axis(ax.xaxis, "s")
        ax.set_title(title)
        legend_outside(ax, title="op kind")
    return fig


def plot_latency_energy(points: dict[str, tuple[float, float]], *, pareto: list[tuple[float, float]] = (),
                        baseline: str | None = "all-electronic", title: str = "", ax=None):
    """Latency against energy: one marker per mapping (labelled), the Pareto front as a step line when
    computed, and the baseline's latency and energy as labelled reference lines."""
    with style():
        fig, ax = figure_and_axes(ax, (6.5, 4.2))
        front = sorted(pareto)
        if front:
            ax.plot([p[0] for p in front], [p[1] for p in front], drawstyle="steps-post", color="#777777",
                    linewidth=1.0, marker=".", markersize=4, label=f"Pareto front ({len(front)} points)", zorder=1)
        markers = "osD^vP*X"
        for k, (name, (lat, en)) in enumerate(points.items()):
            ax.scatter([lat], [en], s=46, marker=markers[k % len(markers)], color=colour(name, MAPPING_COLOURS, k),
                       edgecolor="black", linewidth=0.5, label=f"{name}: {si(lat, 's', 3)}, {si(en, 'J', 3)}",
                       zorder=3)
        if baseline in points:
            lat0, en0 = points[baseline]
            reference_line(ax, x=lat0, label=f"{baseline} latency", linewidth=0.8)
            reference_line(ax, y=en0, label=f"{baseline} energy", linewidth=0.8, linestyle=":")
        ax.set_xlabel("latency")
        ax.set_ylabel("energy")
        _si_axis(ax.xaxis, "s")
        _si_axis(ax.yaxis, "J")
        ax.margins(0.12)
        ax.set_title(title)
        legend_outside(ax, title="mapping")
    return fig
