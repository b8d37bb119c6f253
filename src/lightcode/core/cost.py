"""CostBreakdown: what every cost model returns for one op (or one transfer) on one unit. SI units."""

from __future__ import annotations

from dataclasses import dataclass, field

# Energy components, in report order. Every cost model fills a subset; the rest stay 0.
ENERGY_COMPONENTS: tuple[str, ...] = (
    "compute",  # GPU dynamic core energy; photonic: electronic digital logic (accumulate, control)
    "dac",
    "adc",
    "modulator",
    "laser",
    "detector",  # photodetector + TIA
    "static",  # idle / leakage / thermal hold power × time
    "memory",  # HBM/SRAM traffic
    "transfer",  # link traffic between units
    "reprogramming",  # weight (re)loading into weight-stationary devices
)


@dataclass(frozen=True)
class CostBreakdown:
    latency_s: float
    energy_j: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bad = set(self.energy_j) - set(ENERGY_COMPONENTS)
        if bad:
            raise ValueError(f"unknown energy component(s) {sorted(bad)}; known: {ENERGY_COMPONENTS}")
        if self.latency_s < 0 or any(v < 0 for v in self.energy_j.values()):
            raise ValueError("latency and energies must be non-negative")

    @property
    def total_energy_j(self) -> float:
        return float(sum(self.energy_j.values()))

    def __add__(self, other: "CostBreakdown") -> "CostBreakdown":
        """Sequential composition: latencies add, energies add by component."""
        e = dict(self.energy_j)
        for k, v in other.energy_j.items():
            e[k] = e.get(k, 0.0) + v
        return CostBreakdown(self.latency_s + other.latency_s, e)

    def scaled(self, factor: float) -> "CostBreakdown":
        return CostBreakdown(self.latency_s * factor, {k: v * factor for k, v in self.energy_j.items()})

    def to_dict(self) -> dict:
        return {
            "latency_s": self.latency_s,
            "energy_j": self.total_energy_j,
            "energy_breakdown_j": {k: self.energy_j.get(k, 0.0) for k in ENERGY_COMPONENTS},
        }


ZERO = CostBreakdown(0.0, {})
