"""The GPU power model against measured serving power: calibration of the kernel-class power floors and the
held-out cases (benchmarks/fit_gpu.py prints the fit, benchmarks/fidelity.py `gpu-power` the table).

Data: ML.ENERGY leaderboard v3, Llama-3.1-8B-Instruct (bf16) on one H100 SXM under vLLM, lm-arena-chat requests
(`ml-energy/leaderboard` public/data/models/meta-llama__Llama-3.1-8B-Instruct__lm-arena-chat.json): per
max_num_seqs, the average GPU power (Zeus/NVML), the energy per output token (request energy / output tokens,
so it includes each request's prefill) and the median inter-token latency (ITL).

Model: one decode step of B tokens, each attending to CONTEXT cached tokens (the mean context of these
requests is not published: a stated guess), on the GPU alone in the unit's regime (default: CUDA graphs);
average power = (Σ op energy + static power × step time) / step time. Calibration: `active_power_fraction`
on the batch-8 power (GEMV-dominated step) and `active_power_fraction_attention` on the batch-512 power
(attention-dominated step); every other batch size, and the Qwen3-8B energies, are held out.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
from scipy.optimize import least_squares

from lightcode.cost.gpu import GpuUnit
from lightcode.hardware.load import read_unit
from lightcode.hardware.probe import decoder_decode_ops

SOURCE = ("ML.ENERGY leaderboard v3, ml-energy/leaderboard public/data/models/"
          "meta-llama__Llama-3.1-8B-Instruct__lm-arena-chat.json (H100 rows)")
# max_num_seqs -> (average power W, J per output token, median ITL ms), the H100 rows of SOURCE
LLAMA31_8B_H100: dict[int, tuple[float, float, float]] = {
    8: (486.44, 0.4548, 7.316), 16: (513.28, 0.2627, 7.912), 32: (559.71, 0.1651, 8.907),
    64: (610.35, 0.1186, 11.500), 96: (643.95, 0.1029, 14.078), 128: (669.24, 0.0951, 16.482),
    192: (688.25, 0.0837, 20.908), 256: (690.51, 0.0766, 26.126), 384: (686.52, 0.0742, 37.701),
    512: (688.30, 0.0702, 47.408), 768: (685.14, 0.0713, 62.931),
}
CALIBRATION_BATCHES: tuple[int, int] = (8, 512)  # (active_power_fraction, active_power_fraction_attention)
# Qwen3-8B on 1x H100, J per output token (llm_perf_models.md §2.4, same leaderboard): held out
QWEN3_8B_H100_J: dict[int, float] = {8: 0.444, 128: 0.097}
CONTEXT = 1024  # guess: cached tokens per request during decode (lm-arena-chat's mean is not published)

LLAMA31_8B = dict(layers=32, hidden=4096, heads=32, intermediate=14336, vocab=128256, kv_heads=8)
QWEN3_8B = dict(layers=36, hidden=4096, heads=32, intermediate=12288, vocab=151936, kv_heads=8)


def h100(**override: float) -> GpuUnit:
    """The library H100 (clocked-idle wait, CUDA graphs) with some parameters replaced."""
    params = read_unit("h100-sxm").si()
    params.update(override)
    return GpuUnit("h100-sxm", params)


def decode_step(unit: GpuUnit, batch: int, shape: Mapping[str, int] = LLAMA31_8B,
                context: int = CONTEXT) -> tuple[float, float]:
    """(time s, energy J) of one decode step of `batch` tokens on the GPU alone, its wait power included."""
    t = e = 0.0
    for op in decoder_decode_ops(**shape, context=context, batch=batch, dtype="bf16"):
        c = unit.op_cost(op, "bf16")
        t += c.latency_s
        e += c.total_energy_j
    return t, e + unit.static_power_w * t


def fit_power_floors(batches: tuple[int, int] = CALIBRATION_BATCHES) -> tuple[float, float, float]:
    """(active_power_fraction, active_power_fraction_attention, rms relative power error at the two
    calibration batches), least squares on predicted/measured average power − 1, floors bounded to [0, 1]."""
    meas = np.array([LLAMA31_8B_H100[b][0] for b in batches])

    def resid(x):
        u = h100(active_power_fraction=x[0], active_power_fraction_attention=x[1])
        pred = np.array([(lambda te: te[1] / te[0])(decode_step(u, b)) for b in batches])
        return pred / meas - 1.0

    r = least_squares(resid, x0=[0.6, 0.6], bounds=([0.0, 0.0], [1.0, 1.0]))
    return float(r.x[0]), float(r.x[1]), float(np.sqrt(np.mean(r.fun ** 2)))


def decode_table(unit: GpuUnit | None = None) -> list[dict]:
    """Per ML.ENERGY batch size: predicted vs measured ITL, average power, energy per token of the decode step
    (measured: power × median ITL / batch) and the published J/token (which also carries the prefill), and
    whether the point was used for calibration."""
    unit = unit or h100()
    rows = []
    for b, (power, j_tok, itl_ms) in LLAMA31_8B_H100.items():
        t, e = decode_step(unit, b)
        rows.append({"model": "Llama-3.1-8B", "batch": b, "in_sample": b in CALIBRATION_BATCHES,
                     "itl_s": (t, itl_ms * 1e-3), "power_w": (e / t, power),
                     "step_j_per_token": (e / b, power * itl_ms * 1e-3 / b), "j_per_token": (e / b, j_tok)})
    for b, j_tok in QWEN3_8B_H100_J.items():
        t, e = decode_step(unit, b, QWEN3_8B)
        rows.append({"model": "Qwen3-8B", "batch": b, "in_sample": False, "itl_s": (t, None),
                     "power_w": (e / t, None), "step_j_per_token": (e / b, None), "j_per_token": (e / b, j_tok)})
    return rows
