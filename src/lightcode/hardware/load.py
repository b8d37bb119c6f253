"""Loading units and systems from the YAML library (or from file paths) into cost-model objects.

    load_unit("h100-sxm")                     -> a UnitModel (its family's class)
    load_system("h100+ddot-b-4bit")           -> System (implements hardware.api.SystemModel)
    load_system("path/to/my-system.yaml", corner="aggressive")
    read_unit(...) / read_system(...)         -> validated specs with every value, unit and source

Names resolve through the user's LIGHTCODE_HARDWARE_PATH, then the library (search_path.py). A system may
inherit from a base system (`base:`, inherit.py). Loaded units and systems are cached (the compiler asks for
the same system many times); the cache key includes the modification times of the file, of its bases and of
the unit files its names resolve to, so editing a YAML in a notebook takes effect.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from pydantic import ValidationError

from lightcode.core.cost import ZERO, CostBreakdown
from lightcode.core.devices import UnitModel
from lightcode.core.warn import collecting, remembers_warnings, warn_once
from lightcode.cost.gpu_power import DEFAULT_REGIME, DEFAULT_WAIT_STATE, REGIMES, WAIT_STATES
from lightcode.cost.operands import Link, MemoryPath, Placement
from lightcode.cost.transfer import CrossingParams, LinkParams, MemoryParams, transfer_cost
from lightcode.errors import ConfigError
from lightcode.hardware.schema import (
    CORNERS,
    CROSSING_SPECS,
    LINK_SPECS,
    MEMORY_SPECS,
    ParamValue,
    SystemFile,
    UnitFile,
    convert_params,
    format_validation_error,
)
from lightcode.hardware.search_path import LIBRARY, index, is_named_dir

UNITS_DIR = LIBRARY / "units"
SYSTEMS_DIR = LIBRARY / "systems"


# --- files ---------------------------------------------------------------------------------------
def list_units() -> list[str]:
    """Unit names: the library's and those of LIGHTCODE_HARDWARE_PATH."""
    return sorted(index("unit"))


def list_systems() -> list[str]:
    """System names: the library's and those of LIGHTCODE_HARDWARE_PATH."""
    return sorted(index("system"))


def find(name: str, kind: str) -> Path | None:
    """The file a unit or system name resolves to (None: no such name)."""
    return index(kind).get(name)


def _is_path(name_or_path: str | Path) -> bool:
    s = str(name_or_path)
    return isinstance(name_or_path, Path) or s.endswith((".yaml", ".yml")) or "/" in s or "\\" in s


def _resolve(name_or_path: str | Path, kind: str, base: Path | None = None) -> Path:
    if _is_path(name_or_path):
        p = Path(name_or_path)
        if base is not None and not p.is_absolute():
            p = base / p
        if not p.is_file():
            raise ConfigError(f"{p}: no such {kind} file")
        return p.resolve()
    found = index(kind)
    p = found.get(str(name_or_path))
    if p is None:
        from lightcode.hardware.search_path import ENV, KIND_DIRS

        known = sorted(found)
        close = difflib.get_close_matches(str(name_or_path), known, n=3)
        hint = (f"; did you mean {', '.join(close)}?" if close else "") + f"; known: {', '.join(known) or '(none)'}"
        raise ConfigError(f"{name_or_path}: unknown {kind} (no {KIND_DIRS[kind]}/{name_or_path}.yaml in the "
                          f"library or {ENV}){hint}")
    return p


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError(f"{path}: malformed YAML{at}: {problem}") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def read_validated(model: type, path: Path, document: Any = None) -> Any:
    """`path`'s YAML (or `document`, already read from it) validated against the pydantic `model` (unit,
    system and floors files); any problem is a ConfigError naming the file and the fields."""
    try:
        return model.model_validate(_read_yaml(path) if document is None else document)
    except ValidationError as e:
        raise ConfigError(format_validation_error(str(path), e)) from None


def _mtime(p: Path) -> int:
    return p.stat().st_mtime_ns


