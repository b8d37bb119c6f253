"""Mixture-of-experts costing: routed FLOPs and the weights of the experts a batch actually touches.

A grouped expert GEMM multiplies the T·k routed rows (T tokens, top-k each) by one of E expert matrices per
row. FLOPs are those of the routed rows only: 2·T·k·K·N. Weight traffic is that of the *distinct* experts
the T tokens touch, which depends on the router; the routing assumption is a parameter, recorded in the
OpGraph's `meta["moe_routing"]`:

- `uniform` (default): every token picks k distinct experts uniformly at random, independently of the other
  tokens, so an expert is missed by one token with probability 1 − k/E and the expected number of distinct
  experts is E·(1 − (1 − k/E)^T);
- `worst`: every routed row hits a new expert while any is left, min(E, T·k) (the upper bound);
- `best`: all tokens share the same k experts, min(E, k) (the lower bound).
"""

from __future__ import annotations

from lightcode.core.opgraph import Gemm
from lightcode.errors import BadInputError
from lightcode.frontend.arch import MOE_ROUTINGS


def expected_distinct_experts(tokens: int, experts: int, top_k: int, routing: str = "uniform") -> float:
    if routing not in MOE_ROUTINGS:
        raise BadInputError(f"unknown MoE routing assumption {routing!r}; use one of {', '.join(MOE_ROUTINGS)}.")
    k = min(top_k, experts)
    if routing == "worst":
        return float(min(experts, tokens * k))
    if routing == "best":
        return float(k if tokens > 0 else 0)
    return experts * (1.0 - (1.0 - k / experts) ** tokens)


def grouped_gemms(rows: int, k_dim: int, n_dim: int, distinct: float, weight_operand: bool) -> list[Gemm]:
    """The routed rows spread evenly over round(distinct) experts: one batched GEMM per row count, so that
    FLOPs are exactly 2·rows·K·N and a weight-stationary unit loads one K×N matrix per touched expert."""
    n_exp = max(1, min(rows, round(distinct))) if rows else 0
    if n_exp == 0:
        return []
    q, r = divmod(rows, n_exp)
    out = []
    if r:
        out.append(Gemm(q + 1, k_dim, n_dim, r, weight_operand))
    if q:
        out.append(Gemm(q, k_dim, n_dim, n_exp - r, weight_operand))
    return out
