"""Chip area of a unit, counted from its own configuration: one area law per family.

A law multiplies component areas (the unit YAML's `area:` block, each a value with unit and source) by
device counts taken from the built unit (tiles, cores, wavelengths, rows × columns — the same counts its
cost model charges energy for), and returns m² per component. No device number lives here; the integer
factors below are structural (a tile has an input and an output buffer; one ADC per output).

Families and their counts:
- `gpu`: the die (`die`), as its datasheet/whitepaper states.
- `ddot` (Lightening-Transformer DOTA, photonic_sims.md §1.3): R tiles × C cores of H×W DDot nodes × Λ
  wavelengths. DACs and MZMs = the unit's encoders (operand 1: H·Λ per core; operand 2: W·Λ per core
  position, shared by all tiles when broadcast), each MZM with its `routers_per_modulator` WDM routers;
  nodes H·W per core plus a 1:H and a 1:W y-branch tree ((H−1)+(W−1) branches); ADC, TIA and partial-sum
  adder one per ADC (H·W per tile with ADC sharing); laser + comb one per light source: R (operand 1, per
  tile) + C (operand 2, per core position) when broadcast, else R + R·C; memory: a global-buffer share
  per tile, R + 1 local buffers (one per tile, one for the operand-2 stream), 2R + (encoder banks) PE
  buffers (an input and an output buffer per tile, one per operand bank).
  Deliberate differences from LT's area script: routers are counted per modulator (LT: per core, not
  shared by the broadcast; −0.04 mm² on DOTA-B) and the splitter tree per branch (LT: a bounding
  formula; −0.002 mm²).
- weight-stationary `mrr-bank`, `mzi-mesh`, `pcm-crossbar`: `cores` cores grouped `cores_per_tile` to a
  tile (one laser + comb per tile, LT's MRR/MZI baselines); per core `core_inputs` input modulators and
  DACs, `cells_per_core` weight devices each with its own weight DAC (the cost model writes them in
  parallel), one detector site, TIA, ADC and adder per output, a 1:fan-out y-branch tree; memory: a
  global-buffer share per tile, 2 local buffers per tile (inputs and activations), 2 PE buffers per tile
  and per core.
Families without a law (`ptu-lightcode`: the authors' flat constants describe no devices; `tfln-mrr`: a
KV-selection engine outside the compiler) report no area; `area_specs` returns None for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

from lightcode.cost.families import ParamSpec

M2 = "m**2"


@dataclass(frozen=True)
class AreaLaw:
    family: str
    specs: tuple[ParamSpec, ...]
    law: Callable[[object, Mapping[str, float]], dict[str, float]]  # (built unit, SI areas) -> m² by component


AREA_LAWS: dict[str, AreaLaw] = {}


def register_area(family: str, specs: tuple[ParamSpec, ...]):
    def deco(fn):
        if family in AREA_LAWS:
            raise ValueError(f"area law for {family!r} registered twice")
        AREA_LAWS[family] = AreaLaw(family, specs, fn)
        return fn

    return deco


def area_specs(family: str) -> tuple[ParamSpec, ...] | None:
    law = AREA_LAWS.get(family)
    return None if law is None else law.specs


def area_breakdown(family: str, unit, area_si: Mapping[str, float]) -> dict[str, float] | None:
    """m² per component of a built unit, or None when its family has no area law or its YAML no `area:`."""
    law = AREA_LAWS.get(family)
    if law is None or not area_si:
        return None
    return law.law(unit, area_si)


def _a(name: str, doc: str, required: bool = True) -> ParamSpec:
    return ParamSpec(name, M2, doc, required=required)


# ---- GPU ------------------------------------------------------------------------------------------
@register_area("gpu", (_a("die", "GPU die area"),))
def _gpu_area(unit, a: Mapping[str, float]) -> dict[str, float]:
    return {"die": a["die"]}


# ---- DDot / DOTA ----------------------------------------------------------------------------------
_MEMORY = (
    _a("global_buffer_per_tile", "global SRAM buffer share per tile"),
    _a("local_buffer", "one local (tile) SRAM buffer"),
    _a("pe_buffer", "one PE register buffer"),
)
_CONVERTERS = (
    _a("dac", "one DAC"),
    _a("adc", "one ADC"),
    _a("tia", "one TIA"),
    _a("adder", "one digital partial-sum adder"),
)
_SOURCES = (
    _a("laser", "one on-chip laser"),
    _a("comb", "one micro-comb (multi-wavelength source)", required=False),
    _a("y_branch", "one 1:2 y-branch splitter"),
)

DDOT_AREA = _CONVERTERS + _SOURCES + _MEMORY + (
    _a("modulator", "one high-speed MZM"),
    _a("router", "one MRR WDM router"),
    _a("ddot_node", "one DDot node (splitter tap, phase shifter, coupler, balanced PDs) with layout spacing"),
)


@register_area("ddot", DDOT_AREA)
def _ddot_area(u, a: Mapping[str, float]) -> dict[str, float]:
    R, C, H, W = u.R, u.C, u.H, u.W
    broadcast = u._flag("operand_broadcast")
    op1, op2 = u.n_encoders()
    encoders = op1 + op2
    per_tile = not broadcast or u._flag("head_packing")  # operand-2 encoders in every tile
    banks = R * C + (R * C if per_tile else C)  # encoder banks: operand 1 per core, operand 2 per position
    sources = R + (C if broadcast else R * C)
    adcs = u.n_adcs()
    return {
        "dac": encoders * a["dac"],
        "modulator": encoders * (a["modulator"] + u.p["routers_per_modulator"] * a["router"]),
        "photonic_core": R * C * (H * W * a["ddot_node"] + ((H - 1) + (W - 1)) * a["y_branch"]),
        "adc": adcs * a["adc"],
        "tia": adcs * a["tia"],
        "adder": adcs * a["adder"],
        "laser": sources * a["laser"],
        "comb": sources * a.get("comb", 0.0),
        "memory": R * a["global_buffer_per_tile"] + (R + 1) * a["local_buffer"] + (2 * R + banks) * a["pe_buffer"],
    }


# ---- weight-stationary families -------------------------------------------------------------------
_WS_COMMON = _CONVERTERS + _SOURCES + _MEMORY + (
    ParamSpec("cores_per_tile", "1", "cores sharing one laser, comb and tile buffers", integer=True),
    _a("modulator", "one input modulator (with its layout spacing)"),
    _a("detector", "one output detector site (balanced PDs with spacing)"),
)


def _ws_area(u, a: Mapping[str, float], cell_area: float, cells_per_core: int) -> dict[str, float]:
    cores, kin, kout = u.cores, u.core_inputs(), u.core_outputs()
    tiles = math.ceil(cores / int(round(a["cores_per_tile"])))
    return {
        "dac": cores * (kin + cells_per_core) * a["dac"],
        "modulator": cores * kin * a["modulator"],
        "photonic_core": cores * (cells_per_core * cell_area + kout * a["detector"]
                                  + max(u.laser_fanout() - 1, 0) * a["y_branch"]),
        "adc": cores * kout * a["adc"],
        "tia": cores * kout * a["tia"],
        "adder": cores * kout * a["adder"],
        "laser": tiles * a["laser"],
        "comb": tiles * a.get("comb", 0.0),
        "memory": tiles * (a["global_buffer_per_tile"] + 2 * a["local_buffer"] + 2 * a["pe_buffer"])
        + 2 * cores * a["pe_buffer"],
    }


@register_area("mrr-bank", _WS_COMMON + (_a("ring", "one weight microring (with its layout spacing)"),))
def _mrr_area(u, a: Mapping[str, float]) -> dict[str, float]:
    return _ws_area(u, a, a["ring"], u.cells_per_core())


@register_area("mzi-mesh", _WS_COMMON + (_a("mzi", "one MZI (2 couplers + phase shifters, with spacing)"),))
def _mzi_area(u, a: Mapping[str, float]) -> dict[str, float]:
    # the weight devices are MZIs (each with its phase shifters, one DAC per phase shifter)
    d = _ws_area(u, a, 0.0, u.cells_per_core())
    d["photonic_core"] += u.cores * u.mzis_per_core() * a["mzi"]
    return d


@register_area("pcm-crossbar", _WS_COMMON + (_a("pcm_cell", "one PCM weight cell with its heater (with spacing)"),))
def _pcm_area(u, a: Mapping[str, float]) -> dict[str, float]:
    return _ws_area(u, a, a["pcm_cell"], u.cells_per_core())
