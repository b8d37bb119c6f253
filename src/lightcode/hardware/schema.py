"""Pydantic (v2) schema of the hardware YAML files, and the parameter checks against ParamSpecs.

Two file kinds (format documented in hardware/README.md):
- unit file   library/units/NAME.yaml   — one compute unit of a registered family, with corners;
- system file library/systems/NAME.yaml — units (first = host), memories, links, domain crossing.

The pydantic models check structure (field names, types, non-empty sources); `convert_params` checks
each numeric value against its ParamSpec (dimension, sign, integer, required, unknown names) and turns
it into an SI float. Every problem becomes `ConfigError("FILE: field: what is wrong")`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lightcode.cost.families import ParamSpec
from lightcode.errors import ConfigError
from lightcode.hardware.quantity import QuantityError, format_si, parse_value

CORNERS: tuple[str, ...] = ("conservative", "baseline", "aggressive")
Corner = Literal["conservative", "baseline", "aggressive"]
NAME_PATTERN = r"^[a-z0-9][a-z0-9._+-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Param(_Strict):
    """One numeric parameter: a value with its unit (or a bare number if dimensionless) and a source."""

    value: Union[str, int, float]
    source: str = Field(description="citation, or 'derived: <arithmetic>'")
    note: str = ""

    @field_validator("value", mode="before")
    @classmethod
    def _no_bool(cls, v):
        if isinstance(v, bool):
            raise ValueError("a boolean is not a quantity")
        return v

    @field_validator("source")
    @classmethod
    def _source_nonempty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("source must not be empty: cite a paper/datasheet/repo or write 'derived: …'")
        return v.strip()


class Stated(_Strict):
    """A named choice of the system (not a number), with where it comes from."""

    value: str
    source: str

    @field_validator("source")
    @classmethod
    def _source_nonempty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("source must not be empty: cite why this choice is the realistic one")
        return v.strip()


class UnitFile(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    family: str
    description: str = ""
    params: dict[str, Param]
    corners: dict[Corner, dict[str, Param]] = Field(default_factory=dict)
    # component areas and area-only counts (cost/area.py declares them per family); corner-independent
    area: dict[str, Param] = Field(default_factory=dict)


class MemoryFile(_Strict):
    description: str = ""
    attached_to: str | None = None  # the unit that owns it (None: the host); others reach it over their link
    read_energy: Param  # J/B
    write_energy: Param  # J/B
    bandwidth: Param | None = None  # B/s
    capacity: Param | None = None  # B


class LinkFile(_Strict):
    between: tuple[str, str]
    bandwidth: Param  # B/s, each direction
    latency: Param  # s, per transfer
    energy: Param  # J/bit


class CrossingFile(_Strict):
    host_memory: str  # key in `memories`: where the host keeps activations (HBM)
    buffer_memory: str  # key in `memories`: the photonic side's activation buffer (SRAM)
    element_bytes: Param  # bytes per activation element (to count DAC/ADC conversions)
    dac_energy: Param  # J per element entering a photonic unit (0 if the family charges its own DACs)
    adc_energy: Param  # J per element leaving a photonic unit (0 if the family charges its own ADCs)
    latency: Param  # s per photonic endpoint of a transfer (conversion pipeline)


class PlaceFile(_Strict):
    memory: str  # key in `memories`
    stored: Literal["reader", "dtype"] = "dtype"  # format it is kept in (cost/operands.py)


class PlacementFile(_Strict):
    """Where each tensor class lives, for the units that do not own the host's memory (hardware/README.md)."""

    weights: PlaceFile
    kv_cache: PlaceFile
    activations: PlaceFile


