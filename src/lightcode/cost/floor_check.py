"""Distance to the physical floor of a photonic realization: what the unit's own model spends per detection
and per conversion against the laws in photonics/floor.py (shot noise, kT/C, best reported converters).

For one GEMM on a unit (the same tiling and precision check its cost model uses):
- optical: the received energy per detector sample P_rx(b_adc)/f that the unit's link budget provisions
  (its precision law, photonics/linkbudget.py), times the samples summed into one ADC conversion (DDot:
  the C cores' photocurrents × T' integrated cycles, i_D / conversions per output; weight-stationary: 1),
  against the shot-noise floor for the b_adc bits that conversion delivers;
- adc at b_adc and dac at the operand bits: the unit's converter-law energies against the Walden-FoM state
  of the art and the 8kT·SNR thermal floor.
Families without a device model (`ptu-lightcode`: a flat pJ/MAC, no link budget or converter law) are
"not physically checked"; for them we give the bits their per-MAC energy could pay for at the shot floor
if each product were detected — the bound the authors' constants sit under.
`refs`: SI floats of hardware/library/floors.yaml (wavelength, quantum_efficiency, temperature,
adc_walden_fom, dac_walden_fom).
"""

from __future__ import annotations

from typing import Iterable, Mapping

from lightcode.core.opgraph import Op
from lightcode.cost.photonic_common import GEMM_KINDS
from lightcode.photonics import floor, linkbudget, precision

NOT_CHECKED = "not physically checked"


def _converters(unit, b: float, b_adc: float, refs: Mapping[str, float]) -> dict[str, dict[str, float]]:
    t = refs["temperature"]
    out = {}
    for name, bits, energy, fom in (("dac", b, unit.dac_energy(b), refs["dac_walden_fom"]),
                                    ("adc", b_adc, unit.adc_energy(b_adc), refs["adc_walden_fom"])):
        sota, thermal = floor.fom_energy_j(bits, fom), floor.thermal_floor_energy_j(bits, t)
        out[name] = {"bits": bits, "energy_j": energy, "sota_j": sota, "thermal_floor_j": thermal,
                     "x_above_sota": floor.x_above(energy, sota),
                     "x_above_thermal": floor.x_above(energy, thermal)}
    return out


def _optical(unit, b_adc: float, samples: float, refs: Mapping[str, float]) -> dict[str, float] | None:
    rx = linkbudget.rx_power_for_bits(b_adc, unit.p, unit.f)
    if rx is None:
        return None
    per_sample = rx / unit.f
    per_conv = per_sample * samples
    fl = floor.shot_floor_energy_j(b_adc, refs["wavelength"], refs["quantum_efficiency"])
    return {"bits": b_adc, "per_sample_j": per_sample, "samples_per_conversion": samples,
            "per_conversion_j": per_conv, "photons_per_conversion": per_conv / floor.photon_energy_j(refs["wavelength"]),
            "shot_floor_j": fl, "x_above_floor": floor.x_above(per_conv, fl),
            "x_above_floor_per_sample": floor.x_above(per_sample, fl)}


def _gemm_points(unit, op: Op, b: float):
    """(b_adc, samples per conversion) per GEMM of `op`, as the family's cost model sizes them."""
    g_growth = unit.p["adc_bits_per_doubling"]
    for g in op.gemms:
        if hasattr(unit, "mapping"):  # DDot: analog sum over Λ·T'·C, conversions per output from the tiling
            m = unit.mapping(g)
            yield precision.adc_bits_required(b, m["n_analog"], g_growth), m["i_d"] / m["convs_per_output"]
        else:  # weight-stationary: each output sample sums one core's inputs and is converted once
            yield precision.adc_bits_required(b, min(g.k, unit.core_inputs()), g_growth), 1.0


def _unchecked(unit, refs: Mapping[str, float]) -> dict:
    out = {"physically_checked": False, "status": NOT_CHECKED,
           "reason": f"family of {unit.name!r} has no precision model (no link budget, no converter law)"}
    mac = getattr(unit, "p", {}).get("mac_energy")
    if mac is not None:
        out["mac_energy_j"] = mac
        out["bits_payable_at_shot_floor"] = floor.bits_at_shot_floor(mac, refs["wavelength"])
        out["note"] = ("if each product were detected, the per-MAC energy pays for at most this many effective "
                       "bits at the shot-noise floor (all of it as light, ideal detector)")
    return out


