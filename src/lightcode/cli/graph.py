"""`lightcode graph`: capture a model and show its operator graph."""

from __future__ import annotations

import json
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command("graph")
    def graph(
        model: str = typer.Argument(..., help="preset name (e.g. llama2-7b) or path to a HF config.json / its directory"),
        seq_len: int = typer.Option(None, "--seq-len", "-s", help="prompt length S (prefill); decode: new tokens (default 1)"),
        phase: str = typer.Option("prefill", "--phase", help="prefill | decode"),
        context: Optional[int] = typer.Option(None, "--context", "-c", help="decode: KV-cache length C"),
        batch: int = typer.Option(1, "--batch", "-b", help="batch size B"),
        dtype: str = typer.Option("fp16", "--dtype", help="fp16 | bf16 | fp32"),
        as_json: bool = typer.Option(False, "--json", help="print the graph as JSON (the contract in docs/DESIGN.md §4)"),
    ) -> None:
        """Capture MODEL with torch.export on the meta device and summarise its operator graph."""
        from lightcode.frontend.capture import capture
        from lightcode.report.tables import print_graph_summary

        g = capture(model, seq_len=seq_len, phase=phase, context=context, batch=batch, dtype=dtype)
        if as_json:
            typer.echo(json.dumps(g.to_json_dict()))
        else:
            print_graph_summary(g)
