"""DDot / DOTA dynamic dot-product photonic core (Lightening-Transformer, HPCA'24), re-derived.

Structure (photonic_sims.md §1.2–1.3): R tiles × C cores; a core is an H×W crossbar of DDot nodes, each
fed Λ wavelengths. Both operands are encoded every cycle (DAC + MZM per row/column × wavelength), so
there is no weight programming and dynamic×dynamic products (attention) run as well as weight GEMMs.
One core-cycle computes an H×W output tile over a Λ-long slice of the reduction.

Tiling of one GEMM [N1×D]·[D×N2] (orientation in `photonic_common.oriented`):
  i1 = ⌈N1/H⌉ row tiles, i2 = ⌈N2/W⌉ column tiles, iD = ⌈D/Λ⌉ reduction slices.
  The R tiles take different row tiles (operand 2 is broadcast optically to all of them); the C cores of
  a tile take different reduction slices and sum their photocurrents before one shared ADC; the detector
  integrates T' = min(T, ⌈D/(CΛ)⌉) consecutive slices before converting.
  cycles = batch·⌈i1/R⌉ · i2 · ⌈iD/C⌉ (broadcast: every tile sees the same operand 2, so batch items
  cannot share the tiles; LT spreads them, ⌈i1·batch/R⌉) — ceil losses are the real utilisation (a batch-1 GEMV fills one
  of W columns; a one-query attention fills one of H rows).
Variants (realizations the solver chooses between, `op_variants`): LT's orientation; for a dynamic GEMM
  also the swapped one (either activation may be the broadcast operand: fewer cycles for a one-query
  decode, more DAC/modulator encodes); and, on a unit whose tiles have their own operand-2 encoders
  (`head_packing`), each with the batch items (attention heads) packed across the tiles, ⌈i1·batch/R⌉ —
  LT's spread, which its one shared encoder set cannot realise.
Events (each charged with its per-event energy from the YAML, converters via photonics.converters):
  operand-1 encodes N1·D·i2 (reused across the W columns); operand-2 encodes N2·D per row-tile pass
  (reused across H rows and broadcast to R tiles; per row tile when packed); detector samples
  N1·N2·iD × detectors/node at the photonics/detector.py power; ADC/TIA/adder events N1·N2·⌈⌈iD/T'⌉/C⌉.
  Laser (pump / comb conversion efficiency, photonics/linkbudget.py) and WDM-router ring locks: always
  on while the unit is powered (static power, over the makespan) or gated to active core-cycles
  (`photonic_idle`, photonics/idle.py).
Memory (16-bit words scaled by bits/16, LT convention): weights stream once per op from where the system
places them (cost/operands.py; on its own, LT's private DRAM) and are staged GB2→GB1 once, then read GB1→RF per encode; operand 2 is fetched GB2→GB1→RF
per encode; each ADC output crosses the NoC; outputs are written back (our access counts, calibrated
to LT's totals, not its code). Attention reads its cached K/V from where the KV cache lives
(LT assumed none; decode needs it). Activation tensors larger than the buffer go through memory (SRAM
rule). Latency = max(compute cycles, weight/KV/spill streaming); the link share it keeps is `link_demand`.
"""

from __future__ import annotations

import math

from lightcode.core.cost import CostBreakdown
from lightcode.core.devices import Variant
from lightcode.core.opgraph import Gemm, Op
from lightcode.cost.families import ParamSpec, register_family
from lightcode.cost.operands import Access, MemoryPath, Placement, link_demand, stored_bytes
from lightcode.cost.photonic_common import (
    CONVERTER_PARAMS,
    GEMM_KINDS,
    ConvertingUnit,
    ceil_div,
    kv_cache_elements,
    oriented,
)
from lightcode.photonics import converters, detector, idle, linkbudget, precision

