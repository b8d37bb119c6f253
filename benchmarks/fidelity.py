"""Fidelity of the cost models against measured / published numbers: predicted vs reference, % error.

Run: python -m benchmarks.fidelity            (all sections)
     python -m benchmarks.fidelity gpu-vidur  (one section by name)

Each section is a function that prints its table; add one with `@section("name")` (photonic sections
go after the GPU ones). Ops are built from public model shapes (lightcode.hardware.probe), not captured.
"""

from __future__ import annotations

import sys
from typing import Callable

from lightcode.cost.gpu_power import REGIMES, WAIT_STATES
from lightcode.hardware import gpu_power_fit as GP
from lightcode.hardware import vidur_a100 as V
from lightcode.hardware.load import load_unit
from lightcode.hardware.probe import decoder_decode_ops, decoder_prefill_ops, llama2_7b_layer_ops
from lightcode.hardware.serving_step import step_cost as run_ops  # ops back to back, wait power included

SECTIONS: list[tuple[str, Callable[[], None]]] = []


def section(name: str):
    def deco(fn: Callable[[], None]):
        SECTIONS.append((name, fn))
        return fn

    return deco


def pct(pred: float, ref: float) -> str:
    return f"{100 * (pred / ref - 1):+6.1f}%"


# public configs (shapes only)
LLAMA2_7B = dict(layers=32, hidden=4096, heads=32, intermediate=11008, vocab=32000)
LLAMA2_13B = dict(layers=40, hidden=5120, heads=40, intermediate=13824, vocab=32000)


def generate(unit, shape: dict, prompt: int, new_tokens: int, batch: int = 1) -> tuple[float, float]:
    """Prefill (last-position logits, as serving engines do) + new_tokens-1 decode steps."""
    t, e = run_ops(unit, decoder_prefill_ops(**shape, seq=prompt, batch=batch, lm_head_tokens=batch))
    for i in range(new_tokens - 1):
        dt, de = run_ops(unit, decoder_decode_ops(**shape, context=prompt + i, batch=batch))
        t, e = t + dt, e + de
    return t, e


@section("gpu-vidur")
def gpu_vidur() -> None:
    """A100 per-op kernel times vs Vidur's measured medians (the data the efficiencies were fitted on)."""
    u = load_unit("a100-sxm-80gb").operated(regime="eager")  # Vidur profiles eager PyTorch kernels
    print("== GPU: A100 per-op predicted vs measured (Vidur Llama-2-7B mlp.csv medians, ms; in-sample fit; eager) ==")
    print(f"{'tokens':>6} " + " ".join(f"{o:>22}" for o in (*V.OPS, "layer sum")))
    worst_op, worst_sum = 0.0, 0.0
    for t in V.TOKENS:
        ops = llama2_7b_layer_ops(t)
        cells = []
        for o in V.OPS:
            p, m = u.op_cost(ops[o], "fp16").latency_s, V.measured(o, t)
            worst_op = max(worst_op, abs(p / m - 1))
            cells.append(f"{p * 1e3:6.3f}/{m * 1e3:6.3f} {pct(p, m)}")
        p = sum(u.op_cost(op, "fp16").latency_s for op in ops.values())
        m = V.layer_sum(t)
        if t >= 128:
            worst_sum = max(worst_sum, abs(p / m - 1))
        cells.append(f"{p * 1e3:6.3f}/{m * 1e3:6.3f} {pct(p, m)}")
        print(f"{t:>6} " + " ".join(f"{c:>22}" for c in cells))
    print(f"worst per-op error {100 * worst_op:.1f}% (goal <= 25%); worst layer-sum error at >= 128 tokens "
          f"{100 * worst_sum:.1f}% (goal <= 10%)")
    ops = llama2_7b_layer_ops(4096)
    print("small ops at 4096 tokens (ms):", ", ".join(
        f"{k} {u.op_cost(ops[o], 'fp16').latency_s * 1e3:.3f}/{V.SMALL_4096_MS[k]:.3f} {pct(u.op_cost(ops[o], 'fp16').latency_s, V.SMALL_4096_MS[k] * 1e-3)}"
        for k, o in (("rmsnorm", "input_norm"), ("rotary", "rotary"), ("silu_mul", "silu_mul"), ("residual_add", "residual_add_1"))
    ))
    print()


