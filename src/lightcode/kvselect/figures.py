"""Figures for `lightcode kvselect … --out DIR` (matplotlib, Agg; imported only when asked)."""

from __future__ import annotations

from pathlib import Path


def _plt():
    import matplotlib.pyplot as plt

    return plt


def recall_vs_context(results: list[dict], path: Path) -> Path:
    """Mass recall per engine vs context, with the chance level k/N drawn beside it."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    ctx = [r["context"] for r in results]
    engines = [e for e in results[0]["engines"] if e != "full"]
    for e in engines:
        ax.plot(ctx, [r["engines"][e]["mass_recall"] for r in results], marker="o", label=e)
    ax.plot(ctx, [r["engines"][engines[0]]["chance_block_recall"] for r in results], "k--", label="chance k/N")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("context (tokens)")
    ax.set_ylabel("attention-mass recall (mean over layer×KV head)")
    ax.set_ylim(0, 1.02)
    r0 = results[0]
    ax.set_title(f"B={r0['block']}, k={r0['k']}, window {r0['window']}, sinks {r0['sink']}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def recall_vs_setting(rows: list[tuple[str, float, float]], chance: float, title: str, path: Path) -> Path:
    """Bar chart of (label, mass recall, block recall) for bits / impairment corners."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    xs = range(len(rows))
    ax.bar([x - 0.2 for x in xs], [r[1] for r in rows], width=0.4, label="mass recall")
    ax.bar([x + 0.2 for x in xs], [r[2] for r in rows], width=0.4, label="block recall vs oracle")
    ax.axhline(chance, color="k", ls="--", label=f"chance k/N = {chance:.2f}")
    ax.set_xticks(list(xs), [r[0] for r in rows], rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.02)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def energy_by_component(cmp: dict, path: Path) -> Path:
    """Stacked energy per decode step by component, one bar per method."""
    plt = _plt()
    methods = list(cmp["methods"])
    comps = [c for c in next(iter(cmp["methods"].values()))["energy_breakdown_j"]
             if any(cmp["methods"][m]["energy_breakdown_j"][c] > 0 for m in methods)]
    fig, ax = plt.subplots(figsize=(7, 4))
    bottom = [0.0] * len(methods)
    for c in comps:
        vals = [cmp["methods"][m]["energy_breakdown_j"][c] * 1e3 for m in methods]
        ax.bar(methods, vals, bottom=bottom, label=c)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_ylabel("energy per decode step (mJ)")
    ax.set_title(f"{cmp['model']} ctx {cmp['context']} batch {cmp['batch']} on {cmp['gpu']} ({cmp['corner']})", fontsize=9)
    ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
