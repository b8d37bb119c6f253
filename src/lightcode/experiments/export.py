"""Sweep results as a flat table (one row per point) and the usual figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Optional

from lightcode.errors import BadInputError

PARAM_COLS = ("model", "phase", "seq_len", "context", "batch", "system", "corner", "objective", "dtype")


def flatten(row: dict[str, Any]) -> dict[str, Any]:
    p = row["params"]
    out: dict[str, Any] = {"spec_hash": row["spec_hash"], "spec_name": row["spec_name"],
                           "point_key": row["point_key"], "status": row["status"]}
    out.update({c: p.get(c) for c in PARAM_COLS})
    out["overrides"] = json.dumps(p.get("overrides") or {}, sort_keys=True)
    for k, v in (p.get("overrides") or {}).items():
        out[f"ov.{k}"] = v
    r = row["result"] or {}
    res = r.get("result") or {}
    out["latency_s"] = res.get("latency_s")
    out["energy_j"] = res.get("energy_j")
    for comp, v in (res.get("energy_breakdown_j") or {}).items():
        out[f"energy.{comp}_j"] = v
    out["ops_total"] = res.get("ops_total")
    for unit, n in (res.get("ops_by_unit") or {}).items():
        out[f"ops.{unit}"] = n
    for unit, f in (res.get("flops_by_unit") or {}).items():
        out[f"flops.{unit}"] = f
    base = r.get("baseline") or {}
    out["baseline_latency_s"] = base.get("latency_s")
    out["baseline_energy_j"] = base.get("energy_j")
    sol = r.get("solver") or {}
    for k in ("status", "objective", "bound", "gap", "time_s"):
        out[f"solver_{k}"] = sol.get(k)
    out["compile_total_s"] = (r.get("timing_s") or {}).get("total")
    if "new_tokens" in p:  # a generation point (experiments/generate.py): its whole-request figures
        out["new_tokens"] = p["new_tokens"]
        out.update({k: r.get(k) for k in ("ttft_s", "tpot_s", "tokens_per_s", "energy_per_token_j")})
    out.update(error_type=row["error_type"], error=row["error"], duration_s=row["duration_s"],
               worker=row["worker"])
    return out


def to_frame(rows: Iterable[dict[str, Any]]):
    import pandas as pd

    return pd.DataFrame([flatten(r) for r in rows])


def write_table(df, fmt: str, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        df.to_csv(out, index=False)
    elif fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise BadInputError("--format parquet needs pyarrow: pip install pyarrow (or use --format csv)") from None
        df.to_parquet(out, index=False)
    else:
        raise BadInputError(f"unknown export format {fmt!r} (csv | parquet)")
    return out


def _series_label(r: Any, vary: list[str]) -> str:
    parts = [str(r["system"])]
    for c in vary:
        v = r[c]
        if c == "overrides":
            v = ",".join(f"{k}={x}" for k, x in json.loads(v).items()) or "-"
        parts.append(f"{c}={v}" if c != "objective" else str(v))
    return " ".join(parts)


def plot_sweep(df, out_dir: Path, *, prefix: str = "") -> list[Path]:
    """Latency and energy against length, one figure pair per (model, phase, batch); a line per
    system × objective (× corner × overrides where they vary); the all-electronic baseline dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    ok = df[df["status"] == "ok"].copy()
    if ok.empty:
        raise BadInputError("no successful points to plot")
    ok["length"] = ok["seq_len"].where(ok["phase"] == "prefill", ok["context"])
    vary = [c for c in ("objective", "corner", "overrides") if ok[c].astype(str).nunique() > 1]
    written: list[Path] = []
    for (model, phase, batch), g in ok.groupby(["model", "phase", "batch"], dropna=False):
        for metric, base_col, unit, scale in (("latency_s", "baseline_latency_s", "ms", 1e3),
                                              ("energy_j", "baseline_energy_j", "mJ", 1e3)):
            fig, ax = plt.subplots(figsize=(7, 4.5))
            # colour = system, line style = objective: one glance separates hardware from objective
            colors = {sys_: f"C{i}" for i, sys_ in enumerate(sorted(g["system"].unique()))}
            styles = {o: ls for o, ls in zip(sorted(g["objective"].unique()), ("-", "--", "-.", ":"))}
            for label, s in g.groupby(g.apply(lambda r: _series_label(r, vary), axis=1)):
                s = s.sort_values("length")
                first = s.iloc[0]
                ax.plot(s["length"], s[metric] * scale, marker="o", ms=3, label=label,
                        color=colors[first["system"]], ls=styles[first["objective"]])
            for system, s in g.groupby("system"):
                s = s.drop_duplicates("length").sort_values("length")
                if s[base_col].notna().any():
                    ax.plot(s["length"], s[base_col] * scale, ls=":", color=colors[system], lw=1, alpha=0.6,
                            label=f"{system} all-electronic")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("context length" if phase == "decode" else "sequence length")
            ax.set_ylabel(f"{metric.split('_')[0]} ({unit})")
            ax.set_title(f"{model} {phase} (batch {batch})")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7)
            fig.tight_layout()
            path = out_dir / f"{prefix}{metric.split('_')[0]}_vs_length_{model}_{phase}_b{batch}.png".replace("/", "_")
            fig.savefig(path, dpi=120)
            plt.close(fig)
            written.append(path)
    return written


def select_spec(store: Any, spec: Optional[str]) -> Optional[str]:
    """`--spec` accepts a spec hash (or prefix) or a spec name; None means every spec in the database."""
    if spec is None:
        return None
    hits = [s["spec_hash"] for s in store.specs() if s["spec_hash"].startswith(spec) or s["name"] == spec]
    if len(hits) != 1:
        raise BadInputError(f"--spec {spec!r} matches {len(hits)} specs in the database (need exactly one)")
    return hits[0]
