"""Parameter overrides (sweeps, sensitivity): `{"UNIT.PARAM": value}` → a derived system YAML file.

An override set is written as a copy of the system file whose overridden units are copies of their unit
files with the new values (`source: sweep override`). The hardware loader then validates it like any
user file (dimension, sign, integer), every consumer that accepts a system path can use it, and no
device constant enters Python. Values follow the YAML rules: a bare number for a dimensionless
parameter (`cores: 4`), a 'number unit' string otherwise (`"12 GHz"`).
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
    for key, value in overrides.items():
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
