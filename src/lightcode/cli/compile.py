"""`lightcode compile`: the main job (docs/DESIGN.md §1, §4). Thin: parses, calls `run_compile`, prints."""

from __future__ import annotations

import json
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command("compile")
    def compile_cmd(
        model: str = typer.Argument(..., help="preset name (e.g. llama2-7b) or path to a HF config.json / its directory"),
        system: str = typer.Option("h100+ddot-b-4bit", "--system", help="system preset or YAML path (lightcode hardware list)"),
        phase: str = typer.Option("prefill", "--phase", help="prefill | decode"),
        seq_len: Optional[int] = typer.Option(None, "--seq-len", "-s", help="prompt length S (prefill)"),
        context: Optional[int] = typer.Option(None, "--context", "-c", help="decode: KV-cache length C"),
        batch: int = typer.Option(1, "--batch", "-b", help="batch size B"),
        dtype: str = typer.Option("fp16", "--dtype", help="fp16 | bf16 | fp32"),
        objective: Optional[str] = typer.Option(None, "--objective", help="latency | energy | edp | pareto (default: show all-electronic, latency- and energy-optimal side by side)"),
        latency_budget: Optional[float] = typer.Option(None, "--latency-budget", help="latency budget, seconds"),
        energy_budget: Optional[float] = typer.Option(None, "--energy-budget", help="energy budget, joules"),
        time_limit: float = typer.Option(10.0, "--time-limit", help="solver time limit per objective, seconds"),
        corner: Optional[str] = typer.Option(None, "--corner", help="conservative | baseline | aggressive"),
        as_json: bool = typer.Option(False, "--json", help="print one JSON object (the contract in docs/DESIGN.md §4)"),
        out: Optional[str] = typer.Option(None, "--out", help="write report.html, report.json, a Perfetto trace and a timeline per mapping, energy and latency-energy figures here"),
        fmt: str = typer.Option("png", "--format", help="figure format for --out: png | pdf | svg"),
        dpi: Optional[int] = typer.Option(None, "--dpi", help="figure resolution for --out (png), dots per inch (default 200)"),
    ) -> None:
        """Map MODEL onto SYSTEM optimally (exact CP-SAT selection + scheduling) and report latency and energy."""
        from lightcode.core.selection import Objective
        from lightcode.pipeline.compile import run_compile
        from lightcode.report.style import check_format

        if objective is not None:
            Objective.parse(objective)  # unknown names fail before the capture (exit 2, known names listed)
        fmt = check_format(fmt, dpi)
        res = run_compile(model, system=system, phase=phase, seq_len=seq_len, context=context, batch=batch,
                          dtype=dtype, objective=objective, latency_budget_s=latency_budget,
                          energy_budget_j=energy_budget, time_limit_s=time_limit, corner=corner)
        written = None
        if out:
            from lightcode.report.progress import stage

            with stage(f"writing {out}"):
                written = res.write(out, fmt=fmt, dpi=dpi)
        for w in res.warnings:  # a time-out is FEASIBLE with its gap: warn, exit 0
            typer.echo(f"warning: {w}", err=True)
        if as_json:
            typer.echo(json.dumps(res.to_json_dict(), sort_keys=True))
        else:
            from lightcode.report.tables import print_compile_result

            print_compile_result(res)
        if written:
            typer.echo(f"wrote {out}/: report.html, report.json, {len([k for k in written if k.startswith('trace-')])} "
                       f"mappings' traces (trace-*.json, open in Perfetto) and timelines, energy and latency_energy "
                       f"figures ({fmt})", err=as_json)