_P = ParamSpec
DDOT_PARAMS = (
    _P("clock", "Hz", "photonic core clock (one encode per operand element per cycle)"),
    _P("bits", "1", "operand precision the unit computes at", integer=True),
    _P("core_rows", "1", "crossbar height H (operand-1 rows)", integer=True),
    _P("core_cols", "1", "crossbar width W (operand-2 columns)", integer=True),
    _P("wavelengths", "1", "WDM channels Λ per node (reduction slice per cycle)", integer=True),
    _P("tiles", "1", "tiles R (take different row tiles)", integer=True),
    _P("cores_per_tile", "1", "cores C per tile (split the reduction)", integer=True),
    _P("time_accum", "1", "detector integrates T cycles before one ADC conversion", integer=True),
    _P("operand_broadcast", "1", "1: operand-2 encoders shared by all tiles (optical broadcast)",
       positive=False, integer=True),
    _P("adc_share", "1", "1: the C cores of a tile sum photocurrents into one ADC", positive=False,
       integer=True),
    *CONVERTER_PARAMS,
    _P("modulator_energy", "J", "MZM energy per symbol (one symbol per cycle)"),
    _P("router_power", "W", "MRR WDM router holding power, each"),
    _P("routers_per_modulator", "1", "WDM routers per modulator (mux + demux)", positive=False),
    _P("pd_power_law", "1", "0: flat pd_power per detector (LT); 1: bias × (photocurrent + dark current)",
       positive=False, integer=True),
    _P("pd_power", "W", "flat photodetector power, each (pd_power_law 0, LT's accounting)", required=False),
    _P("pd_bias", "V", "photodetector reverse bias (pd_power_law 1)", required=False),
    _P("pd_dark_current", "A", "photodetector dark current (pd_power_law 1)", required=False),
    _P("detectors_per_node", "1", "photodetectors per DDot node (balanced pair)", integer=True),
    _P("tia_power", "W", "TIA power, one per ADC"),
    _P("adder_power", "W", "digital partial-sum adder power, one per ADC"),
    _P("precision_law", "1", "0: P_rx = sensitivity·2^bits (LT); 1: shot/thermal/RIN SNR", positive=False,
       integer=True),
    _P("pd_sensitivity", "W", "photodetector sensitivity (1-bit received power), LT law"),
    _P("pd_responsivity", "A/W", "photodetector responsivity (SNR law; pd_power_law 1)", required=False),
    _P("receiver_temperature", "K", "receiver noise temperature (SNR law)", required=False),
    _P("receiver_load", "ohm", "receiver load / TIA transimpedance (SNR law)", required=False),
    _P("receiver_bandwidth_ratio", "1", "receiver noise bandwidth / symbol rate (SNR law)", required=False),
    _P("laser_rin", "dB/Hz", "laser relative intensity noise (SNR law)", positive=False,
       required=False),
    _P("wall_plug_efficiency", "1", "laser electrical→optical efficiency", maximum=1.0),
    _P("comb_efficiency", "1", "comb source conversion efficiency: used comb-line power / pump power", maximum=1.0),
    _P("photonic_idle", "1", "0: laser and ring locks always on while powered; 1: gated to active cycles",
       positive=False, integer=True),
    _P("head_packing", "1", "1: per-tile operand-2 encoders let the R tiles take different batch items (heads)",
       positive=False, integer=True),
    _P("modulator_loss", "dB", "MZM insertion loss", positive=False),
    _P("router_loss", "dB", "MRR router insertion loss, each", positive=False),
    _P("splitter_loss", "dB", "y-branch loss per 1:2 stage", positive=False),
    _P("phase_shifter_loss", "dB", "DDot phase-shifter loss", positive=False),
    _P("coupler_loss", "dB", "DDot directional-coupler loss", positive=False),
    _P("laser_coupling_loss", "dB", "laser-to-chip coupling loss", positive=False),
    _P("word_bits", "bit", "memory word the access energies refer to"),
    _P("dram_energy", "J", "reference (LT private) DRAM energy per word; the unit on its own only"),
    _P("gb2_energy", "J", "global buffer (GB2) access energy per word"),
    _P("gb1_energy", "J", "local buffer (GB1) access energy per word"),
    _P("rf_energy", "J", "register-file access energy per word"),
    _P("noc_energy", "J", "network-on-chip hop energy per word"),
    _P("dram_bandwidth", "B/s", "reference (LT private) DRAM bandwidth; the unit on its own only"),
    _P("sram_clock", "Hz", "on-chip memory clock (transfer granularity)"),
    _P("sram_power", "W", "SRAM (GB + LB + PE buffers) power, idle power of the unit", positive=False),
)


