"""System files that inherit from a base system (`base: NAME` or a path): the merge law, in one place.

A derived system file names its base and writes only what differs. The merged document is what the
schema then checks, as if it had been written out in full:
- `name` is the derived file's own; `description`, `corner` and `units` replace the base's when given
  (`units` as a whole list: the host first, as always);
- `memories`: by key. A key the derived file gives updates that memory field by field (`bandwidth:` alone
  keeps the base's energies); `KEY: null` removes it; new keys are added;
- `links`: by the unordered pair `between`. A pair the base has is updated field by field; new pairs are
  added; an inherited link or memory (`attached_to`) whose unit is no longer in `units` is dropped;
- `crossing`: field by field (`crossing: null` removes it); `placement`: by tensor class;
- a base may itself have a base (a cycle is an error); unit paths in a base resolve against the base's
  own directory.
"""

from __future__ import annotations

from typing import Any


def _fields(base: Any, new: Any) -> Any:
    """`new` over `base` field by field when both are mappings, else `new`."""
    if isinstance(base, dict) and isinstance(new, dict):
        return {**base, **new}
    return new


def _pair(link: Any) -> frozenset | None:
    between = link.get("between") if isinstance(link, dict) else None
    if isinstance(between, (list, tuple)) and len(between) == 2 and all(isinstance(x, str) for x in between):
        return frozenset(between)
    return None


def _unit_name(ref: str) -> str:
    """The unit a `units:` entry names (a path's stem: a unit's file is named after it)."""
    from pathlib import Path

    return Path(ref).stem if ref.endswith((".yaml", ".yml")) or "/" in ref or "\\" in ref else ref


def merge_system(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """The document `child` (without its `base:` key) describes when laid over `base` (module docstring)."""
    out = {k: v for k, v in base.items() if k != "name"}
    for key, val in child.items():
        if key == "base":
            continue
        if key == "memories" and isinstance(val, dict) and isinstance(base.get("memories"), dict):
            mem = dict(base["memories"])
            for k, m in val.items():
                if m is None:
                    mem.pop(k, None)
                else:
                    mem[k] = _fields(mem.get(k), m)
            out["memories"] = mem
        elif key == "links" and isinstance(val, list) and isinstance(base.get("links"), list):
            links = list(base["links"])
            where = {_pair(link): i for i, link in enumerate(links) if _pair(link) is not None}
            for link in val:
                p = _pair(link)
                if p is not None and p in where:
                    links[where[p]] = _fields(links[where[p]], link)
                else:
                    links.append(link)
            out["links"] = links
        elif key in ("crossing", "placement") and val is not None:
            out[key] = _fields(base.get(key), val)
        elif key in ("crossing", "placement"):
            out.pop(key, None)
        else:
            out[key] = val
    units = out.get("units")
    if "units" in child and isinstance(units, list) and all(isinstance(u, str) for u in units):
        names = {_unit_name(u) for u in units}
        child_pairs = {_pair(x) for x in child.get("links") or [] if isinstance(child.get("links"), list)}
        child_mems = set(child.get("memories") or {}) if isinstance(child.get("memories"), dict) else set()
        if isinstance(out.get("links"), list):
            out["links"] = [x for x in out["links"] if _pair(x) in child_pairs or _pair(x) is None or _pair(x) <= names]
        if isinstance(out.get("memories"), dict):
            out["memories"] = {k: m for k, m in out["memories"].items() if k in child_mems or not isinstance(m, dict)
                               or m.get("attached_to") is None or m.get("attached_to") in names}
    if "description" not in child:
        out["description"] = f"based on {base.get('name')}: {base.get('description', '')}".strip()
    out["name"] = child.get("name")
    return out
