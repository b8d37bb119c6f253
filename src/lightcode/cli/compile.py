"""`lightcode compile`: the main job. Thin: its options are the CompileRequest fields (pipeline/request.py),
built into one request, run by `pipeline.compile.run_compile`, printed."""

from __future__ import annotations

import inspect
import json
from typing import Any, Optional

import typer

from lightcode.pipeline.request import FIELDS, CompileRequest, field_default


def _annotation(f) -> Any:
    kind = {"int": int, "float": float, "str": str, "bool": bool}
    if f.metadata.get("cli_text"):  # the request reads the text ("5%")
        return Optional[str]
    text = str(f.type)
    base = next((t for name, t in kind.items() if name in text), str)
    return Optional[base] if "Optional" in text or field_default(f.name) is None else base


def request_parameters() -> list[inspect.Parameter]:
    """One typer option per CLI-visible request field, in field order."""
    params = [inspect.Parameter("model", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str,
                                default=typer.Argument(..., help=FIELDS[0].metadata["help"]))]
    for f in FIELDS:
        m = f.metadata
        if not m.get("cli") or not m.get("flag"):
            continue
        decls = [m["flag"]] + ([m["short"]] if m.get("short") else [])
        params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, annotation=_annotation(f),
                                        default=typer.Option(field_default(f.name), *decls, help=m["help"])))
    return params


def request_from_cli(kw: dict[str, Any], **fixed: Any) -> CompileRequest:
    """The request from parsed CLI options (values given in a CLI unit scaled to SI), validated."""
    for f in FIELDS:
        scale = f.metadata.get("cli_scale")
        if scale and kw.get(f.name) is not None:
            kw[f.name] = kw[f.name] * scale
    return CompileRequest(**kw, **fixed)


def register(app: typer.Typer) -> None:
    def compile_cmd(**kw: Any) -> None:
        """Map MODEL onto SYSTEM optimally (exact selection + scheduling) and report latency and energy."""
        from lightcode.core.outputs import check_out_dir
        from lightcode.pipeline.compile import run_compile
        from lightcode.report.style import check_format

        as_json, out = kw.pop("as_json"), kw.pop("out")
        fmt, dpi = kw.pop("fmt"), kw.pop("dpi")
        request = request_from_cli(kw)  # every field validated before any work
        fmt = check_format(fmt, dpi)
        if out is not None:
            check_out_dir(out)  # before the compile: an unwritable path fails fast
        res = run_compile(request.model, request)
        written = None
        if out:
            from lightcode.report.progress import stage

            with stage(f"writing {out}"):
                written = res.write(out, fmt=fmt, dpi=dpi)
        from lightcode.core.warn import echo_once

        for w in res.warnings:  # a time-out is FEASIBLE with its gap: warn, exit 0
            echo_once(w)
        if as_json:
            typer.echo(json.dumps(res.to_json_dict(), sort_keys=True))
        else:
            from lightcode.report.tables import print_compile_result

            print_compile_result(res)
        if written:
            typer.echo(f"wrote {out}/: report.html, report.json, {len([k for k in written if k.startswith('trace-')])} "
                       f"mappings' traces (trace-*.json, open in Perfetto) and timelines, energy and latency_energy "
                       f"figures ({fmt})", err=as_json)

    extra = [
        inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, annotation=bool,
                          default=typer.Option(False, "--json", help="print one JSON object (docs/DESIGN.md §4)")),
        inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[str],
                          default=typer.Option(None, "--out", help="write report.html, report.json, a Perfetto trace "
                                               "and a timeline per mapping, energy and latency-energy figures here")),
        inspect.Parameter("fmt", inspect.Parameter.KEYWORD_ONLY, annotation=str,
                          default=typer.Option("png", "--format", help="figure format for --out: png | pdf | svg")),
        inspect.Parameter("dpi", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[int],
                          default=typer.Option(None, "--dpi", help="figure resolution for --out (png), dots per inch "
                                               "(default 200)")),
    ]
    compile_cmd.__signature__ = inspect.Signature(request_parameters() + extra)  # type: ignore[attr-defined]
    app.command("compile")(compile_cmd)