# --- families --------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _family_import_failures() -> dict[str, str]:
    """Import every cost module (each registers its family); a broken one must not hide the others."""
    import importlib
    import pkgutil

    import lightcode.cost as cost_pkg

    failures = {}
    for mod in pkgutil.iter_modules(cost_pkg.__path__):
        try:
            importlib.import_module(f"lightcode.cost.{mod.name}")
        except Exception as e:  # noqa: BLE001 - reported only if its family is asked for
            failures[mod.name] = f"{type(e).__name__}: {e}".splitlines()[0]
    return failures


def get_family(name: str, where: str):
    from lightcode.cost.families import FAMILIES

    failures = _family_import_failures()
    if name not in FAMILIES:
        known = ", ".join(sorted(FAMILIES)) or "(none)"
        broken = "; modules that failed to import: " + ", ".join(f"{k} ({v})" for k, v in failures.items()) if failures else ""
        raise ConfigError(f"{where}: family: unknown family {name!r} (known: {known}){broken}")
    _check_family_dimensions(name)
    return FAMILIES[name]


@functools.lru_cache(maxsize=None)
def _check_family_dimensions(name: str) -> None:
    """A ParamSpec whose dimension Pint cannot convert to is the family's bug, not the YAML's: say so."""
    from lightcode.cost.families import FAMILIES
    from lightcode.hardware.quantity import QuantityError, check_dimension

    for spec in FAMILIES[name].params:
        try:
            check_dimension(spec.dimension)
        except QuantityError as e:
            raise TypeError(f"family {name!r}: ParamSpec {spec.name!r}: bad dimension {spec.dimension!r}: {e}") from None


# --- units -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitSpec:
    name: str
    family: str
    kind: str
    description: str
    corner: str
    path: Path
    params: Mapping[str, ParamValue]
    corners: tuple[str, ...]  # corners the file defines (besides baseline = params)
    area: Mapping[str, ParamValue] = field(default_factory=dict)  # the `area:` block (cost/area.py)

    def si(self) -> dict[str, float]:
        return {k: v.value for k, v in self.params.items()}

    def area_si(self) -> dict[str, float]:
        return {k: v.value for k, v in self.area.items()}


def _check_corner(corner: str, where: str) -> None:
    if corner not in CORNERS:
        raise ConfigError(f"{where}: corner: unknown corner {corner!r} (known: {', '.join(CORNERS)})")


def read_unit(name_or_path: str | Path, corner: str = "baseline", base: Path | None = None) -> UnitSpec:
    """Parse and validate a unit file at `corner` (a corner the file lacks means its baseline)."""
    path = _resolve(name_or_path, "unit", base)
    spec = _read_unit_cached(path, _mtime(path), corner)
    if corner != "baseline" and corner not in spec.corners:  # defined, but maybe not what the user meant
        from lightcode.core.warn import warn_once

        have = ", ".join(["baseline", *spec.corners])
        warn_once(f"unit {spec.name} ({path}) defines no {corner!r} corner: its baseline values are used at that "
                  f"corner (it defines: {have})")
    return spec


@functools.lru_cache(maxsize=256)
def _read_unit_cached(path: Path, _mtime_ns: int, corner: str) -> UnitSpec:
    where = str(path)
    _check_corner(corner, where)
    f = read_validated(UnitFile, path)
    if is_named_dir(path.parent, "unit") and f.name != path.stem:
        raise ConfigError(f"{where}: name: {f.name!r} must equal the file name {path.stem!r}")
    fam = get_family(f.family, where)
    for c, block in f.corners.items():  # validate every corner, not only the one asked for
        convert_params(where, fam.params, f.params, block, c)
    params = convert_params(where, fam.params, f.params, f.corners.get(corner), corner)
    area = {}
    if f.area:
        from lightcode.cost.area import area_specs

        specs = area_specs(f.family)
        if specs is None:
            raise ConfigError(f"{where}: area: family {f.family!r} has no area law (cost/area.py); remove the block")
        area = convert_params(where, specs, f.area, prefix="area")
    return UnitSpec(f.name, f.family, fam.kind, f.description, corner, path, params, tuple(f.corners), area)


