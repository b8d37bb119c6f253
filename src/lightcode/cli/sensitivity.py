"""`lightcode sensitivity MODEL …`: what the answer hinges on (experiments/sensitivity.py). Its request
options are compile's (the CompileRequest fields)."""

from __future__ import annotations

import inspect
import json
from typing import Any, Optional

import typer

from lightcode.cli.compile import request_from_cli, request_parameters
from lightcode.core.si import si


def _opt(name: str, default: Any, annotation: Any, *decls: str, help: str) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                             default=typer.Option(default, *decls, help=help))


def register(app: typer.Typer) -> None:
    def sensitivity_cmd(**kw: Any) -> None:
        """One parameter at a time, each point re-solved exactly, ranked by how far it swings the objective
        (default objective: energy). Varied: every unit parameter (corners, else ± a fraction; 0/1 switches
        at both values), the system's own parameters (system.memory.M.F, system.link.A:B.F,
        system.crossing.F at ± a fraction) and its GPU operating choices (system.gpu_wait_state,
        system.execution_regime: every alternative). What is not varied is listed with its reason."""
        from lightcode.core.outputs import check_out_dir, check_out_file
        from lightcode.experiments import sensitivity as sens

        opts = {k: kw.pop(k) for k in ("params", "range_", "workers", "scheduler", "db", "as_json", "out",
                                       "breakeven", "low", "high")}
        if kw.get("objective") is None:
            kw["objective"] = "energy"
        request = request_from_cli(kw)
        if opts["out"] is not None:
            check_out_dir(opts["out"])
        if opts["breakeven"]:
            res = sens.breakeven(request, opts["breakeven"], low=opts["low"], high=opts["high"])
            if opts["as_json"]:
                typer.echo(json.dumps(res, sort_keys=True))
            elif res["found"]:
                a, b = res["between"]
                side = "below" if res["photonic_below"] else "above"  # photonic_below: chosen at the low end
                typer.echo(f"{res['param']}: the photonic units are chosen {side} {a:.4g}…{b:.4g} {res['unit']} "
                           f"({res['objective']} objective; baseline value {res['baseline_value']:.4g} {res['unit']}; "
                           f"{len(res['steps'])} exact solves)")
            else:
                where = "always" if res["photonic_everywhere"] else "never"
                typer.echo(f"{res['param']}: photonic units {where} chosen over "
                           f"{res['searched'][0]:.4g}…{res['searched'][1]:.4g} {res['unit']}")
            return
        if opts["workers"] < 0:
            from lightcode.errors import BadInputError

            raise BadInputError(f"--workers must be >= 0, got {opts['workers']}")
        db = opts["db"] or (f"{opts['out']}/sensitivity.sqlite" if opts["out"] else "sensitivity.sqlite")
        check_out_file(db, "--db")
        res = sens.run_sensitivity(request, range_=opts["range_"], params=opts["params"], workers=opts["workers"],
                                   scheduler=opts["scheduler"], db=db, progress=not opts["as_json"])
        if opts["out"]:
            from pathlib import Path

            out = Path(opts["out"])
            (out / "sensitivity.json").write_text(json.dumps(res, indent=1, sort_keys=True))
            sens.plot_tornado(res, out / "tornado.png")
        if opts["as_json"]:
            typer.echo(json.dumps(res, sort_keys=True))
            return
        _print(res)

    extra = [
        _opt("params", "all", str, "--params",
             help="all, or a comma list of unit.param and system keys (system.memory.hbm.bandwidth, "
                  "system.link.A:B.bandwidth, system.crossing.latency, system.gpu_wait_state, …)"),
        _opt("range_", "corners", str, "--range", help="corners (± 20 % where a parameter has none) or ±FRACTION"),
        _opt("workers", 2, int, "--workers", "-w", help="Dask worker processes; 0 = in-process"),
        _opt("scheduler", None, Optional[str], "--scheduler", help="address of a running Dask scheduler"),
        _opt("db", None, Optional[str], "--db", help="results database (default: OUT/sensitivity.sqlite or ./)"),
        _opt("as_json", False, bool, "--json", help="print one JSON object"),
        _opt("out", None, Optional[str], "--out", help="write sensitivity.json and tornado.png here"),
        _opt("breakeven", None, Optional[str], "--breakeven",
             help="unit.param or a numeric system key: bisect the value at which the photonic units stop "
                  "(or start) being chosen"),
        _opt("low", None, Optional[float], "--low", help="--breakeven: lower end of the search (SI)"),
        _opt("high", None, Optional[float], "--high", help="--breakeven: upper end of the search (SI)"),
    ]
    sensitivity_cmd.__signature__ = inspect.Signature(request_parameters() + extra)  # type: ignore[attr-defined]
    app.command("sensitivity")(sensitivity_cmd)


def _print(res: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    b = res["baseline"]
    t = Table(title=f"sensitivity of the {res['objective']} optimum (baseline {b['objective']:.4g}, saving "
                    f"{(b['saving'] or 0):.1%} vs all-electronic, {b['photonic_ops']} photonic ops)",
              title_justify="left")
    for col in ("rank", "parameter", "range", "low → high", "objective low / high", "saving low / high",
                "ops moved", "swing"):
        t.add_column(col, overflow="fold")
    for p in res["parameters"]:
        lo, hi = p["low"], p["high"]

        def cell(d: dict, k: str, fmt: str) -> str:
            return format(d[k], fmt) if k in d and d[k] is not None else d.get("error", "-")[:30]

        if p.get("kind") == "categorical":  # low/high: the alternatives with the lowest/highest objective
            values = f"{lo['value']} → {hi['value']} (of {', '.join(str(a['value']) for a in p['alternatives'])})"
        else:
            values = f"{lo['value']:.4g} → {hi['value']:.4g} {'' if p['unit'] == '1' else p['unit']}"
        t.add_row(str(p["rank"]), p["param"], p["range"], values,
                  f"{cell(lo, 'objective', '.4g')} / {cell(hi, 'objective', '.4g')}",
                  f"{cell(lo, 'saving', '.1%')} / {cell(hi, 'saving', '.1%')}",
                  f"{lo.get('ops_moved', '-')} / {hi.get('ops_moved', '-')}",
                  "-" if p["swing"] != p["swing"] else f"{p['swing']:.1%}" + (" (one end)" if p.get("one_sided") else ""))
    console = Console()
    console.print(t)
    console.print("swing = |objective(high) − objective(low)| / baseline objective; a switch is solved at 0 and 1, "
                  "a categorical choice at every alternative (low/high: its lowest/highest-objective ones); "
                  "(one end): the other end is not a valid unit, the swing is against the baseline")
    for s in res["skipped"]:
        console.print(f"not varied: {s['param']}: {s['why']}")
    console.print(f"{res['points']} points in {si(res['wall_s'], 's', 3)}; {len(res['parameters'])} parameters varied, "
                  f"{len(res['skipped'])} not; results in {res['db']}")