class SystemFile(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    corner: Corner = "baseline"
    units: list[str] = Field(min_length=1)
    memories: dict[str, MemoryFile] = Field(default_factory=dict)
    links: list[LinkFile] = Field(default_factory=list)
    crossing: CrossingFile | None = None
    placement: PlacementFile | None = None
    # how the GPU host behaves (cost/gpu_power.py); absent: the defaults there, printed as defaults
    gpu_wait_state: Stated | None = None
    execution_regime: Stated | None = None


# ParamSpecs of the system-level blocks (the unit-level ones come from each family).
MEMORY_SPECS: tuple[ParamSpec, ...] = (
    ParamSpec("read_energy", "J/B", "energy per byte read", positive=False),
    ParamSpec("write_energy", "J/B", "energy per byte written", positive=False),
    ParamSpec("bandwidth", "B/s", "peak bandwidth", required=False),
    ParamSpec("capacity", "B", "capacity", required=False),
)
LINK_SPECS: tuple[ParamSpec, ...] = (
    ParamSpec("bandwidth", "B/s", "bandwidth per direction"),
    ParamSpec("latency", "s", "fixed latency per transfer", positive=False),
    ParamSpec("energy", "J/bit", "energy per bit moved", positive=False),
)
CROSSING_SPECS: tuple[ParamSpec, ...] = (
    ParamSpec("element_bytes", "1", "bytes per activation element", integer=True),
    ParamSpec("dac_energy", "J", "DAC energy per element entering a photonic unit", positive=False),
    ParamSpec("adc_energy", "J", "ADC energy per element leaving a photonic unit", positive=False),
    ParamSpec("latency", "s", "conversion latency per photonic endpoint", positive=False),
)


@dataclass(frozen=True)
class ParamValue:
    """A validated parameter: SI value in `unit`, the text it came from, and where it came from."""

    name: str
    value: float
    unit: str  # the declared dimension the value is expressed in ("1" = dimensionless)
    text: str  # as written in the YAML
    source: str
    corner: str = "baseline"  # which block set it: "baseline" (params) or a corner name

    @property
    def si(self) -> str:
        return format_si(self.value, self.unit)


def format_validation_error(path: str, err: ValidationError) -> str:
    """One line: `FILE: a.b: message; c: message`."""
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"]) or "(file)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        elif e["type"] == "missing":
            msg = "required field missing"
        parts.append(f"{loc}: {msg}")
    return f"{path}: " + "; ".join(parts)


def convert_param(where: str, spec: ParamSpec, p: Param, corner: str = "baseline") -> ParamValue:
    """Check one Param against its spec and convert it; `where` prefixes the error ('FILE: params.x')."""
    try:
        v = parse_value(p.value, spec.dimension)
    except QuantityError as e:
        raise ConfigError(f"{where}: {e}") from None
    signed = spec.dimension in ("dB", "dBm") or spec.dimension.startswith("dB/")
    if not signed:
        if spec.positive and not v > 0:
            raise ConfigError(f"{where}: must be > 0, got {p.value!r}")
        if v < 0:
            raise ConfigError(f"{where}: must be >= 0, got {p.value!r}")
    if spec.maximum is not None and v > spec.maximum:
        raise ConfigError(f"{where}: must be <= {spec.maximum:g}, got {p.value!r}")
    if spec.integer:
        if abs(v - round(v)) > 1e-9 * max(1.0, abs(v)):
            raise ConfigError(f"{where}: must be an integer, got {p.value!r}")
        v = float(round(v))
    return ParamValue(spec.name, v, spec.dimension or "1", str(p.value), p.source, corner)


def convert_params(
    where: str,
    specs: tuple[ParamSpec, ...],
    params: Mapping[str, Param | None],
    overrides: Mapping[str, Param] | None = None,
    corner: str = "baseline",
    prefix: str = "params",
) -> dict[str, ParamValue]:
    """Validate a block of params (+ corner overrides) against `specs`; return name -> ParamValue."""
    by_name = {s.name: s for s in specs}
    for blk, block_name in ((params, prefix), (overrides or {}, f"corners.{corner}")):
        for name in blk:
            if name not in by_name and blk[name] is not None:
                known = ", ".join(sorted(by_name)) or "(none)"
                raise ConfigError(f"{where}: {block_name}.{name}: unknown parameter (known: {known})")
    out: dict[str, ParamValue] = {}
    for spec in specs:
        p, origin, field = params.get(spec.name), "baseline", f"{prefix}.{spec.name}"
        if overrides and spec.name in overrides:
            p, origin, field = overrides[spec.name], corner, f"corners.{corner}.{spec.name}"
        if p is None:
            if spec.required:
                raise ConfigError(f"{where}: {prefix}.{spec.name}: required parameter missing ({spec.doc or spec.dimension})")
            continue
        out[spec.name] = convert_param(f"{where}: {field}", spec, p, origin)
    return out
