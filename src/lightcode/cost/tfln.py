"""Device family `tfln-mrr`: a TFLN microring weight bank used only as a KV-block *scoring* engine.

It is not a GEMM engine in the compiler's sense: its weights are block signatures that change every B
tokens and its output is a top-k index list, so `op_cost` returns None for every graph op (no matmul
realization) and the compiler never places model layers on it. Its cost per selection query lives in
`kvselect/cost.py`, its physics in `photonics/microring.py`; this class only carries the parameters.
"""

from __future__ import annotations

from typing import Mapping

from lightcode.core.cost import CostBreakdown
from lightcode.cost.families import ParamSpec, register_family
from lightcode.photonics.linkbudget import laser_electrical_power_w

# (YAML name, MRRConfig field or None for cost-only params, dimension, doc)
_PARAMS: tuple[tuple[str, str | None, str, str], ...] = (
    ("wavelength", "wavelength_m", "m", "centre wavelength"),
    ("q_loaded", "q_loaded", "1", "loaded Q"),
    ("extinction", "extinction_db", "dB", "drop-port extinction ratio"),
    ("fsr", "fsr_m", "m", "free spectral range (effective, Vernier)"),
    ("channel_spacing", "channel_spacing_m", "m", "WDM grid spacing"),
    ("tuning_efficiency", "tuning_m_per_v", "m/V", "Pockels resonance shift per volt"),
    ("v_max", "v_max", "V", "weight driver full-scale voltage"),
    ("weight_dac_bits", "weight_dac_bits", "1", "weight (voltage) DAC bits"),
    ("input_dac_bits", "input_dac_bits", "1", "query modulator DAC bits"),
    ("adc_bits", "adc_bits", "1", "row ADC bits"),
    ("ring_sigma", "ring_sigma_m", "m", "per-ring residual detuning σ"),
    ("temperature_sigma", "temperature_sigma_k", "K", "common-mode temperature error σ"),
    ("thermo_optic", "thermo_optic_m_per_k", "m/K", "resonance shift per kelvin"),
    ("gradient", "gradient_m", "m", "detuning gradient across the rows (peak-to-peak)"),
    ("dc_relaxation", "dc_relaxation", "1", "fraction of the Pockels shift lost to DC drift"),
    ("crosstalk", "crosstalk", "1", "inter-channel crosstalk on (1) / off (0)"),
    ("splitter_imbalance", "splitter_imbalance_db", "dB", "σ of each 1×2 splitter stage"),
    ("comb_flatness", "comb_flatness_db", "dB", "σ of comb line powers"),
    ("pd_mismatch", "pd_mismatch", "1", "balanced PD responsivity mismatch"),
    ("laser_power", "laser_power_w", "W", "total optical laser power into the chip"),
    ("loss_fixed", "loss_fixed_db", "dB", "fixed optical path loss (excluding the 1×N tree)"),
    ("splitter_excess", "splitter_excess_db", "dB", "excess loss per 1×2 stage"),
    ("responsivity", "responsivity_a_per_w", "A/W", "photodiode responsivity"),
    ("nep", "nep_w_per_rthz", "W/Hz**0.5", "detector noise-equivalent power"),
    ("bandwidth", "bandwidth_hz", "Hz", "receiver bandwidth"),
    ("load_resistance", "load_ohm", "ohm", "TIA/load resistance (Johnson noise)"),
    ("temperature", "temperature_k", "K", "receiver temperature"),
    ("rin", "rin_db_per_hz", "dB/Hz", "laser relative intensity noise"),
    ("noise", "noise", "1", "receiver/laser noise on (1) / off (0)"),
    ("rows", None, "1", "rows (blocks) per chip"),
    ("channels", None, "1", "wavelength channels per row"),
    ("engine_latency", None, "s", "optical scoring + ADC + top-k latency per query"),
    ("interface_latency", None, "s", "GPU↔engine round trip per selection"),
    ("interface_bandwidth", None, "B/s", "GPU↔engine link bandwidth per direction"),
    ("interface_energy", None, "J/bit", "GPU↔engine link energy"),
    ("dac_ref_power", None, "W", "query DAC reference power (photonics/converters.py law)"),
    ("dac_ref_rate", None, "Hz", "query DAC reference sample rate"),
    ("dac_ref_bits", None, "1", "query DAC reference resolution"),
    ("modulator_energy", None, "J", "modulator energy per symbol"),
    ("adc_ref_power", None, "W", "row ADC reference power (photonics/converters.py law)"),
    ("adc_ref_rate", None, "Hz", "row ADC reference sample rate"),
    ("adc_ref_bits", None, "1", "row ADC reference resolution"),
    ("tia_power", None, "W", "TIA power per row (always on)"),
    ("tec_power", None, "W", "thermo-electric cooler power (always on)"),
    ("laser_wall_plug", None, "1", "pump laser wall-plug efficiency: optical / electrical power"),
    ("comb_efficiency", None, "1", "comb source conversion efficiency: comb-line power / pump power"),
    ("topk_energy", None, "J", "electronic top-k energy per query"),
    ("ring_write_energy", None, "J", "energy to (re)write one ring's bias"),
)
_INTEGER = {"weight_dac_bits", "input_dac_bits", "adc_bits", "crosstalk", "noise", "rows", "channels",
            "dac_ref_bits", "adc_ref_bits"}
_FRACTIONS = {"laser_wall_plug", "comb_efficiency"}
_SIGNED = {"ring_sigma", "temperature_sigma", "gradient", "dc_relaxation", "pd_mismatch", "tia_power",
           "crosstalk", "noise"}

SPECS: tuple[ParamSpec, ...] = tuple(
    ParamSpec(n, dim, doc, positive=n not in _SIGNED, integer=n in _INTEGER, maximum=1.0 if n in _FRACTIONS else None)
    for n, _, dim, doc in _PARAMS
)


@register_family("tfln-mrr", "photonic", SPECS)
class TflnMrrUnit:
    """TFLN microring KV-block scoring engine (selection only; no matmul realizations)."""

    kind = "photonic"
    slots = 1
    weight_capacity_bytes = None

    def __init__(self, name: str, params: Mapping[str, float]):
        self.name = name
        self.params = dict(params)
        # Always on while used: TEC, TIAs; the laser's electrical power too (it cannot idle between
        # queries at ns spacing). Charged per selection query in kvselect/cost.py, not per graph op.
        p = self.params
        # the one laser law (photonics/linkbudget.py): `laser_power` is the comb's optical power into the chip,
        # so no path loss or fan-out here; pump wall-plug × comb conversion efficiency, as every WDM unit
        self.laser_electrical_w = laser_electrical_power_w(p["laser_power"], 0.0, 1.0, p["laser_wall_plug"],
                                                           p["comb_efficiency"])
        self.static_power_w = p["tec_power"] + p["tia_power"] * p["rows"] + self.laser_electrical_w
        self.precision_bits = int(p["adc_bits"])

    def op_cost(self, op, dtype: str) -> CostBreakdown | None:
        return None  # a scoring engine: no op of the model graph runs here

    def mrr_config(self):
        from lightcode.photonics.microring import MRRConfig

        kw = {}
        for n, field, _, _ in _PARAMS:
            if field is None:
                continue
            v = self.params[n]
            kw[field] = bool(v) if n in ("crosstalk", "noise") else (int(v) if n in _INTEGER else v)
        return MRRConfig(**kw)
