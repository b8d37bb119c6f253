"""Capture speed: cold capture of gpt2 and llama2-7b, 64 sequence lengths and 64 decode contexts of
llama2-7b, and the cold prefill capture of every family that used to be exported whole.

Goals: the 64 lengths together cost ≤ 2× one cold capture (issue 3); the 64 decode contexts ≤ 2× one cold
decode capture (issue 15: one symbolic-cache export serves them all). Baselines in the same process: a
static (one-length) export, which is what a per-length or per-context capture would pay 64 times; for the
families, the full export (LIGHTCODE_FULL_EXPORT=1, what they paid before) against the two-layer
replication, on the tests/configs/ architectures with their layer count raised to 32 (export time grows
with the layer count, not the widths: the model lives on the meta device).

    python -m benchmarks.capture [--skip-prefill] [--families falcon,phi,...]
"""

from __future__ import annotations

import os
import tempfile
import time


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-prefill", action="store_true", help="skip the (issue 3) prefill-length part")
    ap.add_argument("--families", default="", help="comma-separated tests/configs names (default: all)")
    args = ap.parse_args()
    os.environ["LIGHTCODE_CACHE_DIR"] = tempfile.mkdtemp(prefix="lightcode-bench-")  # cold disk cache
    if not args.skip_prefill:
        prefill_lengths()
    decode_contexts()
    families([f for f in args.families.split(",") if f])


def prefill_lengths() -> None:
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



def decode_contexts() -> None:
    import shutil

    import lightcode as lc
    from lightcode.frontend import capture as cap
    from lightcode.frontend.export import export_decode
    from lightcode.frontend.model_spec import resolve_model

    spec = resolve_model("llama2-7b")
    contexts = [64 * (i + 1) for i in range(63)] + [4095]  # 64 … 4032, and the longest the model allows
    cap.clear_memory_cache()
    shutil.rmtree(os.environ["LIGHTCODE_CACHE_DIR"], ignore_errors=True)
    t0 = time.perf_counter()
    lc.capture(spec, phase="decode", context=1000)
    cold = time.perf_counter() - t0
    cap.clear_memory_cache()
    shutil.rmtree(os.environ["LIGHTCODE_CACHE_DIR"], ignore_errors=True)
    t0 = time.perf_counter()
    for c in contexts:
        lc.capture(spec, phase="decode", context=c)
    total = time.perf_counter() - t0
    t0 = time.perf_counter()
    export_decode(spec, 1, "fp16", 1000, spec.max_positions)
    static = time.perf_counter() - t0
    print(f"llama2-7b  decode: one cold capture {cold:6.2f} s; 64 contexts (64…4095) from a fully cold start "
          f"{total:6.2f} s = {total / cold:4.2f}× one cold capture (goal ≤ 2×); 64 static exports would take "
          f"≈ {64 * static:6.1f} s ({64 * static / total:5.1f}× slower)")


def families(names: list[str]) -> None:
    """Cold prefill capture, full export (before) vs two-layer replication (after), at 32 layers."""
    import json
    import shutil
    from pathlib import Path

    from lightcode.frontend import capture as cap
    from lightcode.frontend.arch import layer_count_key
    from lightcode.frontend.model_spec import ModelSpec
    from lightcode.frontend.replicate import reduced_spec

    here = Path(__file__).resolve().parents[1] / "tests" / "configs"
    from transformers import CONFIG_MAPPING

    print("cold prefill capture at 32 layers (tests/configs/ widths), full export → two-layer replication:")
    for path in sorted(here.glob("*.json")):
        if names and path.stem not in names:
            continue
        cfg = json.loads(path.read_text())
        if cfg["model_type"] in ("gpt2", "llama", "mistral", "qwen2") or cfg["model_type"] not in CONFIG_MAPPING:
            continue  # replicated before this issue
        key = layer_count_key(cfg, CONFIG_MAPPING[cfg["model_type"]])
        if key is None:
            continue
        cfg[key] = 32
        for k, v in list(cfg.items()):  # per-layer schedules follow the layer count
            if isinstance(v, list):
                cfg[k] = (v * 32)[:32]
        spec = ModelSpec(f"{path.stem}-32", cfg)
        times = {}
        for mode in ("full", "replicated"):
            cap.clear_memory_cache()
            shutil.rmtree(os.environ["LIGHTCODE_CACHE_DIR"], ignore_errors=True)
            if mode == "full":
                os.environ["LIGHTCODE_FULL_EXPORT"] = "1"
            t0 = time.perf_counter()
            try:
                cap.capture(spec, seq_len=128)
            except Exception as e:  # a refused architecture (BERT, T5, Mamba) has no capture to time
                times = {"refused": type(e).__name__}
                break
            finally:
                os.environ.pop("LIGHTCODE_FULL_EXPORT", None)
            times[mode] = time.perf_counter() - t0
        if "refused" in times:
            continue
        how = "replicated" if reduced_spec(spec) is not None else "not replicable (layers differ): full export both times"
        print(f"  {path.stem:12s} before {times['full']:6.2f} s   after {times['replicated']:6.2f} s   "
              f"({times['full'] / times['replicated']:4.1f}×)   {how}")


if __name__ == "__main__":
    main()
