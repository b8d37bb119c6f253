"""Sweep throughput: Llama-2-7B prefill, 64 lengths (16…4096, log-spaced) × 3 objectives × 4 systems
(768 points), on a LocalCluster of 1 and then 2 worker processes. Goal: ≤ 60 s with 2 workers on 2 cores.

    python -m benchmarks.sweep                 # the real point function (run_compile)
    python -m benchmarks.sweep --fake          # engine overhead only (no compiler)
    python -m benchmarks.sweep --workers 2 --lengths 16

The capture's disk cache is warmed once before timing (a sweep of many lengths reuses one captured
template), so both runs measure the per-point compile plus the engine, not the first capture.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from lightcode.experiments.spec import parse_spec
from lightcode.experiments.sweep import run_sweep

SYSTEMS = ["h100", "h100+ddot-b-4bit", "h100+ptu-lightcode", "a100+mrr-bank"]


def _fake(params: dict) -> dict:
    return {"result": {"latency_s": 1e-3, "energy_j": 1.0}, "solver": {"status": "OPTIMAL"}}


def _cpu_s() -> float:
    """CPU seconds of this process and of its terminated, waited-for children (the LocalCluster's)."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.sweep")
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts (default 1,2)")
    ap.add_argument("--lengths", type=int, default=64)
    ap.add_argument("--model", default="llama2-7b")
    ap.add_argument("--fake", action="store_true", help="a trivial point function: measures the engine alone")
    ap.add_argument("--no-heuristics", action="store_true", help="skip the greedy/path-search baselines per point")
    args = ap.parse_args(argv)

    spec = parse_spec({
        "name": "bench", "models": [args.model], "systems": SYSTEMS,
        "seq_lens": {"start": 16, "stop": 4096, "num": args.lengths, "scale": "log"},
        "objectives": ["latency", "energy", "edp"], "time_limit_s": 10, "heuristics": not args.no_heuristics,
    }, check_names=not args.fake)
    n = len(spec.points())
    fn = "benchmarks.sweep:_fake" if args.fake else None
    if not args.fake:  # warm the disk capture cache (one template serves every length)
        from lightcode.experiments.point import compile_point

        t = time.perf_counter()
        compile_point(spec.points()[0].to_dict())
        print(f"warm-up (capture + one point, in process): {time.perf_counter() - t:.1f} s")
    print(f"{args.model}: {n} points ({n // 12} lengths × 3 objectives × {len(SYSTEMS)} systems), "
          f"{os.cpu_count()} cores{' [fake point function]' if args.fake else ''}")
    rates = {}
    for w in [int(x) for x in args.workers.split(",")]:
        load0, cpu0 = os.getloadavg()[0], _cpu_s()
        with tempfile.TemporaryDirectory() as d:
            s = run_sweep(spec, Path(d) / "bench.sqlite", point_fn=fn, workers=w, progress=False)
        cpu = _cpu_s() - cpu0  # client + (reaped) cluster processes
        rates[w] = s.points_per_s
        print(f"workers={w}: {s.ran} points ({s.ok} ok, {s.errors} errors) in {s.wall_s:.1f} s "
              f"→ {s.points_per_s:.1f} points/s (incl. cluster start); CPU {cpu:.0f} s = {1e3 * cpu / max(s.ran, 1):.0f} "
              f"ms/point, i.e. {cpu / w:.0f} s on {w} idle core(s); load average {load0:.1f} → {os.getloadavg()[0]:.1f}")
    if 1 in rates and 2 in rates:
        print(f"speed-up 2 vs 1 workers: {rates[2] / rates[1]:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
