"""Area as a design axis: sweep points screened by area, figures of latency and energy against area, and
families compared at equal photonic area. (The `--area-budget` compile is pipeline/compile.py
compile_within_area; the compile JSON's `area` and `floor` blocks are pipeline/area.py.)

- `point_area` / `screen_points`: a sweep that varies tiles/cores/wavelengths through overrides gets each
  point's photonic area; points over budget are skipped and returned with their area (flagged).
- `scale_to_area`: the integer value of a unit's size knob (DDot `tiles`, weight-stationary `cores`)
  whose unit area is closest to a target — how `equal_area_comparison` scales each family.
- `plot_vs_area`: latency and energy against photonic area, one series per label.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from lightcode.errors import BadInputError

MM2 = 1e-6  # m² per mm²


# ---- sweeps ---------------------------------------------------------------------------------------
def point_area(params: Mapping[str, Any]) -> float | None:
    """Photonic area (m²) of a sweep point's system with its overrides; None if a unit has no area model."""
    from lightcode.hardware.area_budget import system_area
    from lightcode.hardware.load import load_system
    from lightcode.hardware.overrides import system_with_overrides

    path = system_with_overrides(params["system"], params.get("overrides") or {}, params.get("corner"))
    return system_area(load_system(path, corner=params.get("corner"))).photonic_m2


def screen_points(points: Iterable[Mapping[str, Any]], budget_m2: float) -> tuple[list[dict], list[dict]]:
    """(points within budget, points over it) — each over-budget point comes back with `area_m2` and
    `skipped` set, for the sweep to record instead of compiling. A point whose area is unknown is an error."""
    if not budget_m2 > 0:
        raise BadInputError(f"area budget must be positive, got {budget_m2 / MM2:g} mm²")
    kept, over = [], []
    for p in points:
        a = point_area(p)
        if a is None:
            raise BadInputError(f"area budget: system {p.get('system')!r} has a photonic unit without an area model")
        q = {**p, "area_m2": a}
        if a <= budget_m2 * (1 + 1e-12):
            kept.append(q)
        else:
            over.append({**q, "skipped": f"photonic area {a / MM2:.2f} mm² over the {budget_m2 / MM2:g} mm² budget"})
    return kept, over


def scale_to_area(system: str, unit: str, knob: str, target_m2: float, max_value: int = 256) -> tuple[int, float]:
    """The value of `unit.knob` (an integer size parameter) whose unit area is closest to `target_m2`."""
    from lightcode.hardware.area_budget import system_area
    from lightcode.hardware.load import load_system
    from lightcode.hardware.overrides import system_with_overrides

    def area(v: int) -> float:
        s = load_system(system_with_overrides(system, {f"{unit}.{knob}": v}))
        a = system_area(s).units[unit].total_m2
        if a is None:
            raise BadInputError(f"unit {unit!r} has no area model")
        return a

    lo, hi = 1, 1
    while area(hi) < target_m2 and hi < max_value:  # area grows with the knob: bracket, then bisect
        lo, hi = hi, min(2 * hi, max_value)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if area(mid) < target_m2 else (lo, mid)
    best = min((lo, hi), key=lambda v: abs(area(v) - target_m2))
    return best, area(best)


# the size knob of each family (the parameter its area grows with, one tile or core at a time)
SIZE_KNOBS = {"ddot": "tiles", "mrr-bank": "cores", "mzi-mesh": "cores", "pcm-crossbar": "cores"}


def equal_area_comparison(graph, systems: Sequence[str], target_m2: float, objective: str = "energy",
                          time_limit_s: float = 10.0) -> list[dict]:
    """Compile `graph` on each system with its photonic unit scaled to ~`target_m2` (SIZE_KNOBS)."""
    from lightcode.hardware.load import read_system
    from lightcode.hardware.overrides import system_with_overrides
    from lightcode.pipeline.compile import run_compile

    rows = []
    for name in systems:
        spec = read_system(name)
        ph = [u for u in spec.units if u.kind == "photonic"]
        if len(ph) != 1 or ph[0].family not in SIZE_KNOBS:
            raise BadInputError(f"{name}: equal-area scaling needs exactly one photonic unit of {', '.join(SIZE_KNOBS)}")
        u, knob = ph[0], SIZE_KNOBS[ph[0].family]
        v, a = scale_to_area(name, u.name, knob, target_m2)
        path = system_with_overrides(name, {f"{u.name}.{knob}": v})
        r = run_compile(graph, system=path, objective=objective, time_limit_s=time_limit_s, heuristics=False)
        s = r.chosen.sim
        rows.append({"system": name, "unit": u.name, "family": u.family, "knob": knob, "value": v,
                     "area_mm2": a / MM2, "latency_s": s.latency_s, "energy_j": s.energy_j,
                     "photonic_ops": s.ops_by_unit.get(u.name, 0), "ops": sum(s.ops_by_unit.values()),
                     "photonic_flops_share": s.flops_by_unit.get(u.name, 0.0) / max(sum(s.flops_by_unit.values()), 1.0),
                     "baseline_energy_j": r.baseline.sim.energy_j, "baseline_latency_s": r.baseline.sim.latency_s,
                     "status": r.chosen.assignment.status.value})
    return rows


def plot_vs_area(rows: Sequence[Mapping[str, Any]], out_dir: str | Path, title: str = "") -> list[Path]:
    """latency_vs_area.png and energy_vs_area.png: one series per `label` (rows need area_mm2, latency_s,
    energy_j, label)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    by_label: dict[str, list] = {}
    for r in rows:
        by_label.setdefault(str(r["label"]), []).append(r)
    paths = []
    for key, ylabel, fname in (("latency_s", "latency (s)", "latency_vs_area.png"),
                               ("energy_j", "energy (J)", "energy_vs_area.png")):
        fig, ax = plt.subplots(figsize=(6, 4))
        for label, rs in sorted(by_label.items()):
            rs = sorted(rs, key=lambda r: r["area_mm2"])
            ax.plot([r["area_mm2"] for r in rs], [r[key] for r in rs], "o-", label=label)
        ax.set_xlabel("photonic area (mm²)")
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title, fontsize=9)
        ax.legend(fontsize=8)
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        p = out / fname
        fig.savefig(p, dpi=120)
        plt.close(fig)
        paths.append(p)
    return paths
