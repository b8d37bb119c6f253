"""Accuracy metrics over text windows, each with a 95 % confidence interval over the windows.

Windows are independent (each starts with an empty context), so per-window means are i.i.d. samples:
a Student-t interval over windows. Differences against the reference (perplexity increase, KL, top-1
agreement) are paired: the same windows under both numerics, the interval over per-window differences.
Passkey retrieval is a success count: a Wilson score interval.
"""

from __future__ import annotations

import math

import numpy as np


def t_interval(values) -> tuple[float, float, float]:
    """(mean, lo, hi) of a 95 % Student-t interval over `values` (a single value: a zero-width interval)."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    m = float(v.mean())
    if v.size < 2:
        return m, m, m
    h = float(stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return m, m - h, m + h


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, c - h), min(1.0, c + h)


def window_stats(logp, ref_logp, ids) -> dict[str, float]:
    """Per-window means: NLL of the next token, top-1 agreement with the reference, KL(ref ‖ mapped).
    `logp`, `ref_logp`: (T, V) log-probabilities (torch), `ids`: (T,) tokens; position t predicts t+1."""
    import torch

    lp, rp = logp[:-1].float(), ref_logp[:-1].float()
    tgt = ids[1:]
    nll = -lp.gather(1, tgt[:, None]).mean().item()
    top1 = (lp.argmax(-1) == rp.argmax(-1)).float().mean().item()
    kl = (rp.exp() * (rp - lp)).sum(-1).clamp_min(0).mean().item()
    del torch
    return {"nll": nll, "top1": top1, "kl": kl}


def summarise(mapped: list[dict], ref: list[dict]) -> dict:
    """Metrics with intervals from per-window stats of the mapped and the reference runs."""
    ref_nll = [r["nll"] for r in ref]
    nll = [m["nll"] for m in mapped]
    r_m, r_lo, r_hi = t_interval(ref_nll)
    m_m, m_lo, m_hi = t_interval(nll)
    d_m, d_lo, d_hi = t_interval([a - b for a, b in zip(nll, ref_nll)])
    t_m, t_lo, t_hi = t_interval([m["top1"] for m in mapped])
    k_m, k_lo, k_hi = t_interval([m["kl"] for m in mapped])
    ex = lambda x: float(math.exp(min(x, 700.0)))  # noqa: E731
    return {
        "reference": {"perplexity": ex(r_m), "ci95": [ex(r_lo), ex(r_hi)], "nll_nats": r_m},
        "mapped": {"perplexity": ex(m_m), "ci95": [ex(m_lo), ex(m_hi)], "nll_nats": m_m,
                   "top1_agreement": {"value": t_m, "ci95": [t_lo, t_hi]},
                   "kl_nats": {"value": k_m, "ci95": [k_lo, k_hi]}},
        "ppl_increase": {"value": ex(d_m) - 1.0, "ci95": [ex(d_lo) - 1.0, ex(d_hi) - 1.0], "delta_nll_nats": d_m},
    }
