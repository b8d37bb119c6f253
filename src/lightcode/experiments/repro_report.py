"""Analyses, figures and REPRODUCTION.md for `lightcode reproduce lightcode-2025`.

Every number written here is computed from the sweep rows; the fixed text only says what each model
contains (which is why the numbers differ), never what they should come out as.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Optional

from lightcode.experiments.reproduce import MODELS, PHYSICS, Physics, Plan, git_commit, now

CLAIMS = {
    "e1": "(i) photonic hardware reduces energy by up to 50 % at maximum sequence length",
    "e2": "(ii) multiplexing and assignment strategy yield latency improvements exceeding 10×",
    "e3": "(iii) optimizing for latency or energy gives distinct hardware mappings",
}


def _ok(df):
    return df[df["status"] == "ok"] if not df.empty else df


def _fmt_pct(x: Optional[float]) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f} %"


def _fmt_x(x: Optional[float]) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}×"


def _errors_note(df) -> str:
    if df.empty:
        return "no runs"
    err = df[df["status"] == "error"]
    if err.empty:
        return ""
    first = err.iloc[0]
    return f"{len(err)} of {len(df)} points failed ({first['error_type']}: {first['error']})"


# --- E1: energy vs length -----------------------------------------------------------------------
def e1(frames: dict, p: Physics, model: str) -> dict[str, Any]:
    df = _ok(frames[f"lengths-{model}"])
    d = df[(df["system"] == p.system) & (df["objective"] == "energy")].sort_values("seq_len") if not df.empty else df
    if d.empty:
        return {"note": _errors_note(frames[f"lengths-{model}"]) or "no energy-objective runs"}
    saving = 1 - d["energy_j"] / d["baseline_energy_j"]
    last = d.iloc[-1]
    brk = {k[len("energy."):-2]: v for k, v in last.items() if k.startswith("energy.") and v == v and v}
    tot = sum(brk.values()) or 1.0
    return {
        "lengths": d["seq_len"].tolist(), "energy": d["energy_j"].tolist(), "gpu": d["baseline_energy_j"].tolist(),
        "saving": saving.tolist(), "max_len": int(last["seq_len"]), "saving_at_max": float(saving.iloc[-1]),
        "best_saving": float(saving.max()), "best_len": int(d["seq_len"].iloc[int(saving.values.argmax())]),
        "breakdown_share": {k: v / tot for k, v in sorted(brk.items(), key=lambda kv: -kv[1])},
        "ptu_ops": _ptu_ops(last, p), "ops_total": last.get("ops_total"),
        "solver": last.get("solver_status"), "note": _errors_note(frames[f"lengths-{model}"]),
    }


def _ptu_ops(row, p: Physics) -> float:
    v = row.get(f"ops.{p.ptu}")
    return 0.0 if v is None or v != v else float(v)


# --- E2: latency vs cores × multiplexing ----------------------------------------------------------
def e2(frames: dict, p: Physics, plan: Plan) -> dict[str, Any]:
    raw = frames[f"mux-{p.key}"]
    df = _ok(raw)
    ck, mk = f"ov.{p.ptu}.{p.cores}", f"ov.{p.ptu}.{p.mux}"
    if df.empty or ck not in df or mk not in df:
        return {"note": _errors_note(raw) or "no runs"}
    lat = {(obj, int(r[ck]), int(r[mk])): float(r["latency_s"]) for obj in ("latency", "energy")
           for _, r in df[df["objective"] == obj].iterrows()}
    ptu = {(obj, int(r[ck]), int(r[mk])): _ptu_ops(r, p) for obj in ("latency", "energy")
           for _, r in df[df["objective"] == obj].iterrows()}
    c0, c1, m0, m1 = min(plan.cores), max(plan.cores), min(plan.mux), max(plan.mux)
    g = lambda *k: lat.get(k, float("nan"))  # noqa: E731
    gpu = df["baseline_latency_s"].dropna()
    return {
        "lat": lat, "ptu_ops": ptu, "c0": c0, "c1": c1, "m0": m0, "m1": m1,
        "mux_gain": g("energy", c0, m0) / g("energy", c0, m1),  # same (energy-optimal) assignment
        "cores_gain": g("energy", c0, m0) / g("energy", c1, m0),
        "hw_gain": g("energy", c0, m0) / g("energy", c1, m1),
        "combined_gain": g("energy", c0, m0) / min((v for (o, _, _), v in lat.items() if o == "latency"), default=float("nan")),
        "assign_gain_at_max": g("energy", c1, m1) / g("latency", c1, m1),
        "gpu_latency": float(gpu.iloc[0]) if len(gpu) else float("nan"),
        "note": _errors_note(raw),
    }


# --- E3: latency- vs energy-objective mappings ----------------------------------------------------
def e3(frames: dict, raw: dict, p: Physics, model: str) -> dict[str, Any]:
    name = f"lengths-{model}"
    df = _ok(frames[name])
    if df.empty:
        return {"note": _errors_note(frames[name]) or "no runs"}
    units = {}
    for r in raw[name]:
        if r["status"] == "ok" and r["params"]["system"] == p.system:
            units[(r["params"]["seq_len"], r["params"]["objective"])] = (r["result"] or {}).get("op_units")
    rows = []
    d = df[df["system"] == p.system]
    for n, g in d.groupby("seq_len"):
        by = {r["objective"]: r for _, r in g.iterrows()}
        if not {"latency", "energy"} <= set(by):
            continue
        lat, en = by["latency"], by["energy"]
        ua, ub = units.get((n, "latency")), units.get((n, "energy"))
        if ua and ub and len(ua) == len(ub):
            dist, exact = sum(a != b for a, b in zip(ua, ub)) / len(ua), True
        else:  # counts only: |Δ PTU ops| / ops is a lower bound on the share of ops that moved
            dist, exact = abs(_ptu_ops(lat, p) - _ptu_ops(en, p)) / max(1.0, float(lat["ops_total"] or 1)), False
        rows.append({"len": int(n), "ptu_lat": _ptu_ops(lat, p), "ptu_en": _ptu_ops(en, p),
                     "ops": int(lat["ops_total"] or 0), "dist": dist, "exact": exact})
    distinct = [r for r in rows if r["dist"] > 0]
    return {"rows": rows, "distinct": len(distinct), "n": len(rows), "note": _errors_note(frames[name])}


# --- figures ----------------------------------------------------------------------------------------
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def fig_e1(res: dict, out: Path) -> Path:
    plt = _plt()
    fig, axes = plt.subplots(2, len(MODELS), figsize=(11, 7), sharex="col")
    for j, m in enumerate(MODELS):
        for p in PHYSICS:
            r = res[(m, p.key)]
            if "lengths" not in r:
                continue
            axes[0, j].plot(r["lengths"], [e * 1e3 for e in r["energy"]], marker="o", label=f"hybrid, energy-optimal — {p.label}")
            axes[0, j].plot(r["lengths"], [e * 1e3 for e in r["gpu"]], ls="--", label=f"all-GPU — {p.label}")
            axes[1, j].plot(r["lengths"], [100 * s for s in r["saving"]], marker="o", label=p.label)
        axes[0, j].set(title=f"{m} prefill", ylabel="energy (mJ)", xscale="log", yscale="log")
        axes[1, j].axhline(50, color="gray", lw=0.8, ls=":")
        axes[1, j].set(xlabel="sequence length", ylabel="energy saving vs all-GPU (%)", xscale="log")
        for ax in axes[:, j]:
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7)
    fig.tight_layout()
    path = out / "e1_energy_vs_length.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def fig_e2(res: dict, plan: Plan, out: Path) -> Path:
    plt = _plt()
    fig, axes = plt.subplots(1, len(PHYSICS), figsize=(11, 4.5))
    for ax, p in zip(axes, PHYSICS):
        r = res[p.key]
        if "lat" not in r:
            ax.set_title(f"{p.label}: no data")
            continue
        for i, c in enumerate(plan.cores):
            for obj, ls in (("latency", "-"), ("energy", "--")):
                ys = [r["lat"].get((obj, c, m), float("nan")) * 1e3 for m in plan.mux]
                ax.plot(plan.mux, ys, ls=ls, marker="o", ms=3, color=f"C{i}",
                        label=f"{p.cores}={c}, {obj}-optimal")
        ax.axhline(r["gpu_latency"] * 1e3, color="gray", ls=":", label="all-GPU")
        ax.set(title=f"{plan.e2_model} S={plan.e2_len}: {p.label}", xlabel=f"{p.mux} (multiplexing)",
               ylabel="latency (ms)", xscale="log", yscale="log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    path = out / "e2_latency_vs_multiplexing.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def fig_e3(res: dict, out: Path) -> Path:
    plt = _plt()
    fig, axes = plt.subplots(1, len(MODELS), figsize=(11, 4.5))
    for ax, m in zip(axes, MODELS):
        for i, p in enumerate(PHYSICS):
            rows = res[(m, p.key)].get("rows") or []
            if not rows:
                continue
            xs = [r["len"] for r in rows]
            ax.plot(xs, [r["ptu_lat"] / max(r["ops"], 1) * 100 for r in rows], color=f"C{i}", marker="o",
                    label=f"latency-optimal — {p.label}")
            ax.plot(xs, [r["ptu_en"] / max(r["ops"], 1) * 100 for r in rows], color=f"C{i}", ls="--", marker="s",
                    label=f"energy-optimal — {p.label}")
        ax.set(title=f"{m} prefill: ops mapped to the photonic unit", xlabel="sequence length",
               ylabel="ops on the PTU (%)", xscale="log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = out / "e3_mappings.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# --- the report -------------------------------------------------------------------------------------
def _cell_e1(res: dict, p: Physics) -> str:
    parts = []
    for m in MODELS:
        r = res[(m, p.key)]
        if "saving_at_max" not in r:
            parts.append(f"{m}: n/a ({r['note']})")
            continue
        parts.append(f"{m}: {_fmt_pct(r['saving_at_max'])} at S={r['max_len']} (best {_fmt_pct(r['best_saving'])} "
                     f"at S={r['best_len']})")
    return "; ".join(parts)


def _why_e1(res: dict, p: Physics) -> str:
    bits = []
    for m in MODELS:
        r = res[(m, p.key)]
        if "breakdown_share" in r:
            top = ", ".join(f"{k} {100 * v:.0f} %" for k, v in list(r["breakdown_share"].items())[:3])
            bits.append(f"{m} at S={r['max_len']}: {int(r['ptu_ops'])}/{r['ops_total']} ops on the PTU; energy is {top}")
    model = ("the authors' PTU charges only 0.04 pJ/MAC plus 3.18/1.6 pJ DAC/ADC per number crossing — no laser, "
             "static or weight-programming energy — so the saving is capped by the matmul share of the GPU's "
             "energy, which our GPU roofline (HBM traffic, static power, launch overheads) sets differently from "
             "the authors' GPU model" if p.key == "authors" else
             "the DDot model adds laser power sized by the link budget, DAC/ADC energy per encoded operand and "
             "output, SRAM/DRAM traffic and static power, which the authors' constants leave out")
    return f"{model}. " + ("; ".join(bits) + "." if bits else "")


def _cell_e2(r: dict, p: Physics) -> str:
    if "mux_gain" not in r:
        return f"n/a ({r['note']})"
    return (f"{p.mux} {r['m0']}→{r['m1']} at {p.cores}={r['c0']}: {_fmt_x(r['mux_gain'])}; "
            f"{p.cores} {r['c0']}→{r['c1']}: {_fmt_x(r['cores_gain'])}; both: {_fmt_x(r['hw_gain'])}; "
            f"with latency-optimal assignment: {_fmt_x(r['combined_gain'])}")


def _why_e2(r: dict, p: Physics, plan: Plan) -> str:
    if "mux_gain" not in r:
        return ""
    e11 = r["lat"].get(("energy", r["c0"], r["m0"]), float("nan"))
    return (f"Baseline is the energy-optimal mapping at {p.cores}={r['c0']}, {p.mux}={r['m0']} "
            f"({e11 * 1e3:.3g} ms; all-GPU {r['gpu_latency'] * 1e3:.3g} ms) for {plan.e2_model} at S={plan.e2_len}: "
            + ("the authors' PTU time is ⌈⌈D/M⌉/cores⌉·K cycles, so multiplexing divides matmul time by M until "
               "GPU ops, transfers and the 10 ns crossings dominate; the latency-optimal assignment then moves "
               "matmuls back to the GPU where it is faster" if p.key == "authors" else
               "in DDot, wavelengths shorten the reduction slices and tiles take row tiles in parallel, but "
               "weight streaming from DRAM and ceil losses on small GEMMs cap the gain; the latency-optimal "
               "assignment keeps ops on the GPU where it is faster"))


def _cell_e3(r: dict) -> str:
    if "rows" not in r or not r["rows"]:
        return f"n/a ({r.get('note', '')})"
    last = r["rows"][-1]
    kind = "share of ops on a different unit" if last["exact"] else "lower bound from PTU op counts"
    return (f"distinct at {r['distinct']}/{r['n']} lengths; at S={last['len']}: PTU ops {int(last['ptu_lat'])} "
            f"(latency) vs {int(last['ptu_en'])} (energy), distance {100 * last['dist']:.1f} % ({kind})")


def _why_e3(res: dict, p: Physics) -> str:
    return ("The GPU is faster per matmul and the PTU cheaper per MAC once the DAC/ADC crossing cost is amortised, "
            "so the objectives pull matmuls in opposite directions; at short lengths the crossing cost dominates "
            "and both objectives keep everything on the GPU." if p.key == "authors" else
            "The same tension, but with laser, converter and memory energy the PTU wins energy on fewer ops "
            "(large GEMMs only), so the two mappings differ on fewer ops or none.")


def write(out: Path, plan: Plan, frames: dict, raw: dict, summaries: dict, *, quick: bool) -> Path:
    r1 = {(m, p.key): e1(frames, p, m) for m in MODELS for p in PHYSICS}
    r2 = {p.key: e2(frames, p, plan) for p in PHYSICS}
    r3 = {(m, p.key): e3(frames, raw, p, m) for m in MODELS for p in PHYSICS}
    figs = [fig_e1(r1, out), fig_e2(r2, plan, out), fig_e3(r3, out)]
    a, f = PHYSICS
    total = sum(s.total for s in summaries.values())
    errs = sum(len(df[df["status"] == "error"]) for df in frames.values() if not df.empty)
    lines = [
        "# Reproducing LightCode (Tomich, Zhong, Englund, arXiv 2509.16443)",
        "",
        f"Generated by `lightcode reproduce lightcode-2025{' --quick' if quick else ''}` on {now()} at commit "
        f"{git_commit()}: {total} compile points ({errs} failed), stored in `reproduce.sqlite` (re-running resumes).",
        f"Authors' constants: `{a.system}` (unit `{a.ptu}`); fuller physics: `{f.system}` at its baseline corner "
        f"(unit `{f.ptu}`). Prefill lengths: "
        + "; ".join(f"{m} {plan.lengths[m]}" for m in MODELS) + ".",
        "",
        "Only the paper's abstract was available (lightcode.md §0): the claims below are its wording; its figures, "
        "maximum lengths and baselines are unknown, so 'ours' is our reading of each experiment, not a fit to them.",
        "",
        f"| paper's claim | ours, {a.label} | ours, {f.label} |",
        "|---|---|---|",
        f"| {CLAIMS['e1']} | {_cell_e1(r1, a)} | {_cell_e1(r1, f)} |",
        f"| {CLAIMS['e2']} | {_cell_e2(r2['authors'], a)} | {_cell_e2(r2['fuller'], f)} |",
    ]
    e3a = "<br>".join(f"{m}: {_cell_e3(r3[(m, 'authors')])}" for m in MODELS)
    e3f = "<br>".join(f"{m}: {_cell_e3(r3[(m, 'fuller')])}" for m in MODELS)
    lines += [f"| {CLAIMS['e3']} | {e3a} | {e3f} |", "", "## Why they differ", ""]
    lines += [f"- **(i), {p.label}.** {_why_e1(r1, p)}" for p in PHYSICS]
    lines += [f"- **(ii), {p.label}.** {_why_e2(r2[p.key], p, plan)}" for p in PHYSICS]
    lines += [f"- **(iii), {p.label}.** {_why_e3(r3, p)}" for p in PHYSICS]
    lines += ["", "## Details", "", "### E1 — energy vs sequence length (energy-optimal hybrid vs all-GPU)", "",
              "| model | physics | S | hybrid (mJ) | all-GPU (mJ) | saving |", "|---|---|---|---|---|---|"]
    for m in MODELS:
        for p in PHYSICS:
            r = r1[(m, p.key)]
            for n, e, g, s in zip(r.get("lengths", []), r.get("energy", []), r.get("gpu", []), r.get("saving", [])):
                lines.append(f"| {m} | {p.key} | {n} | {e * 1e3:.4g} | {g * 1e3:.4g} | {_fmt_pct(s)} |")
    lines += ["", f"### E2 — latency (ms), {plan.e2_model} prefill S={plan.e2_len}", ""]
    for p in PHYSICS:
        r = r2[p.key]
        if "lat" not in r:
            lines.append(f"{p.label}: no data ({r['note']})")
            continue
        lines += [f"{p.label} — rows {p.cores}, columns {p.mux}; each cell latency-optimal / energy-optimal "
                  f"(PTU ops latency / energy):", "",
                  "| " + " | ".join([p.cores] + [str(m) for m in plan.mux]) + " |",
                  "|" + "---|" * (len(plan.mux) + 1)]
        for c in plan.cores:
            cells = []
            for mm in plan.mux:
                lat_l, lat_e = r["lat"].get(("latency", c, mm)), r["lat"].get(("energy", c, mm))
                pl, pe = r["ptu_ops"].get(("latency", c, mm)), r["ptu_ops"].get(("energy", c, mm))
                cells.append("n/a" if lat_l is None or lat_e is None else
                             f"{lat_l * 1e3:.3g} / {lat_e * 1e3:.3g} ({int(pl)}/{int(pe)})")
            lines.append(f"| {c} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["### E3 — mappings per length", "", "| model | physics | S | PTU ops, latency | PTU ops, energy | ops | distance |",
              "|---|---|---|---|---|---|---|"]
    for m in MODELS:
        for p in PHYSICS:
            for row in r3[(m, p.key)].get("rows", []):
                lines.append(f"| {m} | {p.key} | {row['len']} | {int(row['ptu_lat'])} | {int(row['ptu_en'])} | "
                             f"{row['ops']} | {100 * row['dist']:.1f} %{'' if row['exact'] else ' (≥)'} |")
    lines += ["", "## Figures", ""] + [f"![{p.stem}]({p.name})" for p in figs]
    notes = [f"- {name}: {_errors_note(df)}" for name, df in frames.items() if _errors_note(df)]
    if notes:
        lines += ["", "## Failed points", ""] + notes
    path = out / "REPRODUCTION.md"
    path.write_text("\n".join(lines) + "\n")
    (out / "reproduction.json").write_text(json.dumps(
        {"e1": {f"{m}/{k}": {kk: vv for kk, vv in v.items() if kk != "breakdown_share"} for (m, k), v in r1.items()},
         "e2": {k: {kk: vv for kk, vv in v.items() if kk not in ("lat", "ptu_ops")} for k, v in r2.items()},
         "e3": {f"{m}/{k}": v for (m, k), v in r3.items()}}, indent=1, default=str))
    return path
