"""Capacity of unit-local memories: a system that places weights (or the KV cache) in a memory owned by an
accelerator must fit there everything that accelerator may read from it.

Choice (hardware/README.md): overfilling is a clear error naming the capacity, not a silent spill — a
unit-local memory that cannot hold the model is a different system (stream the weights from HBM over the
link: the library's plain `h100+ddot-b-4bit`). The host's own HBM is not checked here (its capacity bounds
batch and context on the GPU alike; the compiler models one device's worth of memory).
"""

from __future__ import annotations

from typing import Callable

from lightcode.core.opgraph import DTYPE_BYTES, OpGraph
from lightcode.errors import ConfigError


def _gb(x: float) -> str:
    return f"{x / 1e9:.3g} GB"


def check_capacity(graph: OpGraph, system, dtype: str, runs: Callable[[int, str], bool]) -> None:
    """Raise ConfigError when a unit-local memory cannot hold what the graph places in it.

    `runs(i, unit)`: whether op i has a realization on `unit` (only those ops' tensors are read there)."""
    spec = getattr(system, "spec", None)
    placement = getattr(spec, "placement", None)
    if not placement:
        return
    host = next(iter(system.units))
    need: dict[str, float] = {}
    what: dict[str, set] = {}
    seen: set[tuple[str, str, str]] = set()  # (memory, class, tensor) counted once
    dbytes = DTYPE_BYTES.get(dtype, 2)
    for cls in ("weights", "kv_cache"):
        mem, stored = placement[cls]
        owner = spec.memory_owner[mem]
        if owner == host or system.memories[mem].capacity_bytes is None:
            continue
        unit = system.units[owner]
        bits = unit.precision_bits if stored == "reader" else dbytes * 8
        for i, op in enumerate(graph.ops):
            if not runs(i, owner):
                continue
            if cls == "weights" and op.weight_bytes:
                keys = [(mem, cls, w) for w in op.weights] or [(mem, cls, op.name)]
                if all(k in seen for k in keys):
                    continue
                seen.update(keys)
                need[mem] = need.get(mem, 0.0) + op.weight_bytes / dbytes * bits / 8
                what.setdefault(mem, set()).add(cls)
            elif cls == "kv_cache" and op.kind == "attention" and op.kv_cache_bytes_read:
                need[mem] = need.get(mem, 0.0) + op.kv_cache_bytes_read / dbytes * bits / 8
                what.setdefault(mem, set()).add(cls)
    for mem, n in need.items():
        cap = system.memories[mem].capacity_bytes
        if n > cap:
            owner = spec.memory_owner[mem]
            raise ConfigError(
                f"system {system.name!r}: memory {mem!r} (local to {owner}) holds {_gb(cap)}, but "
                f"{graph.model.name} places {_gb(n)} of {' and '.join(sorted(what[mem]))} in it; use a system "
                f"that streams them from the GPU's HBM over the link (e.g. h100+ddot-b-4bit), a larger memory, "
                f"or a smaller model")
