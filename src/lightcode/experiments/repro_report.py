"""Analyses, figures and REPRODUCTION.md for `lightcode reproduce lightcode-2025`.

Every number written here is computed from the sweep rows. The fixed text states what each model
contains (the reason numbers differ), never what the numbers should be; sentences that depend on the
outcome are chosen by the outcome.

Mappings compared (all simulated by our simulator, which charges every used unit's static power over
the makespan): "optimal" — our CP-SAT optimum for the point's objective; "path-search" — the authors'
selection (LightCode's Dijkstra-like search over per-op costs) re-implemented; "all-electronic" — the
all-GPU baseline.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Optional

from lightcode.core.provenance import git_commit, now
from lightcode.experiments.fingerprint import combined
from lightcode.experiments.repro_plan import MODELS, PHYSICS, Physics, Plan, SingleRun, load_single_run

CLAIMS = {
    "e1": "(i) photonic hardware reduces energy by up to 50 % at maximum sequence length",
    "e2": "(ii) multiplexing and assignment strategy yield latency improvements exceeding 10×",
    "e3": "(iii) optimizing for latency or energy gives distinct hardware mappings",
}
NAN = float("nan")


def _pct(x: Optional[float]) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:.1f} %"


def _x(x: Optional[float]) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:.3g}×"


def _ms(x: Optional[float]) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x * 1e3:.4g} ms"


def _mj(x: Optional[float]) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x * 1e3:.4g} mJ"


def _vs(x: Optional[float]) -> str:
    """A saving against all-GPU; a loss reads as a multiple of the all-GPU figure."""
    if x is None or math.isnan(x):
        return "n/a"
    return f"{_pct(x)} below all-GPU" if x >= 0 else f"{_x(1 - x)} all-GPU"


def _ok_rows(raw: dict, name: str, p: Physics, objective: str) -> list[dict[str, Any]]:
    rows = [r for r in raw.get(name, []) if r["status"] == "ok" and r["params"]["system"] == p.system
            and r["params"].get("precision", "native") == p.precision and r["params"]["objective"] == objective]
    return sorted(rows, key=lambda r: r["params"]["seq_len"])


def _errors_note(raw: dict, name: str) -> str:
    rows = raw.get(name, [])
    err = [r for r in rows if r["status"] == "error"]
    if not err:
        return "" if rows else "no runs"
    return f"{len(err)} of {len(rows)} points failed ({err[0]['error_type']}: {err[0]['error']})"


def _m(r: dict, name: str) -> dict[str, Any]:
    return ((r["result"] or {}).get("mappings") or {}).get(name) or {}


def _dyn(m: dict) -> float:
    """Energy without the static share: how the authors' code counts (no static or laser power)."""
    return m.get("energy_j", NAN) - (m.get("energy_breakdown_j") or {}).get("static", 0.0)


def _compute_per_mac(m: dict) -> float:
    """The mapping's compute energy per MAC (FLOPs / 2), all units together."""
    flops = sum((m.get("flops_by_unit") or {}).values())
    return (m.get("energy_breakdown_j") or {}).get("compute", NAN) / (flops / 2) if flops else NAN


def _ptu(m: dict, p: Physics) -> int:
    return int((m.get("ops_by_unit") or {}).get(p.ptu, 0))


def _dist(a: Optional[list], b: Optional[list]) -> float:
    if not a or not b or len(a) != len(b):
        return NAN
    return sum(x != y for x, y in zip(a, b)) / len(a)


# --- E1: energy vs length ---------------------------------------------------------------------------
def e1(raw: dict, p: Physics, model: str) -> dict[str, Any]:
    name = f"lengths-{model}"
    rows = _ok_rows(raw, name, p, "energy")
    out: dict[str, Any] = {"note": _errors_note(raw, name), "pts": []}
    for r in rows:
        ae, opt, ps = _m(r, "all-electronic"), _m(r, "optimal"), _m(r, "path-search")
        out["pts"].append({
            "len": r["params"]["seq_len"], "ae": ae.get("energy_j", NAN), "opt": opt.get("energy_j", NAN),
            "ps": ps.get("energy_j", NAN), "ps_dyn": _dyn(ps), "ae_dyn": _dyn(ae),
            "opt_save": 1 - opt.get("energy_j", NAN) / ae.get("energy_j", NAN),
            "ps_save": 1 - ps.get("energy_j", NAN) / ae.get("energy_j", NAN),
            "ps_dyn_save": 1 - _dyn(ps) / _dyn(ae),
            "opt_ptu": _ptu(opt, p), "ps_ptu": _ptu(ps, p), "ops": sum((opt.get("ops_by_unit") or {}).values()),
            "ps_lat_ratio": ps.get("latency_s", NAN) / ae.get("latency_s", NAN),
            "opt_breakdown": opt.get("energy_breakdown_j") or {},
            "ae_pj_per_mac": _compute_per_mac(ae),
        })
    return out


