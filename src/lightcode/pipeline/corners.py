"""`compile --corners all`: the same request solved at every device corner, side by side.

Each corner (conservative, baseline, aggressive: the unit YAMLs' `corners:` blocks) is a full exact
compile of the same model, objective and budgets with only `corner` changed, so each row is an optimum for
its own corner's devices, with its own all-electronic baseline (a GPU corner moves that baseline too). The
rows say whether the mapping moved (ops per unit). Heuristics are skipped in the extra solves: the range is
about the devices, not the solvers.
"""

from __future__ import annotations

from typing import Any, Callable

from lightcode.errors import BadInputError
from lightcode.pipeline.request import CORNERS, CompileRequest


def corner_rows(model, request: CompileRequest, system_obj, run_compile: Callable[..., Any]) -> dict[str, Any]:
    """{"assumptions": ..., "rows": {corner: {latency_s, energy_j, baseline_*, saving, ops_by_unit, status,
    optima: {mapping: the same fields}}}}.
    `run_compile` is pipeline/compile.py's (passed in: this module sits below it, no import cycle)."""
    if system_obj is not None:
        raise BadInputError("--corners all needs a system by name or YAML path (a loaded system has no corners)")
    rows: dict[str, Any] = {}
    for corner in CORNERS:
        r = run_compile(model, request.replace(corner=corner, corner_range=None, heuristics=False))
        b = r.baseline.sim

        def summary(m) -> dict[str, Any]:
            s = m.sim
            return {"latency_s": s.latency_s, "energy_j": s.energy_j,
                    "energy_saving": 1 - s.energy_j / b.energy_j if b.energy_j > 0 else None,
                    "speedup": b.latency_s / s.latency_s if s.latency_s > 0 else None,
                    "ops_by_unit": dict(s.ops_by_unit), "status": m.assignment.solver_dict().get("status")}

        # the chosen mapping's fields at the top; every optimum of a no-objective compile under `optima`
        optima = {name: summary(m) for name, m in r.mappings().items() if name != "all-electronic"}
        rows[corner] = {**summary(r.chosen), "objective": r.objective, "optima": optima,
                        "baseline_latency_s": b.latency_s, "baseline_energy_j": b.energy_j}
    return {"assumptions": "each corner re-solved exactly with only the device corner changed; saving and "
                           "speedup against that corner's all-electronic baseline at the request's precision "
                           f"policy ({request.precision})",
            "rows": rows}
