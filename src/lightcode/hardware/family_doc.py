"""What a family takes (`lightcode hardware family NAME`) and a unit file to start from (`hardware new`).

Both are read from the family's own declarations — its ParamSpecs (cost/<family>.py: name, dimension,
meaning, constraints) and its area law's (cost/area.py) — so they cannot drift from what the loader checks.
Values ("default corners") come from a reference unit of the family: the library's first, or one named."""

from __future__ import annotations

import json
from typing import Any

from lightcode.cost.families import ParamSpec
from lightcode.errors import ConfigError
from lightcode.hardware.schema import CORNERS


def family_names() -> list[str]:
    from lightcode.cost.families import FAMILIES
    from lightcode.hardware.load import _family_import_failures

    _family_import_failures()  # every cost module imported: each registers its family
    return sorted(FAMILIES)


def family(name: str):
    """The registered Family, or a one-line error naming the known ones."""
    from lightcode.cost.families import FAMILIES

    known = family_names()
    if name not in FAMILIES:
        import difflib

        close = difflib.get_close_matches(name, known, n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise ConfigError(f"unknown family {name!r}: {hint}known: {', '.join(known)}")
    return FAMILIES[name]


def units_of(name: str) -> list[str]:
    """Units (library and LIGHTCODE_HARDWARE_PATH) of family `name` that load."""
    from lightcode.hardware.load import list_units, read_unit

    out = []
    for u in list_units():
        try:
            if read_unit(u).family == name:
                out.append(u)
        except ConfigError:
            continue  # a broken file is `hardware list`'s to report
    return out


def _reference(name: str, unit: str | None):
    """The unit whose values illustrate the family (None when it has none)."""
    from lightcode.hardware.load import read_unit

    if unit is not None:
        spec = read_unit(unit)
        if spec.family != name:
            raise ConfigError(f"--from {unit}: is a unit of family {spec.family!r}, not {name!r}")
        return spec
    have = units_of(name)
    return read_unit(have[0]) if have else None


def _constraint(s: ParamSpec) -> str:
    signed = s.dimension in ("dB", "dBm") or s.dimension.startswith("dB/")
    parts = ["required" if s.required else "optional"]
    if s.integer:
        parts.append("integer")
    if not signed:
        parts.append("> 0" if s.positive else ">= 0")
    if s.maximum is not None:
        parts.append(f"<= {s.maximum:g}")
    return ", ".join(parts)


def _corner_values(ref, corners: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """corner -> param -> {value (SI), text, source} of the reference unit (its own corners only)."""
    from lightcode.hardware.load import read_unit

    if ref is None:
        return {}
    import warnings

    out = {}
    with warnings.catch_warnings():  # a corner the file lacks is shown as "= baseline", not warned
        warnings.simplefilter("ignore")
        for c in corners:
            if c != "baseline" and c not in ref.corners:
                continue
            s = read_unit(ref.path, c)
            out[c] = {k: {"value": v.value, "si": v.si, "text": v.text, "source": v.source, "corner": v.corner}
                      for k, v in s.params.items()}
    return out


def family_info(name: str, unit: str | None = None) -> dict[str, Any]:
    """Everything `hardware family NAME` shows, as JSON-ready data."""
    from lightcode.cost.area import area_specs

    fam = family(name)
    ref = _reference(name, unit)
    values = _corner_values(ref, CORNERS)

    def row(s: ParamSpec, by_corner: dict | None) -> dict[str, Any]:
        d = {"name": s.name, "dimension": s.dimension or "1", "meaning": s.doc, "required": s.required,
             "integer": s.integer, "positive": s.positive, "constraint": _constraint(s)}
        if by_corner is not None:
            d["corners"] = {c: (by_corner[c].get(s.name) if c in by_corner else None) for c in CORNERS}
        return d

    area = area_specs(name) or ()
    area_vals = None if ref is None else {k: {"value": v.value, "si": v.si, "text": v.text, "source": v.source}
                                          for k, v in ref.area.items()}
    return {
        "family": fam.name, "kind": fam.kind, "doc": " ".join((fam.doc or "").split()),
        "reference_unit": None if ref is None else ref.name,
        "reference_corners": [] if ref is None else ["baseline", *ref.corners],
        "units": units_of(name),
        "params": [row(s, values if ref is not None else None) for s in fam.params],
        "area_params": [{**row(s, None), **({"value": area_vals.get(s.name)} if area_vals else {})} for s in area],
    }


def _q(text: str) -> str:
    """A YAML double-quoted string (JSON's syntax is YAML's), non-ASCII kept as written."""
    return json.dumps(text, ensure_ascii=False)


def _yaml_scalar(text: str) -> str:
    """A value as the template writes it: a bare number when it is one, else a quoted string."""
    try:
        float(text)
        return text
    except ValueError:
        return json.dumps(text, ensure_ascii=False)


def template(name: str, unit_name: str | None = None, unit: str | None = None) -> str:
    """A commented unit file of family `name` that validates: every declared parameter with its meaning,
    dimension and constraint as a comment, the values (and corners) of the reference unit with their
    sources; optional parameters the reference lacks are listed, commented out."""
    from lightcode.cost.area import area_specs

    fam = family(name)
    ref = _reference(name, unit)
    if ref is None:
        raise ConfigError(f"family {name!r} has no unit to take values from (library or LIGHTCODE_HARDWARE_PATH); "
                          f"write one by hand from `lightcode hardware family {name}`")
    uname = unit_name or f"my-{ref.name}"
    import re

    from lightcode.hardware.schema import NAME_PATTERN

    if not re.match(NAME_PATTERN, uname):
        raise ConfigError(f"--name {uname!r}: use lower-case letters, digits and . _ + - (starting with a letter "
                          f"or digit); the file must be called {uname}.yaml to be found by name")
    values = _corner_values(ref, CORNERS)
    w = 1 + max(len(s.name) for s in fam.params)
    lines = [
        f"# A {fam.kind} unit of family {fam.name!r}, generated by `lightcode hardware new --family {fam.name}`.",
        f"# Values and corners are those of {ref.name} ({ref.path.name}) with their sources: replace each with",
        "# your device's and cite it (a paper, a datasheet, `derived: <arithmetic>` or `guess: <why>`).",
        "# Check it with `lightcode hardware validate FILE`; put it in DIR/units/ and add DIR to",
        "# LIGHTCODE_HARDWARE_PATH to use it by name. Parameters: `lightcode hardware family " + fam.name + "`.",
        f"name: {uname}",
        f"family: {fam.name}",
        f"description: {_q('based on ' + ref.name + ': ' + ' '.join(ref.description.split()))}",
        "params:",
    ]
    base = values["baseline"]
    for s in fam.params:
        note = f"# {s.doc} [{s.dimension or '1'}; {_constraint(s)}]"
        v = base.get(s.name)
        if v is None:
            lines.append(f"  # {s.name}: {{value: ?, source: ?}}  {note}")
            continue
        lines.append(f"  {note}")
        lines.append(f"  {s.name + ':':<{w}} {{value: {_yaml_scalar(v['text'])}, source: {_q(v['source'])}}}")
    corners = [c for c in ref.corners]
    if corners:
        lines.append("corners:  # only what differs from params; a corner not given means the baseline values")
        for c in corners:
            lines.append(f"  {c}:")
            for k, v in values[c].items():
                if v["corner"] == c:
                    lines.append(f"    {k + ':':<{w}} {{value: {_yaml_scalar(v['text'])}, source: {_q(v['source'])}}}")
    specs = area_specs(fam.name)
    if specs and ref.area:
        lines.append("area:  # component areas (cost/area.py), corner-independent")
        for s in specs:
            v = ref.area.get(s.name)
            if v is None:
                lines.append(f"  # {s.name}: {{value: ?, source: ?}}  # {s.doc} [{s.dimension}; {_constraint(s)}]")
                continue
            lines.append(f"  # {s.doc} [{s.dimension}; {_constraint(s)}]")
            lines.append(f"  {s.name}: {{value: {_yaml_scalar(v.text)}, source: {_q(v.source)}}}")
    return "\n".join(lines) + "\n"
