"""Types of the selection stage: what to optimise, under which constraints, and the chosen assignment."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Mapping

from lightcode.errors import BadInputError


class Objective(str, Enum):
    LATENCY = "latency"  # makespan of the schedule
    ENERGY = "energy"  # ops + transfers + static power of used units × makespan (hardware/api.py law)
    EDP = "edp"  # energy × makespan
    PARETO = "pareto"  # the latency–energy front, each point exact

    @classmethod
    def parse(cls, name: "str | Objective") -> "Objective":
        if isinstance(name, Objective):
            return name
        try:
            return cls(str(name).lower())
        except ValueError:
            raise BadInputError(f"unknown objective {name!r}; known: {', '.join(o.value for o in cls)}") from None


class Status(str, Enum):
    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"  # a solution without proof (time-out, or a heuristic baseline)
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"  # a time-limited solve that found no solution (a block solve; never an Assignment's)


@dataclass(frozen=True)
class Constraints:
    latency_budget_s: float | None = None
    energy_budget_j: float | None = None
    avg_power_cap_w: float | None = None  # energy / makespan
    weight_capacity_bytes: Mapping[str, float] = field(default_factory=dict)  # unit -> resident weight bytes
    min_precision_bits: Mapping[str, int] = field(default_factory=dict)  # op kind -> bits the unit must deliver

    @property
    def couples_blocks(self) -> bool:
        """Constraints that tie all layers together (no per-block decomposition)."""
        return bool(self.weight_capacity_bytes)


@dataclass(frozen=True)
class Assignment:
    """One unit per op, the solver's schedule (a priority for the simulator) and the solver's account."""

    units: tuple[str, ...]  # per op index
    method: str  # "cpsat" | "all-electronic" | "greedy" | "path-search"
    objective: Objective
    status: Status
    objective_value: float | None  # SI (s, J or J·s), on the solver's integer grid converted back
    bound: float | None  # best proven lower bound of the objective (SI)
    gap: float | None  # (objective - bound) / objective
    solve_time_s: float
    latency_s: float | None = None  # the solver's own account of makespan and energy
    energy_j: float | None = None
    op_start_s: tuple[float, ...] | None = None  # solver start time per op (scheduling priority)
    transfer_start_s: Mapping[int, float] | None = None  # stacked edge index -> solver start
    pareto: tuple["Assignment", ...] = ()  # objective PARETO: the front, latency ascending
    grid: Mapping[str, float] = field(default_factory=dict)  # {"time_s": τt, "energy_j": τe}
    warnings: tuple[str, ...] = ()

    def ops_by_unit(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for u in self.units:
            out[u] = out.get(u, 0) + 1
        return out

    def solver_dict(self) -> dict:
        return {
            "status": self.status.value,
            "objective": self.objective_value,
            "bound": self.bound,
            "gap": self.gap,
            "time_s": self.solve_time_s,
        }