@section("gpu-published")
def gpu_published() -> None:
    """End-to-end numbers published for whole models (llm_perf_models.md §2.3, §2.4) vs our prediction."""
    a100, a100_40, h100 = load_unit("a100-sxm-80gb"), load_unit("a100-sxm-40gb"), load_unit("h100-sxm")
    rows: list[tuple[str, str, float, float, str]] = []  # (setting, metric, ours, published, note)

    t, _ = run_ops(a100_40, decoder_prefill_ops(**LLAMA2_13B, seq=512, lm_head_tokens=1))
    rows.append(("13B, A100-40GB, FasterTransformer, 512 prompt, b1", "prefill ms", t * 1e3, 63.17, "Llama-2-13B shapes assumed"))
    t, _ = run_ops(a100_40, decoder_decode_ops(**LLAMA2_13B, context=512))
    rows.append(("13B, A100-40GB, FasterTransformer, b1", "decode ms/token", t * 1e3, 22.0, "context 512"))
    for unit, label, ref1, ref8 in ((a100, "A100 80GB", 234.0, 329.5), (h100, "H100 80GB", 153.8, 199.2)):
        for b, ref in ((1, ref1), (8, ref8)):
            t, _ = generate(unit, LLAMA2_7B, 128, 20, batch=b)
            oos = "" if unit is a100 else "; H100 out of sample"
            rows.append((f"Llama-2-7B, NeMo/TRT-LLM, {label}, 128 in/20 out, b{b}", "request ms", t * 1e3, ref, "prefill + 19 decode steps" + oos))
    t, _ = run_ops(a100, decoder_prefill_ops(**LLAMA2_7B, seq=512, lm_head_tokens=1))
    rows.append(("Llama-7B, A100-SXM-80GB, 512 prompt (llm-analysis estimate)", "prefill ms", t * 1e3, 31.89, "a model, not a measurement"))
    t, _ = run_ops(a100, decoder_decode_ops(**LLAMA2_7B, context=512))
    rows.append(("Llama-7B, A100-SXM-80GB (llm-analysis estimate)", "decode ms/token", t * 1e3, 7.48, "a model, not a measurement"))

    print("== GPU: published end-to-end numbers vs our prediction (llm_perf_models.md §2.3-2.4) ==")
    w = max(len(r[0]) for r in rows)
    print(f"{'setting':<{w}}  {'metric':<15} {'ours':>9} {'published':>9} {'error':>7}  note")
    for setting, metric, ours, ref, note in rows:
        print(f"{setting:<{w}}  {metric:<15} {ours:9.3f} {ref:9.3f} {pct(ours, ref)}  {note}")
    print()


@section("gpu-gpt2-launch")
def gpu_gpt2_launch() -> None:
    """GPT-2 prefill on H100: launch overhead vs roofline time (eager kernels; §2.3 says launch bound)."""
    from lightcode.hardware.probe import decoder_prefill_ops as pre

    u = load_unit("h100-sxm").operated(regime="eager")
    print("== GPU: GPT-2 (124M) prefill on H100, eager kernels: launch vs roofline ==")
    for s in (128, 512, 1024):
        ops = pre(layers=12, hidden=768, heads=12, intermediate=3072, vocab=50257, seq=s, gated=False, eager_act_kernels=8)
        launch = sum(op.n_fused for op in ops) * u.p["launch_overhead"]
        roof = sum(max(u.roofline(op, "fp16")[:2]) for op in ops)
        print(f"S={s:5d}: kernels {sum(op.n_fused for op in ops):4d}, launch {launch * 1e3:.3f} ms, roofline {roof * 1e3:.3f} ms"
              f" -> {'launch' if launch > roof else 'roofline'} bound")
    print()


