"""Area in a compile: the outcome of an `--area-budget` compile (pipeline/compile.py compile_within_area) and
the compile JSON's `area` and `floor` blocks (the system's area by unit, the area the mapping uses, and each
used photonic unit's distance to the physical floors, cost/floor_check.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


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
