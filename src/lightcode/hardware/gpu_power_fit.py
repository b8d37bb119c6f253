"""The GPU power model against measured serving: calibration and the held-out table (benchmarks/fit_gpu.py
prints the fit, benchmarks/fidelity.py `gpu-power` the table).

Data: hardware/serving_measurements.py (ML.ENERGY v3, vLLM on one H100, Llama-3.1-8B and Qwen3-8B).
Model: hardware/serving_step.py, the engine's steady state: decode steps of the measured mean batch with the
prompts of arriving requests prefilled inside them, on the GPU alone in the unit's regime (CUDA graphs).

Three numbers are fitted, all on Llama-3.1-8B at max_num_seqs 8 and 512 (in-sample): the kernel-class power
floors `active_power_fraction` (GEMM-dominated small batch) and `active_power_fraction_attention`
(attention-dominated large batch), and the mean prompt length of the requests, which ML.ENERGY does not
publish (prompts are the conversation so far, so they grow with the turn). Least squares on the measured
average power and mean step time (batch / output throughput) of the two points. Every other Llama batch size
and every Qwen3-8B row are held out: the same prompts (another tokenizer), another model, another output
length.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import least_squares

from lightcode.cost.gpu import GpuUnit
from lightcode.hardware.load import read_unit
from lightcode.hardware.serving_measurements import MEASURED, SHAPES, SOURCE, ServingPoint
from lightcode.hardware.serving_step import ServingStep, serving_step

__all__ = ["SOURCE", "CALIBRATION", "MEAN_PROMPT_TOKENS", "h100", "predict", "fit", "serving_table"]

CALIBRATION: tuple[str, tuple[int, int]] = ("Llama-3.1-8B", (8, 512))
# derived: fit() (benchmarks/fit_gpu.py) on the CALIBRATION points; tests/test_gpu_power.py refits it
MEAN_PROMPT_TOKENS = 473


def h100(**override: float) -> GpuUnit:
    """The library H100 (clocked-idle wait, CUDA graphs) with some parameters replaced."""
    params = read_unit("h100-sxm").si()
    params.update(override)
    return GpuUnit("h100-sxm", params)


def predict(unit: GpuUnit, model: str, point: ServingPoint, mean_prompt: float = MEAN_PROMPT_TOKENS) -> ServingStep:
    """The modelled steady-state step of one measured run."""
    return serving_step(unit, SHAPES[model], point.avg_batch, point.mean_output, point.output_residual, mean_prompt)


def _point(model: str, max_num_seqs: int) -> ServingPoint:
    return next(p for p in MEASURED[model] if p.max_num_seqs == max_num_seqs)


def fit() -> tuple[float, float, float, float]:
    """(active_power_fraction, active_power_fraction_attention, mean prompt tokens, rms relative error of the
    power and mean step time at the calibration points); floors bounded to [0, 1], the prompt to [0, 8192]."""
    model, batches = CALIBRATION
    pts = [_point(model, b) for b in batches]

    def resid(x):
        u = h100(active_power_fraction=x[0], active_power_fraction_attention=x[1])
        out = []
        for p in pts:
            s = predict(u, model, p, x[2])
            out += [s.power_w / p.power_w - 1.0, s.mean_step_s / p.mean_step_s - 1.0]
        return np.array(out)

    # the prompt moves in whole tokens: a finite-difference step below 1 token sees a flat residual
    r = least_squares(resid, x0=[0.6, 0.6, 300.0], bounds=([0.0, 0.0, 0.0], [1.0, 1.0, 8192.0]),
                      diff_step=[1e-3, 1e-3, 1e-2])
    return float(r.x[0]), float(r.x[1]), float(r.x[2]), float(np.sqrt(np.mean(r.fun ** 2)))


def serving_table(unit: GpuUnit | None = None, mean_prompt: float = MEAN_PROMPT_TOKENS) -> list[dict]:
    """Per measured run: (predicted, measured) mean step time, median ITL, average power and energy per output
    token, and whether the run was used for calibration."""
    unit = unit or h100()
    rows = []
    for model, points in MEASURED.items():
        for p in points:
            s = predict(unit, model, p, mean_prompt)
            rows.append({"model": model, "batch": p.max_num_seqs,
                         "in_sample": model == CALIBRATION[0] and p.max_num_seqs in CALIBRATION[1],
                         "step_s": (s.mean_step_s, p.mean_step_s), "itl_s": (s.median_step_s, p.median_itl_s),
                         "power_w": (s.power_w, p.power_w), "j_per_token": (s.j_per_token, p.j_per_token)})
    return rows
