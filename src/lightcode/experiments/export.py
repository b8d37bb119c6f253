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
                           "point_key": row["point_key"], "status": row["status"],
                           "model_fp": row.get("model_fp")}  # the code + hardware files it was computed under
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
    prov = r.get("provenance") or {}
    for k in ("lightcode_version", "commit", "dirty", "precision_policy"):
        out[f"prov.{k}"] = prov.get(k)
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


X_DEFAULT = "length"  # seq_len for prefill, context for decode


def plot_params(df) -> list[str]:
    """The columns `sweep plot --x/--hue` accept: the point parameters, `length`, and override columns."""
    return ["length", *PARAM_COLS, *sorted(c for c in df.columns if c.startswith("ov."))]


def _check_param(df, name: str, flag: str) -> str:
    known = plot_params(df)
    key = name if name in known or name.startswith("ov.") else (f"ov.{name}" if f"ov.{name}" in known else name)
    if key not in known:
        raise BadInputError(f"{flag} {name!r}: not a sweep parameter (known: {', '.join(known)})")
    return key


def plot_sweep(df, out_dir: Path, *, prefix: str = "", x: str = X_DEFAULT, hue: str | None = None,
               fmt: str = "png", dpi: int | None = None) -> list[Path]:
    """Latency and energy against X (default the length; any sweep parameter or override column), one figure
    pair per (model, phase, batch) unless X is one of those; colour = HUE (default the system), line style =
    objective; the all-electronic baseline of each colour dotted and labelled. Figures follow the house style
    (legend outside the data, ≥ 8 pt) and are written as FMT (png | pdf | svg)."""
    from lightcode.report.si import si
    from lightcode.report.style import SERIES_COLOURS, check_format, legend_outside, new_figure, save, style

    fmt = check_format(fmt, dpi)
    ok = df[df["status"] == "ok"].copy()
    if ok.empty:
        raise BadInputError("no successful points to plot")
    ok["length"] = ok["seq_len"].where(ok["phase"] == "prefill", ok["context"])
    x = _check_param(ok, x, "--x")
    hue = _check_param(ok, hue, "--hue") if hue else "system"
    if x == hue:
        raise BadInputError(f"--x and --hue are both {x!r}; choose two different parameters")
    ok["_hue"] = ok[hue].astype(str)
    numeric_x = ok[x].map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).all()
    group_cols = [c for c in ("model", "phase", "batch") if c not in (x, hue)]
    vary = [c for c in ("objective", "corner", "overrides") if c not in (x, hue) and ok[c].astype(str).nunique() > 1]
    written: list[Path] = []
    groups = ok.groupby(group_cols, dropna=False) if group_cols else [((), ok)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        tag = "_".join(f"b{k}" if c == "batch" else str(k) for c, k in zip(group_cols, key))
        title = " ".join(f"{c} {k}" if c == "batch" else str(k) for c, k in zip(group_cols, key))
        for metric, base_col, unit in (("latency_s", "baseline_latency_s", "s"), ("energy_j", "baseline_energy_j", "J")):
            with style():
                fig, ax = new_figure((7.5, 4.2))
                colours = {h: SERIES_COLOURS[i % len(SERIES_COLOURS)] for i, h in enumerate(sorted(g["_hue"].unique()))}
                styles = {o: ls for o, ls in zip(sorted(g["objective"].astype(str).unique()), ("-", "--", "-.", ":"))}
                series = g.groupby(["_hue", *vary], dropna=False) if vary else g.groupby(["_hue"])
                for skey, sdf in series:
                    skey = skey if isinstance(skey, tuple) else (skey,)
                    sdf = sdf.sort_values(x)
                    first = sdf.iloc[0]
                    label = " ".join([f"{hue}={skey[0]}" if hue != "system" else str(skey[0]),
                                      *(_vary_label(c, v) for c, v in zip(vary, skey[1:]))])
                    ax.plot(sdf[x] if numeric_x else sdf[x].astype(str), sdf[metric], marker="o", ms=3, label=label,
                            color=colours[first["_hue"]], ls=styles.get(str(first["objective"]), "-"))
                if hue == "system":
                    for h, sdf in g.groupby("_hue"):
                        sdf = sdf.drop_duplicates(x).sort_values(x)
                        if sdf[base_col].notna().any():
                            ax.plot(sdf[x] if numeric_x else sdf[x].astype(str), sdf[base_col], ls=":",
                                    color=colours[h], lw=1, label=f"{h} all-electronic (reference)")
                if numeric_x and x in ("length", "seq_len", "context", "batch") and ok[x].nunique() > 2:
                    ax.set_xscale("log")
                if g[metric].min() > 0 and g[metric].max() / g[metric].min() > 20:
                    ax.set_yscale("log")
                else:
                    from matplotlib.ticker import FuncFormatter

                    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p, u=unit: si(v, u, 3)))
                xlabel = {"length": "context length" if set(g["phase"]) == {"decode"} else "sequence length"}.get(x, x)
                ax.set_xlabel(xlabel)
                ax.set_ylabel(f"{metric.split('_')[0]} ({unit})")
                ax.set_title(title)
                ax.grid(True, which="both", alpha=0.3)
                legend_outside(ax)
                name = f"{prefix}{metric.split('_')[0]}_vs_{x}_{tag}".replace("/", "_").replace(" ", "_")
                written.append(save(fig, out_dir / name, fmt=fmt, dpi=dpi))
    return written


def _vary_label(col: str, v: Any) -> str:
    if col == "overrides":
        return ",".join(f"{k}={x}" for k, x in json.loads(v).items()) or "no overrides"
    return str(v) if col == "objective" else f"{col}={v}"


def select_spec(store: Any, spec: Optional[str]) -> Optional[str]:
    """`--spec` accepts a spec hash (or prefix) or a spec name; None means every spec in the database."""
    if spec is None:
        return None
    hits = [s["spec_hash"] for s in store.specs() if s["spec_hash"].startswith(spec) or s["name"] == spec]
    if len(hits) != 1:
        raise BadInputError(f"--spec {spec!r} matches {len(hits)} specs in the database (need exactly one)")
    return hits[0]
