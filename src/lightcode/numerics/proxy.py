"""`--accuracy-proxy`: an additive accuracy surrogate for a model without a functional twin, transferred
from a twin's per-op sensitivities. An assumption, never a measurement: the output says so.

Transfer rule: an op's role is its module path less the layer index (`self_attn.q_proj`, `mlp.down_proj`,
`self_attn` for the attention, `lm_head`). For each role and each realization key (unit, variant, formats)
the proxy's ΔNLL (sensitivity.py, calibration text) is averaged over the proxy's layers and charged to every
op of that role in the target. A target realization the proxy's system graph does not offer for that role
is charged the role's largest proxy ΔNLL (the conservative choice) and listed in `unmatched`.
"""

from __future__ import annotations

import math
import re
from statistics import fmean

from lightcode.numerics.derive import GEMM_KINDS, op_numerics

_LAYER = re.compile(r"^model\.layers\.\d+\.")


def role(op) -> str:
    return _LAYER.sub("", op.module or op.name)


def realization_key(r) -> tuple:
    return (r.unit, r.variant, r.formats.label if r.formats is not None else None)


def _is_gemm(op) -> bool:
    return op.kind in GEMM_KINDS and bool(op.gemms)


def proxy_table(proxy_stacked, profiler, progress=None) -> dict[tuple, float]:
    """(role, realization key) -> mean over the proxy's layers of the single-op ΔNLL (nats, ≥ 0)."""
    per: dict[tuple, list[float]] = {}
    n = proxy_stacked.n_ops
    for i, op in enumerate(proxy_stacked.graph.ops):
        if not _is_gemm(op):
            continue
        for r in proxy_stacked.realizations[i]:
            d = max(0.0, profiler.delta(op.module, op_numerics(proxy_stacked, i, r)))
            per.setdefault((role(op), realization_key(r)), []).append(d)
        if progress and i % 50 == 0:
            progress(f"profiled proxy op {i}/{n}")
    profiler.save()
    return {k: fmean(v) for k, v in per.items()}


def transfer(target_stacked, table: dict[tuple, float]) -> tuple[list[list[float]], dict]:
    """Side costs for the target (per op, per realization) and what the transfer did."""
    worst: dict[str, float] = {}
    for (rl, _), v in table.items():
        worst[rl] = max(worst.get(rl, 0.0), v)
    side: list[list[float]] = []
    unmatched: set[str] = set()
    roles_missing: set[str] = set()
    for i, op in enumerate(target_stacked.graph.ops):
        reals = target_stacked.realizations[i]
        if not _is_gemm(op):
            side.append([0.0] * len(reals))
            continue
        rl = role(op)
        row = []
        for r in reals:
            v = table.get((rl, realization_key(r)))
            if op_numerics(target_stacked, i, r).is_reference:
                v = 0.0  # exact numerics cost nothing, whatever the proxy has
            elif v is None:
                if rl not in worst:
                    roles_missing.add(rl)
                    v = math.inf  # no counterpart in the proxy: its damage is unknown, so only exact numerics
                else:
                    unmatched.add(f"{rl} on {r.unit} ({r.variant or '-'})")
                    v = worst[rl]
            row.append(v)
        side.append(row)
    info = {"rule": "per op role (module path less the layer index) and realization (unit, variant, formats): "
                    "the proxy's single-op ΔNLL averaged over its layers, charged to every op of that role",
            "unmatched": sorted(unmatched), "roles_without_counterpart": sorted(roles_missing)}
    return side, info
