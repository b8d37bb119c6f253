"""Figures for `lightcode kvselect … --out DIR` (matplotlib, Agg; imported only when asked)."""

from __future__ import annotations

from pathlib import Path


def _plt():
    import matplotlib.pyplot as plt

    return plt


def recall_bars(res: dict, path: Path) -> Path:
    """Mass recall, block recall and kept mass per engine at one (context, B, k), with 95 % intervals."""
    plt = _plt()
    names = [e for e in res["engines"] if e != "full"]
    fig, ax = plt.subplots(figsize=(8, 4))
    for j, (m, lab) in enumerate((("mass_recall", "mass recall"), ("block_recall", "block recall vs oracle"),
                                  ("kept_mass", "kept mass (all attention)"))):
        v = [res["engines"][e][m] for e in names]
        lo = [x - res["engines"][e][m + "_ci95"][0] for x, e in zip(v, names)]
        hi = [res["engines"][e][m + "_ci95"][1] - x for x, e in zip(v, names)]
        ax.bar([i + 0.27 * (j - 1) for i in range(len(names))], v, width=0.27, yerr=[lo, hi], capsize=2, label=lab)
    ax.axhline(res["engines"][names[0]]["chance_block_recall"], color="k", ls="--", label="chance k/N")
    ax.set_xticks(range(len(names)), names, rotation=25, ha="right", fontsize=8)
    ax.set_ylim(0, 1.02)
    ax.set_title(f"context {res['context']}, B={res['block']}, k={res['k']}, {res['windows']} window(s) × "
                 f"{res['n_queries']} steps, {res.get('corner', '')} corner, "
                 f"{'centred' if res['centre'] else 'uncentred'}", fontsize=9)
    ax.legend(fontsize=7)
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
