"""Drop the preamble and the folded views (RawGraph -> RawGraph).

The preamble is what does not depend on the activations (masks, position ids, rotary tables): computed
once per forward from shapes alone (a flash kernel generates the causal mask itself), its outputs become
constant inputs of the ops that read them. Activations start at embedding lookups and, in decode, at the
KV cache; weights are live too. Needs `fold_views` first.
"""

from __future__ import annotations

from lightcode.frontend.passes.fold_views import is_folded
from lightcode.frontend.rawgraph import RawGraph, renumber


def live_nodes(g: RawGraph, root: list[int], folded: set[int]) -> set[int]:
    # parameters count as live: an op transforming a weight (Gemma's 1 + w) stays, and fuses with its user
    live_tensors: set[int] = {root[t.tid] for t in g.tensors if t.origin in ("cache", "param")}
    live: set[int] = set()
    for n in g.nodes:
        if n.idx in folded:
            continue
        if n.kind == "embedding" or any(root[t] in live_tensors for t in n.inputs):
            live.add(n.idx)
            live_tensors.update(root[o] for o in n.outputs)
    return live


def drop_preamble(g: RawGraph) -> RawGraph:
    if g.root is None:
        raise ValueError("drop_preamble needs the view roots: run fold_views first")
    folded = {n.idx for n in g.nodes if n.kind == "view" or is_folded(g, g.root, n.idx)}
    live = live_nodes(g, g.root, folded)
    return renumber(g, [n for n in g.nodes if n.idx in live])


def mark_kv_appends(g: RawGraph) -> RawGraph:
    """Decode: the concatenations of the KV cache with the new token's K or V (serving engines write only
    the new token, in place)."""
    import dataclasses

    if g.root is None:
        raise ValueError("mark_kv_appends needs the view roots: run fold_views first")
    cache = {g.root[t.tid] for t in g.tensors if t.origin == "cache"}
    kv = frozenset(n.idx for n in g.nodes if n.aten == "cat" and any(g.root[t] in cache for t in n.inputs))
    return dataclasses.replace(g, kv_appends=kv)
