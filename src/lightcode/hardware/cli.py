"""`lightcode hardware list | show | family | new | validate | cost`: inspect, author and check the hardware
library (and the user's LIGHTCODE_HARDWARE_PATH, hardware/search_path.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from lightcode.core.si import si

hw = typer.Typer(name="hardware", help="List, show, validate and cost hardware units and systems.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(hw, name="hardware")


def _file_kind(path: Path) -> str:
    """'unit' or 'system' from a YAML file's top-level keys."""
    from lightcode.errors import ConfigError
    from lightcode.hardware.load import _read_yaml

    data = _read_yaml(path)
    if "family" in data:
        return "unit"
    if "units" in data or "base" in data:
        return "system"
    raise ConfigError(f"{path}: neither a unit file (needs 'family') nor a system file (needs 'units' or 'base')")


def _kind_of(name: str) -> str:
    from lightcode.errors import ConfigError
    from lightcode.hardware.load import _is_path, list_systems, list_units

    if _is_path(name):
        p = Path(name)
        if not p.is_file():
            raise ConfigError(f"{name}: no such file")
        return _file_kind(p)
    if name in list_units():
        return "unit"
    if name in list_systems():
        return "system"
    import difflib

    close = difflib.get_close_matches(name, list_units() + list_systems(), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; see `lightcode hardware list`"
    raise ConfigError(f"{name}: no unit or system of that name{hint}")


def _short(message: str) -> str:
    """An error without its leading file path (the table row already names the file)."""
    head, sep, rest = message.partition(".yaml: ")
    return rest if sep else message


def _params_json(params) -> dict:
    return {k: {"value": v.value, "unit": v.unit, "text": v.text, "source": v.source, "corner": v.corner} for k, v in params.items()}


def _params_table(title: str, params):
    from rich.table import Table

    t = Table(title=title, title_justify="left", show_lines=False)
    for col in ("parameter", "value (SI)", "as written", "corner", "source"):
        t.add_column(col, overflow="fold")
    for k, v in params.items():
        t.add_row(k, v.si, v.text, "" if v.corner == "baseline" else v.corner, v.source)
    return t


def _area_of(spec):
    from lightcode.hardware.area_budget import unit_area

    return unit_area(spec)


def _area_table(title: str, area):
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    for col in ("component", "area (mm²)", "share"):
        t.add_column(col, justify="right" if col != "component" else "left")
    total = area.total_m2
    for k, v in area.components_m2.items():
        t.add_row(k, f"{v * 1e6:.4f}", f"{100 * v / total:.1f} %" if total else "")
    t.add_row("[bold]total", f"[bold]{total * 1e6:.2f}", "100 %")
    return t


def _floor_lines(check) -> list[str]:
    """Human lines of a floor check (cost/floor_check.py)."""
    if check is None:
        return []
    if not check["physically_checked"]:
        line = f"physical floor: {check['status']} ({check['reason']})"
        if "bits_payable_at_shot_floor" in check:
            line += (f"; its {si(check['mac_energy_j'], 'J')}/MAC pays for at most "
                     f"{check['bits_payable_at_shot_floor']:.2f} bits per detected product at the shot-noise floor")
        return [line]
    out = []
    o = check.get("optical")
    if o is None:
        out.append(f"optical: {check.get('note', 'no detection reaches these bits')}")
    else:
        out.append(f"optical: {si(o['per_conversion_j'], 'J')} per conversion ({o['samples_per_conversion']:g} "
                   f"sample(s) of {si(o['per_sample_j'], 'J')}) for {o['bits']:g} bits = "
                   f"{o['x_above_floor']:.3g}× above the shot-noise floor ({si(o['shot_floor_j'], 'J')})")
    for name in ("dac", "adc"):
        c = check[name]
        out.append(f"{name}: {si(c['energy_j'], 'J')} at {c['bits']:g} bits = {c['x_above_sota']:.3g}× the "
                   f"state of the art (Walden FoM, {si(c['sota_j'], 'J')}), {c['x_above_thermal']:.3g}× above "
                   f"the kT/C floor ({si(c['thermal_floor_j'], 'J')})")
    return out


@hw.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """List the units and systems in the library (with any that fail to load)."""
    from lightcode.errors import ConfigError
    from lightcode.hardware.load import find, list_systems, list_units, read_system, read_unit
    from lightcode.hardware.search_path import origin

    units, systems = [], []
    for n in list_units():
        where = {"path": str(find(n, "unit")), "origin": origin(find(n, "unit"))}
        try:
            s = read_unit(n)
            units.append({"name": n, "family": s.family, "kind": s.kind, "corners": ["baseline", *s.corners],
                          **where, "error": None})
        except ConfigError as e:
            units.append({"name": n, "family": None, "kind": None, "corners": [], **where, "error": str(e)})
    for n in list_systems():
        where = {"path": str(find(n, "system")), "origin": origin(find(n, "system"))}
        try:
            s = read_system(n)
            systems.append({"name": n, "units": [u.name for u in s.units], "corner": s.corner, **where, "error": None})
        except ConfigError as e:
            systems.append({"name": n, "units": [], "corner": None, **where, "error": str(e)})
    if as_json:
        typer.echo(json.dumps({"units": units, "systems": systems}))
        return
    from rich.console import Console
    from rich.table import Table

    c = Console()
    t = Table(title="units", title_justify="left")
    user = any(r["origin"] != "library" for r in units + systems)  # the column only when it says something
    for col in ("name", "family", "kind", "corners", *(("from",) if user else ()), "status"):
        t.add_column(col, overflow="fold")
    for u in units:
        t.add_row(u["name"], u["family"] or "", u["kind"] or "", ", ".join(u["corners"]),
                  *((u["origin"],) if user else ()), "ok" if not u["error"] else f"[red]{_short(u['error'])}")
    c.print(t)
    t = Table(title="systems", title_justify="left")
    for col in ("name", "units (host first)", "corner", *(("from",) if user else ()), "status"):
        t.add_column(col, overflow="fold")
    for s in systems:
        t.add_row(s["name"], ", ".join(s["units"]), s["corner"] or "", *((s["origin"],) if user else ()),
                  "ok" if not s["error"] else f"[red]{_short(s['error'])}")
    c.print(t)


@hw.command("show")
def show_cmd(
    name: str = typer.Argument(..., help="unit or system name, or a YAML path"),
    corner: Optional[str] = typer.Option(None, "--corner", help="conservative | baseline | aggressive"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Every parameter of a unit or system: SI value, unit, as written, source."""
    from lightcode.hardware.load import read_system, read_unit

    if _kind_of(name) == "unit":
        from lightcode.cost.floor_check import unit_floor
        from lightcode.hardware.floor_refs import floor_refs_si
        from lightcode.hardware.load import load_unit

        s = read_unit(name, corner or "baseline")
        area = _area_of(s)
        fl = unit_floor(load_unit(name, s.corner), floor_refs_si())
        if as_json:
            out = {"kind": "unit", "name": s.name, "family": s.family, "unit_kind": s.kind, "corner": s.corner,
                   "description": s.description, "path": str(s.path), "params": _params_json(s.params),
                   "area_params": _params_json(s.area), "area": area.to_dict(), "floor": fl}
            typer.echo(json.dumps(out))
            return
        from rich.console import Console

        c = Console()
        c.print(_params_table(f"{s.name}  (family {s.family}, {s.kind}, corner {s.corner})  {s.path}", s.params))
        if area.modelled:
            c.print(_params_table("component areas (area:)", s.area))
            c.print(_area_table(f"area of {s.name}: {area.total_m2 * 1e6:.2f} mm²", area))
        else:
            c.print(f"area: not modelled (family {s.family} has no area law or the file no `area:` block)")
        if fl is not None and fl["physically_checked"]:
            c.print(f"[bold]physical floor[/] (one detection at the unit's own {fl['operand_bits']:g} bits; "
                    "`hardware cost --gemm` gives a mapping's):")
        for line in _floor_lines(fl):
            c.print(f"  {line}")
        return
    sy = read_system(name, corner)
    if as_json:
        out = {
            "kind": "system", "name": sy.name, "corner": sy.corner, "description": sy.description, "path": str(sy.path),
            "units": {u.name: {"family": u.family, "kind": u.kind, "params": _params_json(u.params)} for u in sy.units},
            "memories": {k: _params_json(v) for k, v in sy.memories.items()},
            "links": [{"between": list(ab), **_params_json(p)} for ab, p in sy.links],
            "crossing": None if sy.crossing is None else {
                "host_memory": sy.crossing_memories[0], "buffer_memory": sy.crossing_memories[1], **_params_json(sy.crossing)},
            "area": {u.name: _area_of(u).to_dict() for u in sy.units},
        }
        typer.echo(json.dumps(out))
        return
    from rich.console import Console

    c = Console()
    c.print(f"[bold]{sy.name}[/]  corner {sy.corner}  {sy.path}\n{sy.description}")
    for k, v in sy.memories.items():
        c.print(_params_table(f"memory {k}", v))
    for ab, p in sy.links:
        c.print(_params_table(f"link {ab[0]} <-> {ab[1]}", p))
    if sy.crossing is not None:
        c.print(_params_table(f"crossing (host memory {sy.crossing_memories[0]}, buffer {sy.crossing_memories[1]})", sy.crossing))
    photonic_m2 = 0.0
    for u in sy.units:
        c.print(_params_table(f"unit {u.name}  (family {u.family}, {u.kind}, corner {u.corner})", u.params))
        a = _area_of(u)
        if a.modelled:
            c.print(_area_table(f"area of {u.name}: {a.total_m2 * 1e6:.2f} mm²", a))
            photonic_m2 = photonic_m2 + a.total_m2 if u.kind == "photonic" and photonic_m2 is not None else photonic_m2
        else:
            c.print(f"area of {u.name}: not modelled")
            photonic_m2 = None if u.kind == "photonic" else photonic_m2
    c.print(f"photonic area of {sy.name}: " + ("not modelled" if photonic_m2 is None else f"{photonic_m2 * 1e6:.2f} mm²"))


@hw.command("validate")
def validate_cmd(file: Path = typer.Argument(..., help="a unit or system YAML file"),
                 as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Check a unit or system file at every corner (exit 2 with `error: FILE: field: …` when it is wrong)."""
    import warnings

    from lightcode.errors import ConfigError
    from lightcode.hardware.load import build_unit, load_system, read_system, read_unit
    from lightcode.hardware.schema import CORNERS

    if not file.is_file():
        raise ConfigError(f"{file}: no such file")
    with warnings.catch_warnings():  # every corner is checked on purpose: a missing one is reported below
        warnings.simplefilter("ignore")
        if _file_kind(file) == "unit":
            s = read_unit(file)
            for c in ("baseline", *s.corners):  # built, not only parsed: the family's rules run at every corner
                build_unit(read_unit(file, c))
            out = {"ok": True, "kind": "unit", "name": s.name, "path": str(s.path.resolve()), "family": s.family,
                   "parameters": len(s.params), "corners": ["baseline", *s.corners],
                   "corners_missing": [c for c in CORNERS if c != "baseline" and c not in s.corners]}
            line = (f"ok: unit {s.name} (family {s.family}, {len(s.params)} parameters, corners: "
                    f"{', '.join(out['corners'])})")
        else:
            sy = read_system(file)
            for c in CORNERS:  # every unit built at every corner, as compile would
                load_system(file, corner=c)
            from lightcode.hardware.load import _base_chain, _mtime

            chain = _base_chain(sy.path, _mtime(sy.path))
            out = {"ok": True, "kind": "system", "name": sy.name, "path": str(sy.path), "corner": sy.corner,
                   "units": [u.name for u in sy.units], "bases": [str(p) for p in chain[1:]],
                   "corners_missing": {u.name: [c for c in CORNERS if c != "baseline" and c not in u.corners]
                                       for u in sy.units}}
            based = f"; based on {', '.join(p.stem for p in chain[1:])}" if len(chain) > 1 else ""
            line = f"ok: system {sy.name} (units: {', '.join(out['units'])}; corner {sy.corner}{based})"
    if as_json:
        typer.echo(json.dumps(out))
    else:
        typer.echo(line)


@hw.command("family")
def family_cmd(
    name: Optional[str] = typer.Argument(None, help="family name (none: list the families)"),
    unit: Optional[str] = typer.Option(None, "--from", help="the unit whose values are shown (default: the "
                                       "first unit of the family)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Every parameter a family takes: meaning, dimension, constraint, and a unit's values at each corner."""
    from lightcode.hardware.family_doc import family, family_info, family_names, units_of

    if name is None:
        rows = [{"family": n, "kind": family(n).kind, "units": units_of(n),
                 "parameters": len(family(n).params)} for n in family_names()]
        if as_json:
            typer.echo(json.dumps({"families": rows}))
            return
        from rich.console import Console
        from rich.table import Table

        t = Table(title="families (`lightcode hardware family NAME` for one)", title_justify="left")
        for col in ("family", "kind", "parameters", "units"):
            t.add_column(col, overflow="fold")
        for r in rows:
            t.add_row(r["family"], r["kind"], str(r["parameters"]), ", ".join(r["units"]))
        Console().print(t)
        return
    info = family_info(name, unit)
    if as_json:
        typer.echo(json.dumps(info))
        return
    from rich.console import Console
    from rich.table import Table

    c = Console()
    ref = info["reference_unit"]
    c.print(f"[bold]family {info['family']}[/] ({info['kind']}): {info['doc']}")
    c.print(f"units: {', '.join(info['units']) or '(none)'}" + (f"; values of {ref}" if ref else ""))

    def cell(v):
        return "" if v is None else v["si"]

    t = Table(title=f"parameters of {info['family']}", title_justify="left")
    for col in ("parameter", "meaning", "dimension", "constraint", "conservative", "baseline", "aggressive"):
        t.add_column(col, overflow="fold")
    for p in info["params"]:
        cs = p.get("corners") or {}
        base = cell(cs.get("baseline"))
        # a corner the reference file does not define is its baseline ("=")
        t.add_row(p["name"], p["meaning"], p["dimension"], p["constraint"],
                  *(("=" if cs.get(k) is None and base else cell(cs.get(k))) if k != "baseline" else base
                    for k in ("conservative", "baseline", "aggressive")))
    c.print(t)
    if info["area_params"]:
        t = Table(title=f"area parameters of {info['family']} (`area:` block, corner-independent)", title_justify="left")
        for col in ("parameter", "meaning", "dimension", "constraint", "value"):
            t.add_column(col, overflow="fold")
        for p in info["area_params"]:
            t.add_row(p["name"], p["meaning"], p["dimension"], p["constraint"], cell(p.get("value")))
        c.print(t)
    if ref:
        missing = [k for k in ("conservative", "aggressive") if k not in info["reference_corners"]]
        if missing:
            c.print(f"{ref} defines no {' or '.join(missing)} corner: '=' means its baseline value is used there")


@hw.command("new")
def new_cmd(
    family_name: str = typer.Option(..., "--family", help="the family of the new unit (`lightcode hardware family`)"),
    name: Optional[str] = typer.Option(None, "--name", help="the unit's name (default: my-<reference unit>)"),
    unit: Optional[str] = typer.Option(None, "--from", help="the unit whose values start the template "
                                       "(default: the first unit of the family)"),
    out: Optional[Path] = typer.Option(None, "--out", help="write the template to this file (default: print it)"),
) -> None:
    """A commented unit-file template of a family that validates as it is (then edit values and sources)."""
    from lightcode.hardware.family_doc import template

    text = template(family_name, name, unit)
    if out is None:
        typer.echo(text, nl=False)
        return
    from lightcode.core.outputs import check_out_file
    from lightcode.errors import BadInputError

    check_out_file(out, "--out")
    if out.exists():
        raise BadInputError(f"--out {out}: exists; give a new file (a template never overwrites a unit)")
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as e:
        raise BadInputError(f"--out {out}: cannot write: {e.strerror}") from None
    typer.echo(f"wrote {out}; check it with `lightcode hardware validate {out}`", err=True)


def _parse_gemm(text: str) -> tuple[int, int, int]:
    from lightcode.errors import BadInputError

    try:
        m, k, n = (int(x) for x in text.split(","))
    except ValueError:
        raise BadInputError(f"--gemm: expected M,K,N (three integers), got {text!r}") from None
    if min(m, k, n) < 1:
        raise BadInputError(f"--gemm: dimensions must be >= 1, got {text!r}")
    return m, k, n


@hw.command("cost")
def cost_cmd(
    name: str = typer.Argument(..., help="unit name (or a system name: every unit is costed)"),
    gemm: str = typer.Option(..., "--gemm", help="M,K,N: (M×K)·(K×N), the K×N operand a weight"),
    dtype: str = typer.Option("fp16", "--dtype", help="fp16 | bf16 | fp32 | int8"),
    corner: Optional[str] = typer.Option(None, "--corner", help="conservative | baseline | aggressive (default: a "
                                         "system's own corner, a unit's baseline)"),
    fmt: Optional[str] = typer.Option(None, "--format", help="the unit's variant to cost: fp16 | bf16 | fp8 | int8 | "
                                      "w4a16 (GPUs, where the YAML gives a peak) or a photonic unit's analog-Nb; "
                                      "default: the graph dtype's (the unit's first variant)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Latency and energy of one GEMM on a unit (at one of its formats)."""
    from lightcode.core.opgraph import DTYPE_BYTES
    from lightcode.errors import BadInputError
    from lightcode.hardware.load import load_system, load_unit
    from lightcode.hardware.probe import gemm_op

    m, k, n = _parse_gemm(gemm)
    if dtype not in DTYPE_BYTES:
        raise BadInputError(f"--dtype: unknown dtype {dtype!r} (known: {', '.join(DTYPE_BYTES)})")
    from lightcode.cost.floor_check import gemm_floor
    from lightcode.hardware.floor_refs import floor_refs_si
    from lightcode.hardware.load import read_unit

    op = gemm_op(m, k, n, dtype)
    if _kind_of(name) == "unit":
        corner = corner or "baseline"
        units = [load_unit(name, corner)]
        specs = {units[0].name: read_unit(name, corner)}
    else:
        sysm = load_system(name, corner)
        corner = sysm.corner
        units, specs = list(sysm.units.values()), {u.name: u for u in sysm.spec.units}
    from lightcode.core.devices import unit_variants

    refs = floor_refs_si()
    results = {}
    for u in units:
        variants = unit_variants(u, op, dtype)
        offered = [v.name for v in variants]
        pick = [v for v in variants if fmt is None or v.name == fmt][:1]
        if fmt is not None and not pick and len(units) == 1:
            raise BadInputError(f"--format: {u.name} has no variant {fmt!r} for this GEMM "
                                f"(offers: {', '.join(offered) or 'none'})")
        if pick:
            v = pick[0]
            r = {"unit": u.name, "supported": True, "format": v.name, "offered": offered,
                 "formats": v.formats.to_dict() if v.formats is not None else None, **v.cost.to_dict()}
            if hasattr(u, "traffic"):  # GPU: HBM bytes by what is read, at the variant's formats
                r["bytes_read"] = u.traffic(op, dtype, v.name)
            results[u.name] = r
        else:
            results[u.name] = {"unit": u.name, "supported": False, "format": fmt, "offered": offered,
                               "latency_s": None, "energy_j": None, "energy_breakdown_j": None}
        results[u.name]["area"] = _area_of(specs[u.name]).to_dict()
        results[u.name]["floor"] = gemm_floor(u, op, dtype, refs)
    if as_json:
        typer.echo(json.dumps(next(iter(results.values())) if len(results) == 1 else {"units": results}))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"GEMM ({m}×{k})·({k}×{n}) {dtype}, corner {corner}, {si(op.flops, 'FLOP')}", title_justify="left")
    t.add_column("")
    for u in results:
        t.add_column(u, justify="right")
    rows = [("format", lambda r: r["format"]), ("latency", lambda r: si(r["latency_s"], "s")),
            ("energy", lambda r: si(r["energy_j"], "J"))]
    rows += [(f"  {k} read", lambda r, k=k: si(r["bytes_read"][k], "B") if "bytes_read" in r else "")
             for k in ("weights", "scales", "activations") if any("bytes_read" in r for r in results.values())]
    comps = sorted({c for r in results.values() if r["supported"] for c, v in r["energy_breakdown_j"].items() if v})
    rows += [(f"  {c}", lambda r, c=c: si(r["energy_breakdown_j"][c], "J")) for c in comps]
    area = lambda r: "not modelled" if r["area"]["total_m2"] is None else f"{r['area']['total_m2'] * 1e6:.2f} mm²"  # noqa: E731
    for label, fmt in rows:
        t.add_row(label, *(fmt(r) if r["supported"] else "cannot run" for r in results.values()))
    t.add_row("area", *(area(r) for r in results.values()))
    comps = sorted({c for r in results.values() if r["area"]["components_m2"] for c in r["area"]["components_m2"]})
    for comp in comps:
        t.add_row(f"  {comp}", *(f"{r['area']['components_m2'][comp] * 1e6:.4g} mm²"
                                 if r["area"]["components_m2"] and comp in r["area"]["components_m2"] else ""
                                 for r in results.values()))

    def above(r, block, key):
        f = r["floor"]
        if f is None:
            return ""
        if not f["physically_checked"]:
            return f["status"]
        return "unreachable" if f.get(block) is None else f"{f[block][key]:.3g}×"

    for label, block, key in (("× above shot floor", "optical", "x_above_floor"),
                              ("ADC × state of the art", "adc", "x_above_sota"),
                              ("ADC × above kT/C floor", "adc", "x_above_thermal"),
                              ("DAC × state of the art", "dac", "x_above_sota"),
                              ("DAC × above kT/C floor", "dac", "x_above_thermal")):
        t.add_row(label, *(above(r, block, key) for r in results.values()))
    con = Console()
    con.print(t)
    for u, r in results.items():
        for line in _floor_lines(r["floor"]):
            con.print(f"{u}: {line}")
