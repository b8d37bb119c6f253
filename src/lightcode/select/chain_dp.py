"""One step of the chain DP over blocks, shared by the (span, energy) chain (cpsat.ChainSolver.chain) and the
(objective, side) chain (side_chain.py): every partial sum at the entry states plus every block point into
an exit state, and the two-dimensional Pareto filter over the sums."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable

if TYPE_CHECKING:  # numpy is imported where a chain runs, not with the selection package
    import numpy as np


def combine(cur: dict, points: Callable[[object], Iterable[tuple[int, int]]]):
    """(a, b, back state index, back point index, block point index) for every partial sum (a, b) of `cur`
    ({state: (a array, b array)}) plus every (Δa, Δb) of `points(state)`; None when there is none."""
    import numpy as np

    a, b, bs, bi, bj = [], [], [], [], []
    for si, (s, (ca, cb)) in enumerate(cur.items()):
        for j, (da, db) in enumerate(points(s)):
            a.append(ca + da)
            b.append(cb + db)
            bs.append(np.full(len(ca), si))
            bi.append(np.arange(len(ca)))
            bj.append(np.full(len(ca), j))
    if not a:
        return None
    return tuple(np.concatenate(x) for x in (a, b, bs, bi, bj))


def pareto(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Indices of the points no other point beats in both: `first` ascending, each keeping a strict drop
    of `second` (ties on `first` resolved by the smaller `second`)."""
    import numpy as np

    order = np.lexsort((second, first))
    s_sorted = second[order]
    prev_min = np.concatenate(([np.iinfo(np.int64).max], np.minimum.accumulate(s_sorted)[:-1]))
    return order[s_sorted < prev_min]


def thin(idx: np.ndarray, cap: int) -> tuple[np.ndarray, bool]:
    """At most `cap` of `idx`, evenly spaced (kept points stay achievable, the set becomes partial), and
    whether any were dropped."""
    import numpy as np

    if len(idx) <= cap:
        return idx, False
    return idx[np.linspace(0, len(idx) - 1, cap).round().astype(int)], True
