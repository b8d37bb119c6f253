"""Capture speed: cold capture of gpt2 and llama2-7b, and 64 sequence lengths of llama2-7b.

Goal (issue 3): the 64 lengths together cost ≤ 2× one cold capture. Baseline in the same process: a
static (one-length) export, which is what a per-length capture would pay 64 times.

    python -m benchmarks.capture
"""

from __future__ import annotations

import os
import tempfile
import time


def main() -> None:
    os.environ["LIGHTCODE_CACHE_DIR"] = tempfile.mkdtemp(prefix="lightcode-bench-")  # cold disk cache
    import lightcode as lc
    from lightcode.frontend import capture as cap
    from lightcode.frontend.export import export_prefill
    from lightcode.frontend.model_spec import resolve_model

    t0 = time.perf_counter()
    import torch  # noqa: F401  (imported here so that no model's cold capture pays for it)
    import transformers.models.gpt2.modeling_gpt2  # noqa: F401
    import transformers.models.llama.modeling_llama  # noqa: F401

    print(f"imports (torch, transformers, the two model modules): {time.perf_counter() - t0:6.2f} s, "
          "paid once per process and not counted below")
    rows = []
    for name in ("gpt2", "llama2-7b"):
        cap.clear_memory_cache()
        t0 = time.perf_counter()
        g = lc.capture(name, seq_len=512)
        cold = time.perf_counter() - t0
        spec = resolve_model(name)
        t0 = time.perf_counter()
        export_prefill(spec, 1, "fp16", 512, spec.max_positions)
        static = time.perf_counter() - t0
        rows.append((name, cold, static, len(g.ops)))
        print(f"{name:10s} cold capture (symbolic export + instantiate): {cold:6.2f} s   "
              f"one static export (baseline): {static:6.2f} s   ops: {len(g.ops)}")

    cap.clear_memory_cache()
    lengths = [64 * (i + 1) for i in range(64)]  # 64 … 4096
    t0 = time.perf_counter()
    for s in lengths:
        lc.capture("llama2-7b", seq_len=s)
    total = time.perf_counter() - t0
    cold = rows[1][1]
    print(f"llama2-7b  64 lengths (64…4096), in-process cache cleared first (disk cache warm): {total:6.2f} s")
    cap.clear_memory_cache()
    cap._TEMPLATES.clear()
    import shutil

    shutil.rmtree(os.environ["LIGHTCODE_CACHE_DIR"], ignore_errors=True)
    t0 = time.perf_counter()
    for s in lengths:
        lc.capture("llama2-7b", seq_len=s)
    total_cold = time.perf_counter() - t0
    per_length = rows[1][2] * 64
    print(f"llama2-7b  64 lengths from a fully cold start: {total_cold:6.2f} s = {total_cold / cold:4.2f}× one cold "
          f"capture (goal ≤ 2×); 64 static exports would take ≈ {per_length:6.1f} s "
          f"({per_length / total_cold:5.1f}× slower)")


if __name__ == "__main__":
    main()
