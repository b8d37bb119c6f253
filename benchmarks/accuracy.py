"""Functional-accuracy speed benchmark: `python -m benchmarks.accuracy [--windows 8] [--window 256]`.

Prints (no assertions): wall time of one mapping's functional evaluation over 2 K held-out tokens (8 windows
× 256) — the energy optimum of SmolLM2-135M on h100+ddot-b-4bit (every GEMM analog) and the all-GPU fp16
mapping — beside the same-process baseline: the stock model's forward over the same tokens, with the
same one BLAS thread (set by the evaluator itself, numerics/twin.py). Goal: ≤ 60 s per mapping on 2
cores. Model load and the reference pass (cached per evaluator) are timed separately.
"""

from __future__ import annotations

import argparse
import os
import time


def _load() -> str:
    """The machine's load beside every figure: on shared cores a wall time means little without it."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--windows", type=int, default=8)
    ap.add_argument("--window", type=int, default=256)
    a = ap.parse_args()
    import torch

    from lightcode.numerics import evaluate as ev
    from lightcode.pipeline.compile import run_compile

    t = time.perf_counter()
    r = run_compile("smollm2-135m", seq_len=512, objective="energy", heuristics=False)
    t_compile = time.perf_counter() - t
    cfg = ev.EvalConfig(windows=a.windows, window=a.window)
    t = time.perf_counter()
    e = ev.evaluator("smollm2-135m", cfg)
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    e.reference()
    t_ref = time.perf_counter() - t
    t = time.perf_counter()
    with torch.no_grad():
        for w in range(cfg.windows):
            e.twin.lm(input_ids=e.ids[w : w + 1], use_cache=False)
    t_stock = time.perf_counter() - t
    print(f"at start: {_load()}")
    print(f"threads: {torch.get_num_threads()}  tokens: {cfg.tokens}  compile {t_compile:.1f} s  "
          f"model load {t_load:.1f} s  reference pass (log-probs cached) {t_ref:.1f} s")
    print(f"baseline: stock forward over the same tokens {t_stock:.1f} s")
    b16 = r.baseline_dtype  # the all-GPU mapping at the graph's own fp16 (the parity baseline runs fp8/int8)
    for name, assignment, st in (("energy optimum (analog GEMMs)", r.chosen.assignment, r.stacked),
                                 ("all-GPU fp16", b16.assignment, b16.stacked or r.stacked)):
        t = time.perf_counter()
        acc = ev.evaluate_accuracy(assignment, st, config=cfg)
        dt = time.perf_counter() - t
        print(f"{name:<32} {dt:6.1f} s  ({dt / t_stock:.2f}x the stock forward; goal ≤ 60 s)  "
              f"Δppl {acc['ppl_increase']['value']:+.3g}  [{_load()}]")


if __name__ == "__main__":
    main()