def _cell_e1(res: dict, p: Physics) -> str:
    parts = []
    for m in MODELS:
        pts = res[(m, p.key)]["pts"]
        if not pts:
            parts.append(f"{m}: n/a ({res[(m, p.key)]['note']})")
            continue
        last = pts[-1]
        best = max(pts, key=lambda q: -1 if math.isnan(q["opt_save"]) else q["opt_save"])
        parts.append(
            f"**{m}** S={last['len']}: energy-optimal saves {_pct(last['opt_save'])} ({last['opt_ptu']}/{last['ops']} ops "
            f"on the PTU; best {_pct(best['opt_save'])} at S={best['len']}); the authors' mapping ({last['ps_ptu']} ops "
            f"on the PTU, {_x(last['ps_lat_ratio'])} the all-GPU time): dynamic energy {_vs(last['ps_dyn_save'])}, "
            f"total energy {_vs(last['ps_save'])}"
        )
    return "<br>".join(parts)


def _why_e1(res: dict, p: Physics, one: SingleRun) -> str:
    pts = {m: res[(m, p.key)]["pts"] for m in MODELS if res[(m, p.key)]["pts"]}
    bits = []
    for m, q in pts.items():
        bits.append(f"{m}: the authors' mapping takes {_x(q[0]['ps_lat_ratio'])} the all-GPU time at S={q[0]['len']} "
                    f"and {_x(q[-1]['ps_lat_ratio'])} at S={q[-1]['len']}")
    last = [q[-1] for q in pts.values()]
    if p.key == "authors":
        head = ("Their PTU and their accounting have no static power; our simulator charges every used unit's static "
                "power (the GPU's idle power included) over the makespan")
        if last and all(q["ps_save"] < 0 < q["ps_dyn_save"] for q in last):
            head += (". The single-core PTU stretches the makespan so much that static energy outweighs the "
                     "cheaper MACs: the authors' mapping saves dynamic energy but costs total energy")
            if all(q["opt_ptu"] == 0 for q in last):
                head += ", and our energy optimum keeps every op on the GPU at maximum length"
        per_mac = [q["ae_pj_per_mac"] for q in last if not math.isnan(q["ae_pj_per_mac"])]
        if per_mac:
            head += (f". The dynamic saving exceeds their 'up to 50 %' mainly because our GPU spends "
                     f"{min(per_mac) * 1e12:.2g}–{max(per_mac) * 1e12:.2g} pJ of compute energy per MAC "
                     f"(utilisation-based power model) where theirs charges a flat {one.gpu_mac_j * 1e12:.2g} pJ"
                     if all(q["ps_dyn_save"] > 0.5 for q in last) else
                     f". Our GPU spends {min(per_mac) * 1e12:.2g}–{max(per_mac) * 1e12:.2g} pJ of compute energy "
                     f"per MAC (utilisation-based power model) where theirs charges a flat "
                     f"{one.gpu_mac_j * 1e12:.2g} pJ")
    else:
        head = ("DDot adds laser power from its link budget, a DAC per operand, an ADC per output, detector/TIA, "
                "memory traffic and its own static power, none of which the authors' constants contain")
        if last and all(q["opt_save"] > 0 for q in last):
            head += ", but runs GEMMs fast enough that the photonic mapping saves total energy"
        if pts and all(q[-1]["opt_save"] < q[0]["opt_save"] and q[-1]["ps_lat_ratio"] > q[0]["ps_lat_ratio"]
                       for q in pts.values()):
            head += ("; the saving shrinks with length as the photonic run time, and the static energy over it, "
                     "grows relative to all-GPU")
    return head + ". " + ("; ".join(bits) + "." if bits else "")