def build_unit(spec: UnitSpec) -> UnitModel:
    fam = get_family(spec.family, str(spec.path))
    try:  # a family's own rules (an efficiency above 1, idle power above TDP, …) are the file's error
        unit = fam.factory(spec.name, spec.si())
    except (ValueError, TypeError, ZeroDivisionError) as e:
        corner = "" if spec.corner == "baseline" else f" (corner {spec.corner})"
        raise ConfigError(f"{spec.path}: {e}{corner}") from None
    if not isinstance(unit, UnitModel):
        raise TypeError(f"family {spec.family!r} built {type(unit).__name__}, which does not implement UnitModel")
    return unit


def load_unit(name_or_path: str | Path, corner: str = "baseline") -> UnitModel:
    """A ready cost model for one unit (cached per file version and corner)."""
    spec = read_unit(name_or_path, corner)
    return _build_unit_cached(spec.path, _mtime(spec.path), corner)


@functools.lru_cache(maxsize=256)
def _build_unit_cached(path: Path, _mtime_ns: int, corner: str) -> UnitModel:
    return build_unit(_read_unit_cached(path, _mtime_ns, corner))


# --- systems ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SystemSpec:
    name: str
    description: str
    corner: str
    path: Path
    units: tuple[UnitSpec, ...]  # host first
    memories: Mapping[str, Mapping[str, ParamValue]]
    links: tuple[tuple[tuple[str, str], Mapping[str, ParamValue]], ...]
    crossing: Mapping[str, ParamValue] | None
    crossing_memories: tuple[str, str] | None  # (host_memory, buffer_memory)
    memory_owner: Mapping[str, str] = field(default_factory=dict)  # memory -> the unit that owns it
    placement: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # class -> (memory, stored)
    # how the GPU units operate (cost/gpu_power.py): name -> {"value", "source", "stated"}
    gpu_operation: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def _gpu_operation(where: str, f: SystemFile) -> dict[str, dict[str, Any]]:
    """The system's GPU wait state and execution regime, checked against the known names."""
    out = {}
    for fld, known, default in (("gpu_wait_state", WAIT_STATES, DEFAULT_WAIT_STATE),
                                ("execution_regime", REGIMES, DEFAULT_REGIME)):
        st = getattr(f, fld)
        if st is None:
            out[fld] = {"value": default, "source": "default (cost/gpu_power.py): not stated in the system file",
                        "stated": False}
            continue
        if st.value not in known:
            raise ConfigError(f"{where}: {fld}.value: unknown {fld} {st.value!r} (known: {', '.join(known)})")
        out[fld] = {"value": st.value, "source": st.source, "stated": True}
    return out


def read_system(name_or_path: str | Path, corner: str | None = None) -> SystemSpec:
    """Parse and validate a system file and every unit it names (at the system's or the given corner)."""
    path = _resolve(name_or_path, "system")
    return _read_system_cached(path, _version(path), corner)


def _version(path: Path) -> tuple:
    """Modification times of a system file and its bases, and the unit files it names as they resolve now
    (the cache key: editing a base or a unit, or a user file that comes to hide a unit, takes effect)."""
    chain = tuple(_mtime(p) for p in _base_chain(path, _mtime(path)))
    units = []
    for ref in _unit_refs(path, chain):
        try:
            u = _resolve(ref, "unit", base=path.parent)
        except ConfigError:
            continue  # reading the system says what is wrong
        units.append((u, _mtime(u)))
    return chain, tuple(units)


@functools.lru_cache(maxsize=128)
def _unit_refs(path: Path, _chain_ns: tuple[int, ...]) -> tuple[str, ...]:
    units = system_document(path)[0].get("units")
    return tuple(u for u in units if isinstance(u, str)) if isinstance(units, list) else ()


@functools.lru_cache(maxsize=128)
def _base_chain(path: Path, _mtime_ns: int) -> tuple[Path, ...]:
    return system_document(path)[1]


