"""Fuse what a production engine runs as one kernel (RawGraph -> RawGraph: sets `groups`).

1. A norm or activation module call (RMSNorm's pow/mean/rsqrt/mul, GPT-2's tanh-GELU pieces) -> one op.
2. Connected element-wise ops (and concatenations) inside one module call -> one op (rotary embedding,
   SiLU·up). A merge is refused if it would create a cycle (a path leaving the group and coming back).
"""

from __future__ import annotations

import dataclasses

from lightcode.frontend.aten_map import module_kind
from lightcode.frontend.rawgraph import RawGraph

FUSIBLE_KINDS = frozenset({"elementwise", "data_movement"})


def fuse_groups(g: RawGraph, root: list[int], live: set[int], keep_separate: set[int]) -> list[list[int]]:
    """Partition the live nodes into groups (each becomes one Op). `keep_separate`: nodes never fused."""
    order = sorted(live)
    producer: dict[int, int] = {}
    for i in order:
        for o in g.nodes[i].outputs:
            producer[root[o]] = i
    preds = {i: {producer[root[t]] for t in g.nodes[i].inputs if root[t] in producer} - {i} for i in order}

    group = {i: i for i in order}  # union-find parent

    def find(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    members: dict[int, set[int]] = {i: {i} for i in order}

    def reaches_outside_back(a: int, b: int) -> bool:
        """Would merging groups a and b create a cycle? True if some node of one group reaches the other
        only through a node outside both."""
        ga = members[a] | members[b]
        lo = min(ga)
        # walk backwards from every member, through non-members, looking for a member again
        stack = [p for m in ga for p in preds[m] if p not in ga]
        seen: set[int] = set()
        while stack:
            x = stack.pop()
            if x in seen or x < lo:
                continue
            seen.add(x)
            for p in preds[x]:
                if p in ga:
                    return True
                stack.append(p)
        return False

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra == rb or reaches_outside_back(ra, rb):
            return
        group[rb] = ra
        members[ra] |= members.pop(rb)

    # 1. norm / activation module calls
    by_module: dict[tuple[str, str], list[int]] = {}
    for i in order:
        n = g.nodes[i]
        if module_kind(n.module_class) and i not in keep_separate:
            by_module.setdefault((n.module, n.module_class), []).append(i)
    for nodes in by_module.values():
        for j in nodes[1:]:
            union(nodes[0], j)

    # 2. connected element-wise ops within one module
    # (a child module's element-wise output may join its parent's op: SiLU in `mlp.act_fn` · up in `mlp`)
    def fusible(i: int) -> bool:
        n = g.nodes[i]
        return n.kind in FUSIBLE_KINDS and i not in keep_separate and module_kind(n.module_class) != "norm"

    for i in order:
        if not fusible(i):
            continue
        n = g.nodes[i]
        for p in preds[i]:
            pn = g.nodes[p]
            if fusible(p) and (pn.module == n.module or pn.module.startswith(n.module + ".")):
                union(p, i)

    return [sorted(m) for _, m in sorted(members.items(), key=lambda kv: min(kv[1]))]


def fuse(g: RawGraph) -> RawGraph:
    """Group every node of a preamble-free graph; a KV-cache append stays alone."""
    if g.root is None:
        raise ValueError("fuse needs the view roots: run fold_views first")
    groups = fuse_groups(g, g.root, set(range(len(g.nodes))), keep_separate=set(g.kv_appends))
    return dataclasses.replace(g, groups=groups)
