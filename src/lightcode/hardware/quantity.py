"""Strict parsing of unit-bearing values from hardware YAML into SI floats (Pint underneath).

`parse_value("3.35 TB/s", "B/s") -> 3.35e12`: the result is expressed in the *target* unit named by the
parameter's declared dimension (`ParamSpec.dimension`), so declare SI-style targets:
  s, J, W, Hz, B, B/s, J/B, J/bit, FLOP/s, m, A/W, K, "1" (dimensionless) …

Rules (each violation raises `QuantityError` with a one-line reason):
- a value with a physical dimension must be a string carrying its unit ("450 fJ", "80 GB");
  a bare number (YAML int/float or "0.35") is accepted only for dimensionless targets ("1");
- `bit` is its own base dimension ([information]) and `B`/`byte` = 8 bit, so "5 GHz" is not a
  bandwidth and "80 GB" is not a count (stock Pint makes bits dimensionless; we do not);
  decimal prefixes are decimal (1 GB = 1e9 B), binary ones binary (1 GiB = 2**30 B);
  `b` is not bit (Pint reads "Gb" as gilbert) — write "Gbit/s" or "Gbps";
- FLOP and sample (Sa) are dimensionless counts: "989.4 TFLOP/s" -> 9.894e14 /s, "14 GSa/s" -> 1.4e10 /s;
- "%" is a dimensionless fraction: "35 %" -> 0.35;
- decibels are kept in dB, not converted: a loss "1.5 dB" for target "dB" -> 1.5; "0.11 dB/cm" for
  target "dB/m" -> 11.0; an optical power "-25 dBm" for target "dBm" -> -25.0, or for target "W" ->
  3.16e-6 (converted). dB values are never accepted for linear targets other than dBm -> W.
"""

from __future__ import annotations

import functools
import math
import os
import re

_DB_RE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(dBm|dB)\s*(?:/\s*(.+?))?\s*$")


class QuantityError(ValueError):
    """A value that is not a valid quantity for its declared dimension."""


@functools.lru_cache(maxsize=1)
def ureg():
    """Pint registry with bit as a base dimension, plus FLOP and sample as dimensionless counts."""
    import pint

    here = os.path.dirname(pint.__file__)
    lines: list[str] = []
    with open(os.path.join(here, "default_en.txt"), encoding="utf-8") as f:
        for line in f.read().splitlines():
            if line.strip().startswith("@import constants_en.txt"):
                with open(os.path.join(here, "constants_en.txt"), encoding="utf-8") as c:
                    lines.extend(c.read().splitlines())
                continue
            if line.strip() == "bit = []":  # stock Pint: bits are dimensionless; make them a dimension
                line = "bit = [information]"
            lines.append(line)
    reg = pint.UnitRegistry(None)
    reg.load_definitions(lines)
    reg.define("FLOP = 1 = flop")
    reg.define("sample = 1 = Sa")
    return reg


@functools.lru_cache(maxsize=256)
def _target(dimension: str):
    if dimension in ("1", ""):
        return ureg().dimensionless
    try:
        return ureg().Unit(dimension)
    except Exception as e:  # noqa: BLE001 - pint raises several types
        raise QuantityError(f"unknown target unit {dimension!r} ({e})") from None


def check_dimension(dimension: str) -> None:
    """Raise QuantityError if a declared dimension string is not one we can convert to."""
    if dimension in ("dB", "dBm") or dimension.startswith("dB/"):
        if dimension.startswith("dB/"):
            _target(dimension[3:])
        return
    _target(dimension)


def _parse_db(m: re.Match, dimension: str, text: str) -> float:
    number, unit, per = float(m.group(1)), m.group(2), m.group(3)
    if unit == "dBm":
        if per:
            raise QuantityError(f"{text!r}: dBm cannot be per {per}")
        if dimension == "dBm":
            return number
        if dimension == "W":
            return 1e-3 * 10 ** (number / 10)
        raise QuantityError(f"{text!r} is an optical power in dBm, expected a value in {dimension}")
    # plain dB (a ratio, kept in dB)
    if dimension == "dB" and not per:
        return number
    if dimension.startswith("dB/") and per:
        try:
            factor = ureg().Quantity(1, per).to(dimension[3:]).magnitude  # dB per `per` -> per target
        except Exception:  # noqa: BLE001
            raise QuantityError(f"{text!r}: cannot express dB/{per} in {dimension}") from None
        return number / factor
    raise QuantityError(f"{text!r} is in dB, expected a value in {dimension}")


def parse_value(raw: object, dimension: str) -> float:
    """Parse `raw` (str or number from YAML) and return it as a float in the `dimension` unit."""
    if isinstance(raw, bool) or raw is None:
        raise QuantityError(f"expected a number or a 'number unit' string, got {raw!r}")
    if isinstance(raw, (int, float)):
        if dimension not in ("1", ""):
            raise QuantityError(f"{raw!r} has no unit; write it with a unit of {dimension}, e.g. '{raw} {dimension}'")
        val = float(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        if not text:
            raise QuantityError("empty value")
        m = _DB_RE.match(text)
        if m:
            val = _parse_db(m, dimension, text)
        elif dimension in ("dB", "dBm") or dimension.startswith("dB/"):
            raise QuantityError(f"{text!r}: expected a value in {dimension}, e.g. '1.5 {dimension}'")
        else:
            val = _parse_linear(text, dimension)
    else:
        raise QuantityError(f"expected a number or a 'number unit' string, got {type(raw).__name__}")
    if not math.isfinite(val):
        raise QuantityError(f"{raw!r} is not finite")
    return val


def _parse_linear(text: str, dimension: str) -> float:
    reg = ureg()
    try:
        q = reg.Quantity(text)
    except Exception as e:  # noqa: BLE001 - pint raises UndefinedUnitError, DimensionalityError, syntax errors
        raise QuantityError(f"cannot parse {text!r}: {e}") from None
    if not isinstance(q, reg.Quantity):  # a bare number string
        q = reg.Quantity(float(q))
    target = _target(dimension)
    if q.dimensionality != target.dimensionality:
        hint = " (b is not bit: write 'Gbit/s')" if re.search(r"[kMGTP]?b(/|$|\s)", text) else ""
        want = "dimensionless" if dimension in ("1", "") else dimension
        raise QuantityError(
            f"{text!r} has dimension {q.dimensionality}, expected {want} ({target.dimensionality}){hint}"
        )
    return float(q.to(target).magnitude)


def format_si(value: float, dimension: str) -> str:
    """A human string of an SI value in its declared unit, e.g. (4.5e-13, 'J') -> '450 fJ' (core/si.py)."""
    from lightcode.core.si import si_quantity

    return si_quantity(value, dimension, digits=6)
