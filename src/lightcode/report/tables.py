"""Rich tables for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from lightcode.ir.opgraph import OP_KINDS, OpGraph


def print_graph_summary(g: OpGraph, console: Console | None = None) -> None:
    """`lightcode graph`: ops by kind (count, GFLOP, MB read/written, % of FLOPs) and totals."""
    console = console or Console()
    tot = g.totals()
    by = g.by_kind()
    shape = f"batch {g.batch}, " + (f"seq {g.seq_len}" if g.phase == "prefill" else f"1 new token, context {g.context}")
    t = Table(title=f"{g.model.name} — {g.phase} ({shape}, {g.dtype})")
    for col in ("kind", "ops", "GFLOP", "% FLOP", "MB read", "MB written"):
        t.add_column(col, justify="left" if col == "kind" else "right")
    for kind in OP_KINDS:
        if kind not in by:
            continue
        r = by[kind]
        pct = 100.0 * r["flops"] / tot["flops"] if tot["flops"] else 0.0
        t.add_row(kind, str(int(r["count"])), f"{r['flops'] / 1e9:,.3f}", f"{pct:.1f}",
                  f"{r['bytes_read'] / 1e6:,.1f}", f"{r['bytes_written'] / 1e6:,.1f}")
    t.add_section()
    t.add_row("total", str(tot["ops"]), f"{tot['flops'] / 1e9:,.3f}", "100.0",
              f"{tot['bytes_read'] / 1e6:,.1f}", f"{tot['bytes_written'] / 1e6:,.1f}", style="bold")
    console.print(t)
    extra = (f"parameters {g.model.num_parameters / 1e6:,.1f} M ({tot['weight_bytes'] / 1e6:,.1f} MB), "
             f"matmul {tot['matmul_flops'] / 1e9:,.3f} GFLOP")
    if g.phase == "decode":
        extra += f", KV cache read {tot['kv_cache_bytes_read'] / 1e6:,.1f} MB"
    console.print(extra)