# --- E2: latency vs cores × multiplexing -------------------------------------------------------------
def e2(raw: dict, p: Physics, plan: Plan) -> dict[str, Any]:
    name = f"mux-{p.key}"
    ck, mk = f"{p.ptu}.{p.cores}", f"{p.ptu}.{p.mux}"
    grid: dict[tuple[str, int, int], dict] = {}
    for obj in ("latency", "energy"):
        for r in _ok_rows(raw, name, p, obj):
            ov = r["params"]["overrides"]
            grid[(obj, int(ov[ck]), int(ov[mk]))] = r
    out: dict[str, Any] = {"note": _errors_note(raw, name)}
    if not grid:
        return out
    c0, c1, m0, m1 = min(plan.cores), max(plan.cores), min(plan.mux), max(plan.mux)

    def lat(obj: str, mapping: str, c: int, m: int) -> float:
        r = grid.get((obj, c, m))
        return _m(r, mapping).get("latency_s", NAN) if r else NAN

    ps = lambda c, m: lat("energy", "path-search", c, m)  # noqa: E731 — the authors' mapping
    best_lat = min((lat("latency", "optimal", c, m) for c in plan.cores for m in plan.mux), default=NAN)
    any_row = next(iter(grid.values()))
    out.update(
        lat=lat, c0=c0, c1=c1, m0=m0, m1=m1, grid=grid,
        gpu=_m(any_row, "all-electronic").get("latency_s", NAN),
        mux_gain=ps(c0, m0) / ps(c0, m1), cores_gain=ps(c0, m0) / ps(c1, m0), hw_gain=ps(c0, m0) / ps(c1, m1),
        assign_gain=ps(c0, m1) / lat("latency", "optimal", c0, m1), combined=ps(c0, m0) / best_lat,
        ps_best=ps(c1, m1), ps_ptu=_ptu(_m(grid.get(("energy", c0, m0), {"result": {}}), "path-search"), p),
    )
    return out


def _cell_e2(r: dict, p: Physics) -> str:
    if "mux_gain" not in r:
        return f"n/a ({r['note']})"
    return (f"authors' mapping ({r['ps_ptu']} ops on the PTU): {p.mux} {r['m0']}→{r['m1']}: {_x(r['mux_gain'])}; "
            f"{p.cores} {r['c0']}→{r['c1']}: {_x(r['cores_gain'])}; both: {_x(r['hw_gain'])}. Latency-optimal "
            f"assignment vs that mapping at {p.cores}={r['c0']}, {p.mux}={r['m1']}: {_x(r['assign_gain'])}; "
            f"multiplexing, cores and assignment together: {_x(r['combined'])}")


def _why_e2(r: dict, p: Physics, plan: Plan) -> str:
    if "mux_gain" not in r:
        return ""
    law = ("Their PTU time is ⌈⌈D/M⌉/cores⌉·K cycles, so M and cores divide matmul time" if p.key == "authors" else
           "In DDot, wavelengths shorten each reduction slice and tiles take row tiles in parallel, bounded by ceil "
           "losses on small GEMMs and weight streaming")
    quirk = ""
    if r["cores_gain"] > r["c1"] / r["c0"] * 1.05:
        quirk = (f" (more than {r['c1'] // r['c0']}× because their model both spreads an op over all cores and runs "
                 f"as many ops at once as there are cores — a quirk of their code, kept)")
    faster = "still slower" if r["ps_best"] > r["gpu"] else "faster"
    return (f"{law}{quirk}. At {p.cores}={r['c1']}, {p.mux}={r['m1']} the authors' mapping ({_ms(r['ps_best'])}) is "
            f"{faster} than all-GPU ({_ms(r['gpu'])}); the assignment factor compares it with our latency "
            f"optimum, so it is large exactly when the photonic unit is slow.")


