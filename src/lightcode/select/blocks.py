"""Split a stacked graph into a chain of blocks at articulation points, and find identical blocks.

A position p (op index, ops in topological order) is a *cut* when
  (1) no edge leaves an op before p for an op after p (everything before p feeds only ops up to p),
  (2) no op before p is a sink (its output would still be travelling to the host),
  (3) no op after p is a source (it could start before p ends).
Then every op before p is an ancestor of p and every op after p a descendant, so p's end is a barrier that
any schedule respects: the makespan is exactly the sum of the blocks' spans, and the only state one block
hands to the next is the unit that holds p's output (the residual stream). This is stricter than the
authors' cut rule (lightcode.md §1.3), which is why the decomposition loses nothing.

Blocks with equal signatures (same op signatures, internal edges, bytes) — the repeated layers — are solved
once.
"""

from __future__ import annotations

from dataclasses import dataclass

from lightcode.stack.stacked import StackedGraph


@dataclass(frozen=True)
class Block:
    ops: tuple[int, ...]  # op indices, consecutive in topological order
    entry: int | None  # the previous block's cut op (None for the first block)
    exit: int | None  # this block's cut op (its last op); None for the last block when it ends in no cut
    signature: tuple  # equal signatures ⇒ interchangeable blocks


def find_cuts(stacked: StackedGraph) -> list[int]:
    g = stacked.graph
    n = len(g.ops)
    succ_max = [-1] * n  # largest successor index per op
    has_pred = [False] * n
    for e in g.edges:
        succ_max[e.src] = max(succ_max[e.src], e.dst)
        has_pred[e.dst] = True
    cuts = []
    reach = -1  # max successor index over ops before p
    sink_before = False
    # suffix: is there a source after p?
    source_after = [False] * (n + 1)
    for i in range(n - 1, -1, -1):
        source_after[i] = source_after[i + 1] or not has_pred[i]
    for p in range(n):
        if reach <= p and not sink_before and not source_after[p + 1]:
            cuts.append(p)
        reach = max(reach, succ_max[p])
        if succ_max[p] < 0:
            sink_before = True
    return cuts


def split_blocks(stacked: StackedGraph) -> list[Block]:
    n = stacked.n_ops
    if n == 0:
        return []
    cuts = [c for c in find_cuts(stacked) if c < n - 1]
    bounds = cuts + [n - 1]
    blocks = []
    prev = None
    begin = 0
    for b_i, c in enumerate(bounds):
        ops = tuple(range(begin, c + 1))
        is_last = b_i == len(bounds) - 1
        exit_op = None if is_last else c  # the last block's exit is left free
        blocks.append(Block(ops, prev, exit_op, _signature(stacked, ops, prev, exit_op)))
        prev = c
        begin = c + 1
    return blocks


def _signature(stacked: StackedGraph, ops: tuple[int, ...], entry: int | None, exit_op: int | None) -> tuple:
    base = ops[0]
    inside = set(ops)
    sig_ops = tuple(stacked.op_sig[i] for i in ops)
    edges = []
    for i in ops:
        for k in stacked.in_edges[i]:
            e = stacked.edges[k]
            if e.src is None:
                edges.append(("host", i - base, e.nbytes))
            elif e.src in inside:
                edges.append((e.src - base, i - base, e.nbytes))
            else:  # from the entry cut op
                edges.append(("entry", i - base, e.nbytes))
        for k in stacked.out_edges[i]:
            e = stacked.edges[k]
            if e.dst is None:
                edges.append((i - base, "host", e.nbytes))
    return (sig_ops, tuple(edges), entry is None, exit_op is None)
