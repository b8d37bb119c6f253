"""`lightcode sensitivity`: what an answer hinges on. One parameter at a time over its range, each point
re-solved exactly, ranked by how far it moves the objective.

What is varied — every parameter of the system:
- unit parameters (`UNIT.PARAM`): under `corners` their conservative and aggressive values where the unit
  file gives them, else ± `fraction` (default 20 %) of the value; under `±F` every one at ± F. Integers
  round (and stay ≥ 1); an integer that ± F rounds to itself moves one step each way ("±1 step"); a
  parameter with a declared maximum (a fraction: 1) is held there at its high end;
- 0/1 switches (an integer parameter allowed to be 0 whose value is 0 or 1: DDot `photonic_idle`,
  `head_packing`, `precision_law`, …): evaluated at both values, one of which is the baseline ("switch");
  where a corner sets the other value, that corner's parameters the baseline lacks come with it (DDot
  `precision_law` 1, the SNR law, needs the receiver temperature and load and the laser RIN);
- system-level parameters the system file holds with a unit — memories, links, the crossing — keyed
  `system.memory.MEMORY.FIELD`, `system.link.A:B.FIELD`, `system.crossing.FIELD` (hardware/overrides.py):
  ± fraction (system files state no corners);
- the system's categorical operating choices `system.gpu_wait_state` and `system.execution_regime`
  (cost/gpu_power.py): every alternative is a point; the row's low/high are the alternatives with the lowest
  and highest objective, and its swing is (max − min) / baseline over all of them, the stated choice among
  them, so it ranks with the numeric rows.
Skipped, each with its reason: a zero-valued non-switch parameter at every corner (a ± fraction of zero is
zero; the reason quotes the file's source), and the system's placement block (a structural choice of memory
per tensor class, not a parameter).

Every point is a sweep point (Dask + the SQLite store, so an interrupted run resumes): the baseline, and per
parameter each value other than the baseline as an override (hardware/overrides.py, the one place an
override is applied). Reported per parameter: the values, the objective at each, the saving against the
all-electronic baseline at each, how many ops moved between units compared with the unmodified optimum, and
the swing |obj(high) − obj(low)| / obj(baseline), by which the table is ranked. Where one end is not a
valid unit (e.g. a TDP below idle plus HBM power, a switch that needs parameters no corner gives) its error is shown
and the swing is the other end's against the baseline (`one_sided`). `breakeven` bisects one
numeric parameter for the value at which the photonic units stop (or start) being chosen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Union

from lightcode.errors import BadInputError, LightcodeError
from lightcode.pipeline.request import CompileRequest

DEFAULT_FRACTION = 0.2
Value = Union[float, str]


@dataclass(frozen=True)
class ParamRange:
    key: str  # "unit.param" or "system.…" (hardware/overrides.py)
    baseline: Value  # SI value in `unit`; a name for a categorical choice
    unit: str
    low: Optional[Value]
    high: Optional[Value]
    how: str  # "corners" | "±20%" | "±1 step" | "switch" | "categorical" | skip reason
    integer: bool = False
    alternatives: tuple[str, ...] = ()  # categorical: every choice, the baseline among them
    # a switch's other value: the parameters it needs that the baseline lacks, from the corner that sets it
    companions: tuple[tuple[str, Any], ...] = ()

    @property
    def kind(self) -> str:
        return "categorical" if self.alternatives else "switch" if self.how.startswith("switch") else "numeric"

    @property
    def varied(self) -> bool:
        return bool(self.alternatives) or (self.low is not None and self.high is not None)

    def values(self) -> tuple[Value, ...]:
        """The points this parameter is evaluated at (the baseline's among them where it is an end)."""
        return self.alternatives or (self.low, self.high)  # type: ignore[return-value]

    def text(self, value: Value) -> Any:
        """An override value as the YAML loader reads it: a bare number when dimensionless, else 'v unit'."""
        return value if isinstance(value, str) else _yaml_value(value, self.unit, self.integer)

    def overrides(self, value: Value) -> dict[str, Any]:
        """The override set of this parameter at `value` (nothing at the baseline)."""
        if value == self.baseline:
            return {}
        return {self.key: self.text(value), **dict(self.companions)}


def _yaml_value(value: float, unit: str, integer: bool = False) -> Any:
    v = int(round(value)) if integer else float(f"{value:.10g}")
    return v if unit in ("1", "") else f"{v} {unit}"


def _fraction(range_: str) -> float | None:
    """The ± fraction of `--range` (None: corners, DEFAULT_FRACTION where a parameter has none)."""
    if range_ == "corners":
        return None
    try:
        fraction = abs(float(range_.lstrip("±+")))
    except ValueError:
        raise BadInputError(f"--range {range_!r}: use 'corners' or a fraction like ±0.2") from None
    if not 0 < fraction < 1:
        raise BadInputError(f"--range {range_!r}: the fraction must be in (0, 1)")
    return fraction


def _short(source: str, n: int = 90) -> str:
    return source if len(source) <= n else source[: n - 1] + "…"


def _switch(key: str, value: float, companions: dict[str, Any]) -> ParamRange:
    """A 0/1 switch: both values. Its other value may need parameters the baseline lacks (DDot
    `precision_law` 1, the SNR law, needs receiver_temperature, …): those of the corner that sets it."""
    with_ = ", ".join(k.rpartition(".")[2] for k in companions)
    return ParamRange(key, value, "1", 0.0, 1.0, "switch" + (f" (with {with_} from its corner)" if with_ else ""),
                      True, companions=tuple(sorted(companions.items())))


def _numeric(key: str, value: float, unit: str, *, integer: bool, fraction: float | None,
             corners: dict[str, float], source: str, where: str, maximum: float | None = None) -> ParamRange:
    """One numeric parameter's range: its corners (under `corners`, fraction None, or when it is zero, which
    has no ± range); ± fraction (± one step for an integer it rounds to itself), the high end held at the
    parameter's declared maximum (a fraction at 1); or skipped when it is zero everywhere."""
    if corners and (fraction is None or value == 0):
        return ParamRange(key, value, unit, corners.get("conservative", value), corners.get("aggressive", value),
                          "corners" if fraction is None else "corners (zero: no ± range)", integer)
    fraction = DEFAULT_FRACTION if fraction is None else fraction
    if value == 0:
        return ParamRange(key, value, unit, None, None,
                          f"zero {where} ({_short(source)}): a ± fraction of zero is zero", integer)
    lo, hi = value * (1 - fraction), value * (1 + fraction)
    how = f"±{fraction:.0%}"
    if maximum is not None and hi > maximum:
        hi, how = max(value, maximum), f"±{fraction:.0%}, high end held at its maximum {maximum:g}"
    if integer:
        lo, hi = max(1, round(lo)), max(1, round(hi))
        if lo == hi == value:
            lo, hi, how = max(1, value - 1), value + 1, "±1 step"
    return ParamRange(key, value, unit, lo, hi, how, integer)


def parameter_ranges(system: str, *, range_: str = "corners", params: str = "all",
                     corner: Optional[str] = None) -> list[ParamRange]:
    """The range of every parameter of SYSTEM — its units', its own (memories, links, crossing) and its GPU
    operating choices — or of those named in PARAMS ("key,…"); see the module docstring."""
    from lightcode.cost.families import FAMILIES, load_family_modules
    from lightcode.cost.gpu_power import REGIMES, WAIT_STATES
    from lightcode.hardware import overrides as ov
    from lightcode.hardware.load import read_system, read_unit
    from lightcode.hardware.schema import CROSSING_SPECS, LINK_SPECS, MEMORY_SPECS

    fraction = _fraction(range_)
    load_family_modules()
    spec = read_system(system, corner)
    wanted = None if params == "all" else {p.strip() for p in params.split(",") if p.strip()}
    out: list[ParamRange] = []

    def add(r: ParamRange) -> None:
        if wanted is None or r.key in wanted:
            out.append(r)

    for u in spec.units:
        specs = {p.name: p for p in FAMILIES[u.family].params}
        at = {c: read_unit(u.path, c).params for c in ("conservative", "aggressive") if c in u.corners}
        for name, pv in u.params.items():
            ps = specs.get(name)
            integer = bool(ps and ps.integer)
            switch = bool(ps and ps.integer and not ps.positive and pv.value in (0, 1))
            corners = {c: at[c][name].value for c in at if name in at[c] and at[c][name].value != pv.value}
            if switch:  # the other value as a corner sets it: with what that corner adds to the baseline
                companions = next(({f"{u.name}.{n}": _yaml_value(q.value, q.unit, bool(specs[n].integer))
                                    for n, q in at[c].items() if n not in u.params} for c in corners), {})
                add(_switch(f"{u.name}.{name}", pv.value, companions))
                continue
            add(_numeric(f"{u.name}.{name}", pv.value, pv.unit, integer=integer, fraction=fraction,
                         corners=corners, source=pv.source, where="at every corner of the unit file",
                         maximum=ps.maximum if ps else None))

    integer = {s.name for s in (*MEMORY_SPECS, *LINK_SPECS, *CROSSING_SPECS) if s.integer}
    system_params: list[tuple[str, Any]] = [(ov.memory_key(m, f), pv) for m, blk in spec.memories.items()
                                            for f, pv in blk.items()]
    system_params += [(ov.link_key(a, b, f), pv) for (a, b), blk in spec.links for f, pv in blk.items()]
    system_params += [(ov.crossing_key(f), pv) for f, pv in (spec.crossing or {}).items()]
    for key, pv in system_params:  # pv.name is the field: its spec says whether it is an integer
        add(_numeric(key, pv.value, pv.unit, integer=pv.name in integer, fraction=fraction,
                     corners={}, source=pv.source, where="in the system file"))

    has_gpu = any(u.kind == "gpu" for u in spec.units)
    for field, known in (("gpu_wait_state", WAIT_STATES), ("execution_regime", REGIMES)):
        key, stated = ov.operation_key(field), spec.gpu_operation[field]["value"]
        if has_gpu:
            add(ParamRange(key, stated, "", None, None, "categorical", alternatives=tuple(known)))
        else:
            add(ParamRange(key, stated, "", None, None, "no GPU unit: the system's GPU operation does not apply"))
    for cls, (mem, stored) in spec.placement.items():
        add(ParamRange(f"system.placement.{cls}", f"{mem}/{stored}", "", None, None,
                       f"structural: {cls} live in {mem} (stored {stored}); compare placements with system files"))

    if wanted is not None:
        missing = wanted - {r.key for r in out}
        if missing:
            names = ", ".join(sorted(f"{u.name}.PARAM" for u in spec.units))
            raise BadInputError(f"--params: {', '.join(sorted(missing))} not a parameter of {system!r} "
                                f"(unit parameters {names}; system parameters {ov.SYSTEM_KEY_FORMS})")
    return out


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
    override_sets: list[dict[str, Any]] = [{}]  # the baseline, then every value other than the baseline
    for r in varied:
        for v in dict.fromkeys(r.values()):
            if v != r.baseline:
                override_sets.append(r.overrides(v))
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

    def point(r: ParamRange, v: Value) -> dict[str, Any]:
        row = rows.get(tuple(sorted(r.overrides(v).items())))
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
        row: dict[str, Any] = {"param": r.key, "kind": r.kind, "unit": r.unit, "baseline_value": r.baseline,
                               "range": r.how}
        if r.alternatives:  # low/high: the choices with the lowest and highest objective
            pts = [point(r, a) for a in r.alternatives]
            ok = sorted((q for q in pts if "objective" in q), key=lambda q: q["objective"])
            lo, hi = (ok[0], ok[-1]) if len(ok) >= 2 else (pts[0], pts[-1])
            row["alternatives"] = pts
            solved = [q["objective"] for q in ok]
        else:
            lo, hi = point(r, r.low), point(r, r.high)
            solved = [q["objective"] for q in (lo, hi) if "objective" in q]
            if len(solved) == 1:  # an end the unit rejects (a fraction above 1, …): the other end vs baseline
                solved.append(base_obj)
                row["one_sided"] = True
        swing = (max(solved) - min(solved)) / base_obj if len(solved) >= 2 else float("nan")
        table.append({**row, "low": lo, "high": hi, "swing": swing})
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
        "model_fingerprint": summary.model_fingerprint,  # code + hardware files (experiments/fingerprint.py)
        "assumptions": "one parameter at a time, the others at the system's corner; each point solved exactly "
                       "(status per point); saving against the all-electronic mapping on the same modified "
                       "system; swing = |objective(high) - objective(low)| / objective(baseline); a switch is "
                       "solved at 0 and 1; a categorical choice at every alternative, its low/high the "
                       "alternatives with the lowest/highest objective; one_sided: one end failed, the swing is "
                       "the other end's against the baseline",
    }