# --- E3: latency- vs energy-objective mappings -----------------------------------------------------
def e3(raw: dict, p: Physics, model: str) -> dict[str, Any]:
    name = f"lengths-{model}"
    lat = {r["params"]["seq_len"]: r for r in _ok_rows(raw, name, p, "latency")}
    en = {r["params"]["seq_len"]: r for r in _ok_rows(raw, name, p, "energy")}
    rows = []
    for n in sorted(set(lat) & set(en)):
        lo, eo, ep = _m(lat[n], "optimal"), _m(en[n], "optimal"), _m(en[n], "path-search")
        rows.append({"len": n, "ptu_lat": _ptu(lo, p), "ptu_en": _ptu(eo, p), "ptu_ps": _ptu(ep, p),
                     "ops": len(lo.get("units") or []), "d_opt": _dist(lo.get("units"), eo.get("units")),
                     "d_ps": _dist(lo.get("units"), ep.get("units"))})
    return {"rows": rows, "distinct": sum(1 for r in rows if r["d_opt"] > 0), "n": len(rows),
            "note": _errors_note(raw, name)}


def _cell_e3(r: dict) -> str:
    if not r["rows"]:
        return f"n/a ({r['note']})"
    last = r["rows"][-1]
    return (f"optima distinct at {r['distinct']}/{r['n']} lengths; at S={last['len']} PTU ops {last['ptu_lat']} "
            f"(latency) vs {last['ptu_en']} (energy), {_pct(last['d_opt'])} of ops on a different unit; the "
            f"authors' energy mapping differs from the latency optimum on {_pct(last['d_ps'])}")


def _why_e3(res: dict, p: Physics) -> str:
    rows = [r for m in MODELS for r in res[(m, p.key)]["rows"]]
    if not rows:
        return ""
    if all(r["d_opt"] == 0 for r in rows):
        where = ("all-GPU at every length" if all(r["ptu_en"] == 0 for r in rows) else
                 f"all-GPU at {sum(r['ptu_en'] == 0 for r in rows)}/{len(rows)} (model, length) points")
        return ("Our two optima coincide at every length: with static power charged over the makespan, this PTU "
                f"costs more energy than it saves, so the energy optimum is the latency optimum ({where}). The "
                "authors' energy mapping differs because their selection sums per-op energies without static power.")
    lo = [r for r in rows if r["d_opt"] > 0]
    return (f"The optima differ at {len(lo)}/{len(rows)} (model, length) points: the GPU is faster per GEMM, the "
            f"photonic unit cheaper per MAC once conversions are amortised, so the energy objective moves GEMMs to "
            f"the photonic unit and the latency objective keeps more of them on the GPU.")


# --- S: the authors' one published run (GPT-2 prefill S=50, energy objective) ---------------------------
def single(raw: dict, p: Physics, one: SingleRun) -> dict[str, Any]:
    rows = [r for r in _ok_rows(raw, "single", p, one.objective)
            if r["params"]["model"] == one.model and r["params"]["seq_len"] == one.seq_len]
    out: dict[str, Any] = {"note": _errors_note(raw, "single") or "no run"}
    if not rows:
        return out
    res = rows[0]["result"]
    w = res.get("weight_elements", NAN)
    for name in ("path-search", "optimal", "all-electronic"):
        m = _m(rows[0], name)
        g = m.get("gemms_by_unit") or {}
        out[name] = {
            "energy": m.get("energy_j", NAN), "dyn": _dyn(m), "lat": m.get("latency_s", NAN),
            "dyn_mem_node": _dyn(m) + w * one.weight_memory_node_j,
            "static": (m.get("energy_breakdown_j") or {}).get("static", NAN),
            "ptu_ops": _ptu(m, p), "ptu_gemms": int(g.get(p.ptu, 0)), "gemms": int(sum(g.values())),
            "ptu_busy": (m.get("utilisation") or {}).get(p.ptu, NAN),
        }
    out.update(weights=w, gemm_ops=res.get("gemm_ops"), fused=res.get("fused_gemm_ops"))
    return out


def _cell_single(r: dict, p: Physics) -> str:
    if "path-search" not in r:
        return f"n/a ({r['note']})"
    a, o = r["path-search"], r["optimal"]
    return (f"authors' mapping: {a['ptu_gemms']}/{a['gemms']} GEMMs ({a['ptu_ops']} ops) on the PTU, makespan "
            f"{_ms(a['lat'])}, dynamic energy {_mj(a['dyn'])} ({_mj(a['dyn_mem_node'])} with their HBM memory-node "
            f"energy per weight), total {_mj(a['energy'])} with static power; our energy optimum: "
            f"{o['ptu_gemms']}/{o['gemms']} GEMMs on the PTU, {_mj(o['energy'])}")


