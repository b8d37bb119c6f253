"""Functional replay of an assignment on a real model (SmolLM2-135M): each GEMM under its realization's
numerics (formats, DAC/ADC, link-budget noise), accuracy metrics with intervals, per-op sensitivity →
an additive surrogate, and the accuracy-aware selection loop. Entry points (lazy: torch loads on use):
`evaluate_accuracy(result_or_assignment, stacked=None, config=EvalConfig())` and
`select_with_accuracy(stacked, objective, max_ppl_increase=...)`."""

from __future__ import annotations


def evaluate_accuracy(*args, **kw):
    from lightcode.numerics.evaluate import evaluate_accuracy as f

    return f(*args, **kw)


def select_with_accuracy(*args, **kw):
    from lightcode.numerics.accuracy_select import select_with_accuracy as f

    return f(*args, **kw)
