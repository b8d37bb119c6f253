"""Area in a compile: the `--area-budget` compile (the photonic units a mapping may use must fit the budget)
and the compile JSON's `area` and `floor` blocks (the system's area by unit, the area the mapping uses, and
each used photonic unit's distance to the physical floors, cost/floor_check.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping


def _metric(objective: str | None, sim) -> float:
    from lightcode.core.selection import Objective

    # the no-objective comparison's chosen mapping is the latency-optimal one
    return Objective.parse(objective or "latency").metric(sim.latency_s, sim.energy_j)


def used_photonic_m2(result, areas: Mapping[str, float | None]) -> float:
    """Summed area of the photonic units the chosen mapping puts at least one op on."""
    used = {u for u, n in result.chosen.sim.ops_by_unit.items() if n}
    return sum(areas[u] or 0.0 for u in used if u in areas)


@dataclass
class AreaCompile:
    result: Any  # CompileResult of the best fitting set
    check: Any  # hardware.area_budget.AreaCheck
    candidates: list[dict] = field(default_factory=list)  # per fitting set: units, metric

    def to_json_dict(self) -> dict:
        areas = {n: a.total_m2 for n, a in self.check.area.photonic.items()}
        return {**self.check.to_dict(), "used_m2": used_photonic_m2(self.result, areas),
                "candidates": self.candidates}


def compile_within_area(model, *, compile_fn, system, area_budget_m2: float, corner: str | None = None,
                        request=None, **kw) -> AreaCompile:
    """`run_compile` restricted to photonic units whose combined area fits `area_budget_m2` (what
    `--area-budget` means: the photonic units a mapping may use must fit; the GPU die is not counted). One
    compile per maximal fitting set of units, the best by the objective kept: exact, as each compile is.
    `compile_fn` is `run_compile` (passed in: it calls this function, which must not import it back)."""
    from lightcode.hardware.area_budget import systems_within_budget
    from lightcode.hardware.load import load_system

    sysm = load_system(system, corner=corner) if isinstance(system, (str, Path)) else system
    check, systems = systems_within_budget(sysm, area_budget_m2)
    if request is not None:  # from run_compile: the request's capture fields
        kw.update(seq_len=request.seq_len, phase=request.phase, context=request.context, batch=request.batch,
                  dtype=request.dtype)
        kw.update({k: v for k, v in request.to_dict().items()
                   if k not in ("model", "system", "seq_len", "phase", "context", "batch", "dtype", "corner",
                                "overrides", "area_budget_m2")})
    if not isinstance(model, str) or len(systems) > 1:  # capture once, compile each restricted system
        from lightcode.core.opgraph import OpGraph

        if not isinstance(model, OpGraph):
            from lightcode.frontend.capture import capture

            model = capture(model, **{k: kw.pop(k) for k in ("seq_len", "phase", "context", "batch", "dtype") if k in kw})
        else:
            for k in ("seq_len", "phase", "context", "batch", "dtype"):
                kw.pop(k, None)
    best, cands = None, []
    for s in systems:
        r = compile_fn(model, system=s, **kw)
        m = _metric(kw.get("objective"), r.chosen.sim)
        cands.append({"photonic_units": [u for u in s.units if s.units[u].kind == "photonic"], "metric": m})
        if best is None or m < best[0]:
            best = (m, r)
    r = best[1]
    if not check.fits:
        r.warnings = tuple(dict.fromkeys((*r.warnings, check.message())))
    out = AreaCompile(r, check, cands)
    r.area = out.to_json_dict()  # carried for the compile JSON (`area` block)
    return out


def mapping_floor(result, refs: Mapping[str, float] | None = None) -> dict[str, dict]:
    """Distance to the floors of every photonic unit the chosen mapping uses, over the ops it runs there."""
    from lightcode.cost.floor_check import mapping_floor as floor_of
    from lightcode.hardware.floor_refs import floor_refs_si

    st = result.stacked
    return floor_of(st.system.units, st.graph.ops, result.chosen.sim.units, st.dtype, refs or floor_refs_si())


def compile_json_blocks(result, check=None) -> dict[str, dict]:
    """The compile JSON's `area` and `floor` blocks for a CompileResult: the system's area by unit, the
    photonic area the chosen mapping uses (and the budget check, when there was one), and `mapping_floor`."""
    from lightcode.hardware.area_budget import system_area

    sa = system_area(result.stacked.system)
    areas = {n: a.total_m2 for n, a in sa.photonic.items()}
    area = {**sa.to_dict(), "used_m2": used_photonic_m2(result, areas)}
    if check is not None:
        area["budget"] = check.to_dict()
    return {"area": area, "floor": mapping_floor(result)}
