"""Fold views, reshapes, layout copies and dtype casts into zero-cost edges (RawGraph -> RawGraph).

Sets `root[t]`: the tensor whose storage `t` reads. Every later pass and the byte counts work on roots,
so a view never costs a read or a write, and a consumer of a view reads its source.
"""

from __future__ import annotations

import dataclasses

from lightcode.frontend.rawgraph import RawGraph


def fold_views(g: RawGraph) -> RawGraph:
    root = list(range(len(g.tensors)))
    for n in g.nodes:  # nodes are in topological order, so inputs are resolved first
        if n.kind == "view" and n.inputs:
            for out in n.outputs:
                root[out] = root[n.inputs[0]]
        elif n.aten == "cat":
            nonempty = [t for t in n.inputs if not _is_empty(g.tensors[t].shape)]
            if len(nonempty) == 1:  # concatenating with empty tensors (lazy cache init) is a no-op
                root[n.outputs[0]] = root[nonempty[0]]
    return dataclasses.replace(g, root=root)


def is_folded(g: RawGraph, root: list[int], node_idx: int) -> bool:
    n = g.nodes[node_idx]
    return all(root[o] != o for o in n.outputs)


def _is_empty(shape) -> bool:
    return any(isinstance(d, int) and d == 0 for d in shape)