def system_document(path: Path, _seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], tuple[Path, ...]]:
    """A system file's document with its `base:` chain merged in (inherit.py), and the files it came from
    (itself first). Unit paths of a base are made absolute (they are relative to the base's directory)."""
    from lightcode.hardware.inherit import merge_system

    data = _read_yaml(path)
    if "base" not in data:
        return data, (path,)
    ref = data["base"]
    if not isinstance(ref, str) or not ref.strip():
        raise ConfigError(f"{path}: base: expected a system name or a path to a system file, got {ref!r}")
    try:
        bpath = _resolve(ref, "system", base=path.parent) if _is_path(ref) else _resolve(ref, "system")
    except ConfigError as e:
        raise ConfigError(f"{path}: base: {e}") from None
    if bpath in (path, *_seen):
        chain = " -> ".join(str(p) for p in (*_seen, path, bpath))
        raise ConfigError(f"{path}: base: inheritance cycle ({chain}); a system cannot be its own base")
    bdoc, bchain = system_document(bpath, (*_seen, path))
    if isinstance(bdoc.get("units"), list):
        bdoc = {**bdoc, "units": [str((bpath.parent / u).resolve()) if isinstance(u, str) and _is_path(u)
                                  and not Path(u).is_absolute() else u for u in bdoc["units"]]}
    return merge_system(bdoc, data), (path, *bchain)


@remembers_warnings(64)  # a cache hit still tells the compile what its units lack
def _read_system_cached(path: Path, _version_ns: tuple, corner: str | None) -> SystemSpec:
    where = str(path)
    f = read_validated(SystemFile, path, system_document(path)[0])
    if is_named_dir(path.parent, "system") and f.name != path.stem:
        raise ConfigError(f"{where}: name: {f.name!r} must equal the file name {path.stem!r}")
    corner = corner or f.corner
    _check_corner(corner, where)

    units: list[UnitSpec] = []
    for i, u in enumerate(f.units):
        try:
            units.append(read_unit(u, corner, base=path.parent))
        except ConfigError as e:
            if not _is_path(u) and find(u, "unit") is None:
                from lightcode.hardware.search_path import ENV

                raise ConfigError(f"{where}: units[{i}]: unit {u!r} does not exist ({UNITS_DIR / (u + '.yaml')} "
                                  f"missing, and no units/{u}.yaml in {ENV})") from None
            raise ConfigError(f"{where}: units[{i}]: {e}") from None
    names = [u.name for u in units]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: units: a unit is listed twice ({', '.join(names)})")
    if units[0].kind == "photonic":
        raise ConfigError(f"{where}: units[0]: the first unit is the host and must be electronic, got photonic {names[0]!r}")

    memories = {}
    owner = {}
    for k, m in f.memories.items():
        block = {n: getattr(m, n) for n in ("read_energy", "write_energy", "bandwidth", "capacity")}
        memories[k] = convert_params(where, MEMORY_SPECS, block, prefix=f"memories.{k}")
        if m.attached_to is not None and m.attached_to not in names:
            raise ConfigError(f"{where}: memories.{k}.attached_to: {m.attached_to!r} is not one of the system's "
                              f"units ({', '.join(names)})")
        owner[k] = m.attached_to or names[0]
    links = []
    seen = set()
    for i, link in enumerate(f.links):
        a, b = link.between
        for x in (a, b):
            if x not in names:
                raise ConfigError(f"{where}: links[{i}].between: {x!r} is not one of the system's units ({', '.join(names)})")
        if a == b or frozenset((a, b)) in seen:
            raise ConfigError(f"{where}: links[{i}].between: duplicate or self link {a}–{b}")
        seen.add(frozenset((a, b)))
        params = convert_params(where, LINK_SPECS, {n: getattr(link, n) for n in ("bandwidth", "latency", "energy")}, prefix=f"links[{i}]")
        links.append(((a, b), params))
    for u in names[1:]:
        if frozenset((names[0], u)) not in seen:
            raise ConfigError(f"{where}: links: unit {u!r} has no link to the host {names[0]!r}")

    crossing = None
    crossing_memories = None
    has_photonic = any(u.kind == "photonic" for u in units)
    if f.crossing is not None:
        c = f.crossing
        for fld in ("host_memory", "buffer_memory"):
            if getattr(c, fld) not in memories:
                raise ConfigError(f"{where}: crossing.{fld}: {getattr(c, fld)!r} is not a key of memories ({', '.join(memories) or 'none'})")
        crossing = convert_params(
            where, CROSSING_SPECS, {n: getattr(c, n) for n in ("element_bytes", "dac_energy", "adc_energy", "latency")}, prefix="crossing"
        )
        crossing_memories = (c.host_memory, c.buffer_memory)
    elif has_photonic:
        raise ConfigError(f"{where}: crossing: required when the system has a photonic unit")
    placement = _read_placement(where, f, memories, owner, names, seen, crossing_memories)
    return SystemSpec(f.name, f.description, corner, path, tuple(units), memories, tuple(links), crossing,
                      crossing_memories, owner, placement, _gpu_operation(where, f))