def gpu_power_rows() -> list[dict]:
    """The table of `gpu-power` (hardware/gpu_power_fit.py.serving_table), default H100."""
    return GP.serving_table()


def _cell(pair: tuple, scale: float, fmt: str) -> str:
    pred, ref = pair
    return f"{pred * scale:{fmt}}/{ref * scale:{fmt}} {pct(pred, ref)}"


@section("gpu-power")
def gpu_power() -> None:
    """Serving step time AND power AND energy vs measured vLLM serving (ML.ENERGY v3, 1x H100)."""
    u = GP.h100()
    rows = gpu_power_rows()
    print(f"== GPU: steady-state serving on H100 vs measured ({GP.SOURCE}) ==")
    print(f"assumptions: wait state {u.wait_state} ({u.static_power_w:.0f} W; {WAIT_STATES[u.wait_state]}); regime "
          f"{u.regime} ({REGIMES[u.regime]}); the GPU alone; chunked prefill: arriving prompts "
          f"({GP.MEAN_PROMPT_TOKENS} tokens each, fitted: ML.ENERGY does not publish prompt lengths) prefilled "
          "inside the decode steps, Poisson arrivals at batch / mean output per step (hardware/serving_step.py)")
    print("columns: ours/measured error. step = mean engine step (measured: batch / output throughput); ITL = median"
          " inter-token latency; J/tok = GPU energy / output tokens (prefill included)")
    print(f"{'model':<13}{'seqs':>5}  {'fit':<9} {'step ms':>22} {'ITL ms':>22} {'power W':>22} {'J/tok':>24}")
    held: dict[str, list[float]] = {k: [] for k in ("step_s", "itl_s", "power_w", "j_per_token")}
    for r in rows:
        if not r["in_sample"]:
            for k in held:
                held[k].append(abs(r[k][0] / r[k][1] - 1))
        print(f"{r['model']:<13}{r['batch']:>5}  {'in-sample' if r['in_sample'] else 'held out':<9} "
              f"{_cell(r['step_s'], 1e3, '6.2f'):>22} {_cell(r['itl_s'], 1e3, '6.2f'):>22} "
              f"{_cell(r['power_w'], 1, '6.1f'):>22} {_cell(r['j_per_token'], 1, '7.4f'):>24}")
    names = {"j_per_token": "J/token", "step_s": "mean step", "power_w": "power", "itl_s": "median ITL"}
    print(f"held-out |error| over {len(held['j_per_token'])} runs (goal for J/token <= 15%): " + "; ".join(
        f"{names[k]} mean {100 * sum(v) / len(v):.1f}%, worst {100 * max(v):.1f}%" for k, v in held.items()))
    print("where it misses: Qwen3-8B steps come out 5-18% fast and its power 5-14% high, which partly cancel in "
          "J/token (its q/k norms are in the shape; the cause is not identified); the median ITL is the step with "
          "the median number of admitted prompts, which near 0.7 arrivals per step (256 seqs) flips between a "
          "decode-only and a mixed step")
    print()


@section("photonic-ddot-lt")
def photonic_ddot_lt() -> None:
    """DDot/DOTA vs Lightening-Transformer's re-run numbers (tables in benchmarks/fidelity_photonic.py)."""
    from benchmarks.fidelity_photonic import ddot_vs_lt

    ddot_vs_lt()


@section("photonic-lightcode")
def photonic_lightcode() -> None:
    """LightCode PTU vs the consequences of the authors' constants (lightcode.md §2.4)."""
    from benchmarks.fidelity_photonic import lightcode_consequences

    lightcode_consequences()


def main(argv: list[str]) -> None:
    names = [n for n, _ in SECTIONS]
    chosen = argv or names
    for n in chosen:
        if n not in names:
            raise SystemExit(f"unknown section {n!r} (known: {', '.join(names)})")
    for n, fn in SECTIONS:
        if n in chosen:
            fn()


if __name__ == "__main__":
    main(sys.argv[1:])