def _single_section(rs: dict, one: SingleRun) -> list[str]:
    a, f, fp = PHYSICS
    ra, rf, rp = rs[a.key], rs[f.key], rs[fp.key]
    cols = [(f"ours, {a.label}: authors' mapping", ra.get("path-search")),
            (f"ours, {a.label}: energy optimum", ra.get("optimal")),
            (f"ours, {f.label}: energy optimum", rf.get("optimal")),
            (f"ours, {fp.label}: energy optimum", rp.get("optimal"))]
    cols = [(h, c) for h, c in cols if c]
    v = lambda c, k, fmt: fmt(c[k]) if c else "n/a"  # noqa: E731
    L = [f"## The authors' one published run: {one.model} {one.phase} S={one.seq_len}, {one.objective} objective", "",
         f"Their numbers: {one.source}, hardware {one.hardware}. Ours: `{a.system}` and `{f.system}` "
         f"(CPU not modelled; the GPU does the electronic work).", "",
         "| | paper / repo | " + " | ".join(h for h, _ in cols) + " |", "|---|---|" + "---|" * len(cols)]
    rows = [
        ("total energy", _mj(one.energy_j), "energy", _mj),
        ("dynamic energy (no static power)", "= total (no static power modelled)", "dyn", _mj),
        (f"dynamic + their {one.weight_memory_node_j * 1e12:.4g} pJ HBM memory node per weight", "(included)",
         "dyn_mem_node", _mj),
        ("static energy", "not modelled", "static", _mj),
        ("makespan", _ms(one.makespan_s), "lat", _ms),
        ("PTU busy (share of makespan)", "n/a", "ptu_busy", _pct),
    ]
    for label, paper, key, fmt in rows:
        L.append(f"| {label} | {paper} | " + " | ".join(v(c, key, fmt) for _, c in cols) + " |")
    L.append(f"| GEMMs on the PTU | {one.ptu_gemms}/{one.ptu_capable_gemms} | "
             + " | ".join(f"{c['ptu_gemms']}/{c['gemms']} ({c['ptu_ops']} ops)" for _, c in cols) + " |")
    L.append("")
    if "path-search" in ra:
        ps = ra["path-search"]
        gap = one.energy_j - ps["dyn_mem_node"]
        L.append(
            f"Op count: our capture has {ra['gemm_ops']} GEMM ops holding {ps['gemms']} GEMMs — {ra['fused']} of them "
            f"fused attention ops carrying both QK^T and AV — where their Relay graph has one op per GEMM; so "
            f"{ps['ptu_gemms']}/{ps['gemms']} GEMMs is the same mapping as their {one.ptu_gemms}/{one.ptu_capable_gemms}. "
            f"Makespan: our PTU is busy {_pct(ps['ptu_busy'])} of {_ms(ps['lat'])} (their cycle formula and constants), "
            f"so the rest of their {_ms(one.makespan_s)} is their electronic side (by lightcode.md §2.2's reading, "
            f"element-wise GPU ops at about one element per cycle on one SM; also a 1-core CPU and 10 ns per SRAM "
            f"crossing, even PTU→PTU), which we model as a roofline H100. Energy: their total has no static power; our dynamic energy "
            f"{_mj(ps['dyn'])} plus their {one.weight_memory_node_j * 1e12:.4g} pJ HBM memory node on each of "
            f"{ra['weights'] / 1e6:.1f} M weights gives {_mj(ps['dyn_mem_node'])}, "
            + (f"{_mj(gap)} short of their {_mj(one.energy_j)} — their per-number SRAM traffic of activations and "
               f"their GPU energy functions, not in any available file, are the likely remainder"
               if gap > 0 else f"{_mj(-gap)} above their {_mj(one.energy_j)}")
            + f". With the GPU's static power over the makespan the same mapping costs {_mj(ps['energy'])}, so our "
            f"energy optimum keeps {ra['optimal']['gemms'] - ra['optimal']['ptu_gemms']}/{ra['optimal']['gemms']} "
            f"GEMMs on the GPU.")
        L.append("")
    return L