def _read_placement(where, f, memories, owner, names, links, crossing_memories) -> dict[str, tuple[str, str]]:
    """class -> (memory, stored). Without a `placement:` block everything lives in the host memory of the
    crossing (weights pre-quantised for their reader, KV and activations in the graph's dtype)."""
    if f.placement is None:
        if crossing_memories is None:
            return {}
        host = crossing_memories[0]
        return {"weights": (host, "reader"), "kv_cache": (host, "dtype"), "activations": (host, "dtype")}
    out = {}
    for cls in ("weights", "kv_cache", "activations"):
        pf = getattr(f.placement, cls)
        if pf.memory not in memories:
            raise ConfigError(f"{where}: placement.{cls}.memory: {pf.memory!r} is not a key of memories "
                              f"({', '.join(memories) or 'none'})")
        out[cls] = (pf.memory, pf.stored)
    for cls, (mem, _) in out.items():  # every unit must reach the memory: its own, or over a link to its owner
        o = owner[mem]
        for u in names[1:]:
            if u != o and frozenset((u, o)) not in links:
                raise ConfigError(f"{where}: placement.{cls}: unit {u!r} has no link to {o!r}, which owns "
                                  f"memory {mem!r}; add a link or place {cls} elsewhere")
    return out


def _memory(p: Mapping[str, ParamValue]) -> MemoryParams:
    g = lambda k: p[k].value if k in p else None  # noqa: E731
    return MemoryParams(p["read_energy"].value, p["write_energy"].value, g("bandwidth"), g("capacity"))


@dataclass(eq=False)  # identity hash: cached instances serve as dict/lru_cache keys
class System:
    """A loaded system: its units (host first) and the transfer law between them (cost/transfer.py)."""

    name: str
    corner: str
    units: dict[str, UnitModel]
    spec: SystemSpec
    links: dict[frozenset, LinkParams] = field(default_factory=dict)
    crossing: CrossingParams | None = None
    memories: dict[str, MemoryParams] = field(default_factory=dict)
    # what loading it warned (core/warn.py): a compile handed this object says them again into its result
    load_warnings: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        return next(iter(self.units))

    def transfer_cost(self, src_unit: str, dst_unit: str, nbytes: int) -> CostBreakdown:
        if src_unit == dst_unit:
            return ZERO
        for u in (src_unit, dst_unit):
            if u not in self.units:
                raise KeyError(f"system {self.name!r} has no unit {u!r} (units: {', '.join(self.units)})")
        link = self.links.get(frozenset((src_unit, dst_unit)))
        if link is None:  # no direct link: route through the host
            return self.transfer_cost(src_unit, self.host, nbytes) + self.transfer_cost(self.host, dst_unit, nbytes)
        kind = lambda u: self.units[u].kind == "photonic"  # noqa: E731
        for u in (src_unit, dst_unit):
            cap = getattr(self.units[u], "buffer_capacity_bytes", None)
            if cap is not None and nbytes > cap:
                # SRAM rule (cost/operands.py): the photonic op streams this tensor from/to memory itself
                return ZERO
        return transfer_cost(kind(src_unit), kind(dst_unit), nbytes, link, self.crossing)

    @property
    def gpu_operation(self) -> dict[str, dict[str, Any]]:
        """The GPU wait state and execution regime (value, source, whether the file states it), with the
        power each GPU unit draws while waiting: the compile output's assumptions."""
        out = {k: dict(v) for k, v in self.spec.gpu_operation.items()}
        out["gpu_wait_power_w"] = {n: u.static_power_w for n, u in self.units.items() if hasattr(u, "operated")}
        return out

    def __repr__(self) -> str:
        return f"System({self.name!r}, corner={self.corner!r}, units={list(self.units)})"


