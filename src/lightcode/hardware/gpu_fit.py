"""Calibration of the GPU family's per-kind efficiencies against Vidur's measured A100 Llama-2-7B kernel
medians (benchmarks/fit_gpu.py prints the values that go into a100-sxm-80gb.yaml; a test refits on the short
lengths only and checks the held-out long ones).

Model (cost/gpu.py): t = max(F / (peak·eff_c), bytes / (BW·eff_m)) + launch_overhead, with peaks,
bandwidth and launch overhead from the A100 YAML (datasheet/sourced, not fitted). Vidur profiles PyTorch
kernels one by one, so the fit runs the eager regime (launch_overhead per kernel; cost/gpu_power.py). Least squares on
measured/predicted - 1, the relative error of the predicted throughput (the quantity an efficiency scales).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import least_squares

from lightcode.cost.gpu import GpuUnit
from lightcode.hardware import vidur_a100 as V
from lightcode.hardware.load import read_unit
from lightcode.hardware.probe import llama2_7b_layer_ops

UNIT = "a100-sxm-80gb"


def unit_with(**override: float) -> GpuUnit:
    params = read_unit(UNIT).si()
    params.update(override)
    return GpuUnit(UNIT, params, regime="eager")


def fit_matmul(tokens: tuple[int, ...] = V.TOKENS) -> tuple[float, float, float]:
    """(compute_eff_matmul, memory_eff_matmul, rms relative error) fitted on the GEMMs at `tokens`."""
    ops = {t: llama2_7b_layer_ops(t) for t in tokens}
    meas = np.array([V.measured(o, t) for t in tokens for o in V.OPS])

    def resid(x):
        u = unit_with(compute_eff_matmul=x[0], memory_eff_matmul=x[1])
        pred = np.array([u.op_cost(ops[t][o], "fp16").latency_s for t in tokens for o in V.OPS])
        return meas / pred - 1.0

    r = least_squares(resid, x0=[0.7, 0.7], bounds=([0.05, 0.05], [1.0, 1.0]))
    rms = float(np.sqrt(np.mean(r.fun**2)))
    return float(r.x[0]), float(r.x[1]), rms


def fit_vector(kind_param: str, names: dict[str, str]) -> float:
    ops = llama2_7b_layer_ops(4096)
    meas = np.array([V.SMALL_4096_MS[m] * 1e-3 for m in names.values()])

    def resid(x):
        u = unit_with(**{kind_param: x[0]})
        pred = np.array([u.op_cost(ops[o], "fp16").latency_s for o in names])
        return meas / pred - 1.0

    return float(least_squares(resid, x0=[0.5], bounds=([0.01], [1.0])).x[0])
