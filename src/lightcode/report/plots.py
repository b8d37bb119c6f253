"""Figures of a compile result: energy breakdown (energy.png) and a Gantt timeline (timeline.png)."""

from __future__ import annotations

from pathlib import Path

from lightcode.core.cost import ENERGY_COMPONENTS


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_energy(rows: dict[str, dict[str, float]], path: str | Path, title: str = "") -> Path:
    """Stacked bars of energy by component, one bar per mapping (e.g. all-electronic / latency / energy)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    names = list(rows)
    bottom = [0.0] * len(names)
    cmap = plt.get_cmap("tab10")
    for ci, comp in enumerate(ENERGY_COMPONENTS):
        vals = [rows[n].get(comp, 0.0) for n in names]
        if not any(vals):
            continue
        ax.bar(names, vals, bottom=bottom, label=comp, color=cmap(ci % 10))
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_ylabel("energy (J)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def plot_timeline(stacked, sim, path: str | Path, title: str = "", max_events: int = 20000) -> Path:
    """Gantt chart: one row per unit core and per link, ops coloured by kind."""
    plt = _plt()
    events = sim.schedule.events[:max_events]
    rows: list[tuple[str, int]] = []
    for u in stacked.units:
        for c in range(max(1, int(stacked.unit(u).slots))):
            rows.append((u, c))
    for r in sorted({ev.resource for ev in events if ev.resource not in stacked.units}):
        rows.append((r, 0))
    row_of = {r: k for k, r in enumerate(rows)}
    kinds = sorted({stacked.graph.ops[ev.index].kind for ev in events if ev.kind == "op"}) + ["transfer"]
    cmap = plt.get_cmap("tab10")
    colour = {k: cmap(i % 10) for i, k in enumerate(kinds)}
    fig, ax = plt.subplots(figsize=(11, 1.0 + 0.45 * len(rows)))
    by_kind: dict[str, list] = {}
    for ev in events:
        kind = stacked.graph.ops[ev.index].kind if ev.kind == "op" else "transfer"
        by_kind.setdefault(kind, []).append((row_of[(ev.resource, ev.core)], ev.start_s * 1e3, (ev.end_s - ev.start_s) * 1e3))
    for kind, items in by_kind.items():
        for y in sorted({it[0] for it in items}):
            ax.broken_barh([(s, d) for yy, s, d in items if yy == y], (y - 0.4, 0.8), color=colour[kind],
                           label=kind if y == min(it[0] for it in items) else None)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{r} #{c}" if r in stacked.units else r for r, c in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("time (ms)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right", ncol=min(4, len(by_kind)))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
