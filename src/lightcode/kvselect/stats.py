"""Uncertainty for the kvselect tables: a two-level bootstrap over (text window, decode step), Wilson
intervals for success counts, and an exact McNemar test for paired successes.

Decode steps of one window are adjacent and correlated; windows are disjoint stretches of text. The
bootstrap therefore resamples windows first and then steps within each drawn window (a cluster
bootstrap), so the interval carries the between-window spread. With one window it is a bootstrap over
steps only, which understates the uncertainty; every table states the windows used.
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054  # two-sided 95 % standard-normal quantile


def bootstrap_index(n_windows: int, n_steps: int, reps: int = 2000, seed: int = 0) -> np.ndarray:
    """(reps, n_windows·n_steps) flat indices into a (window, step) grid: windows, then steps, with replacement."""
    rng = np.random.default_rng(seed)
    w = rng.integers(0, n_windows, (reps, n_windows))
    s = rng.integers(0, n_steps, (reps, n_windows, n_steps))
    return (w[:, :, None] * n_steps + s).reshape(reps, -1)


def ci95(values: np.ndarray, idx: np.ndarray) -> list[float]:
    """Percentile 95 % interval of the mean of a (window, step) grid under the resampling `idx`."""
    means = values.reshape(-1)[idx].mean(axis=1)
    return [float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))]


def paired(a: np.ndarray, b: np.ndarray, idx: np.ndarray) -> dict:
    """Mean difference a − b over the same (window, step) grid, its 95 % interval and a two-sided
    bootstrap p-value (twice the smaller tail of the resampled differences around 0)."""
    d = (a - b).reshape(-1)
    means = d[idx].mean(axis=1)
    tail = min(float((means <= 0).mean()), float((means >= 0).mean()))
    return {"diff": float(d.mean()), "ci95": [float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))],
            "p": min(1.0, 2 * tail)}


def wilson(s: int, n: int) -> tuple[float, float]:
    """Wilson score 95 % interval of a binomial proportion s/n."""
    if n == 0:
        return 0.0, 1.0
    z, p = Z95, s / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, c - h), min(1.0, c + h)


def mcnemar_exact(a: list[bool], b: list[bool]) -> float:
    """Two-sided exact McNemar p-value for paired outcomes (same trials): binomial test on the discordant
    pairs, P = min(1, 2·P[X ≤ min(n01, n10)]) with X ~ Bin(n01 + n10, ½)."""
    n01 = sum(1 for x, y in zip(a, b) if x and not y)
    n10 = sum(1 for x, y in zip(a, b) if y and not x)
    n = n01 + n10
    if n == 0:
        return 1.0
    lo = min(n01, n10)
    tail = sum(math.comb(n, i) for i in range(lo + 1)) / 2**n
    return min(1.0, 2 * tail)