def breakeven(request: CompileRequest, key: str, *, low: Optional[float] = None, high: Optional[float] = None,
              tol: float = 0.01, max_steps: int = 20,
              solve: Optional[Callable[[CompileRequest], dict]] = None) -> dict[str, Any]:
    """The value of numeric parameter KEY (a unit's or the system's) at which the photonic units stop (or start) being chosen: bisection on
    "does the optimum use a photonic op" between `low` and `high` (default: its range; widened ×4 up to three
    times if both ends agree), to a relative width `tol`."""
    from lightcode.pipeline.compile import run_compile

    objective = request.objective or "energy"
    (r,) = parameter_ranges(request.system, params=key, corner=request.corner)
    if r.kind != "numeric":
        raise BadInputError(f"--breakeven {key}: a {r.kind} has no value to bisect; see its row in "
                            f"`lightcode sensitivity --params {key}`")
    if r.baseline == 0:
        raise BadInputError(f"--breakeven {key}: zero in {request.system!r}; give --low and --high")
    integer = r.integer
    lo = low if low is not None else (r.low if r.low is not None else r.baseline * 0.5)
    hi = high if high is not None else (r.high if r.high is not None else r.baseline * 1.5)
    lo, hi = min(lo, hi), max(lo, hi)

    def run(req: CompileRequest) -> dict:
        return solve(req) if solve else run_compile(req.model, req).to_json_dict()

    invalid: list[str] = []

    def photonic(v: float) -> bool | None:
        """Does the optimum at value v use a photonic op? None: v is not a valid unit."""
        req = request.replace(objective=objective, heuristics=False,
                              overrides={**request.overrides, **r.overrides(v)})
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
    """Horizontal bars: the objective at each parameter's low and high value (a categorical choice: its
    lowest- and highest-objective alternatives, named on its label), relative to the baseline."""
    import matplotlib.pyplot as plt

    rows = [t for t in result["parameters"] if not math.isnan(t["swing"])][:top][::-1]
    base = result["baseline"]["objective"]
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(rows) + 1.4))
    legend = {"low": "low value (a choice: lowest objective)",
              "high": "high value (a choice: highest objective)"}
    for i, t in enumerate(rows):
        for end, colour in (("low", "#4c72b0"), ("high", "#dd8452")):
            rel = t[end]["objective"] / base - 1
            ax.barh(i, rel * 100, color=colour, label=legend[end] if i == 0 else None)
    ax.axvline(0, color="black", lw=0.8)
    labels = [t["param"] + (f" ({t['low']['value']} … {t['high']['value']})" if t.get("kind") == "categorical"
                            else "") for t in rows]
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.set_xlabel(f"{result['objective']} change vs baseline (%)", fontsize=9)
    req = result["request"]
    ax.set_title(f"{req['model']} {req['phase']} on {req['system']}: one-at-a-time sensitivity", fontsize=9)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=200)
    plt.close(fig)
    return Path(path)