def is_checkable(unit) -> bool:
    return getattr(unit, "kind", None) == "photonic" and hasattr(unit, "laser_power") and hasattr(unit, "adc_energy")


def gemm_floor(unit, op: Op, dtype: str, refs: Mapping[str, float]) -> dict | None:
    """The floor check of `op` on `unit` (its tightest GEMM), or None when the unit cannot run the op."""
    if getattr(unit, "kind", None) != "photonic":
        return None
    if not is_checkable(unit):
        return _unchecked(unit, refs)
    if op.kind not in GEMM_KINDS or not op.gemms or unit.op_cost(op, dtype) is None:
        return None
    b = precision.operand_bits(unit.precision_bits, dtype)
    best = None
    for b_adc, samples in _gemm_points(unit, op, b):
        opt = _optical(unit, b_adc, samples, refs)
        if opt is not None and (best is None or opt["x_above_floor"] < best[0]["x_above_floor"]):
            best = (opt, b_adc)
    if best is None:
        return None
    opt, b_adc = best
    return {"physically_checked": True, "operand_bits": b, "adc_bits": b_adc, "optical": opt,
            **_converters(unit, b, b_adc, refs)}


def unit_floor(unit, refs: Mapping[str, float]) -> dict | None:
    """Mapping-independent check at the unit's own bits: one detection (no analog pooling, no ADC growth)."""
    if getattr(unit, "kind", None) != "photonic":
        return None
    if not is_checkable(unit):
        return _unchecked(unit, refs)
    b = unit.precision_bits
    opt = _optical(unit, b, 1.0, refs)
    out = {"physically_checked": True, "operand_bits": b, "adc_bits": b, **_converters(unit, b, b, refs)}
    if opt is None:
        out["optical"] = None
        out["note"] = f"the unit's precision law reaches no {b}-bit detection at any optical power"
    else:
        out["optical"] = opt
    return out


def ops_floor(unit, ops: Iterable[Op], dtype: str, refs: Mapping[str, float]) -> dict | None:
    """Summary over the ops a mapping put on `unit`: the tightest and loosest distance to each floor."""
    checks = [c for c in (gemm_floor(unit, op, dtype, refs) for op in ops) if c is not None]
    if not checks:
        return None
    if not checks[0]["physically_checked"]:
        return checks[0]
    keys = {"optical": ("optical", "x_above_floor"), "adc_sota": ("adc", "x_above_sota"),
            "adc_thermal": ("adc", "x_above_thermal"), "dac_sota": ("dac", "x_above_sota"),
            "dac_thermal": ("dac", "x_above_thermal")}
    out: dict = {"physically_checked": True, "ops": len(checks)}
    for k, (block, field) in keys.items():
        vals = [c[block][field] for c in checks]
        out[f"{k}_x_min"], out[f"{k}_x_max"] = min(vals), max(vals)
    out["below_a_floor"] = any(out[f"{k}_x_min"] < 1 for k in ("optical", "adc_thermal", "dac_thermal"))
    out["below_state_of_the_art"] = any(out[f"{k}_x_min"] < 1 for k in ("adc_sota", "dac_sota"))
    return out


def mapping_floor(units: Mapping[str, object], ops: Iterable[Op], op_units: Iterable[str], dtype: str,
                  refs: Mapping[str, float]) -> dict[str, dict]:
    """Per photonic unit of a mapping (op i on op_units[i]), `ops_floor` over the ops it runs — the compile
    JSON's `floor` block (the pipeline passes its system's units, graph ops and the chosen assignment)."""
    by_unit: dict[str, list[Op]] = {}
    for op, u in zip(ops, op_units):
        by_unit.setdefault(u, []).append(op)
    out = {}
    for u, its_ops in by_unit.items():
        unit = units[u]
        if getattr(unit, "kind", None) == "photonic":
            out[u] = ops_floor(unit, its_ops, dtype, refs)
    return out
