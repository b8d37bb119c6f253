"""The LightCode PTU ("PHU") exactly as the authors' code models it (lightcode.md §2), for reproduction.

- compute: every MAC costs a flat `mac_energy`; no laser, static, detector or precision terms;
- conversion: LightCode charges a flat DAC per number entering the PHU and ADC per number leaving it, plus
  10 ns, on its SRAM↔PHU edges. Activations are edges here too: the system's `crossing` charges them
  (h100+ptu-lightcode sets 3.18 pJ / 1.6 pJ / 10 ns, hardware/README.md). Weights are not graph edges, so
  op_cost charges their `dac_energy` and `weight_fetch_energy` (HBM→SRAM + SRAM→PHU edges; LightCode's
  200 pJ HBM memory node is paid whichever unit consumes a weight, so it is not a PTU cost).
  Deviation: two consecutive PTU ops exchange nothing here, where LightCode routes them via SRAM;
- time: cycles = ⌈⌈D/M⌉/cores⌉ · K per GEMM, D = output elements, K = dot length, M = WDM multiplex
  factor: each cycle every core produces M partial dot products, one element of K per cycle.
Precision is not modeled (`bits` is LightCode's 32-bit BITS_PER_NUM), so no op is ever rejected for it,
and its formats are the graph's dtype. Placement: the authors' `weight_fetch_energy` is their model of
where weights live, so a system's placement does not change this unit, and no SRAM rule applies (LightCode
routes PTU↔PTU tensors through an SRAM of unbounded size).
"""

from __future__ import annotations

from lightcode.core.cost import CostBreakdown
from lightcode.core.devices import Variant
from lightcode.core.opgraph import Op
from lightcode.cost.families import ParamSpec, register_family
from lightcode.cost.photonic_common import GEMM_KINDS, PhotonicUnit, ceil_div

_P = ParamSpec
PTU_LIGHTCODE_PARAMS = (
    _P("clock", "Hz", "PHU clock (LightCode PHU_MIN_CLOCK)"),
    _P("cores", "1", "PHU cores an op is spread over", integer=True),
    _P("multiplex", "1", "WDM multiplex factor M: dot products per core-cycle", integer=True),
    _P("bits", "1", "LightCode BITS_PER_NUM (precision is not modeled)", integer=True),
    _P("mac_energy", "J", "energy per photonic MAC (PHU_MAC)"),
    _P("dac_energy", "J", "energy per weight number converted into the PTU (DAC_POWER)"),
    _P("weight_fetch_energy", "J", "per weight number: HBM→SRAM + SRAM→PHU edges, no DAC", positive=False),
)


@register_family("ptu-lightcode", "photonic", PTU_LIGHTCODE_PARAMS)
class LightCodePTU(PhotonicUnit):
    """LightCode's photonic tensor unit: flat per-MAC energy, per-number DAC/ADC, WDM-multiplexed cycles."""

    def __init__(self, name, params):
        super().__init__(name, params)
        # LightCode's quirk, kept: the cycle formula spreads an op over all `cores`, yet its scheduler lets
        # `cores` ops run at once (one per core). Identical for the published cores = 1.
        self.slots = self._int("cores")
        self.static_power_w = 0.0  # LightCode models no idle power
        self.weight_capacity_bytes = None

    @property
    def buffer_capacity_bytes(self) -> None:
        return None  # the authors' model: no SRAM rule

    def op_variants(self, op: Op, dtype: str) -> tuple[Variant, ...]:
        c = self.op_cost(op, dtype)
        return () if c is None else (Variant(dtype, c, self.formats(dtype)),)

    def cycles(self, op: Op) -> int:
        cores, mux = self._int("cores"), self._int("multiplex")
        return sum(ceil_div(ceil_div(g.batch * g.m * g.n, mux), cores) * g.k for g in op.gemms)

    def compute_time_s(self, op: Op) -> float:
        return self.cycles(op) / self.p["clock"]

    def op_cost(self, op: Op, dtype: str) -> CostBreakdown | None:
        if op.kind not in GEMM_KINDS or not op.gemms:
            return None
        p = self.p
        macs = sum(g.macs for g in op.gemms)
        weight_numbers = sum(g.batch * g.k * g.n for g in op.gemms if g.weight_operand)
        energy = {
            "compute": macs * p["mac_energy"],
            "dac": weight_numbers * p["dac_energy"],
            "memory": weight_numbers * p["weight_fetch_energy"],
        }
        return CostBreakdown(self.compute_time_s(op), energy)
