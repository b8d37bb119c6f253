"""The precision policy: which of each unit's realizations an op is offered (DESIGN §6, issue 12).

  parity (the request's default): every unit alike is offered only realizations whose weight and activation
          formats are at least as wide as one floor — `precision_floor(system, dtype)`, the narrowest formats
          any accelerator of the system computes in — so the all-GPU baseline may use the same weight
          precision as the photonic unit (W4A16 next to a 4-bit DDot), and nothing is narrower than that.
  native: each unit at its own formats as the papers compare them: electronic units only at the graph's
          dtype (today's behaviour), accelerators at theirs.

A realization without stated formats counts as the graph's dtype.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from lightcode.core.formats import Formats, dtype_formats
from lightcode.errors import BadInputError

POLICIES: tuple[str, ...] = ("parity", "native")
DEFAULT_POLICY = "parity"


@dataclass(frozen=True)
class PrecisionFloor:
    """The narrowest weight and activation bits any unit may compute in, and why (for reports)."""

    weights_bits: int
    activations_bits: int
    reason: str

    def admits(self, f: Formats) -> bool:
        return f.weights.bits >= self.weights_bits and f.activations.bits >= self.activations_bits

    def to_dict(self) -> dict:
        return {"weights_bits": self.weights_bits, "activations_bits": self.activations_bits, "reason": self.reason}


def check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise BadInputError(f"unknown precision policy {policy!r}; known: {', '.join(POLICIES)}")
    return policy


def _formats(r, dtype: str) -> Formats:
    return r.formats if r.formats is not None else dtype_formats(dtype)


def precision_floor(system, dtype: str, realizations: Sequence[Sequence] = ()) -> PrecisionFloor:
    """The parity floor: per class (weights, activations) the narrowest bits among the formats the
    system's accelerators (every unit but the host) compute in over `realizations` (the stacked graph's,
    before filtering); the graph's dtype when the system has no accelerator or it runs nothing."""
    host = next(iter(system.units))
    w = a = None
    names = set()
    for reals in realizations:
        for r in reals:
            if r.unit == host:
                continue
            f = _formats(r, dtype)
            names.add(r.unit)
            w = f.weights.bits if w is None else min(w, f.weights.bits)
            a = f.activations.bits if a is None else min(a, f.activations.bits)
    if w is None:
        d = dtype_formats(dtype)
        return PrecisionFloor(d.weights.bits, d.activations.bits,
                              f"no accelerator in {system.name}: the graph's dtype {dtype}")
    return PrecisionFloor(w, a, f"the narrowest formats of {', '.join(sorted(names))}: W{w}A{a}")


def admit(policy: str, floor: PrecisionFloor, reals: Sequence, host: str, dtype: str, units) -> tuple:
    """The realizations of one op the policy offers."""
    if policy == "parity":
        return tuple(r for r in reals if floor.admits(_formats(r, dtype)))
    native = dtype_formats(dtype)
    return tuple(r for r in reals
                 if units[r.unit].kind == "photonic" or _formats(r, dtype) == native)


def apply_policy(stacked, policy: str) -> tuple[str, PrecisionFloor, list]:
    """(policy, floor, filtered per-signature realizations) for a StackedGraph being built; also checks
    every unit-local memory's capacity against what the graph places in it (hardware/capacity.py)."""
    from lightcode.hardware.capacity import check_capacity

    check_policy(policy)
    floor = precision_floor(stacked.system, stacked.dtype, stacked.sig_realizations)
    units = stacked.system.units
    out = [admit(policy, floor, reals, stacked.host, stacked.dtype, units) for reals in stacked.sig_realizations]
    sig = stacked.op_sig
    check_capacity(stacked.graph, stacked.system, stacked.dtype,
                   lambda i, u: any(r.unit == u for r in out[sig[i]]))
    return policy, floor, out
