"""Drop the preamble: ops that do not depend on the activations (masks, position ids, rotary tables).

They are computed once per forward from shapes alone (a flash kernel generates the causal mask itself);
their outputs become constant inputs of the ops that read them. Activations start at embedding lookups and,
in decode, at the KV cache; weights are live too.
"""

from __future__ import annotations

from lightcode.frontend.rawgraph import RawGraph


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
