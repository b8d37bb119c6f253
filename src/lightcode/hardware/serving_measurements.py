"""Measured LLM serving on one H100: the ML.ENERGY leaderboard v3 rows the GPU power model is checked against.

Source: `ml-energy/leaderboard` public/data/models/<model>__lm-arena-chat.json (commit 0cd52da, 2026-02-27),
rows with gpu_model H100 and num_gpus 1. The runs (ml-energy/benchmark configs/vllm/lm-arena-chat/…): vLLM,
bf16, max-num-batched-tokens 8192 (chunked prefill: arriving prompts join the running decode steps),
1024 requests (2048 from max_num_seqs 256 for Llama, 3072 at 768) sampled from LMArena's
arena-human-preference-100k, every turn of a conversation a request whose prompt is the conversation so far,
all requests queued at once (the engine stays at max_num_seqs until the queue drains). GPU energy by
Zeus/NVML over the run.

Per max_num_seqs, what the file gives: the mean running batch (avg_batch_size), mean output tokens per
request, average GPU power, energy per output token (= power / output throughput: prefill included), the
median inter-token latency, the output throughput, and a histogram of output lengths, from which
`output_residual` = E[O²] / (2·E[O]) over the bin midpoints: the mean number of tokens a request in flight
has already decoded (a token in flight belongs to a request with probability ∝ its length O, and sits
uniformly within it).
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = ("ML.ENERGY leaderboard v3 (ml-energy/leaderboard public/data/models/*__lm-arena-chat.json, commit "
          "0cd52da; H100 SXM, 1 GPU, vLLM bf16, chunked prefill with max-num-batched-tokens 8192)")


@dataclass(frozen=True)
class ServingPoint:
    """One measured serving run at a given max_num_seqs."""

    max_num_seqs: int
    avg_batch: float  # mean decoding requests per step
    mean_output: float  # output tokens per request
    power_w: float  # average GPU power over the run
    j_per_token: float  # GPU energy / output tokens (each request's prefill included)
    median_itl_s: float
    throughput: float  # output tokens per second
    output_residual: float  # E[O^2] / (2 E[O]) of the output-length histogram, tokens

    @property
    def mean_step_s(self) -> float:
        """Mean engine step time: every step emits one token per running request."""
        return self.avg_batch / self.throughput


def _rows(table: dict[int, tuple[float, ...]]) -> tuple[ServingPoint, ...]:
    return tuple(ServingPoint(n, b, o, w, j, itl * 1e-3, x, r) for n, (b, o, w, j, itl, x, r) in table.items())


# max_num_seqs: (avg batch, mean output tokens, power W, J/output token, median ITL ms, output tokens/s,
#                output residual tokens)
LLAMA31_8B = _rows({
    8: (7.98, 388.7, 486.44, 0.4548, 7.316, 1069.6, 379),
    16: (15.95, 404.2, 513.28, 0.2627, 7.912, 1953.6, 411),
    32: (31.91, 390.3, 559.71, 0.1651, 8.907, 3391.1, 360),
    64: (63.92, 395.5, 610.35, 0.1186, 11.500, 5147.2, 388),
    96: (95.70, 392.8, 643.95, 0.1029, 14.078, 6260.1, 404),
    128: (127.62, 404.6, 669.24, 0.0951, 16.482, 7036.5, 428),
    192: (191.66, 396.8, 688.25, 0.0837, 20.908, 8223.3, 378),
    256: (255.19, 404.2, 690.51, 0.0766, 26.126, 9009.6, 406),
    384: (383.01, 394.3, 686.52, 0.0742, 37.701, 9248.0, 394),
    512: (510.87, 396.7, 688.30, 0.0702, 47.408, 9805.6, 395),
    768: (690.87, 397.4, 685.14, 0.0713, 62.931, 9602.8, 390),
})
QWEN3_8B = _rows({
    8: (7.97, 646.6, 427.02, 0.4440, 8.204, 961.7, 610),
    16: (15.96, 660.1, 451.34, 0.2587, 8.904, 1744.9, 633),
    32: (31.94, 646.8, 478.08, 0.1633, 10.569, 2927.9, 614),
    64: (63.88, 644.5, 514.39, 0.1192, 13.950, 4314.7, 606),
    96: (95.82, 642.0, 543.84, 0.1035, 17.803, 5254.7, 606),
    128: (127.80, 641.4, 573.01, 0.0966, 20.701, 5930.3, 593),
    192: (191.69, 658.6, 600.15, 0.0866, 26.345, 6932.1, 635),
    256: (255.49, 654.0, 632.81, 0.0820, 31.358, 7718.8, 624),
    384: (382.98, 648.3, 621.66, 0.0753, 42.677, 8257.5, 599),
    512: (474.40, 645.1, 615.59, 0.0721, 47.158, 8534.6, 595),
})

# model shapes (the public Hugging Face configs; Qwen3 normalises each head of q and k)
SHAPES: dict[str, dict[str, int | bool]] = {
    "Llama-3.1-8B": dict(layers=32, hidden=4096, heads=32, intermediate=14336, vocab=128256, kv_heads=8),
    "Qwen3-8B": dict(layers=36, hidden=4096, heads=32, intermediate=12288, vocab=151936, kv_heads=8, qk_norm=True),
}
MEASURED: dict[str, tuple[ServingPoint, ...]] = {"Llama-3.1-8B": LLAMA31_8B, "Qwen3-8B": QWEN3_8B}
