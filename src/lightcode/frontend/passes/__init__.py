"""The frontend's passes, RawGraph -> RawGraph, run in the order `PIPELINE` declares.

`capture.build_template` turns the result (roots, groups and cache appends annotated, preamble and views
gone) into the length-independent Template.
"""

from __future__ import annotations

from typing import Callable

from lightcode.frontend.passes.drop_preamble import drop_preamble, mark_kv_appends
from lightcode.frontend.passes.eager_attention import fuse_eager_attention
from lightcode.frontend.passes.fold_views import fold_views
from lightcode.frontend.passes.fuse import fuse
from lightcode.frontend.rawgraph import RawGraph

Pass = Callable[[RawGraph], RawGraph]

PIPELINE: tuple[Pass, ...] = (
    fuse_eager_attention,  # QKᵀ -> softmax -> ·V chains of eager-only models become one attention node
    fold_views,  # views, layout copies and casts read their source's storage
    mark_kv_appends,  # decode: the cache concatenations
    drop_preamble,  # masks, position ids, rotary tables: constant inputs; folded views removed
    fuse,  # norm / activation modules and connected element-wise ops: one op each
)


def run_pipeline(raw: RawGraph, check: Callable[[RawGraph], None] | None = None,
                 passes: tuple[Pass, ...] = PIPELINE) -> RawGraph:
    """Run `passes` in order; `check` (tests pass `RawGraph.validate`) runs after each."""
    for p in passes:
        raw = p(raw)
        if check is not None:
            check(raw)
    return raw