def load_system(name_or_path: str | Path, corner: str | None = None) -> System:
    """A ready System (cached per file version and corner). corner=None: the file's `corner` field."""
    path = _resolve(name_or_path, "system")
    system = _load_system_cached(path, _version(path), corner)
    for message in system.load_warnings:  # a cache hit still tells the compile what its units lack
        warn_once(message)
    return system


@functools.lru_cache(maxsize=64)
def _load_system_cached(path: Path, version_ns: tuple, corner: str | None) -> System:
    with collecting() as said:
        system = _build_system(path, version_ns, corner)
    system.load_warnings = tuple(said)
    return system


def _build_system(path: Path, version_ns: tuple, corner: str | None) -> System:
    spec = _read_system_cached(path, version_ns, corner)
    units = {u.name: _build_unit_cached(u.path, _mtime(u.path), spec.corner) for u in spec.units}
    memories = {k: _memory(v) for k, v in spec.memories.items()}
    links = {
        frozenset(ab): LinkParams(p["bandwidth"].value, p["latency"].value, p["energy"].value) for ab, p in spec.links
    }
    host = spec.units[0].name
    op = spec.gpu_operation
    for name, u in list(units.items()):
        if hasattr(u, "operated"):  # GPUs: the system's wait state and execution regime
            units[name] = u.operated(op["gpu_wait_state"]["value"], op["execution_regime"]["value"])
        if name != host and spec.placement and hasattr(u, "placed"):
            units[name] = u.placed(_placement(spec, name, memories, links))
    crossing = None
    if spec.crossing is not None and spec.crossing_memories is not None:
        c, (host_mem, buf_mem) = spec.crossing, spec.crossing_memories
        crossing = CrossingParams(
            int(c["element_bytes"].value),
            c["dac_energy"].value,
            c["adc_energy"].value,
            c["latency"].value,
            memories[host_mem],
            memories[buf_mem],
        )
    return System(spec.name, spec.corner, units, spec, links, crossing, memories)


def _placement(spec: SystemSpec, unit: str, memories: dict[str, MemoryParams], links: dict) -> Placement:
    """Where `unit` reads each tensor class (cost/operands.py), from the system's placement block."""

    def path(cls: str) -> MemoryPath:
        mem, stored = spec.placement[cls]
        m, owner = memories[mem], spec.memory_owner[mem]
        link = None
        if owner != unit:
            lp = links[frozenset((owner, unit))]
            # names as sim/schedule.py link_name: SRC->DST (tests/test_placement.py checks they agree)
            link = Link(f"{owner}->{unit}", f"{unit}->{owner}", lp.bandwidth_bytes_per_s, lp.latency_s,
                        lp.energy_j_per_bit)
        return MemoryPath(mem, m.read_j_per_byte, m.write_j_per_byte, m.bandwidth_bytes_per_s, link, stored)

    buffer = None
    if spec.crossing_memories is not None:
        buffer = memories[spec.crossing_memories[1]].capacity_bytes
    return Placement(path("weights"), path("kv_cache"), path("activations"), buffer)


def clear_caches() -> None:
    for f in (_read_unit_cached, _build_unit_cached, _read_system_cached, _load_system_cached, _base_chain,
              _unit_refs):
        f.cache_clear()
