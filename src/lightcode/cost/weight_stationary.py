"""Shared model of weight-stationary photonic cores (MRR weight bank, MZI mesh, PCM crossbar).

A core holds a `core_inputs × core_outputs` weight tile in its devices; inputs stream through it at the
clock, one input vector per cycle, and each output detector sums `core_inputs` products in analog.

One GEMM (m×k)·(k×n) with a weight operand, `batch` times:
  weight tiles = ⌈k/inputs⌉ · ⌈n/outputs⌉ · batch, spread over the unit's cores;
  per tile: program the devices (time `program_time_s`, energy per cell), then stream m vectors
  × `sign_passes` (devices that cannot represent signed operands repeat the pass).
  latency = ⌈tiles/cores⌉ · (program time + m·passes/clock), or the weight fetch if that is slower.
Assumption: an op's weights are loaded when it runs — the unit is far
smaller than an LLM layer, so nothing stays resident between ops. `op_cost(..., weights_resident=True)`
drops the loading for a compiler that pins an op whose weights fit `weight_capacity_bytes`.
Dynamic×dynamic GEMMs (attention) need a reprogram per use of each operand: not realizable (None).

Per-event energies: input DAC + modulator per encoded element (re-encoded for every output tile),
detector (photonics/detector.py) + TIA + ADC per output sample (once per input tile), device hold power ×
op latency on active cores (`static`: on because this op's weights are held), reprogramming = programming
DAC conversions + per-cell program energy, memory = weight fetch + activations. Lasers (link budget, with
the comb's conversion efficiency) and ring locks (input-modulator locks; MRR weight rings): always on while
the unit is powered — the unit's static power, over the makespan — or gated to active cycles
(`photonic_idle`, photonics/idle.py).
"""

from __future__ import annotations

import math

from lightcode.core.cost import CostBreakdown
from lightcode.core.devices import Variant
from lightcode.core.opgraph import Op
from lightcode.cost.families import ParamSpec
from lightcode.cost.operands import Access, MemoryPath, Placement, link_demand, stored_bytes
from lightcode.cost.photonic_common import CONVERTER_PARAMS, GEMM_KINDS, ConvertingUnit, ceil_div
from lightcode.photonics import converters, detector, idle, linkbudget, precision

_P = ParamSpec
COMMON_PARAMS = (
    _P("clock", "Hz", "input symbol rate (one input vector per cycle)"),
    _P("bits", "1", "operand precision the unit computes at", integer=True),
    _P("cores", "1", "independent weight-stationary cores, ganged on one op", integer=True),
    _P("sign_passes", "1", "passes per input vector to realise signed operands", integer=True),
    _P("cells_per_weight", "1", "devices per stored weight (2 = differential pair)", integer=True),
    *CONVERTER_PARAMS,
    _P("modulator_energy", "J", "input modulator energy per symbol"),
    _P("modulator_hold_power", "W", "input modulator bias/lock power, each, while the op runs", positive=False),
    _P("modulator_loss", "dB", "input modulator insertion loss", positive=False),
    _P("pd_power_law", "1", "0: flat pd_power per detector (LT); 1: bias × (photocurrent + dark current)",
       positive=False, integer=True),
    _P("pd_power", "W", "flat photodetector power, each (pd_power_law 0)", positive=False, required=False),
    _P("pd_bias", "V", "photodetector reverse bias (pd_power_law 1)", required=False),
    _P("pd_dark_current", "A", "photodetector dark current (pd_power_law 1)", required=False),
    _P("detectors_per_output", "1", "photodetectors per output (2 = balanced)", integer=True),
    _P("tia_power", "W", "TIA power, one per output"),
    _P("precision_law", "1", "0: P_rx = sensitivity·2^bits (LT); 1: shot/thermal/RIN SNR", positive=False,
       integer=True),
    _P("pd_sensitivity", "W", "photodetector sensitivity (LT law)", required=False),
    _P("pd_responsivity", "A/W", "photodetector responsivity (SNR law; pd_power_law 1)", required=False),
    _P("receiver_temperature", "K", "receiver noise temperature (SNR law)", required=False),
    _P("receiver_load", "ohm", "receiver load / transimpedance (SNR law)", required=False),
    _P("receiver_bandwidth_ratio", "1", "receiver noise bandwidth / symbol rate (SNR law)", required=False),
    _P("laser_rin", "dB/Hz", "laser relative intensity noise (SNR law)", positive=False, required=False),
    _P("wall_plug_efficiency", "1", "laser electrical→optical efficiency", maximum=1.0),
    _P("comb_efficiency", "1", "comb source conversion efficiency: used comb-line power / pump power (1: one line)", maximum=1.0),
    _P("photonic_idle", "1", "0: laser and ring locks always on while powered; 1: gated to active cycles",
       positive=False, integer=True),
    _P("laser_coupling_loss", "dB", "laser-to-chip coupling loss", positive=False),
    _P("splitter_loss", "dB", "loss per 1:2 splitter stage", positive=False),
    _P("system_penalty", "dB", "organisation-dependent power penalty (crosstalk, extinction)", positive=False),
    _P("weight_memory_energy", "J/B", "energy per byte of weights fetched from memory"),
    _P("activation_memory_energy", "J/B", "energy per byte of activations read or written on chip"),
    _P("weight_bandwidth", "B/s", "weight fetch bandwidth"),
)


