""""Why not chosen": per op kind, each unit's best realizations against the chosen mapping's.

For every op kind and every unit of the system, the ops of that kind are costed as if all ran on that unit,
each at its best variant under the objective's per-op metric (`Objective.op_metric`, the law the heuristics
compare: latency, or energy + the unit's static power over the op's time). These are the ops' own costs:
the transfers between units and the overlap of the schedule are not in them (the selection sees both),
which is why a unit can look cheaper per op and still not be chosen; the line says so."""

from __future__ import annotations

from typing import Any

from lightcode.core.selection import Objective
from lightcode.core.si import si

NOTE = ("ops' own costs summed, each at its unit's best variant for the objective's per-op metric; transfers "
        "and schedule overlap excluded (the selection counts both)")


def why_not_chosen(stacked, choice, objective: str) -> list[dict[str, Any]]:
    """One entry per op kind: the chosen realizations' summed cost and, per unit, the best it could do."""
    obj = Objective.parse(objective if objective != "pareto" else "edp")
    power = {u: getattr(stacked.unit(u), "static_power_w", 0.0) for u in stacked.units}
    by_kind: dict[str, list[int]] = {}
    for i, op in enumerate(stacked.graph.ops):
        by_kind.setdefault(op.kind, []).append(i)
    out = []
    for kind, idx in by_kind.items():
        chosen_units: dict[str, int] = {}
        lat = en = 0.0
        for i in idx:
            r = stacked.realizations[i][choice[i]]
            chosen_units[r.unit] = chosen_units.get(r.unit, 0) + 1
            lat += r.cost.latency_s
            en += r.cost.total_energy_j
        alts = []
        for u in stacked.units:
            if chosen_units.get(u) == len(idx):
                continue  # all of them already run there
            best, cannot = [], 0
            for i in idx:
                on_u = [r for r in stacked.realizations[i] if r.unit == u]
                if not on_u:
                    cannot += 1
                    continue
                best.append(min(on_u, key=lambda r: obj.op_metric(r.cost, power[u])))
            variants: dict[str, int] = {}
            for r in best:
                variants[r.variant or "-"] = variants.get(r.variant or "-", 0) + 1
            alts.append({"unit": u, "runs": len(best), "cannot_run": cannot,
                         "latency_s": sum(r.cost.latency_s for r in best) if not cannot else None,
                         "energy_j": sum(r.cost.total_energy_j for r in best) if not cannot else None,
                         "variants": variants})
        out.append({"kind": kind, "ops": len(idx), "objective": obj.name, "chosen_units": chosen_units,
                    "chosen_latency_s": lat, "chosen_energy_j": en, "alternatives": alts})
    return out


def _quantity(objective: str, latency_s: float, energy_j: float) -> str:
    if objective == "latency":
        return si(latency_s, "s")
    if objective == "energy":
        return si(energy_j, "J")
    return f"{si(energy_j, 'J')}, {si(latency_s, 's')}"


def _chosen(row: dict[str, Any]) -> str:
    return ", ".join(u if n == row["ops"] else f"{u} ×{n}" for u, n in row["chosen_units"].items())


def _sorted(rows: list[dict[str, Any]]):
    """(row, alternative) for the units that can run some of the kind's ops, and unit -> the kinds it has no
    realization of at all (said once per unit, not once per kind)."""
    some, cannot = [], {}
    for row in rows:
        for a in row["alternatives"]:
            if a["cannot_run"] == row["ops"]:
                cannot.setdefault(a["unit"], []).append(row["kind"])
            else:
                some.append((row, a))
    return some, cannot


def why_not_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Human lines, e.g. 'linear: ddot-b-4bit best 2.1 mJ vs chosen h100-sxm 1.3 mJ (energy)'."""
    lines = []
    some, cannot = _sorted(rows)
    for row, a in some:
        obj, chosen = row["objective"], _chosen(row)
        if a["cannot_run"]:
            lines.append(f"{row['kind']}: {a['unit']} cannot run {a['cannot_run']} of the {row['ops']} ops "
                         f"(chosen {chosen})")
            continue
        var = ", ".join(a["variants"])
        lines.append(f"{row['kind']}: {a['unit']} best {_quantity(obj, a['latency_s'], a['energy_j'])} ({var}) "
                     f"vs chosen {chosen} {_quantity(obj, row['chosen_latency_s'], row['chosen_energy_j'])} ({obj})")
    return lines + [f"{u} cannot run: {', '.join(kinds)}" for u, kinds in cannot.items()]


WHY_NOT_HEADER = ["op kind", "ops", "chosen on", "chosen latency", "chosen energy", "all ops on",
                  "best latency there", "best energy there", "variants there"]


def why_not_table(rows: list[dict[str, Any]]) -> tuple[list[list[str]], list[str]]:
    """The same comparison as why_not_lines, as table rows under WHY_NOT_HEADER (both latency and energy,
    the objective's column named in the caption), and one line per unit for the kinds it cannot run."""
    out, last = [], None
    some, cannot = _sorted(rows)
    for row, a in some:
        head = [row["kind"], str(row["ops"]), _chosen(row), si(row["chosen_latency_s"], "s"),
                si(row["chosen_energy_j"], "J")]
        head = (head if row["kind"] != last else [""] * len(head)) + [a["unit"]]  # a kind's chosen side once
        last = row["kind"]
        if a["cannot_run"]:
            out.append(head + [f"cannot run {a['cannot_run']} of the {row['ops']} ops", "-", "-"])
        else:
            out.append(head + [si(a["latency_s"], "s"), si(a["energy_j"], "J"),
                               ", ".join(f"{v} ×{n}" for v, n in a["variants"].items())])
    return out, [f"{u} cannot run: {', '.join(kinds)}" for u, kinds in cannot.items()]
