"""Registry of device families: the bridge between YAML parameters and cost-model code.

A family declares the parameters it needs (name, physical dimension, constraints) and a class that
implements `hardware.api.UnitModel`. The loader parses a unit's YAML, checks every parameter against the
family's declaration (unit dimension, sign), converts to SI floats and calls `cls(name, params)`.
No numeric device constant lives in a family's code: it comes in through `params`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping


@dataclass(frozen=True)
class ParamSpec:
    name: str
    dimension: str  # a pint unit whose dimensionality the value must have: "J", "W", "Hz", "s", "B/s", "1"
    doc: str = ""
    positive: bool = True  # > 0 required (else >= 0)
    required: bool = True
    integer: bool = False
    maximum: float | None = None  # an upper bound in SI (a fraction: 1), checked where the YAML is read


@dataclass(frozen=True)
class Family:
    name: str
    kind: str  # "gpu" | "photonic" | "cpu"
    params: tuple[ParamSpec, ...]
    factory: Callable[[str, Mapping[str, float]], object]  # (unit name, SI params) -> UnitModel
    doc: str = ""


FAMILIES: dict[str, Family] = {}


def register_family(name: str, kind: str, params: tuple[ParamSpec, ...], doc: str = ""):
    """Class decorator: `@register_family("ddot", "photonic", (ParamSpec(...), ...))`."""

    def deco(cls):
        if name in FAMILIES:
            raise ValueError(f"family {name!r} registered twice")
        FAMILIES[name] = Family(name=name, kind=kind, params=params, factory=cls, doc=doc or (cls.__doc__ or ""))
        return cls

    return deco


def load_family_modules() -> None:
    """Import every module that registers a family (idempotent)."""
    import importlib
    import pkgutil

    import lightcode.cost as cost_pkg

    for mod in pkgutil.iter_modules(cost_pkg.__path__):
        importlib.import_module(f"lightcode.cost.{mod.name}")
