"""`lightcode sensitivity`: what an answer hinges on. One parameter at a time over its range, each point
re-solved exactly, ranked by how far it moves the objective.

Range of a parameter: under `corners` its conservative and aggressive values where the unit file gives
them, else ± `fraction` (default 20 %) of its value; under `±F` every parameter at ± F. Integer parameters
round (and stay ≥ 1); 0/1 switches and zero-valued parameters have no ± range and are skipped (listed as
such). Every point is a sweep point (Dask + the SQLite store, so an interrupted run resumes): the
baseline, and per parameter its low and high value as a unit-parameter override.

Reported per parameter: low/high values, the objective at each, the saving against the all-electronic
baseline at each, how many ops moved between units compared with the unmodified optimum, and the swing
|obj(high) − obj(low)| / obj(baseline), by which the table is ranked. `breakeven` bisects one parameter for
the value at which the photonic units stop (or start) being chosen.

System-level parameters (memories, links, crossings) are not unit parameters and are not varied here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from lightcode.errors import BadInputError, LightcodeError
from lightcode.pipeline.request import CompileRequest

DEFAULT_FRACTION = 0.2


@dataclass(frozen=True)
class ParamRange:
    key: str  # "unit.param"
    baseline: float  # SI value in `unit`
    unit: str
    low: Optional[float]
    high: Optional[float]
    how: str  # "corners" | "±20%" | skip reason

    @property
    def varied(self) -> bool:
        return self.low is not None and self.high is not None


def _text(value: float, unit: str, integer: bool) -> Any:
    """An override value as the YAML loader reads it: a bare number when dimensionless."""
    v = int(round(value)) if integer else float(f"{value:.10g}")
    return v if unit in ("1", "") else f"{v} {unit}"


def parameter_ranges(system: str, *, range_: str = "corners", params: str = "all",
                     corner: Optional[str] = None) -> list[ParamRange]:
    """The range of every unit parameter of SYSTEM (or those named in PARAMS, "unit.param,…")."""
    from lightcode.cost.families import FAMILIES, load_family_modules
    from lightcode.hardware.load import read_system, read_unit

    fraction = DEFAULT_FRACTION
    if range_ != "corners":
        try:
            fraction = abs(float(range_.lstrip("±+")))
        except ValueError:
            raise BadInputError(f"--range {range_!r}: use 'corners' or a fraction like ±0.2") from None
        if not 0 < fraction < 1:
            raise BadInputError(f"--range {range_!r}: the fraction must be in (0, 1)")
    load_family_modules()
    spec = read_system(system, corner)
    wanted = None if params == "all" else {p.strip() for p in params.split(",") if p.strip()}
    out: list[ParamRange] = []
    for u in spec.units:
        specs = {p.name: p for p in FAMILIES[u.family].params}
        at = {c: read_unit(u.path, c).params for c in ("conservative", "aggressive") if c in u.corners}
        for name, pv in u.params.items():
            key = f"{u.name}.{name}"
            if wanted is not None and key not in wanted:
                continue
            ps = specs.get(name)
            integer = bool(ps and ps.integer)
            lo = hi = None
            how = ""
            if range_ == "corners":
                vals = {c: at[c][name].value for c in at if name in at[c] and at[c][name].value != pv.value}
                if vals:
                    lo, hi = vals.get("conservative", pv.value), vals.get("aggressive", pv.value)
                    how = "corners"
            if lo is None:
                if pv.value == 0 or (integer and pv.value <= 1):
                    out.append(ParamRange(key, pv.value, pv.unit, None, None, "no ± range (zero or a switch)"))
                    continue
                lo, hi = pv.value * (1 - fraction), pv.value * (1 + fraction)
                if integer:
                    lo, hi = max(1, round(lo)), max(1, round(hi))
                    if lo == hi == pv.value:
                        out.append(ParamRange(key, pv.value, pv.unit, None, None, "integer: ± rounds to itself"))
                        continue
                how = f"±{fraction:.0%}"
            out.append(ParamRange(key, pv.value, pv.unit, lo, hi, how))
    if wanted is not None:
        missing = wanted - {r.key for r in out}
        if missing:
            names = ", ".join(sorted(f"{u.name}.PARAM" for u in spec.units))
            raise BadInputError(f"--params: {', '.join(sorted(missing))} not a parameter of {system!r} ({names})")
    return out


def _integer(key: str, system: str) -> bool:
    from lightcode.cost.families import FAMILIES, load_family_modules
    from lightcode.hardware.load import read_system

    load_family_modules()
    unit, _, name = key.rpartition(".")
    for u in read_system(system).units:
        if u.name == unit:
            return any(p.name == name and p.integer for p in FAMILIES[u.family].params)
    return False


def _metric(result: dict, objective: str) -> float:
    from lightcode.core.selection import Objective

    r = result["result"]
    return Objective.parse(objective).metric(r["latency_s"], r["energy_j"])


def _baseline_metric(result: dict, objective: str) -> float:
    b = result["baseline"]
    return _metric({"result": b}, objective)


def _photonic_ops(result: dict) -> int:
    """Ops the optimum puts off the host (the compile JSON's area block names the host unit)."""
    host = (result.get("area") or {}).get("host")
    if host is None:  # a result without the area block: the unit of the first op, the host's embedding
        host = result["ops"][0]["unit"] if result.get("ops") else None
    return sum(n for u, n in result["result"]["ops_by_unit"].items() if u != host)


def run_sensitivity(request: CompileRequest, *, range_: str = "corners", params: str = "all",
                    workers: int = 2, scheduler: Optional[str] = None, db: str | Path = "sensitivity.sqlite",
                    progress: bool = True) -> dict[str, Any]:
    """One-at-a-time sensitivity of `request` (its objective; energy when it has none)."""
    from lightcode.experiments.spec import parse_spec
    from lightcode.experiments.store import Store
    from lightcode.experiments.sweep import run_sweep

    objective = request.objective or "energy"
    if objective == "pareto":
        raise BadInputError("sensitivity needs a scalar objective (latency, energy, edp, ed2p), not pareto")
    ranges = parameter_ranges(request.system, range_=range_, params=params, corner=request.corner)
    varied = [r for r in ranges if r.varied]
    if not varied:
        raise BadInputError("no parameter to vary (see --params / --range)")
    integer = {r.key: _integer(r.key, request.system) for r in varied}
    override_sets: list[dict[str, Any]] = [{}]
    for r in varied:
        for v in (r.low, r.high):
            override_sets.append({r.key: _text(v, r.unit, integer[r.key])})
    spec_dict: dict[str, Any] = {
        "name": f"sensitivity-{request.model}-{request.system}", "models": [request.model],
        "phases": [request.phase], "batches": [request.batch], "systems": [request.system],
        "corners": [request.corner], "objectives": [objective], "overrides": override_sets,
        "dtype": request.dtype, "time_limit_s": request.time_limit_s, "heuristics": False,
        "solver": request.solver,
    }
    if request.phase == "prefill":
        spec_dict["seq_lens"] = [request.seq_len]
    else:
        spec_dict["contexts"] = [request.context]
    spec = parse_spec(spec_dict, check_names=False)
    summary = run_sweep(spec, db, workers=workers, scheduler=scheduler, progress=progress)
    with Store(db) as store:
        rows = {tuple(sorted(r["params"]["overrides"].items())): r for r in store.rows(summary.spec_hash)}
    base_row = rows.get(())
    if base_row is None or base_row["status"] != "ok":
        raise BadInputError(f"the unmodified point failed: {base_row and base_row['error']}")
    base = base_row["result"]
    base_units = [o["unit"] for o in base["ops"]]
    base_obj = _metric(base, objective)

    def point(r: ParamRange, v: float) -> dict[str, Any]:
        row = rows.get(((r.key, _text(v, r.unit, integer[r.key])),))
        if row is None or row["status"] != "ok":
            return {"value": v, "error": row["error"] if row else "not run"}
        res = row["result"]
        obj = _metric(res, objective)
        ae = _baseline_metric(res, objective)
        moved = sum(a != b for a, b in zip(base_units, (o["unit"] for o in res["ops"])))
        return {"value": v, "objective": obj, "saving": 1 - obj / ae if ae else None, "ops_moved": moved,
                "photonic_ops": _photonic_ops(res), "status": res["solver"]["status"]}

    table = []
    for r in varied:
        lo, hi = point(r, r.low), point(r, r.high)
        if "objective" in lo and "objective" in hi:
            swing = abs(hi["objective"] - lo["objective"]) / base_obj
        else:
            swing = float("nan")
        table.append({"param": r.key, "unit": r.unit, "baseline_value": r.baseline, "range": r.how,
                      "low": lo, "high": hi, "swing": swing})
    table.sort(key=lambda t: (-(t["swing"]) if not math.isnan(t["swing"]) else 1.0, t["param"]))
    for rank, t in enumerate(table, 1):
        t["rank"] = rank
    ae = _baseline_metric(base, objective)
    return {
        "request": request.to_dict(), "objective": objective, "range": range_,
        "baseline": {"objective": base_obj, "saving": 1 - base_obj / ae if ae else None,
                     "photonic_ops": _photonic_ops(base), "status": base["solver"]["status"]},
        "parameters": table,
        "skipped": [{"param": r.key, "why": r.how} for r in ranges if not r.varied],
        "points": summary.total, "wall_s": summary.wall_s, "db": str(db),
        "assumptions": "one parameter at a time, the others at the system's corner; each point solved exactly "
                       "(status per point); saving against the all-electronic mapping on the same modified system",
    }


def breakeven(request: CompileRequest, key: str, *, low: Optional[float] = None, high: Optional[float] = None,
              tol: float = 0.01, max_steps: int = 20,
              solve: Optional[Callable[[CompileRequest], dict]] = None) -> dict[str, Any]:
    """The value of parameter KEY at which the photonic units stop (or start) being chosen: bisection on
    "does the optimum use a photonic op" between `low` and `high` (default: its range; widened ×4 up to three
    times if both ends agree), to a relative width `tol`."""
    from lightcode.pipeline.compile import run_compile

    objective = request.objective or "energy"
    (r,) = [x for x in parameter_ranges(request.system, params=key, corner=request.corner)] or [None]
    if r is None or r.baseline == 0:
        raise BadInputError(f"--breakeven {key}: no such non-zero parameter of {request.system!r}")
    integer = _integer(key, request.system)
    lo = low if low is not None else (r.low if r.low is not None else r.baseline * 0.5)
    hi = high if high is not None else (r.high if r.high is not None else r.baseline * 1.5)
    lo, hi = min(lo, hi), max(lo, hi)

    def run(req: CompileRequest) -> dict:
        return solve(req) if solve else run_compile(req.model, req).to_json_dict()

    invalid: list[str] = []

    def photonic(v: float) -> bool | None:
        """Does the optimum at value v use a photonic op? None: v is not a valid unit."""
        req = request.replace(objective=objective, heuristics=False,
                              overrides={**request.overrides, key: _text(v, r.unit, integer)})
        try:
            res = run(req)
        except LightcodeError as e:
            invalid.append(f"{v:g}: {str(e).rpartition(': ')[2]}")
            return None
        steps.append((v, _photonic_ops(res) > 0))
        return _photonic_ops(res) > 0

    steps: list[tuple[float, bool]] = []
    p_lo, p_hi = photonic(lo), photonic(hi)
    if p_lo is None or p_hi is None:
        raise BadInputError(f"--breakeven {key}: {invalid[0]}; give --low/--high within the valid range")
    for _ in range(3):  # both ends agree: widen ×4 each way while the unit stays valid
        if p_lo != p_hi:
            break
        q_lo, q_hi = photonic(lo / 4), photonic(hi * 4)
        if q_lo is not None:
            lo, p_lo = lo / 4, q_lo
        if q_hi is not None:
            hi, p_hi = hi * 4, q_hi
        if q_lo is None and q_hi is None:
            break
    if p_lo == p_hi:
        return {"param": key, "found": False, "photonic_everywhere": p_lo, "searched": [lo, hi],
                "steps": steps, "unit": r.unit, "invalid": invalid}
    for _ in range(max_steps):
        if (hi - lo) <= tol * max(abs(hi), 1e-300) or (integer and hi - lo <= 1):
            break
        mid = math.sqrt(lo * hi) if lo > 0 else (lo + hi) / 2
        if integer:
            mid = round(mid)
            if mid in (lo, hi):
                break
        p_mid = photonic(mid)
        if p_mid is None:
            raise BadInputError(f"--breakeven {key}: {invalid[-1]}")
        if p_mid == p_lo:
            lo = mid
        else:
            hi = mid
    return {"param": key, "found": True, "unit": r.unit, "between": [lo, hi],
            "photonic_below": p_lo, "photonic_above": p_hi, "baseline_value": r.baseline, "steps": steps,
            "objective": objective}


def plot_tornado(result: dict[str, Any], path: str | Path, *, top: int = 20):
    """Horizontal bars: the objective at each parameter's low and high value, relative to the baseline."""
    import matplotlib.pyplot as plt

    rows = [t for t in result["parameters"] if not math.isnan(t["swing"])][:top][::-1]
    base = result["baseline"]["objective"]
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(rows) + 1.4))
    for i, t in enumerate(rows):
        for end, colour in (("low", "#4c72b0"), ("high", "#dd8452")):
            rel = t[end]["objective"] / base - 1
            ax.barh(i, rel * 100, color=colour, label=f"{end} value" if i == 0 else None)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(rows)), [t["param"] for t in rows], fontsize=8)
    ax.set_xlabel(f"{result['objective']} change vs baseline (%)", fontsize=9)
    req = result["request"]
    ax.set_title(f"{req['model']} {req['phase']} on {req['system']}: one-at-a-time sensitivity", fontsize=9)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=200)
    plt.close(fig)
    return Path(path)
