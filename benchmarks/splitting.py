"""Where splitting a GEMM between the GPU and the photonic unit pays (issue 17 part B; docs/splitting.md).

For each hybrid system and shape: the latency optimum without split realizations, with them (eighths,
cost/split.py), and the all-GPU baseline — each simulated (latency, energy), with the solver's status, its
wall time (the same-process baseline for the split option's cost in solve time) and the ops the optimum
splits. Shapes: Llama-2-7B prefill S = 512 and 2048, decode C = 2048 at batch 1 and 64. Precision policy:
parity (the default), so the GPU runs at the photonic unit's weight/activation floor too.

Assumptions, printed with the table: both mappings are exact optima of the same cost models (OPTIMAL unless
the status says otherwise, within the solver's time grid); splitting adds options and never removes any, so
"with" ≤ "without" up to the grid; the all-GPU baseline is the host's fastest admitted variant per op.

    nice python -m benchmarks.splitting [--systems h100+ddot-l-8bit,...] [--shapes p512,p2048,d1,d64]
                                       [--solver cpsat|highs] [--objective latency] [--out rows.json]
Rows already in --out are kept (the grid is resumable); the table is printed from all of them.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

SHAPES = {"p512": ("prefill", 512, None, 1), "p2048": ("prefill", 2048, None, 1),
          "d1": ("decode", None, 2048, 1), "d64": ("decode", None, 2048, 64)}
SHAPE_LABEL = {"p512": "prefill S=512", "p2048": "prefill S=2048", "d1": "decode C=2048 B=1",
               "d64": "decode C=2048 B=64"}


def hybrid_systems() -> list[str]:
    from lightcode.hardware.load import list_systems

    return [s for s in list_systems() if "+" in s and s.split("+")[0] in ("h100", "a100")]


def run_row(system_name: str, shape: str, solver: str, objective: str, time_limit_s: float,
            denominator: int = 8) -> dict:
    from lightcode.frontend.capture import capture
    from lightcode.hardware.load import load_system
    from lightcode.select import Objective, select
    from lightcode.sim.simulate import simulate
    from lightcode.stack.stacked import StackedGraph

    phase, s, c, b = SHAPES[shape]
    g = capture("llama2-7b", seq_len=s, phase=phase, context=c, batch=b)
    system = load_system(system_name)
    from fractions import Fraction

    fractions = tuple(Fraction(k, denominator) for k in range(1, denominator))
    row = {"system": system_name, "shape": shape, "solver": solver, "objective": objective,
           "denominator": denominator}
    obj = Objective.parse(objective)
    for tag, split in (("whole", False), ("split", True)):
        st = StackedGraph(g, system, split=split, split_fractions=fractions)
        t0 = time.perf_counter()
        a = select(st, obj, time_limit_s=time_limit_s, backend=solver)
        wall = time.perf_counter() - t0
        sim = simulate(st, a)
        reals = st.chosen(a.choice)
        row[tag] = {"latency_s": sim.latency_s, "energy_j": sim.energy_j, "status": a.status.value,
                    "solve_s": wall, "gap": a.gap, "split_ops": sum(1 for r in reals if r.parts),
                    "photonic_ops": sum(1 for r in reals if r.unit != st.host),
                    "options": sum(len(r) for r in st.realizations)}
        if tag == "whole":
            base = select(st, Objective.LATENCY, method="all-electronic")
            bsim = simulate(st, base)
            row["all_gpu"] = {"latency_s": bsim.latency_s, "energy_j": bsim.energy_j}
    return row


def table(rows: list[dict]) -> str:
    head = ("| system | shape | all-GPU ms | J | optimum ms | J | with split ms | J | Δ latency | split ops | "
            "solve s (whole → split) | status |")
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        g, w, s = r["all_gpu"], r["whole"], r["split"]
        d = s["latency_s"] / w["latency_s"] - 1.0
        out.append(f"| {r['system']} | {SHAPE_LABEL[r['shape']]} | {g['latency_s'] * 1e3:.3f} | {g['energy_j']:.3f} | "
                   f"{w['latency_s'] * 1e3:.3f} | {w['energy_j']:.3f} | {s['latency_s'] * 1e3:.3f} | "
                   f"{s['energy_j']:.3f} | {d * 100:+.1f} % | {s['split_ops']} | "
                   f"{w['solve_s']:.1f} → {s['solve_s']:.1f} | {w['status']} / {s['status']} |")
    return "\n".join(out)


ASSUMPTIONS = (
    "Llama-2-7B, fp16 graph, parity precision policy; the objective's optimum of the exact selection without and with "
    "split realizations (the photonic unit's share f ∈ {1/8 … 7/8} of a GEMM's output columns or heads, both "
    "halves at once, each at its own unit's cost model and memory traffic, moves by the transfer law); all-GPU "
    "= every op on the host in its fastest admitted variant; latency and energy simulated; solve s = wall time "
    "of select() in this process (2 shared cores).")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--systems", default=None, help="comma-separated (default: every shipped h100+/a100+ system)")
    ap.add_argument("--shapes", default=",".join(SHAPES), help=f"comma-separated of {', '.join(SHAPES)}")
    ap.add_argument("--solver", default="cpsat")
    ap.add_argument("--objective", default="latency")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--denominator", type=int, default=8, help="fractions k/D, k = 1 … D−1 (default eighths)")
    ap.add_argument("--out", default=None, help="JSON rows, kept and extended (resumable)")
    args = ap.parse_args(argv)
    systems = args.systems.split(",") if args.systems else hybrid_systems()
    path = Path(args.out) if args.out else None
    rows = json.loads(path.read_text()) if path and path.exists() else []
    which = (args.solver, args.objective, args.denominator)
    done = {(r["system"], r["shape"], r["solver"], r["objective"], r.get("denominator", 8)) for r in rows}
    for sysname in systems:
        for shape in args.shapes.split(","):
            if (sysname, shape, *which) in done:
                continue
            t0 = time.perf_counter()
            rows.append(run_row(sysname, shape, args.solver, args.objective, args.time_limit, args.denominator))
            print(f"# {sysname} {shape}: {time.perf_counter() - t0:.1f} s", flush=True)
            if path:
                path.write_text(json.dumps(rows, indent=1))
    print(ASSUMPTIONS)
    print(f"solver {args.solver}, objective {args.objective}, fractions k/{args.denominator}")
    print(table([r for r in rows if (r["solver"], r["objective"], r.get("denominator", 8)) == which
                 and r["system"] in systems]))


if __name__ == "__main__":
    main()
