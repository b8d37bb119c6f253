"""Eager attention -> one `attention` node (RawGraph -> RawGraph).

Models transformers cannot run with SDPA (Gemma-2, GPT-J, BLOOM) export their attention as
QKᵀ (matmul / bmm / baddbmm with ALiBi) -> scaling, soft-capping, mask add -> softmax -> (dropout) -> ·V.
A production engine runs that chain as one fused kernel, and the FLOP convention is SDPA's (QKᵀ and A·V over
the full score matrix; the element-wise work on the scores and the softmax are not counted), so the chain
becomes one node with inputs (Q, Kᵀ, V); the tensors the chain adds in (mask, ALiBi bias) are its mask
arguments, computed in the preamble like SDPA's mask.
"""

from __future__ import annotations

from lightcode.frontend.rawgraph import RawGraph, RawNode, renumber

SCORE_MATMULS = frozenset({"matmul", "bmm", "baddbmm"})


def fuse_eager_attention(g: RawGraph) -> RawGraph:
    consumers: dict[int, list[int]] = {}
    for n in g.nodes:
        for t in set(n.inputs):
            consumers.setdefault(t, []).append(n.idx)
    outputs = set(g.graph_outputs)
    param = {t.tid for t in g.tensors if t.origin == "param"}

    def only_consumer(t: int) -> RawNode | None:
        c = consumers.get(t, [])
        return g.nodes[c[0]] if len(c) == 1 and t not in outputs else None

    replaced: dict[int, RawNode] = {}  # index of the A·V node -> the attention node
    dropped: set[int] = set()
    for n in g.nodes:
        if n.aten not in SCORE_MATMULS or n.kind != "matmul":
            continue
        q, kt = n.inputs[-2], n.inputs[-1]
        if _from_param(g, q, param) or _from_param(g, kt, param):
            continue
        chain, side = [n.idx], [t for t in n.inputs[:-2]]  # baddbmm's first operand: the ALiBi bias
        t, softmax_seen, av = n.outputs[0], False, None
        while True:
            c = only_consumer(t)
            if c is None:
                break
            if c.kind == "matmul" and c.aten in SCORE_MATMULS and softmax_seen and c.inputs[-2] == t:
                av = c
                break
            if c.kind == "softmax" and not softmax_seen:
                softmax_seen = True
            elif c.kind not in ("view", "elementwise") or (softmax_seen and c.kind != "view"):
                break
            if c.inputs[0] != t and c.kind == "view":
                break
            chain.append(c.idx)
            side.extend(x for x in c.inputs if x != t)
            t = c.outputs[0]
        if av is None or _from_param(g, av.inputs[-1], param):
            continue
        dropped.update(chain)
        replaced[av.idx] = RawNode(av.idx, av.name, "eager_attention", "attention", av.module, av.module_class,
                                   [q, kt, av.inputs[-1]], list(av.outputs),
                                   {"mask_args": sorted(set(side)), "k_transposed": True})
    if not replaced:
        return g
    nodes = [replaced.get(n.idx, n) for n in g.nodes if n.idx not in dropped or n.idx in replaced]
    return renumber(g, nodes)


def _from_param(g: RawGraph, t: int, param: set[int]) -> bool:
    """Is `t` a parameter or a view chain of one?"""
    seen = 0
    while t not in param and seen < 64:
        p = g.tensors[t].producer
        if p is None or g.nodes[p].kind != "view" or not g.nodes[p].inputs:
            return False
        t, seen = g.nodes[p].inputs[0], seen + 1
    return t in param
