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


def register(app: typer.Typer) -> None:
    def compile_cmd(**kw: Any) -> None:
        """Map MODEL onto SYSTEM optimally (exact selection + scheduling) and report latency and energy."""
        from lightcode.core.outputs import check_out_dir
        from lightcode.pipeline.compile import run_compile

        as_json, out = kw.pop("as_json"), kw.pop("out")
        request = CompileRequest(**kw)  # every field validated before any work
        if out is not None:
            check_out_dir(out)  # before the compile: an unwritable path fails fast
        res = run_compile(request.model, request, out_dir=out)
        for w in res.warnings:  # a time-out is FEASIBLE with its gap: warn, exit 0
            typer.echo(f"warning: {w}", err=True)
        if as_json:
            typer.echo(json.dumps(res.to_json_dict(), sort_keys=True))
        else:
            from lightcode.report.tables import print_compile_result

            print_compile_result(res)
            if out:
                typer.echo(f"wrote {out}/ (report.json, traces, figures)")

    extra = [
        inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, annotation=bool,
                          default=typer.Option(False, "--json", help="print one JSON object (docs/DESIGN.md §4)")),
        inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[str],
                          default=typer.Option(None, "--out", help="write report.json, traces and figures here")),
    ]
    compile_cmd.__signature__ = inspect.Signature(request_parameters() + extra)  # type: ignore[attr-defined]
    app.command("compile")(compile_cmd)