class WeightStationaryUnit(ConvertingUnit):
    """Base class: subclasses define the core geometry, optical path and programming physics."""

    def __init__(self, name, params):
        super().__init__(name, params)
        self.f = self.p["clock"]
        self.cores = self._int("cores")
        self.slots = 1  # the cores are ganged on one op's weight tiles
        self.always_on = idle.always_on(self.p)
        # always on (photonics/idle.py): lasers and ring locks over the makespan; gated: nothing idles, the
        # devices are powered only while an op runs (see _cost)
        self.static_power_w = sum(self.always_on_power_w().values()) if self.always_on else 0.0
        cells = self.cores * self.core_inputs() * self.core_outputs()
        self.weight_capacity_bytes = cells / self._int("cells_per_weight") * self.precision_bits / 8

    # ---- family hooks ---------------------------------------------------------------------------
    def core_inputs(self) -> int:  # reduction elements per core-cycle (analog sum length)
        raise NotImplementedError

    def core_outputs(self) -> int:  # outputs per core-cycle
        raise NotImplementedError

    def cells_per_core(self) -> int:  # programmable devices holding one weight tile
        return self.core_inputs() * self.core_outputs() * self._int("cells_per_weight")

    def core_loss_db(self) -> float:  # loss from the input modulators to one detector, inside the core
        raise NotImplementedError

    def laser_fanout(self) -> int:  # detectors one laser line feeds
        return self.core_outputs()

    def hold_power_per_cell(self) -> float:
        raise NotImplementedError

    # weight cells that are microrings locked to the WDM lines (their heaters stay on with the unit, not
    # only while an op holds a weight); False: the hold exists only while a weight is held (MZI phases)
    cells_are_ring_locks = False

    def program_time_s(self) -> float:
        raise NotImplementedError

    def program_energy_per_cell(self) -> float:
        raise NotImplementedError

    def weight_bits_max(self) -> float:  # resolution the weight devices can hold
        return math.inf

    # ---- shared physics -------------------------------------------------------------------------
    def path_loss_db(self) -> float:
        p = self.p
        tree = math.ceil(math.log2(max(self.laser_fanout(), 1))) * p["splitter_loss"]
        return p["laser_coupling_loss"] + p["modulator_loss"] + tree + self.core_loss_db() + p["system_penalty"]

    def laser_power(self, adc_bits: int) -> float | None:
        """Electrical laser power per core sized for `adc_bits` at each detector, or None."""
        rx = linkbudget.rx_power_for_bits(adc_bits, self.p, self.f)
        if rx is None:
            return None
        return linkbudget.laser_electrical_power_w(rx, self.path_loss_db(), self.laser_fanout(),
                                                   self.p["wall_plug_efficiency"], self.p["comb_efficiency"])

    def sizing_bits(self) -> int | None:
        """Bits an always-on laser is sized for: the widest read (operands at `bits`, a full core_inputs
        analog sum), capped at the widest the ADC and the link can reach; None: nothing can run."""
        p = self.p
        b = precision.adc_bits_required(self.precision_bits, self.core_inputs(), p["adc_bits_per_doubling"])
        for bb in range(b, 0, -1):
            if converters.converter_supports(bb, self.f, p["adc_ref_bits"], p["adc_ref_rate"]) and \
                    linkbudget.rx_power_for_bits(bb, p, self.f) is not None:
                return bb
        return None

    def lock_power_per_core(self) -> float:
        """Ring locks of one core: input modulators' bias/lock, plus the weight cells when they are rings."""
        cells = self.cells_per_core() * self.hold_power_per_cell() if self.cells_are_ring_locks else 0.0
        return self.core_inputs() * self.p["modulator_hold_power"] + cells

    def always_on_power_w(self) -> dict[str, float]:
        """Power of every core's laser (sized at `sizing_bits`) and ring locks: what `photonic_idle` = 0 puts
        in the static power."""
        b = self.sizing_bits()
        laser = 0.0 if b is None else self.cores * self.laser_power(b)
        return {"laser": laser, "ring_locks": self.cores * self.lock_power_per_core()}

    def detector_power(self, rx_bits: int) -> float:
        """One photodetector's power while the laser is sized for `rx_bits` (photonics/detector.py)."""
        rx = linkbudget.rx_power_for_bits(rx_bits, self.p, self.f)
        return detector.detector_power_w(self.p, 0.0 if rx is None else rx)

    # ---- the cost model -------------------------------------------------------------------------
    def reference_memory(self) -> Placement:
        """The unit on its own: weights fetched from the family's reference memory (`weight_memory_energy`,
        `weight_bandwidth`) at the unit's bits, no SRAM rule; inside a system its placement replaces it."""
        p = self.p
        ref = MemoryPath("reference", p["weight_memory_energy"], 0.0, p["weight_bandwidth"], None, "reader")
        return Placement(ref, ref, ref, None)

    def op_variants(self, op: Op, dtype: str) -> tuple[Variant, ...]:
        r = self._cost(op, dtype)
        if r is None:
            return ()
        c, adc_bits, busy = r
        return (Variant(f"analog-{self.precision_bits}b", c, self.formats(dtype, adc_bits),
                        link_demand(busy, c.latency_s)),)

    def op_cost(self, op: Op, dtype: str, *, weights_resident: bool = False) -> CostBreakdown | None:
        r = self._cost(op, dtype, weights_resident)
        return None if r is None else r[0]

    def _cost(self, op: Op, dtype: str, weights_resident: bool = False):
        """(cost, widest ADC bits, link busy seconds) or None."""
        if op.kind not in GEMM_KINDS or not op.gemms or not all(g.weight_operand for g in op.gemms):
            return None
        p = self.p
        pl = self.placement or self.reference_memory()
        b = precision.operand_bits(self.precision_bits, dtype)
        if b > self.weight_bits_max() + 1e-9:
            return None
        if not converters.converter_supports(b, self.f, p["dac_ref_bits"], p["dac_ref_rate"]):
            return None
        adc_max = 0
        kin, kout = self.core_inputs(), self.core_outputs()
        passes = self._int("sign_passes")
        weight_bytes = sum(g.k * g.n * g.batch for g in op.gemms) * b / 8
        resident = weights_resident and weight_bytes <= self.weight_capacity_bytes
        e = dict.fromkeys(("dac", "adc", "modulator", "laser", "detector", "static", "memory",
                           "reprogramming"), 0.0)
        busy_s = 0.0
        active_cores = 0
        size_bits = self.sizing_bits() if self.always_on else None
        for g in op.gemms:
            tk, tn = ceil_div(g.k, kin), ceil_div(g.n, kout)
            tiles = tk * tn * g.batch
            b_adc = precision.adc_bits_required(b, min(g.k, kin), p["adc_bits_per_doubling"])
            if not converters.converter_supports(b_adc, self.f, p["adc_ref_bits"], p["adc_ref_rate"]):
                return None
            adc_max = max(adc_max, int(math.ceil(b_adc)))
            laser = self.laser_power(b_adc)
            if laser is None or (size_bits is not None and b_adc > size_bits):
                return None
            rounds = ceil_div(tiles, self.cores)
            stream_cycles = g.m * passes
            program_s = 0.0 if resident else self.program_time_s()
            busy_s += rounds * (program_s + stream_cycles / self.f)
            active_cores = max(active_cores, min(tiles, self.cores))
            encodes = g.m * g.k * tn * g.batch * passes
            samples = g.m * g.n * tk * g.batch * passes
            e["dac"] += encodes * self.dac_energy(b)
            e["modulator"] += encodes * p["modulator_energy"]
            e["adc"] += samples * self.adc_energy(b_adc)
            pd = self.detector_power(size_bits if size_bits is not None else b_adc)
            e["detector"] += samples * (p["tia_power"] + p["detectors_per_output"] * pd) / self.f
            if not self.always_on:  # gated: the laser burns only while vectors stream, sized for this read
                e["laser"] += laser * tiles * stream_cycles / self.f
            if not resident:
                cells = g.k * g.n * g.batch * self._int("cells_per_weight")
                e["reprogramming"] += g.k * g.n * g.batch * self.dac_energy(b) + cells * self.program_energy_per_cell()
            e["memory"] += (g.m * g.k + g.m * g.n) * g.batch * b / 8 * p["activation_memory_energy"]
        reads = Access()
        if not resident:  # weights are fetched from where they live (stored format: cost/operands.py)
            elements = sum(g.k * g.n * g.batch for g in op.gemms)
            reads = pl.weights.access(stored_bytes(elements, pl.weights, b, dtype))
        spill_in, spill_out = self.spill_access(op)
        reads = reads + spill_in
        e["transfer"] = 0.0
        for a in (reads, spill_out):
            e["memory"] += a.memory_j
            e["transfer"] += a.transfer_j
        latency = max(busy_s, reads.time_s, spill_out.time_s)
        busy = dict(reads.link_busy_s)
        for k, v in spill_out.link_busy_s.items():
            busy[k] = busy.get(k, 0.0) + v
        # held because this op runs: its weight cells (unless they are ring locks that stay on with the unit)
        # and, gated, the locks too
        cells = 0.0 if (self.always_on and self.cells_are_ring_locks) else self.cells_per_core() * self.hold_power_per_cell()
        locks = 0.0 if self.always_on else kin * p["modulator_hold_power"]
        e["static"] = active_cores * (cells + locks) * latency
        return CostBreakdown(latency, e), adc_max, busy
