"""`lightcode generate MODEL --prompt S --new-tokens T …`: what one request costs, prefill plus decode
(experiments/generate.py). Its request options are compile's, less the phase and lengths it sets itself."""

from __future__ import annotations

import inspect
import json
from typing import Any, Optional

import typer

from lightcode.cli.compile import request_from_cli, request_parameters
from lightcode.core.si import si
from lightcode.experiments.generate import DEFAULT_MAX_KNOTS, DEFAULT_TOLERANCE

_SET_HERE = ("phase", "seq_len", "context", "heuristics")  # generate decides these per phase


def _opt(name: str, default: Any, annotation: Any, *decls: str, help: str) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                             default=typer.Option(default, *decls, help=help))


def register(app: typer.Typer) -> None:
    def generate_cmd(**kw: Any) -> None:
        """Prefill of an S-token prompt, then decode to T new tokens: TTFT, TPOT (mean, p50/p90/p99),
        tokens/s and J/token for the all-electronic baseline and each optimum."""
        from lightcode.core.outputs import check_out_dir
        from lightcode.experiments.generate import run_generate

        prompt, t = kw.pop("prompt"), kw.pop("new_tokens")
        as_json, out = kw.pop("as_json"), kw.pop("out")
        tol, max_knots, check = kw.pop("tolerance"), kw.pop("max_knots"), kw.pop("check_every_step")
        request = request_from_cli(kw, phase="prefill", seq_len=prompt)
        if out is not None:
            check_out_dir(out)
        res = run_generate(request, t, tolerance=tol, max_knots=max_knots, check_every_step=check)
        d = res.to_json_dict()
        if out is not None:
            from pathlib import Path

            p = Path(out)
            p.mkdir(parents=True, exist_ok=True)
            (p / "generate.json").write_text(json.dumps(d, indent=1, sort_keys=True))
            res.plot(p / "generate.png")
        if as_json:
            typer.echo(json.dumps(d, sort_keys=True))
            return
        _print(d)
        if out is not None:
            typer.echo(f"wrote {out}/ (generate.json, generate.png)")

    params = [p for p in request_parameters() if p.name not in _SET_HERE]
    extra = [
        _opt("prompt", ..., int, "--prompt", help="prompt length S (tokens)"),
        _opt("new_tokens", ..., int, "--new-tokens", "-t", help="new tokens T to generate"),
        _opt("tolerance", DEFAULT_TOLERANCE, float, "--tolerance",
             help="relative interpolation error allowed at a held-out decode context"),
        _opt("max_knots", DEFAULT_MAX_KNOTS, int, "--max-knots", help="most decode contexts to compile"),
        _opt("check_every_step", False, bool, "--check-every-step",
             help="also compile every decode context and report the measured interpolation error"),
        _opt("as_json", False, bool, "--json", help="print one JSON object"),
        _opt("out", None, Optional[str], "--out", help="write generate.json and generate.png here"),
    ]
    generate_cmd.__signature__ = inspect.Signature(params[:1] + extra[:2] + params[1:] + extra[2:])  # type: ignore[attr-defined]
    app.command("generate")(generate_cmd)


def _print(d: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{d['model']} on {d['system']}: prompt {d['prompt']}, {d['new_tokens']} new tokens, "
                    f"batch {d['batch']}", title_justify="left")
    for col in ("mapping", "TTFT", "TPOT (mean / p50 / p90 / p99)", "tokens/s", "energy/request", "energy/token",
                "mapping changes"):
        t.add_column(col)

    def ms(v: Optional[float]) -> str:
        return si(v, "s", 3)

    for name, m in d["mappings"].items():
        t.add_row(name, ms(m["ttft_s"]), " / ".join(ms(m[k]) for k in ("tpot_s", "tpot_p50_s", "tpot_p90_s",
                                                                          "tpot_p99_s")),
                  si(m["tokens_per_s"], "/s"), si(m["energy_per_request_j"], "J"), si(m["energy_per_token_j"], "J"),
                  str(len(m["mapping_changes"])))
    c = Console()
    c.print(t)
    i = d["interpolation"]
    err = f"; measured over every step {i['measured_max_rel_error']:.2%}" if "measured_max_rel_error" in i else ""
    c.print(f"{len(i['knots'])} decode contexts compiled {i['knots']}; held-out interpolation error "
            f"{i['held_out_max_rel_error']:.2%} (tolerance {i['tolerance']:.2%}){err}")
    for n in d["notes"]:
        c.print(f"note: {n}")