@register_family("ddot", "photonic", DDOT_PARAMS)
class DDotUnit(ConvertingUnit):
    """DOTA / Lightening-Transformer dynamic dot-product photonic tensor core (event-count model)."""

    def __init__(self, name, params):
        super().__init__(name, params)
        p = self.p
        self.H, self.W, self.L = self._int("core_rows"), self._int("core_cols"), self._int("wavelengths")
        self.R, self.C, self.T = self._int("tiles"), self._int("cores_per_tile"), self._int("time_accum")
        self.f = p["clock"]
        self.slots = 1  # the R·C cores are ganged on one op (shared broadcast and ADCs), not independent
        self.always_on = idle.always_on(p)
        # SRAM power plus, when lasers and ring locks stay on while powered, their power (photonics/idle.py)
        self.static_power_w = p["sram_power"] + (sum(self.always_on_power_w().values()) if self.always_on else 0.0)
        self.weight_capacity_bytes = None  # dynamic operands: weights stream, nothing is held

    # ---- device laws -------------------------------------------------------------------------------
    def tx_energy(self) -> float:
        """Modulator symbol, plus the WDM routers' holding power over one cycle when it is gated to active
        cycles (always on, it is in the unit's static power instead)."""
        p = self.p
        hold = 0.0 if self.always_on else p["routers_per_modulator"] * p["router_power"] / self.f
        return p["modulator_energy"] + hold

    def path_loss_db(self) -> float:
        """Longest laser→detector path: coupling, MZM, routers, 1:N splitter tree; then in the node a
        splitter tap, the phase shifter and the coupler (photonic_sims.md §1.6)."""
        p = self.p
        stages = math.ceil(math.log2(max(self.H, self.W)))
        modulation = p["modulator_loss"] + p["routers_per_modulator"] * p["router_loss"] + stages * p["splitter_loss"]
        node = p["splitter_loss"] + p["phase_shifter_loss"] + p["coupler_loss"]
        return p["laser_coupling_loss"] + modulation + node

    def laser_power(self, adc_bits: int) -> float | None:
        """Electrical laser power per core sized for `adc_bits` at each of the H·W nodes, or None."""
        rx = linkbudget.rx_power_for_bits(adc_bits, self.p, self.f)
        if rx is None:
            return None
        return linkbudget.laser_electrical_power_w(rx, self.path_loss_db(), self.H * self.W,
                                                   self.p["wall_plug_efficiency"], self.p["comb_efficiency"])

    def sizing_bits(self) -> int | None:
        """Bits an always-on laser is sized for: the widest read the unit serves (operands at its `bits`, the
        longest analog sum L·T·C), capped at the widest the ADC and the link can reach; None: nothing."""
        p = self.p
        n = self.L * self.T * (self.C if self._flag("adc_share") else 1)
        b = precision.adc_bits_required(self.precision_bits, n, p["adc_bits_per_doubling"])
        for bb in range(b, 0, -1):
            if converters.converter_supports(bb, self.f, p["adc_ref_bits"], p["adc_ref_rate"]) and \
                    linkbudget.rx_power_for_bits(bb, p, self.f) is not None:
                return bb
        return None

    def always_on_power_w(self) -> dict[str, float]:
        """Power of the lasers (sized at `sizing_bits`) and the WDM routers' ring locks, whether or not the
        unit is set always-on: what `photonic_idle` = 0 adds to the static power."""
        p = self.p
        b = self.sizing_bits()
        laser = 0.0 if b is None else self.R * self.C * self.laser_power(b)
        return {"laser": laser, "ring_locks": sum(self.n_encoders()) * p["routers_per_modulator"] * p["router_power"]}

    def detector_power(self, rx_bits: int) -> float:
        """One photodetector's power while the laser is sized for `rx_bits` (photonics/detector.py)."""
        rx = linkbudget.rx_power_for_bits(rx_bits, self.p, self.f)
        return detector.detector_power_w(self.p, 0.0 if rx is None else rx)

    # ---- counts ------------------------------------------------------------------------------------
    def n_encoders(self) -> tuple[int, int]:
        op1 = self.H * self.L * self.R * self.C
        per_tile = not self._flag("operand_broadcast") or self._flag("head_packing")
        op2 = self.W * self.L * self.C * (self.R if per_tile else 1)
        return op1, op2

    def n_adcs(self) -> int:
        return self.H * self.W * self.R * (1 if self._flag("adc_share") else self.C)

    def peak_power_w(self, bits: int | None = None) -> dict[str, float] | None:
        """All devices active every cycle (LT's area/power report), by component."""
        b = bits or self.precision_bits
        laser = self.laser_power(b)
        if laser is None:
            return None
        n_enc = sum(self.n_encoders())
        n_adc = self.n_adcs()
        p = self.p
        router = n_enc * p["routers_per_modulator"] * p["router_power"]
        return {
            "dac": n_enc * self.dac_energy(b) * self.f,
            "modulator": n_enc * p["modulator_energy"] * self.f + router,
            "detector": self.H * self.W * self.R * self.C * p["detectors_per_node"] * self.detector_power(b)
            + n_adc * p["tia_power"],
            "adc": n_adc * self.adc_energy(b) * self.f,
            "compute": n_adc * p["adder_power"],
            "laser": self.R * self.C * laser,
            "static": p["sram_power"],
        }

    def peak_macs_per_s(self) -> float:
        return self.H * self.W * self.L * self.R * self.C * self.f

    def mapping(self, g: Gemm) -> dict[str, float]:
        """Tiling of one GEMM in the orientation with fewer cycles (LT's on a tie), for probes.

        Weight GEMMs keep LT's orientation (the weight must differ per tile, so it cannot be the broadcast
        operand). Both operands of a dynamic GEMM are activations, so either may be broadcast — a one-query
        decode attention then puts the keys on the height, spread over all tiles, and the query on one
        column. The cost model offers both orientations as variants (`op_variants`)."""
        m = self._oriented_tiling(g, swap=False)
        if not g.weight_operand:
            swapped = self._oriented_tiling(g, swap=True)
            if swapped["cycles"] < m["cycles"]:
                return swapped
        return m

    def _oriented_tiling(self, g: Gemm, swap: bool, packed: bool = False) -> dict[str, float]:
        n1, d, n2 = oriented(g)
        if swap and not g.weight_operand:
            n1, n2 = n2, n1
        return self._tiling(g, n1, d, n2, packed)

    def _tiling(self, g: Gemm, n1: int, d: int, n2: int, packed: bool = False) -> dict[str, float]:
        i1, i2, i_d = ceil_div(n1, self.H), ceil_div(n2, self.W), ceil_div(d, self.L)
        c_sum = self.C if self._flag("adc_share") else 1
        t_eff = max(1, min(self.T, ceil_div(d, c_sum * self.L)))
        convs = ceil_div(ceil_div(i_d, t_eff), c_sum)
        shared = self._flag("operand_broadcast") and not packed
        if shared:  # all tiles see the same operand 2: one batch item at a time
            passes = g.batch * ceil_div(i1, self.R)
        else:  # each tile encodes its own operand 2: batch items (heads) packed across the tiles
            passes = ceil_div(i1 * g.batch, self.R)
        cycles = passes * i2 * ceil_div(i_d, self.C)
        util = g.macs / (cycles * self.R * self.C * self.H * self.W * self.L)
        return {"n1": n1, "d": d, "n2": n2, "i1": i1, "i2": i2, "i_d": i_d, "t_eff": t_eff,
                "convs_per_output": convs, "n_analog": min(d, self.L * t_eff * c_sum), "cycles": cycles, "row_passes": passes,
                "utilisation": util, "shared_operand2": shared}

    # ---- the cost model ----------------------------------------------------------------------------
    def reference_memory(self) -> Placement:
        """The unit costed on its own: weights and KV from LT's private DRAM (its own `dram_*` parameters)
        at the unit's bits, no SRAM rule — the paper's model, for fidelity against Lightening-Transformer.
        Inside a system the system's placement replaces it (hardware/load.py)."""
        p = self.p
        dram = MemoryPath("private-dram", p["dram_energy"] / (p["word_bits"] / 8), 0.0, p["dram_bandwidth"],
                          None, "reader")
        return Placement(dram, dram, dram, None)

    def op_cost(self, op: Op, dtype: str) -> CostBreakdown | None:
        """The cost in the fewest-cycles orientation per GEMM, unpacked (the first variant)."""
        v = self.op_variants(op, dtype)
        return v[0].cost if v else None

    def realizations(self, op: Op) -> tuple[tuple[str, tuple[bool, ...], bool], ...]:
        """(name suffix, swap per GEMM, packed) of each distinct way the unit can run `op`. First the
        fewest-cycles orientation of every GEMM (`mapping`); then, for an op with a dynamic GEMM, LT's
        orientation throughout ("-lt") and the swapped one throughout ("-swap") where they differ from it —
        swapping operands 1 and 2 makes the other activation the broadcast operand: a one-query decode then
        takes fewer cycles but re-encodes the short operand on every pass (more DAC/modulator energy). Where
        the tiles have their own operand-2 encoders (`head_packing`) and broadcast, each again with the batch
        items (heads) packed across the tiles ("-packed")."""
        fast = tuple(not g.weight_operand and self.mapping(g)["n1"] != oriented(g)[0] for g in op.gemms)
        ways = {fast: ""}
        if any(not g.weight_operand for g in op.gemms):
            for swap, suffix in ((False, "-lt"), (True, "-swap")):
                ways.setdefault(tuple(swap and not g.weight_operand for g in op.gemms), suffix)
        out = [(suffix, swaps, False) for swaps, suffix in ways.items()]
        if self._flag("operand_broadcast") and self._flag("head_packing") and any(g.batch > 1 for g in op.gemms):
            out += [(suffix + "-packed", swaps, True) for suffix, swaps, _ in out]
        return tuple(out)

    def op_variants(self, op: Op, dtype: str) -> tuple[Variant, ...]:
        if op.kind not in GEMM_KINDS or not op.gemms:
            return ()
        p = self.p
        b = precision.operand_bits(self.precision_bits, dtype)
        if not converters.converter_supports(b, self.f, p["dac_ref_bits"], p["dac_ref_rate"]):
            return ()
        out = []
        for suffix, swaps, packed in self.realizations(op):
            v = self._variant(op, dtype, b, swaps, packed)
            if v is not None:
                out.append(Variant(f"analog-{b:g}b{suffix}", *v))
        return tuple(out)

    def _variant(self, op: Op, dtype: str, b: float, swaps: tuple[bool, ...], packed: bool):
        """(cost, formats, link demand) of `op` in one orientation/packing, or None when it cannot run."""
        p = self.p
        pl = self.placement or self.reference_memory()
        wb = b / p["word_bits"]  # words per element
        e = dict.fromkeys(("compute", "dac", "adc", "modulator", "laser", "detector", "memory", "transfer"), 0.0)
        cycles = 0
        reads = Access()
        adc_max = 0
        size_bits = self.sizing_bits() if self.always_on else None
        for g, swap in zip(op.gemms, swaps):
            m = self._oriented_tiling(g, swap, packed)
            b_adc = precision.adc_bits_required(b, m["n_analog"], p["adc_bits_per_doubling"])
            if not converters.converter_supports(b_adc, self.f, p["adc_ref_bits"], p["adc_ref_rate"]):
                return None
            laser = self.laser_power(b_adc)
            if laser is None or (size_bits is not None and b_adc > size_bits):
                return None
            adc_max = max(adc_max, int(math.ceil(b_adc)))
            n1, d, n2, i1, i2, i_d = m["n1"], m["d"], m["n2"], m["i1"], m["i2"], m["i_d"]
            bt = g.batch
            enc1 = n1 * d * i2 * bt
            # operand 2 is re-encoded once per pass over the row tiles (shared by all tiles if broadcast)
            enc2 = n2 * d * (m["row_passes"] if m["shared_operand2"] else i1 * bt)
            adc_events = n1 * n2 * m["convs_per_output"] * bt
            cycles += m["cycles"]
            if not self.always_on:  # gated: the laser burns only on active core-cycles, sized for this read
                e["laser"] += laser / self.f * i1 * i2 * i_d * bt
            pd = self.detector_power(size_bits if size_bits is not None else b_adc)
            e["dac"] += (enc1 + enc2) * self.dac_energy(b)
            e["modulator"] += (enc1 + enc2) * self.tx_energy()
            e["detector"] += (n1 * n2 * i_d * bt * p["detectors_per_node"] * pd
                              + adc_events * p["tia_power"]) / self.f
            e["adc"] += adc_events * self.adc_energy(b_adc)
            e["compute"] += adc_events * p["adder_power"] / self.f
            # data movement, in words
            # operand 1 is staged once in the tile's local buffer and read (via the RF) per encode;
            # operand 2 lives in the global buffer and is fetched GB2→GB1→RF for every pass
            once1 = n1 * d * bt
            outputs = n1 * n2 * bt
            per_enc1 = p["gb1_energy"] + 2 * p["rf_energy"]
            per_enc2 = p["gb2_energy"] + 2 * p["gb1_energy"] + 2 * p["rf_energy"]
            e["memory"] += wb * (enc1 * per_enc1 + enc2 * per_enc2
                                 + (once1 + outputs) * (p["gb2_energy"] + p["gb1_energy"])
                                 + adc_events * p["noc_energy"])
            if g.weight_operand:  # weights stream from where they live, staged into GB2
                e["memory"] += once1 * wb * p["gb2_energy"]
                reads = reads + self._weight_stream(n1, d, bt, b, dtype, pl.weights)
        kv = kv_cache_elements(op) if op.kind == "attention" else 0
        if kv:
            reads = reads + pl.kv_cache.access(stored_bytes(kv, pl.kv_cache, b, dtype))
        spill_in, spill_out = self.spill_access(op)
        reads = reads + spill_in
        for a in (reads, spill_out):
            e["memory"] += a.memory_j
            e["transfer"] += a.transfer_j
        latency = max(cycles / self.f, reads.time_s, spill_out.time_s)
        busy = dict(reads.link_busy_s)
        for k, v in spill_out.link_busy_s.items():
            busy[k] = busy.get(k, 0.0) + v
        return CostBreakdown(latency, e), self.formats(dtype, adc_max), link_demand(busy, latency)

    def _weight_stream(self, n1: int, d: int, batch: int, bits: float, dtype: str, path: MemoryPath) -> Access:
        """Weights stream in chunks of R·H rows (one row tile per tile), each a whole number of SRAM cycles
        at the path's bandwidth (the memory's, or the link's when remote)."""
        p = self.p
        per_row = stored_bytes(d, path, bits, dtype)
        chunk_bytes = self.R * self.H * per_row
        a = path.access(n1 * per_row * batch)
        bw = path._bandwidth()
        if bw is None:
            return a
        per_chunk = math.ceil(chunk_bytes / bw * p["sram_clock"] - 1e-9) / p["sram_clock"]
        t = ceil_div(n1, self.R * self.H) * per_chunk * batch + (path.link.latency_s if path.link else 0.0)
        return Access(t, a.memory_j, a.transfer_j, a.link_busy_s)


# Lightening-Transformer's accounting, where it differs from the library's corrected defaults: no comb
# conversion loss (LT gives its micro-comb area only, no power), laser and router power charged only on
# active cycles, a flat 1.1 mW per photodetector (its LT_PD) — for reproducing LT's figures, never for a system.
LT_ACCOUNTING = {"comb_efficiency": 1.0, "photonic_idle": float(idle.GATED), "pd_power_law": float(detector.PD_FLAT)}


def lt_accounting(unit: DDotUnit) -> DDotUnit:
    """A copy of `unit` under LT's accounting (LT_ACCOUNTING; its YAML carries LT's `pd_power`)."""
    return type(unit)(unit.name, {**unit.p, **LT_ACCOUNTING})