# --- figures ---------------------------------------------------------------------------------------------
def _plt():
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    _plt().close(fig)
    return path


def fig_e1(res: dict, out: Path) -> Path:
    plt = _plt()
    fig, axes = plt.subplots(2, len(MODELS), figsize=(12, 8), sharex="col")
    for j, m in enumerate(MODELS):
        for i, p in enumerate(PHYSICS):
            pts = res[(m, p.key)]["pts"]
            if not pts:
                continue
            xs = [q["len"] for q in pts]
            c = f"C{i}"
            axes[0, j].plot(xs, [q["ae"] for q in pts], color="gray", ls=":", label="all-GPU" if i == 0 else None)
            axes[0, j].plot(xs, [q["opt"] for q in pts], color=c, marker="o", label=f"energy-optimal — {p.label}")
            axes[0, j].plot(xs, [q["ps"] for q in pts], color=c, ls="--", label=f"authors' mapping, total — {p.label}")
            axes[0, j].plot(xs, [q["ps_dyn"] for q in pts], color=c, ls="-.", label=f"authors' mapping, dynamic — {p.label}")
            axes[1, j].plot(xs, [100 * q["opt_save"] for q in pts], color=c, marker="o", label=f"energy-optimal — {p.label}")
            axes[1, j].plot(xs, [100 * q["ps_dyn_save"] for q in pts], color=c, ls="-.",
                            label=f"authors' mapping, dynamic only — {p.label}")
        axes[0, j].set(title=f"{m} prefill", ylabel="energy (J)", xscale="log", yscale="log")
        axes[1, j].axhline(50, color="gray", lw=0.8, ls=":")
        axes[1, j].set(xlabel="sequence length", ylabel="saving vs all-GPU (%)", xscale="log")
        axes[1, j].set_ylim(bottom=max(-100, axes[1, j].get_ylim()[0]))
        for ax in axes[:, j]:
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=6)
    return _save(fig, out / "e1_energy_vs_length.png")


