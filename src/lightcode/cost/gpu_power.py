"""GPU power states and execution regimes: the names a system YAML states, and the power each state draws.

A system file says how its GPU behaves while another unit computes (`gpu_wait_state`) and how kernels are
issued (`execution_regime`), each with a `source:`; hardware/load.py hands them to the GPU units, and the
compile output prints them with the rest of its assumptions. The numbers behind each state are the unit's
cited parameters (units/h100-sxm.yaml: idle_power, deep_idle_power, active_power_fraction, …).
"""

from __future__ import annotations

from typing import Mapping

# what the GPU draws while it waits on another unit (the simulator charges it over the whole makespan)
WAIT_STATES: dict[str, str] = {
    "clocked_idle": "P0 with the CUDA context, no kernel running (idle_power): the GPU stays clocked through "
                    "gaps far shorter than a DVFS transition",
    "deep_idle": "the lowest measured idle (deep_idle_power): only reachable without a context or over long gaps",
    "busy_poll": "a kernel spinning on a completion flag (idle_power + active_power_fraction of the dynamic "
                 "budget, the floor of a running kernel)",
}
# how kernels are issued (cost/gpu.py: kernels per op and overhead per kernel)
REGIMES: dict[str, str] = {
    "graphs": "CUDA graphs with fused kernels, as serving engines run decode: one kernel per op, "
              "graph_launch_overhead each",
    "eager": "eager PyTorch launches: every ATen kernel of an op launched (n_fused), launch_overhead each",
}
DEFAULT_WAIT_STATE = "clocked_idle"
DEFAULT_REGIME = "graphs"


def dynamic_budget(p: Mapping[str, float]) -> float:
    """Power (W) above clocked idle the board limit leaves to cores and HBM together (cost/gpu.py)."""
    return p["tdp"] - p["idle_power"]


def wait_power(p: Mapping[str, float], state: str) -> float:
    """Power (W) a GPU with SI params `p` draws while waiting, in `state`."""
    if state == "clocked_idle":
        return p["idle_power"]
    if state == "deep_idle":
        return p["deep_idle_power"]
    if state == "busy_poll":
        dyn = dynamic_budget(p)
        # the lowest floor of any kernel class, so every kernel still draws at least the polling power
        floor = min(p["active_power_fraction"], p["active_power_fraction_attention"])
        return p["idle_power"] + floor * dyn
    raise ValueError(f"unknown gpu_wait_state {state!r} (known: {', '.join(WAIT_STATES)})")
