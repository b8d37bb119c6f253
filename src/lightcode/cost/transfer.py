"""The one law for moving a tensor between two units of a system (link + memories + domain crossing).

Accounting convention (complements the per-op models, so nothing is counted twice):
- every op's own cost charges the memory traffic of its own inputs/outputs on its own unit
  (GPU: HBM bytes_read + bytes_written; photonic: its buffer/SRAM reads and writes, its converters);
- a transfer charges what only exists because the tensor changes unit:
  leaving an electronic unit: one host-memory read of the tensor (the producer already wrote it);
  leaving a photonic unit:    ADC per element (if the system's crossing sets it) + one buffer read;
  the link:                   latency + nbytes / bandwidth, nbytes·8 × J/bit;
  arriving at electronic:     one host-memory write (the consumer's op cost reads it);
  arriving at photonic:       one buffer write + DAC per element (if the crossing sets it);
  each photonic endpoint adds the crossing latency (conversion pipeline).
Energy goes to `memory`, `transfer`, `dac`, `adc`. SI units throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

from lightcode.core.cost import ZERO, CostBreakdown


@dataclass(frozen=True)
class MemoryParams:
    read_j_per_byte: float
    write_j_per_byte: float
    bandwidth_bytes_per_s: float | None = None
    capacity_bytes: float | None = None


@dataclass(frozen=True)
class LinkParams:
    bandwidth_bytes_per_s: float
    latency_s: float
    energy_j_per_bit: float


@dataclass(frozen=True)
class CrossingParams:
    element_bytes: int
    dac_j_per_element: float
    adc_j_per_element: float
    latency_s: float
    host_memory: MemoryParams
    buffer_memory: MemoryParams


def transfer_cost(
    src_photonic: bool,
    dst_photonic: bool,
    nbytes: float,
    link: LinkParams,
    crossing: CrossingParams | None,
) -> CostBreakdown:
    """Cost of moving `nbytes` over `link` from a unit of one domain to a unit of the other (or same)."""
    if nbytes <= 0:
        return ZERO
    if (src_photonic or dst_photonic) and crossing is None:
        raise ValueError("a transfer touching a photonic unit needs the system's crossing parameters")
    e = {"transfer": nbytes * 8.0 * link.energy_j_per_bit, "memory": 0.0}
    latency = link.latency_s + nbytes / link.bandwidth_bytes_per_s
    for photonic, leaving in ((src_photonic, True), (dst_photonic, False)):
        if photonic:
            assert crossing is not None
            elements = nbytes / crossing.element_bytes
            mem = crossing.buffer_memory
            e["memory"] += nbytes * (mem.read_j_per_byte if leaving else mem.write_j_per_byte)
            conv, joules = ("adc", crossing.adc_j_per_element) if leaving else ("dac", crossing.dac_j_per_element)
            if joules:
                e[conv] = e.get(conv, 0.0) + elements * joules
            latency += crossing.latency_s
        elif crossing is not None:
            mem = crossing.host_memory
            e["memory"] += nbytes * (mem.read_j_per_byte if leaving else mem.write_j_per_byte)
    return CostBreakdown(latency, e)
