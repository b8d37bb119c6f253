"""Parameter overrides (sweeps, sensitivity): `{"UNIT.PARAM": value, "system.…": value}` → a derived system
YAML file.

Two kinds of key:
- `UNIT.PARAM`: a parameter of one unit (`ptu-lightcode.cores`);
- `system.…`: a parameter the system file itself holds —
    `system.memory.MEMORY.FIELD`   (FIELD: read_energy, write_energy, bandwidth, capacity; e.g. system.memory.hbm.bandwidth)
    `system.link.A:B.FIELD`        (the link between units A and B, either order; FIELD: bandwidth, latency, energy)
    `system.crossing.FIELD`        (element_bytes, dac_energy, adc_energy, latency)
    `system.gpu_wait_state`, `system.execution_regime`   (a name, cost/gpu_power.py)
  ':' joins the two units of a link because unit names may hold '-', '.' and '+' but never ':'.

An override set is written as a copy of the system file, with the system-level values replaced and the
overridden units copies of their unit files with the new values (`source: sweep override`). The hardware
loader then validates it like any user file (dimension, sign, integer, known names), every consumer that
accepts a system path can use it, and no device constant enters Python. Values follow the YAML rules: a bare
number for a dimensionless parameter (`cores: 4`), a 'number unit' string otherwise (`"12 GHz"`).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

from lightcode.errors import BadInputError


def _cache_root() -> Path:
    d = os.environ.get("LIGHTCODE_CACHE_DIR")
    return (Path(d) if d else Path.home() / ".cache" / "lightcode") / "overrides"


SYSTEM_PREFIX = "system."
MEMORY_FIELDS = ("read_energy", "write_energy", "bandwidth", "capacity")
LINK_FIELDS = ("bandwidth", "latency", "energy")
CROSSING_FIELDS = ("element_bytes", "dac_energy", "adc_energy", "latency")
OPERATION_FIELDS = ("gpu_wait_state", "execution_regime")
SYSTEM_KEY_FORMS = ("system.memory.MEMORY.FIELD, system.link.A:B.FIELD, system.crossing.FIELD, "
                    "system.gpu_wait_state, system.execution_regime")


def memory_key(memory: str, field: str) -> str:
    return f"{SYSTEM_PREFIX}memory.{memory}.{field}"


def link_key(a: str, b: str, field: str) -> str:
    return f"{SYSTEM_PREFIX}link.{a}:{b}.{field}"


def crossing_key(field: str) -> str:
    return f"{SYSTEM_PREFIX}crossing.{field}"


def operation_key(field: str) -> str:
    return f"{SYSTEM_PREFIX}{field}"


def is_system_key(key: str) -> bool:
    return key.startswith(SYSTEM_PREFIX)


def split_system_key(key: str) -> tuple[str, tuple[str, ...], str]:
    """`system.…` → (block, where, field): ("memory", (MEMORY,), F), ("link", (A, B), F), ("crossing", (), F)
    or ("operation", (), gpu_wait_state|execution_regime). Names are checked against a system elsewhere."""
    rest = key[len(SYSTEM_PREFIX):]
    bad = BadInputError(f"override {key!r}: expected one of {SYSTEM_KEY_FORMS}")
    if rest in OPERATION_FIELDS:
        return "operation", (), rest
    block, _, tail = rest.partition(".")
    where, dot, field = tail.rpartition(".")
    if block == "crossing" and tail in CROSSING_FIELDS:
        return "crossing", (), tail
    if not dot or not where or not field:
        raise bad
    if block == "memory" and field in MEMORY_FIELDS:
        return "memory", (where,), field
    if block == "link" and field in LINK_FIELDS:
        a, colon, b = where.partition(":")
        if colon and a and b and ":" not in b:
            return "link", (a, b), field
    raise bad


def split_key(key: str) -> tuple[str, str]:
    unit, dot, param = key.rpartition(".")
    if not dot or not unit or not param:
        raise BadInputError(f"override {key!r}: expected 'UNIT.PARAM' (e.g. 'ptu-lightcode.cores')")
    return unit, param


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=False))
    os.replace(tmp, path)  # workers may race on the same file: each writes the same content


def system_with_overrides(system: str, overrides: Mapping[str, Any], corner: Optional[str] = None) -> str:
    """Path of a system YAML equal to `system` with `overrides` applied (written once, then reused)."""
    if not overrides:
        return system
    from lightcode.hardware.load import read_system

    spec = read_system(system, corner)
    by_unit: dict[str, dict[str, Any]] = {}
    system_level = {k: v for k, v in overrides.items() if is_system_key(k)}
    for key in system_level:  # a bad key fails before anything is written
        _system_target(spec, key)
    for key, value in overrides.items():
        if key in system_level:
            continue
        unit, param = split_key(key)
        if unit not in {u.name for u in spec.units}:
            names = ", ".join(u.name for u in spec.units)
            raise BadInputError(f"override {key!r}: system {system!r} has no unit {unit!r} (units: {names})")
        by_unit.setdefault(unit, {})[param] = value
    digest = hashlib.sha256(
        json.dumps([str(spec.path), spec.path.stat().st_mtime_ns, sorted(overrides.items())], default=str).encode()
    ).hexdigest()[:16]
    out = _cache_root() / digest
    sys_path = out / "system.yaml"
    if sys_path.is_file():
        return str(sys_path)
    out.mkdir(parents=True, exist_ok=True)
    from lightcode.hardware.load import system_document

    sys_doc = system_document(spec.path)[0]  # its `base:` chain merged in: the copy lives elsewhere
    units_out = []
    for u_ref, u in zip(sys_doc["units"], spec.units):
        if u.name not in by_unit:  # keep the reference, made absolute (the copy lives elsewhere)
            units_out.append(str(u.path))
            continue
        doc = yaml.safe_load(u.path.read_text())
        for param, value in by_unit[u.name].items():
            doc.setdefault("params", {})[param] = {"value": value, "source": "sweep override"}
            for block in (doc.get("corners") or {}).values():  # the override wins at every corner
                block.pop(param, None)
        doc["corners"] = {k: v for k, v in (doc.get("corners") or {}).items() if v}
        u_path = out / f"{u.name}.yaml"
        _write_atomic(u_path, doc)
        units_out.append(str(u_path))
    sys_doc["units"] = units_out
    for key, value in system_level.items():
        _apply_system(sys_doc, spec, key, value)
    label = ",".join(f"{k}={v}" for k, v in sorted(overrides.items()))
    sys_doc["description"] = f"{sys_doc.get('description', '')} [sweep override: {label}]".strip()
    _write_atomic(sys_path, sys_doc)
    return str(sys_path)


def check_overrides(system: str, overrides: Mapping[str, Any], corner: Optional[str] = None) -> None:
    """Fail early (BadInputError/ConfigError) on an override the system cannot take."""
    if not overrides:
        return
    from lightcode.errors import ConfigError
    from lightcode.hardware.load import read_system

    try:
        read_system(system_with_overrides(system, overrides, corner), corner)
    except ConfigError as e:  # name the override, not the derived file in the cache
        label = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
        raise BadInputError(f"override {{{label}}} on {system!r}: {str(e).rpartition('.yaml: ')[2]}") from None


def _system_target(spec, key: str) -> tuple[str, tuple[str, ...], str]:
    """Check a `system.…` key against the system: its memory, link or crossing exists and holds the field."""
    block, where, field = split_system_key(key)
    name = spec.name
    if block == "memory":
        (mem,) = where
        if mem not in spec.memories:
            raise BadInputError(f"override {key!r}: system {name!r} has no memory {mem!r} "
                                f"(memories: {', '.join(spec.memories) or 'none'})")
        if field not in spec.memories[mem]:
            raise BadInputError(f"override {key!r}: memory {mem!r} of {name!r} states no {field} "
                                f"(it states: {', '.join(spec.memories[mem])})")
    elif block == "link":
        pairs = [ab for ab, _ in spec.links]
        if frozenset(where) not in {frozenset(ab) for ab in pairs}:
            have = ", ".join(f"{a}:{b}" for a, b in pairs) or "none"
            raise BadInputError(f"override {key!r}: system {name!r} has no link {where[0]}:{where[1]} (links: {have})")
    elif block == "crossing" and spec.crossing is None:
        raise BadInputError(f"override {key!r}: system {name!r} has no crossing block")
    return block, where, field


def _apply_system(doc: dict[str, Any], spec, key: str, value: Any) -> None:
    """Write one system-level override into the (merged) system document."""
    block, where, field = _system_target(spec, key)
    entry = {"value": value, "source": "sweep override"}
    if block == "memory":
        doc["memories"][where[0]][field] = entry
    elif block == "link":
        for link in doc["links"]:
            if frozenset(link["between"]) == frozenset(where):
                link[field] = entry
    elif block == "crossing":
        doc["crossing"][field] = entry
    else:
        doc[field] = entry
