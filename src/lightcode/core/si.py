"""The one SI formatter for every human-facing number (tables, HTML report, figure axes, reprs; re-exported
as lightcode.report.si).

`si(0.05463, "s")` → "54.63 ms"; zeros print as "0 s" (no prefix); the prefix is chosen so the mantissa is
in [1, 1000) from yocto to yotta; non-finite values print as they are ("inf s", "nan J")."""

from __future__ import annotations

import math

_PREFIXES = {-24: "y", -21: "z", -18: "a", -15: "f", -12: "p", -9: "n", -6: "µ", -3: "m", 0: "", 3: "k", 6: "M",
             9: "G", 12: "T", 15: "P", 18: "E", 21: "Z", 24: "Y"}


def si(value: float | int | None, unit: str = "", digits: int = 4) -> str:
    """`value` with an SI prefix and `digits` significant digits, e.g. si(2.33e1, "J") == "23.3 J"."""
    if value is None:
        return "-"
    v = float(value)
    sep = " " if unit else ""
    if v == 0:
        return f"0{sep}{unit}"
    if not math.isfinite(v):
        return f"{v}{sep}{unit}"
    exp = int(math.floor(math.log10(abs(v)) / 3) * 3)
    exp = max(-24, min(24, exp))
    mant = v / 10.0 ** exp
    if abs(float(f"{mant:.{digits}g}")) >= 1000 and exp < 24:  # 999.96 rounds up to the next prefix
        exp += 3
        mant = v / 10.0 ** exp
    unit_txt = _PREFIXES[exp] + unit
    return f"{mant:.{digits}g}{' ' if unit_txt else ''}{unit_txt}"


# units an SI prefix must not touch: logarithmic ones (a "mdB" means nothing) and powers, where a prefix would
# be raised too (1 mm² is 1e-6 m², not 1e-3)
_NO_PREFIX = ("dB", "dBm", "Np")


def si_quantity(value: float | int | None, dimension: str, digits: int = 4) -> str:
    """A value in a declared dimension (a hardware parameter's): prefixed like si() where a prefix means
    something; dimensionless ("1"), logarithmic (dB, dB/Hz) and squared units are written plainly."""
    if value is None:
        return "-"
    dim = "" if dimension in ("1", "") else dimension.replace("**2", "²").replace("^2", "²")
    if dim.split("/")[0] in _NO_PREFIX or "²" in dim or "**" in dim or not dim:
        v = float(value)
        txt = "0" if v == 0 else f"{v:.{digits}g}"
        return f"{txt} {dim}" if dim else txt
    return si(value, dim, digits)


def ratio(value: float | None, digits: int = 3) -> str:
    """A dimensionless ratio ("×"), "-" when undefined."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.{digits}f}×"


def pct(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{100.0 * value:.{digits}f} %"
