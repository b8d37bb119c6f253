"""Chip area of units and systems, and the area budget of a compile (`--area-budget MM2`).

What "respects the budget" means (our choice): the budget bounds the photonic area a mapping may use —
the summed area of the photonic units it puts at least one op on; the host GPU's die is reported, never
counted. A system whose photonic units all fit is compiled unchanged. Otherwise the solver may only use
photonic units whose combined area fits: `check_area_budget` lists every maximal set of them that fits
(`fitting_sets`), a compile runs on each restricted system (`restrict_to`) and keeps the best by its
objective — exact, since any mapping within budget uses a subset of some maximal fitting set. When no
photonic unit fits, the fitting set is empty and the mapping is all-electronic (with a warning naming
the areas and the budget). A photonic unit without an area model (ptu-lightcode) cannot be checked: a
budget on a system holding one is an error.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

from lightcode.errors import BadInputError
from lightcode.hardware.load import System, UnitSpec, build_unit


@dataclass(frozen=True)
class UnitArea:
    unit: str
    kind: str
    components_m2: dict[str, float] | None  # None: the family has no area law (or the YAML no `area:`)

    @property
    def modelled(self) -> bool:
        return self.components_m2 is not None

    @property
    def total_m2(self) -> float | None:
        return None if self.components_m2 is None else sum(self.components_m2.values())

    def to_dict(self) -> dict:
        return {"unit": self.unit, "kind": self.kind, "modelled": self.modelled, "total_m2": self.total_m2,
                "components_m2": self.components_m2}


def unit_area(spec: UnitSpec, unit=None) -> UnitArea:
    """Area of one unit by component, counted from its configuration (cost/area.py)."""
    from lightcode.cost.area import area_breakdown

    u = unit if unit is not None else build_unit(spec)
    return UnitArea(spec.name, spec.kind, area_breakdown(spec.family, u, spec.area_si()))


@dataclass(frozen=True)
class SystemArea:
    system: str
    units: dict[str, UnitArea]
    host: str

    @property
    def photonic(self) -> dict[str, UnitArea]:
        return {k: v for k, v in self.units.items() if v.kind == "photonic"}

    @property
    def photonic_m2(self) -> float | None:
        """Summed area of the photonic units (None if one of them has no area model)."""
        ph = self.photonic.values()
        return None if any(not a.modelled for a in ph) else sum(a.total_m2 for a in ph)

    def to_dict(self) -> dict:
        return {"system": self.system, "host": self.host, "photonic_m2": self.photonic_m2,
                "host_m2": self.units[self.host].total_m2, "units": {k: v.to_dict() for k, v in self.units.items()}}


def system_area(system: System) -> SystemArea:
    specs = {u.name: u for u in system.spec.units}
    return SystemArea(system.name, {n: unit_area(specs[n], u) for n, u in system.units.items()}, system.host)


@dataclass(frozen=True)
class AreaCheck:
    budget_m2: float
    area: SystemArea
    fitting_sets: tuple[tuple[str, ...], ...]  # maximal sets of photonic units within budget
    excluded: tuple[str, ...] = field(default=())  # photonic units in no fitting set

    @property
    def fits(self) -> bool:
        """Every photonic unit may be used together."""
        return len(self.fitting_sets) == 1 and set(self.fitting_sets[0]) == set(self.area.photonic)

    def message(self) -> str:
        mm2 = lambda x: f"{x * 1e6:.2f} mm²"  # noqa: E731
        areas = ", ".join(f"{n} {mm2(a.total_m2)}" for n, a in self.area.photonic.items())
        head = f"area budget {mm2(self.budget_m2)}; photonic units: {areas or 'none'}"
        if self.fits:
            return f"{head}: all fit"
        if self.fitting_sets == ((),):
            return f"{head}: none fits, the mapping is all-electronic"
        return f"{head}: only {' or '.join('+'.join(s) for s in self.fitting_sets)} may be used"

    def to_dict(self) -> dict:
        return {"budget_m2": self.budget_m2, "fits": self.fits, "photonic_m2": self.area.photonic_m2,
                "fitting_sets": [list(s) for s in self.fitting_sets], "excluded": list(self.excluded),
                "units_m2": {n: a.total_m2 for n, a in self.area.units.items()}, "message": self.message()}


def check_area_budget(system: System, budget_m2: float) -> AreaCheck:
    """Which photonic units of `system` a mapping may use within `budget_m2` of photonic area."""
    if not budget_m2 > 0:
        raise BadInputError(f"area budget must be positive, got {budget_m2 * 1e6:g} mm²")
    sa = system_area(system)
    ph = sa.photonic
    missing = [n for n, a in ph.items() if not a.modelled]
    if missing:
        raise BadInputError(
            f"area budget: unit(s) {', '.join(missing)} of system {system.name!r} have no area model "
            "(no `area:` block / no area law for the family); use a system whose photonic units have one")
    names = list(ph)
    fitting = [set(c) for r in range(len(names), -1, -1) for c in itertools.combinations(names, r)
               if sum(ph[n].total_m2 for n in c) <= budget_m2 * (1 + 1e-12)]
    maximal = [s for s in fitting if not any(s < t for t in fitting)]
    sets = tuple(tuple(n for n in names if n in s) for s in maximal)
    used = set().union(*maximal) if maximal else set()
    return AreaCheck(budget_m2, sa, sets, tuple(n for n in names if n not in used))


def restrict_to(system: System, photonic_units: tuple[str, ...] | list[str]) -> System:
    """`system` with only its host, its electronic units and the given photonic units (links follow)."""
    keep = {n for n, u in system.units.items() if u.kind != "photonic"} | set(photonic_units)
    unknown = set(photonic_units) - set(system.units)
    if unknown:
        raise BadInputError(f"system {system.name!r} has no unit(s) {', '.join(sorted(unknown))}")
    if keep == set(system.units):
        return system
    units = {n: u for n, u in system.units.items() if n in keep}
    links = {ab: p for ab, p in system.links.items() if ab <= keep}
    spec = replace(system.spec, units=tuple(u for u in system.spec.units if u.name in keep),
                   links=tuple((ab, p) for ab, p in system.spec.links if set(ab) <= keep))
    return replace(system, units=units, links=links, spec=spec)


def systems_within_budget(system: System, budget_m2: float) -> tuple[AreaCheck, list[System]]:
    """The area check and one restricted system per maximal fitting set (the system itself if all fit)."""
    check = check_area_budget(system, budget_m2)
    return check, [restrict_to(system, s) for s in check.fitting_sets]
