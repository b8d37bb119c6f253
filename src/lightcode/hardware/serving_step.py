"""A serving engine's steady state on one GPU: decode steps with arriving prompts prefilled inside them.

vLLM with chunked prefill (the ML.ENERGY runs, hardware/serving_measurements.py) keeps `batch` requests
decoding; whenever one finishes, a queued request is admitted and its whole prompt is prefilled in the next
step alongside the decodes (prompts shorter than max-num-batched-tokens). So a step carries the B decode
tokens plus k prompts, k the number of requests that finished in the step before: with B requests of mean
output length Ō each finishing with probability ≈ 1/Ō per step, k ~ Poisson(B/Ō) (the binomial's limit).

Per step k: the ops of hardware/probe.decoder_step_ops costed on the GPU unit (its kernels plus its
wait power over the step's time). Over the run: mean step time and energy = the Poisson-weighted means;
average power = energy / time; energy per output token = step energy / B; the median inter-token latency is
the time of the step with the median k (every request in a step waits the same step).

Assumptions, stated where the numbers are printed: every prompt has the mean length (prefill attention is
the only term nonlinear in it, about 1 % of a 473-token prefill's FLOPs); a decode's cached context is the
mean prompt plus the output already decoded (`output_residual`); the GPU alone, no host time between steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from scipy.stats import poisson

from lightcode.cost.gpu import GpuUnit
from lightcode.hardware.probe import decoder_step_ops

_TAIL = 1e-6  # Poisson mass left out of the mean (the sum is renormalised over what is kept)


@dataclass(frozen=True)
class ServingStep:
    mean_step_s: float
    median_step_s: float
    energy_per_step_j: float
    batch: float

    @property
    def power_w(self) -> float:
        return self.energy_per_step_j / self.mean_step_s

    @property
    def j_per_token(self) -> float:
        return self.energy_per_step_j / self.batch


def step_cost(unit: GpuUnit, ops, dtype: str = "bf16") -> tuple[float, float]:
    """(time s, energy J) of a list of ops run back to back on the GPU alone, its wait power included."""
    t = e = 0.0
    for op in ops:
        c = unit.op_cost(op, dtype)
        t += c.latency_s
        e += c.total_energy_j
    return t, e + unit.static_power_w * t


def serving_step(unit: GpuUnit, shape: Mapping[str, int | bool], batch: float, mean_output: float,
                 output_residual: float, mean_prompt: float, dtype: str = "bf16") -> ServingStep:
    """The steady-state step of `batch` decoding requests (mean output `mean_output` tokens) with prompts of
    `mean_prompt` tokens admitted as requests finish."""
    if batch < 1 or mean_output < 1 or mean_prompt < 0 or output_residual < 0:
        raise ValueError(f"batch={batch} mean_output={mean_output} mean_prompt={mean_prompt}: need batch, "
                         "mean_output >= 1 and lengths >= 0")
    b, plen = max(1, round(batch)), round(mean_prompt)
    context = round(mean_prompt + output_residual)
    lam = batch / mean_output if plen else 0.0
    k_max = int(poisson.isf(_TAIL, lam)) if lam else 0
    weights = [float(poisson.pmf(k, lam)) for k in range(k_max + 1)] if lam else [1.0]
    total = math.fsum(weights)
    costs = [step_cost(unit, decoder_step_ops(**shape, context=context, batch=b, prompts=k, prompt_len=plen,
                                              dtype=dtype), dtype) for k in range(k_max + 1)]
    t = math.fsum(w * c[0] for w, c in zip(weights, costs)) / total
    e = math.fsum(w * c[1] for w, c in zip(weights, costs)) / total
    k_med = int(poisson.ppf(0.5, lam)) if lam else 0
    return ServingStep(t, costs[k_med][0], e, b)
