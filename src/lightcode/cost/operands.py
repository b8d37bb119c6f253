"""Where a unit's operands live, and what reading or writing them costs (the one law of weight placement).

A system declares its memories and where each tensor class lives (hardware/README.md, `placement:`). A
unit that does not own that memory reaches it over the system's link: the read pays the memory's energy
per byte, the link's pJ/bit, and time nbytes / min(memory bandwidth, link bandwidth) plus the link latency,
and keeps the link busy for that time (`link_demand`, a share of the link while the op runs).

Storage format ("memory traffic follows the format of what is read"):
  stored = "reader": the tensor is kept pre-quantised in the format the reading realization computes in
           (a quantised checkpoint: a W4A16 GPU kernel and a 4-bit photonic unit both read 4-bit weights);
  stored = "dtype":  the tensor is kept in the graph's dtype and quantised on the way in.

SRAM rule: an activation tensor larger than the unit's on-chip activation buffer cannot stay there: the op
that produces it writes it to where activations live, the op that consumes it reads it back (both over the
link when that memory is remote). The transfer law then charges nothing for such an edge at that end
(hardware/load.py System.transfer_cost), so nothing is counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Mapping

from lightcode.core.opgraph import DTYPE_BYTES, Op

Stored = Literal["reader", "dtype"]
TENSOR_CLASSES = ("weights", "kv_cache", "activations")


@dataclass(frozen=True)
class Link:
    """The link a remote read or write crosses; `read_name` / `write_name` are schedule resource names
    (sim/schedule.py link_name: "SRC->DST"), memory side -> unit for reads, unit -> memory side for writes."""

    read_name: str
    write_name: str
    bandwidth_bytes_per_s: float
    latency_s: float
    energy_j_per_bit: float


@dataclass(frozen=True)
class MemoryPath:
    """How one unit reaches one memory."""

    memory: str  # the memory's name in the system file
    read_j_per_byte: float
    write_j_per_byte: float
    bandwidth_bytes_per_s: float | None  # None: unbounded (only the link limits)
    link: Link | None = None  # None: the memory is the unit's own (local)
    stored: Stored = "dtype"

    def _bandwidth(self) -> float | None:
        bws = [b for b in (self.bandwidth_bytes_per_s, self.link.bandwidth_bytes_per_s if self.link else None)
               if b is not None]
        return min(bws) if bws else None

    def access(self, nbytes: float, write: bool = False) -> "Access":
        """Cost of moving `nbytes` between the memory and the unit (one stream)."""
        if nbytes <= 0:
            return Access()
        e_mem = nbytes * (self.write_j_per_byte if write else self.read_j_per_byte)
        bw = self._bandwidth()
        t = 0.0 if bw is None else nbytes / bw
        if self.link is None:
            return Access(t, e_mem, 0.0, {})
        t += self.link.latency_s
        name = self.link.write_name if write else self.link.read_name
        link_busy = nbytes / self.link.bandwidth_bytes_per_s
        return Access(t, e_mem, nbytes * 8.0 * self.link.energy_j_per_bit, {name: link_busy})


@dataclass(frozen=True)
class Access:
    """Time, memory energy, link energy and link busy time (s, per link name) of some traffic."""

    time_s: float = 0.0
    memory_j: float = 0.0
    transfer_j: float = 0.0
    link_busy_s: Mapping[str, float] = field(default_factory=dict)

    def __add__(self, o: "Access") -> "Access":
        busy = dict(self.link_busy_s)
        for k, v in o.link_busy_s.items():
            busy[k] = busy.get(k, 0.0) + v
        return Access(self.time_s + o.time_s, self.memory_j + o.memory_j, self.transfer_j + o.transfer_j, busy)


@dataclass(frozen=True)
class Placement:
    """Where a unit reads each tensor class from, and its activation buffer's capacity (SRAM rule)."""

    weights: MemoryPath
    kv_cache: MemoryPath
    activations: MemoryPath
    buffer_bytes: float | None = None  # None: no SRAM rule (the buffer is taken to hold any tensor)

    def spills(self, nbytes: float) -> bool:
        return self.buffer_bytes is not None and nbytes > self.buffer_bytes


def link_demand(busy_s: Mapping[str, float], latency_s: float) -> dict[str, float]:
    """Share of each link's bandwidth an op of `latency_s` keeps busy (in (0, 1])."""
    if latency_s <= 0:
        return {}
    return {k: min(1.0, v / latency_s) for k, v in busy_s.items() if v > 0}


def stored_bytes(elements: float, path: MemoryPath, reader_bits: float, dtype: str) -> float:
    """Bytes of `elements` values as stored in `path` (see `stored`)."""
    bits = reader_bits if path.stored == "reader" else DTYPE_BYTES.get(dtype, 2) * 8
    return elements * bits / 8


def activation_tensors(op: Op) -> tuple[list[int], list[int]]:
    """(input bytes per activation tensor, output bytes per tensor) of an op: its inputs without the weight
    tensors (matched by size against weight_bytes) and without cached K/V (see kv_tensors)."""
    ins = [t.nbytes for t in op.inputs]
    need = op.weight_bytes
    if need and len(op.weights):
        # remove weight tensors: the largest subset of len(op.weights) inputs whose bytes sum to weight_bytes
        from itertools import combinations

        for combo in combinations(range(len(ins)), len(op.weights)):
            if sum(ins[i] for i in combo) == need:
                ins = [b for i, b in enumerate(ins) if i not in combo]
                break
    if kv_tensors(op):
        ins = ins[:1]  # the query; K and V are the cache (read from where the KV cache lives)
    return ins, [t.nbytes for t in op.outputs]


def kv_tensors(op: Op) -> int:
    """Bytes of cached K/V a decode attention reads (0 otherwise)."""
    return op.kv_cache_bytes_read if op.kind == "attention" else 0
