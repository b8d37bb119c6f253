"""Types of the selection stage: what to optimise, under which constraints, and the chosen assignment."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar, Mapping

from lightcode.errors import BadInputError

_REGISTRY: dict[str, "Objective"] = {}


class Objective(str):
    """What to optimise: one strategy per objective, registered by defining a subclass with a `name`.

    An objective owns its metric on a (latency, energy) result, the additive per-op metric a heuristic
    compares, whether the chain needs the latency–energy front, whether that front's lower convex hull is
    enough (exact) for it, and the pick from a front. Instances are the registered singletons and compare
    equal to their names ("latency" == Objective.LATENCY); `Objective(name)` is `Objective.parse(name)`."""

    name: ClassVar[str] = ""
    scalar: ClassVar[str | None] = None  # "span" | "energy": solvable as one value per block (no front)
    hull_exact: ClassVar[bool] = False  # its minimum over a front lies on the front's lower convex hull
    heuristic: ClassVar[str] = "energy"  # what its heuristics compare per op: "time" | "energy"
    returns_front: ClassVar[bool] = False  # the answer is the whole front (its pick leads)

    def __new__(cls, name: "str | Objective | None" = None):
        if cls is Objective:
            return Objective.parse(name)
        return _REGISTRY[cls.name]

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        inst = str.__new__(cls, cls.name)
        _REGISTRY[cls.name] = inst
        setattr(Objective, cls.name.upper(), inst)  # Objective.LATENCY, Objective.ED2P, ...

    def __reduce__(self):  # unpickles to the registered singleton
        return (Objective.parse, (str(self),))

    def __repr__(self) -> str:
        return f"Objective.{self.name.upper()}"

    @property
    def value(self) -> str:
        return self.name

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(_REGISTRY)

    @classmethod
    def all(cls) -> tuple["Objective", ...]:
        return tuple(_REGISTRY.values())

    @classmethod
    def parse(cls, name: "str | Objective") -> "Objective":
        if isinstance(name, Objective):
            return name
        obj = _REGISTRY.get(str(name).lower())
        if obj is None:
            raise BadInputError(f"unknown objective {name!r}; known: {', '.join(_REGISTRY)}")
        return obj

    # --- the strategy ----------------------------------------------------------------------------------
    def metric(self, latency_s: float, energy_j: float) -> float:
        """The value minimised, on a (latency, energy) result (SI)."""
        raise NotImplementedError

    def op_metric(self, cost, static_power_w: float = 0.0) -> float:
        """The additive per-op / per-transfer cost (a CostBreakdown) a heuristic compares; static_power_w ×
        time is charged when given (one serial unit: its static power accrues while the op runs)."""
        if self.heuristic == "time":
            return cost.latency_s
        return cost.total_energy_j + static_power_w * cost.latency_s

    def needs_front(self, constraints: "Constraints") -> bool:
        """Whether the chain must keep the latency–energy front (else one best value per block)."""
        return True

    def front_key(self, span: int, energy: int):
        """Sort key of a front point (span, energy on the solver's integer grid; exact integers): the pick
        is the point of least key. Monotone in the metric (grid units are positive constant factors)."""
        return self.metric(span, energy)

    def pick(self, points: "list[tuple[int, int]]") -> int:
        """Index of the chosen point of a front of (span, energy)."""
        return min(range(len(points)), key=lambda k: self.front_key(*points[k]))


class Latency(Objective):
    name = "latency"  # makespan of the schedule
    scalar = "span"
    heuristic = "time"

    def metric(self, latency_s, energy_j):
        return latency_s

    def needs_front(self, c):
        return c.energy_budget_j is not None or c.avg_power_cap_w is not None

    def front_key(self, span, energy):
        return (span, energy)  # fastest, least energy among the fastest


class Energy(Objective):
    name = "energy"  # ops + transfers + static power of used units × makespan (core/devices.py law)
    scalar = "energy"

    def metric(self, latency_s, energy_j):
        return energy_j

    def needs_front(self, c):
        return c.latency_budget_s is not None or c.avg_power_cap_w is not None

    def front_key(self, span, energy):
        return (energy, span)


class EDP(Objective):
    """energy × makespan. Hull exact: E·T is quasi-concave and increasing on the positive quadrant, so its
    minimum over a finite set is at a vertex of the set's lower-left convex hull (cpsat._lower_hull)."""

    name = "edp"
    hull_exact = True

    def metric(self, latency_s, energy_j):
        return energy_j * latency_s


class ED2P(Objective):
    """energy × makespan² (weights delay more than EDP). Hull exact: on the positive quadrant log(E·T²) =
    log E + 2 log T is concave, so E·T² is log-concave, hence quasi-concave (its superlevel sets
    {E ≥ c/T²} are epigraphs of the convex c/T²), and it increases in both E and T; a quasi-concave function
    attains its minimum over the convex hull of a finite set at a vertex (f(Σλᵢvᵢ) ≥ minᵢ f(vᵢ)), and an
    increasing one at a vertex of the lower-left hull: the chain's hull argument (cpsat._lower_hull) holds."""

    name = "ed2p"
    hull_exact = True

    def metric(self, latency_s, energy_j):
        return energy_j * latency_s * latency_s


class Pareto(Objective):
    """The latency–energy front, each point exact; its metric (and its head) is the least-EDP point."""

    name = "pareto"
    returns_front = True

    def metric(self, latency_s, energy_j):
        return energy_j * latency_s


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
    # additive side costs (e.g. an accuracy loss): name -> per op -> per realization (index into
    # stacked.realizations[i]) a cost; the selection keeps Σ_i side_costs[name][i][choice_i] ≤ side_budgets[name]
    side_costs: Mapping[str, tuple[tuple[float, ...], ...]] = field(default_factory=dict)
    side_budgets: Mapping[str, float] = field(default_factory=dict)

    @property
    def couples_blocks(self) -> bool:
        """Constraints that tie all layers together (no per-block decomposition)."""
        return bool(self.weight_capacity_bytes) or bool(self.side_budgets)

    def side_total(self, name: str, choice) -> float:
        """Σ_i side_costs[name][i][choice_i] (math.fsum: the exact sum of the floats, correctly rounded)."""
        import math

        return math.fsum(row[j] for row, j in zip(self.side_costs[name], choice))

    def side_ok(self, choice) -> bool:
        return all(self.side_total(name, choice) <= b for name, b in self.side_budgets.items())


@dataclass(frozen=True)
class Assignment:
    """One realization per op, the solver's schedule (a priority for the simulator) and the solver's account.

    `choice[i]` indexes `stacked.realizations[i]` (a unit may offer several variants of an op, so the unit
    alone does not say which ran); `units[i]` is that realization's unit, kept for readers of units."""

    units: tuple[str, ...]  # per op index: the unit of the chosen realization
    choice: tuple[int, ...]  # per op index: index into stacked.realizations[i]
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
    # how the exact solver decomposed the problem (None for heuristics): blocks in the chain, distinct block
    # signatures among them (each solved once per boundary state and unit set), block solves performed
    # (tie-breaks and front points included; repeats answered from a block model's memo count too)
    n_blocks: int | None = None
    n_distinct_blocks: int | None = None
    n_solves: int | None = None

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
            "n_blocks": self.n_blocks,
            "n_distinct_blocks": self.n_distinct_blocks,
            "n_solves": self.n_solves,
        }