def fig_e2(res: dict, plan: Plan, out: Path) -> Path:
    plt = _plt()
    fig, axes = plt.subplots(1, len(PHYSICS), figsize=(12, 4.8))
    for ax, p in zip(axes, PHYSICS):
        r = res[p.key]
        if "lat" not in r:
            ax.set_title(f"{p.label}: no data")
            continue
        for i, c in enumerate(plan.cores):
            ax.plot(plan.mux, [r["lat"]("energy", "path-search", c, m) * 1e3 for m in plan.mux], color=f"C{i}",
                    marker="o", ms=3, label=f"authors' mapping, {p.cores}={c}")
            ax.plot(plan.mux, [r["lat"]("latency", "optimal", c, m) * 1e3 for m in plan.mux], color=f"C{i}",
                    ls="--", label=f"latency-optimal, {p.cores}={c}")
        ax.axhline(r["gpu"] * 1e3, color="gray", ls=":", label="all-GPU")
        ax.set(title=f"{plan.e2_model} S={plan.e2_len} — {p.label}", xlabel=f"multiplexing factor ({p.mux})",
               ylabel="latency (ms)", xscale="log", yscale="log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6, ncol=2)
    return _save(fig, out / "e2_latency_vs_multiplexing.png")


def fig_e3(res: dict, out: Path) -> Path:
    plt = _plt()
    fig, axes = plt.subplots(1, len(MODELS), figsize=(12, 4.8))
    for ax, m in zip(axes, MODELS):
        for i, p in enumerate(PHYSICS):
            rows = res[(m, p.key)]["rows"]
            if not rows:
                continue
            xs = [r["len"] for r in rows]
            share = lambda k: [100 * r[k] / max(r["ops"], 1) for r in rows]  # noqa: E731
            ax.plot(xs, share("ptu_lat"), color=f"C{i}", marker="o", label=f"latency-optimal — {p.label}")
            ax.plot(xs, share("ptu_en"), color=f"C{i}", ls="--", marker="s", label=f"energy-optimal — {p.label}")
            ax.plot(xs, share("ptu_ps"), color=f"C{i}", ls=":", label=f"authors' energy mapping — {p.label}")
        ax.set(title=f"{m} prefill: share of ops on the photonic unit", xlabel="sequence length",
               ylabel="ops on the PTU (%)", xscale="log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    return _save(fig, out / "e3_mappings.png")


# --- the report ------------------------------------------------------------------------------------------
def write(out: Path, plan: Plan, frames: dict, raw: dict, summaries: dict, *, quick: bool) -> Path:
    r1 = {(m, p.key): e1(raw, p, m) for m in MODELS for p in PHYSICS}
    r2 = {p.key: e2(raw, p, plan) for p in PHYSICS}
    r3 = {(m, p.key): e3(raw, p, m) for m in MODELS for p in PHYSICS}
    one = load_single_run()
    rs = {p.key: single(raw, p, one) for p in PHYSICS}
    figs = [fig_e1(r1, out), fig_e2(r2, plan, out), fig_e3(r3, out)]
    a, f, fp = PHYSICS
    total = sum(s.total for s in summaries.values())
    fps = {k: v for s in summaries.values() for k, v in s.model_fingerprints.items()}
    prov = {"model_fingerprint": combined(fps), "model_fingerprints": fps,
            "recomputed": sum(s.recomputed for s in summaries.values())}
    errs = sum(1 for rows in raw.values() for r in rows if r["status"] == "error")
    L = [
        "# Reproducing LightCode (Tomich, Zhong, Englund, arXiv 2509.16443)",
        "",
        f"Generated by `lightcode reproduce lightcode-2025{' --quick' if quick else ''}` on {now()} at commit "
        f"{git_commit()}, model fingerprint `{prov['model_fingerprint']}` (code and hardware files): {total} compile "
        f"points ({errs} failed), stored in `reproduce.sqlite` in the output directory (re-running resumes; points "
        f"stored under another fingerprint are computed again).",
        f"Authors' constants: `{a.system}` (unit `{a.ptu}`, the constants of the authors' code); fuller physics: "
        f"`{f.system}` at its baseline corner (unit `{f.ptu}`, weights streamed from the GPU's HBM over the "
        f"link), under two precision policies: native (each unit at its own formats, the paper's comparison) and "
        f"parity (the GPU offered the same weight/activation floor as the photonic unit: fp8, int8, W4A16). "
        f"Prefill lengths: "
        + "; ".join(f"{m} {plan.lengths[m]}" for m in MODELS) + f". E2: {plan.e2_model} at S={plan.e2_len}, "
        f"{a.cores}/{f.cores} ∈ {plan.cores} × {a.mux}/{f.mux} ∈ {plan.mux}.",
        "",
        "Only the paper's abstract was available (lightcode.md §0): the left column is its wording; its figures, "
        "maximum lengths and baselines are unknown, so each 'ours' cell is our reading of the experiment. "
        "'Authors' mapping' = their selection algorithm (path-search over per-op costs, energy objective) "
        "re-implemented; 'energy-/latency-optimal' = our exact CP-SAT selection; all mappings are simulated by "
        "our simulator. 'Dynamic energy' leaves out static power, as the authors' code does.",
        "",
        f"| paper's claim | ours, {a.label} | ours, {f.label} | ours, {fp.label} |",
        "|---|---|---|---|",
        f"| {CLAIMS['e1']} | {_cell_e1(r1, a)} | {_cell_e1(r1, f)} | {_cell_e1(r1, fp)} |",
        f"| {CLAIMS['e2']} | {_cell_e2(r2['authors'], a)} | {_cell_e2(r2['fuller'], f)} | "
        f"{_cell_e2(r2['fuller-parity'], fp)} |",
        f"| {CLAIMS['e3']} | " + " | ".join("<br>".join(f"**{m}**: {_cell_e3(r3[(m, p.key)])}" for m in MODELS)
                                          for p in PHYSICS) + " |",
        f"| (repo) {one.model} {one.phase} S={one.seq_len}, {one.objective} objective: {_mj(one.energy_j)} total, "
        f"makespan {_ms(one.makespan_s)}, {one.ptu_gemms}/{one.ptu_capable_gemms} GEMMs on the PTU | "
        f"{_cell_single(rs[a.key], a)} | {_cell_single(rs[f.key], f)} | {_cell_single(rs[fp.key], fp)} |",
        "",
        "## Why they differ",
        "",
    ]
    L += [f"- **(i), {p.label}.** {_why_e1(r1, p, one)}" for p in PHYSICS]
    L += [f"- **(ii), {p.label}.** {_why_e2(r2[p.key], p, plan)}" for p in PHYSICS]
    L += [f"- **(iii), {p.label}.** {_why_e3(r3, p)}" for p in PHYSICS]
    L += ["- **Single run.** See the next section.", ""]
    L += _single_section(rs, one)
    L += ["## Details", "", "### E1 — energy vs sequence length (J)", "",
          "| model | physics | S | all-GPU | energy-optimal | saving | PTU ops | authors' mapping | its dynamic energy | its total energy |",
          "|---|---|---|---|---|---|---|---|---|---|"]
    for m in MODELS:
        for p in PHYSICS:
            for q in r1[(m, p.key)]["pts"]:
                L.append(f"| {m} | {p.key} | {q['len']} | {q['ae']:.4g} | {q['opt']:.4g} | {_pct(q['opt_save'])} | "
                         f"{q['opt_ptu']}/{q['ops']} | {q['ps']:.4g} | {_vs(q['ps_dyn_save'])} | {_vs(q['ps_save'])} |")
    L += ["", f"### E2 — latency, {plan.e2_model} prefill S={plan.e2_len}", ""]
    for p in PHYSICS:
        r = r2[p.key]
        if "lat" not in r:
            L += [f"{p.label}: no data ({r['note']})", ""]
            continue
        L += [f"{p.label} — rows {p.cores}, columns {p.mux}; each cell: authors' mapping / latency-optimal (ms)", "",
              "| " + " | ".join([p.cores] + [str(m) for m in plan.mux]) + " |", "|" + "---|" * (len(plan.mux) + 1)]
        for c in plan.cores:
            cells = [f"{r['lat']('energy', 'path-search', c, m) * 1e3:.4g} / {r['lat']('latency', 'optimal', c, m) * 1e3:.4g}"
                     for m in plan.mux]
            L.append(f"| {c} | " + " | ".join(cells) + " |")
        L.append("")
    L += ["### E3 — mappings per length (ops on the photonic unit; distance = share of ops on a different unit)", "",
          "| model | physics | S | latency-optimal | energy-optimal | authors' energy mapping | ops | distance optima | distance lat-opt vs authors' |",
          "|---|---|---|---|---|---|---|---|---|"]
    for m in MODELS:
        for p in PHYSICS:
            for q in r3[(m, p.key)]["rows"]:
                L.append(f"| {m} | {p.key} | {q['len']} | {q['ptu_lat']} | {q['ptu_en']} | {q['ptu_ps']} | {q['ops']} | "
                         f"{_pct(q['d_opt'])} | {_pct(q['d_ps'])} |")
    L += ["", "## Figures", ""] + [f"![{p.stem}]({p.name})" for p in figs]
    notes = [f"- {name}: {_errors_note(raw, name)}" for name in raw if _errors_note(raw, name)]
    if notes:
        L += ["", "## Failed points", ""] + notes
    path = out / "REPRODUCTION.md"
    path.write_text("\n".join(L) + "\n")
    summary = {
        "provenance": prov,
        "e1": {f"{m}/{k}": v["pts"][-1] if v["pts"] else None for (m, k), v in r1.items()},
        "e2": {k: {kk: v.get(kk) for kk in ("mux_gain", "cores_gain", "hw_gain", "assign_gain", "combined", "gpu", "ps_best")}
               for k, v in r2.items()},
        "e3": {f"{m}/{k}": v["rows"] for (m, k), v in r3.items()},
        "single_run": {"paper": {"energy_j": one.energy_j, "makespan_s": one.makespan_s, "ptu_gemms": one.ptu_gemms,
                                 "ptu_capable_gemms": one.ptu_capable_gemms, "source": one.source},
                       **{k: v for k, v in rs.items()}},
    }
    (out / "reproduction.json").write_text(json.dumps(summary, indent=1, default=str))
    return path
