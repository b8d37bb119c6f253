"""Accuracy beside latency and energy for the all-electronic baseline and the optimum of a compile, and
reading an assignment from a file (for `lightcode accuracy --assignment`)."""

from __future__ import annotations

import json
from pathlib import Path

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
    """JSON with `units` (one unit per op, in graph order) or `ops` ([{"op": name, "unit": u}, ...], as
    `report.json` / `to_frame()` rows carry them)."""
    p = Path(path)
    if not p.exists():
        raise BadInputError(f"assignment file {path!r} does not exist")
    try:
        d = json.loads(p.read_text())
    except json.JSONDecodeError as e:
        raise BadInputError(f"assignment file {path!r} is not JSON: {e.msg}") from None
    ops = stacked.graph.ops
    if isinstance(d, dict) and "units" in d:
        units = list(d["units"])
    elif isinstance(d, dict) and "ops" in d:
        by_name = {row["op"]: row["unit"] for row in d["ops"]}
        missing = [op.name for op in ops if op.name not in by_name]
        if missing:
            raise BadInputError(f"assignment file lacks {len(missing)} ops of the graph, e.g. {missing[0]!r}")
        units = [by_name[op.name] for op in ops]
    else:
        raise BadInputError(f"assignment file {path!r} needs a 'units' list or an 'ops' list")
    if len(units) != len(ops):
        raise BadInputError(f"assignment has {len(units)} units for {len(ops)} ops; capture the same model, "
                            "phase and length it was made for")
    for i, u in enumerate(units):
        if stacked.realization(i, u) is None:
            raise BadInputError(f"op {ops[i].name!r} has no realization on unit {u!r}")
    # the first realization on each unit: a file names units only
    choice = tuple(next(j for j, r in enumerate(stacked.realizations[i]) if r.unit == u) for i, u in enumerate(units))
    return Assignment(tuple(units), choice, "file", Objective.ENERGY, Status.FEASIBLE, None, None, None, 0.0)


def mapping_row(name: str, assignment, sim, stacked, config: ev.EvalConfig) -> dict:
    return {"name": name, "latency_s": sim.latency_s, "energy_j": sim.energy_j,
            "ops_by_unit": assignment.ops_by_unit(), "solver": assignment.solver_dict(),
            "accuracy": ev.evaluate_accuracy(assignment, stacked, config=config, name=name)}
