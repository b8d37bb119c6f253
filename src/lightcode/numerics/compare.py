"""Accuracy beside latency and energy for the all-electronic baseline and the optimum of a compile, and
reading an assignment from a file (for `lightcode accuracy --assignment`)."""

from __future__ import annotations

from lightcode.core.inputs import read_input_file
from lightcode.core.selection import Assignment, Objective, Status
from lightcode.errors import BadInputError
from lightcode.numerics import evaluate as ev


def parse_fraction(text: str | float) -> float:
    """'5%' -> 0.05, '0.05' -> 0.05."""
    s = str(text).strip()
    try:
        return float(s[:-1]) / 100.0 if s.endswith("%") else float(s)
    except ValueError:
        raise BadInputError(f"cannot read {text!r} as a fraction; write e.g. 5% or 0.05") from None


def assignment_from_file(stacked, path: str) -> Assignment:
    """JSON with `units` (one unit per op, in graph order) or `ops` (rows with `name` — or `op` — and `unit`,
    and optionally `variant`, as report.json's `ops` carries them). A unit that offers several variants of
    an op needs the row's `variant` to say which ran."""
    d = read_input_file(path, "assignment file", fmt="json")
    ops = stacked.graph.ops
    if isinstance(d, dict) and "units" in d and isinstance(d["units"], list):
        rows = [{"unit": u} for u in d["units"]]
    elif isinstance(d, dict) and "ops" in d and isinstance(d["ops"], list):
        by_name = {row.get("name", row.get("op")): row for row in d["ops"] if isinstance(row, dict)}
        missing = [op.name for op in ops if op.name not in by_name]
        if missing:
            raise BadInputError(f"assignment file lacks {len(missing)} ops of the graph, e.g. {missing[0]!r}")
        rows = [by_name[op.name] for op in ops]
    else:
        raise BadInputError(f"assignment file {path!r} needs a 'units' list or an 'ops' list")
    if len(rows) != len(ops):
        raise BadInputError(f"assignment has {len(rows)} units for {len(ops)} ops; capture the same model, "
                            "phase and length it was made for")
    choice = tuple(_realization_index(stacked, i, row) for i, row in enumerate(rows))
    return Assignment(stacked.units_of(choice), choice, "file", Objective.ENERGY, Status.FEASIBLE, None, None,
                      None, 0.0)


def _realization_index(stacked, i: int, row: dict) -> int:
    """The index of op i's realization that `row` names (its unit, and its variant where one is given)."""
    unit, variant = row.get("unit"), row.get("variant")
    found = [j for j, r in enumerate(stacked.realizations[i])
             if r.unit == unit and (variant is None or r.variant == variant)]
    name = stacked.graph.ops[i].name
    if not found:
        what = f"unit {unit!r}" + ("" if variant is None else f" in variant {variant!r}")
        raise BadInputError(f"op {name!r} has no realization on {what}")
    if len(found) > 1:
        raise BadInputError(f"op {name!r} has {len(found)} variants on unit {unit!r}; give the row's 'variant' "
                            "(report.json's 'ops' rows carry it)")
    return found[0]


def mapping_row(name: str, assignment, sim, stacked, config: ev.EvalConfig) -> dict:
    return {"name": name, "latency_s": sim.latency_s, "energy_j": sim.energy_j,
            "ops_by_unit": assignment.ops_by_unit(), "solver": assignment.solver_dict(),
            "accuracy": ev.evaluate_accuracy(assignment, stacked, config=config, name=name)}
