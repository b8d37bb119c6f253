"""capture: ModelSpec -> OpGraph for prefill (batch B, S tokens) or one decode step (B, 1 token, C cached).

Pipeline: export once (symbolic length for prefill) -> RawGraph -> passes (fold views, drop preamble,
fuse) -> Template (length-independent structure, cached in process and on disk) -> `instantiate` at a
concrete length (evaluates the symbolic shapes; milliseconds).
"""

from __future__ import annotations

import gc
import hashlib
import math
import os
import pickle
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from lightcode.core.opgraph import DTYPE_BYTES, Edge, Gemm, ModelInfo, Op, OpGraph, TensorSpec
from lightcode.errors import BadInputError
from lightcode.frontend.arch import MOE_ROUTINGS
from lightcode.frontend.aten_map import GROUPED_MM_OPS
from lightcode.frontend.export import TORCH_DTYPES, _ExportFailed, export_decode, export_prefill
from lightcode.frontend.model_spec import ModelSpec, resolve_model
from lightcode.frontend.moe import expected_distinct_experts, grouped_gemms
from lightcode.frontend.passes import run_pipeline
from lightcode.frontend.rawgraph import RawGraph, extract

_LAYER_RE = re.compile(r"\.(?:layers|h|blocks|layer|decoder_layers)\.(\d+)(?:\.|$)")


# ---------------------------------------------------------------------------------------------------
# Template: everything that does not depend on the length


@dataclass
class GroupT:
    name: str
    kind: str
    target: str
    module: str
    layer: int | None
    members: list[int]  # RawNode indices
    ext_inputs: list[int]  # root tensor ids read from outside the group (mask arguments excluded)
    ext_outputs: list[int]  # root tensor ids written and used outside the group
    ext_views: list[list[int]] = field(default_factory=list)  # per ext input: the views actually read
    kv_append: bool = False  # decode cache append (serving engines write only the new token in place)


@dataclass
class Template:
    raw: RawGraph
    root: list[int]
    groups: list[GroupT]
    edges: list[tuple[int, int, int]]  # (src group, dst group, root tensor id)
    info: dict[str, Any]
    exprs: list[str] = field(default_factory=list)  # distinct symbolic dims


def build_template(raw: RawGraph, info: dict[str, Any], check: Callable[[RawGraph], None] | None = None) -> Template:
    """Run the pass pipeline (frontend/passes) on an exported RawGraph and collect its groups into the
    length-independent Template. `check` runs after every pass (tests: `RawGraph.validate`)."""
    raw = run_pipeline(raw, check)
    root, groups_idx, kv_appends = raw.root, raw.groups, raw.kv_appends

    from lightcode.frontend.aten_map import module_kind

    producer_group: dict[int, int] = {}
    groups: list[GroupT] = []
    names: dict[str, int] = {}
    for gi, members in enumerate(groups_idx):
        nodes = [raw.nodes[i] for i in members]
        produced = {root[o] for n in nodes for o in n.outputs}
        masks = {root[m] for n in nodes for m in n.attrs.get("mask_args", ())}
        ext_in: list[int] = []
        views: dict[int, list[int]] = {}
        for n in nodes:
            for t in n.inputs:
                r = root[t]
                if r not in produced and r not in masks:
                    if r not in views:
                        ext_in.append(r)
                        views[r] = []
                    if t not in views[r]:
                        views[r].append(t)
        for r in produced:
            producer_group[r] = gi
        first = nodes[0]
        kinds = {n.kind for n in nodes}
        if len(nodes) == 1:
            kind = first.kind
        else:
            kind = module_kind(first.module_class) or ("data_movement" if kinds == {"data_movement"} else "elementwise")
        is_append = members[0] in kv_appends
        module = _common_module([n.module for n in nodes])
        base = f"{module or 'model'}:{'kv_append' if is_append else (first.aten if len(nodes) == 1 else kind)}"
        k = names.get(base, 0)
        names[base] = k + 1
        name = base if k == 0 else f"{base}#{k}"
        target = "aten." + first.aten if len(nodes) == 1 else "fused:" + "+".join(sorted({n.aten for n in nodes}))
        m = _LAYER_RE.search("." + module)
        groups.append(GroupT(name, kind, target, module, int(m.group(1)) if m else None, members, ext_in, [],
                             [views[r] for r in ext_in], is_append))

    # consumers -> external outputs and edges
    out_roots = {root[t] for t in raw.graph_outputs}
    edges: list[tuple[int, int, int]] = []
    used_outside: dict[int, set[int]] = {}
    for gi, grp in enumerate(groups):
        for r in grp.ext_inputs:
            src = producer_group.get(r)
            if src is not None and src != gi:
                edges.append((src, gi, r))
                used_outside.setdefault(src, set()).add(r)
    for gi, grp in enumerate(groups):
        produced = [root[o] for i in grp.members for o in raw.nodes[i].outputs]
        grp.ext_outputs = sorted({r for r in produced if r in used_outside.get(gi, set()) or r in out_roots})

    order = _topo_order(len(groups), edges)
    remap = {old: new for new, old in enumerate(order)}
    groups = [groups[i] for i in order]
    edges = sorted({(remap[s], remap[d], r) for s, d, r in edges})
    exprs = sorted({d for t in raw.tensors for d in t.shape if isinstance(d, str)})
    return Template(raw, root, groups, edges, info, exprs)


def _topo_order(n: int, edges: list[tuple[int, int, int]]) -> list[int]:
    import heapq

    indeg = [0] * n
    succ: list[set[int]] = [set() for _ in range(n)]
    for s, d, _ in edges:
        if d not in succ[s]:
            succ[s].add(d)
            indeg[d] += 1
    heap = [i for i in range(n) if indeg[i] == 0]
    heapq.heapify(heap)
    out = []
    while heap:
        i = heapq.heappop(heap)
        out.append(i)
        for d in succ[i]:
            indeg[d] -= 1
            if indeg[d] == 0:
                heapq.heappush(heap, d)
    if len(out) != n:  # the fusion pass guarantees acyclicity; this would be a bug
        raise RuntimeError("fused operator graph has a cycle")
    return out


def _common_module(paths: list[str]) -> str:
    parts = [p.split(".") for p in paths if p]
    if not parts:
        return ""
    common = []
    for items in zip(*parts):
        if len(set(items)) != 1:
            break
        common.append(items[0])
    return ".".join(common)


# ---------------------------------------------------------------------------------------------------
# Instantiation at a concrete length


def instantiate(tpl: Template, length: int | None, meta: dict[str, Any]) -> OpGraph:
    raw, root = tpl.raw, tpl.root
    values = _eval_exprs(tpl, length)

    def shape(tid: int) -> tuple[int, ...]:
        return tuple(d if isinstance(d, int) else values[d] for d in raw.tensors[tid].shape)

    shapes = [shape(t.tid) for t in raw.tensors]
    numels = [math.prod(sh) for sh in shapes]  # once per tensor: instantiation runs for every length
    sizes = [n * DTYPE_BYTES[t.dtype] for n, t in zip(numels, raw.tensors)]

    specs: dict[int, TensorSpec] = {}

    def spec(tid: int) -> TensorSpec:
        if tid not in specs:
            specs[tid] = TensorSpec(shapes[tid], raw.tensors[tid].dtype)
        return specs[tid]

    nbytes = sizes.__getitem__
    numel = numels.__getitem__

    def read_bytes(r: int, views: list[int]) -> int:
        # a slice reads only itself; an expand (GQA repeat) reads only its source
        return min(nbytes(r), sum(nbytes(v) for v in views))

    windows = tpl.info.get("layer_windows") or ()
    moe_k = tpl.info.get("experts_per_token") or 0
    routing = meta.get("moe_routing") or "uniform"
    ops: list[Op] = []
    edge_bytes: dict[tuple[int, int], int] = {}
    for grp in tpl.groups:
        nodes = [raw.nodes[i] for i in grp.members]
        window = windows[grp.layer] if grp.layer is not None and grp.layer < len(windows) else None
        flops = 0
        gemms: list[Gemm] = []
        expert_share = None  # grouped expert GEMM: fraction of the experts' weights the batch touches
        for n in nodes:
            if n.aten in GROUPED_MM_OPS:
                f, gm, expert_share = _grouped_mm(n, shapes, numel, moe_k, routing)
            else:
                f, gm = _node_flops(n, raw, root, shapes, numel, window)
            flops += f
            gemms.extend(gm)
        weights, weight_bytes, read = [], 0, 0
        kv_read = 0
        for r, views in zip(grp.ext_inputs, grp.ext_views):
            t = raw.tensors[r]
            b = read_bytes(r, views)
            if t.origin == "param":
                if grp.kind == "embedding":  # a lookup reads only the gathered rows
                    b = sum(numel(o) for n in nodes for o in n.outputs) * DTYPE_BYTES[t.dtype]
                elif expert_share is not None and len(shapes[r]) == 3:  # the experts the tokens touch
                    b = int(round(b * expert_share))
                weights.append(t.name)
                weight_bytes += b
            read += b
        if grp.kv_append:
            # in-place append: read and write only the new token's K or V
            new = [t for t in nodes[0].inputs if raw.tensors[root[t]].origin != "cache"]
            read = sum(read_bytes(root[t], [t]) for t in new)
            written = read
        else:
            written = sum(nbytes(r) for r in grp.ext_outputs)
        if not grp.kv_append:  # attention, or MLA's up-projection of the cached latent
            kv_read = sum(_cached_bytes(tpl, r, nbytes) for r in grp.ext_inputs)
        ops.append(
            Op(
                name=grp.name, kind=grp.kind, target=grp.target,
                inputs=tuple(spec(r) for r in grp.ext_inputs), outputs=tuple(spec(r) for r in grp.ext_outputs),
                flops=int(flops), bytes_read=int(read), bytes_written=int(written),
                weights=tuple(weights), weight_bytes=int(weight_bytes), layer=grp.layer, module=grp.module,
                gemms=tuple(gemms), kv_cache_bytes_read=int(kv_read), n_fused=len(nodes),
            )
        )
    for s, d, r in tpl.edges:
        g = tpl.groups[d]
        b = read_bytes(r, g.ext_views[g.ext_inputs.index(r)])
        edge_bytes[(s, d)] = edge_bytes.get((s, d), 0) + b
    edges = tuple(Edge(s, d, b) for (s, d), b in sorted(edge_bytes.items()))
    # parameters the graph reads (a tied weight appears once; an unused alias placeholder is skipped)
    params = {raw.tensors[r].name: r for grp in tpl.groups for r in grp.ext_inputs if raw.tensors[r].origin == "param"}
    fields = {k: v for k, v in tpl.info.items() if k in _MODEL_INFO_FIELDS}
    info = ModelInfo(**{**fields, "num_parameters": sum(numel(t) for t in params.values())})
    return OpGraph(
        model=info, phase=meta["phase"], batch=meta["batch"], seq_len=meta["seq_len"], context=meta["context"],
        dtype=meta["dtype"], ops=tuple(ops), edges=edges, parameter_bytes=sum(nbytes(t) for t in params.values()), meta=dict(meta),
    )


_MODEL_INFO_FIELDS = frozenset(ModelInfo.__dataclass_fields__)


def _cached_bytes(tpl: Template, r: int, nbytes: Callable[[int], int]) -> int:
    """Bytes of the KV *cache* behind an attention input: the cache part of a kv_append's output."""
    raw, root = tpl.raw, tpl.root
    t = raw.tensors[r]
    if t.producer is None:
        return nbytes(r) if t.origin == "cache" else 0
    n = raw.nodes[t.producer]
    if n.aten != "cat":
        return 0
    return sum(nbytes(root[i]) for i in n.inputs if raw.tensors[root[i]].origin == "cache")


def _grouped_mm(n, shapes, numel, top_k: int, routing: str) -> tuple[int, list[Gemm], float]:
    """A grouped expert GEMM (T·k, K) × (E, K, N): routed FLOPs, GEMMs over the touched experts, and the
    fraction of the E experts' weights read (frontend/moe.py)."""
    x, w = shapes[n.inputs[0]], shapes[n.inputs[1]]
    rows, k_dim = numel(n.inputs[0]) // x[-1], x[-1]
    experts, n_dim = w[0], w[-1]
    tokens = rows // top_k if top_k else rows
    distinct = expected_distinct_experts(tokens, experts, top_k or 1, routing)
    return 2 * rows * k_dim * n_dim, grouped_gemms(rows, k_dim, n_dim, distinct, True), distinct / experts


def _node_flops(n, raw: RawGraph, root, shapes, numel, window: int | None = None) -> tuple[int, list[Gemm]]:
    """FLOPs of one ATen node (conventions in core/opgraph.py) and its GEMMs. `window`: the layer's sliding
    attention window, which bounds the keys each query sees."""
    ins = n.inputs
    is_param = lambda t: raw.tensors[root[t]].origin == "param"  # noqa: E731
    if n.kind == "matmul":
        if n.aten == "linear":
            x, w = shapes[ins[0]], shapes[ins[1]]
            k, nn = x[-1], w[0]
            m = numel(ins[0]) // k
            g = Gemm(m, k, nn, 1, is_param(ins[1]))
            return g.flops + (m * nn if n.attrs.get("bias") else 0), [g]
        if n.aten == "addmm":  # bias, x (M,K), W (K,N)
            x, w = shapes[ins[1]], shapes[ins[2]]
            g = Gemm(x[0], x[1], w[1], 1, is_param(ins[2]))
            return g.flops + x[0] * w[1], [g]
        a, b = shapes[ins[-2]], shapes[ins[-1]]
        m, k, nn = a[-2] if len(a) > 1 else 1, a[-1], b[-1]
        batch = max(numel(n.outputs[0]) // max(m * nn, 1), 1)
        g = Gemm(m, k, nn, batch, is_param(ins[-1]))
        extra = numel(n.outputs[0]) if n.aten == "baddbmm" else 0
        return g.flops + extra, [g]
    if n.kind == "attention":
        q, k, v = shapes[ins[0]], shapes[ins[1]], shapes[ins[2]]
        bh = numel(ins[0]) // (q[-2] * q[-1])
        skv = k[-1] if n.attrs.get("k_transposed") else k[-2]  # eager attention reads Kᵀ
        if window is not None:
            skv = min(skv, window)
        g1 = Gemm(q[-2], q[-1], skv, bh, False)  # Q·Kᵀ
        g2 = Gemm(q[-2], skv, v[-1], bh, False)  # A·V
        return g1.flops + g2.flops, [g1, g2]
    if n.kind == "embedding":
        return 0, []
    if n.kind == "data_movement":
        return 0, []
    # element-wise, norm, softmax: one FLOP per element of the largest operand
    sizes = [numel(t) for t in ins] + [numel(o) for o in n.outputs]
    return max(sizes) if sizes else 0, []


def _eval_exprs(tpl: Template, length: int | None) -> dict[str, int]:
    if not tpl.exprs:
        return {}
    fast = _eval_int_poly(tpl.exprs, tpl.raw.symbol, length)
    if fast is not None:
        return fast
    fn = _lambdified(tuple(tpl.exprs), tpl.raw.symbol)
    vals = fn(length)
    return {e: int(round(float(v))) for e, v in zip(tpl.exprs, vals)}


def _eval_int_poly(exprs, symbol: str, length: int | None) -> dict[str, int] | None:
    """Exact integer evaluation of the common expressions (`s70`, `2*s70`, `s70 + 1`) without sympy, whose
    import alone (~0.5 s) was most of a cached capture; None if any expression needs more than + - * //."""
    import ast
    import operator

    if length is None:
        return None
    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv}

    def ev(n):
        if isinstance(n, ast.Constant) and type(n.value) is int:
            return n.value
        if isinstance(n, ast.Name) and n.id == symbol:
            return length
        if isinstance(n, ast.BinOp) and type(n.op) in ops:
            return ops[type(n.op)](ev(n.left), ev(n.right))
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            return -ev(n.operand)
        raise ValueError

    try:
        return {e: ev(ast.parse(e, mode="eval").body) for e in exprs}
    except (ValueError, SyntaxError):
        return None


@lru_cache(maxsize=64)
def _lambdified(exprs: tuple[str, ...], symbol: str):
    import sympy

    sym = sympy.Symbol(symbol, integer=True, positive=True)
    parsed = [sympy.sympify(e, locals={symbol: sym}) for e in exprs]
    return sympy.lambdify([sym], parsed, modules="math")


# ---------------------------------------------------------------------------------------------------
# Public entry point with caching


def capture(
    model: str | ModelSpec,
    seq_len: int | None = None,
    phase: str = "prefill",
    context: int | None = None,
    batch: int = 1,
    dtype: str = "fp16",
    progress: Callable[[str], None] | None = None,
    moe_routing: str = "uniform",
) -> OpGraph:
    """Capture `model` (preset name or config.json path) into an OpGraph.

    prefill: `seq_len` tokens per sequence. decode: one new token with a KV cache of `context` tokens
    (`seq_len`, if given, must be 1). `moe_routing`: the routing assumption for the expert weights a
    mixture-of-experts batch touches (`uniform`, `worst`, `best`; frontend/moe.py), recorded in `meta`.
    `progress`: called with one line before a (slow, first-time) export; by default that line goes to
    stderr when it is a terminal or LIGHTCODE_PROGRESS=1.
    """
    spec = model if isinstance(model, ModelSpec) else resolve_model(model)
    if phase not in ("prefill", "decode"):
        raise BadInputError(f"unknown phase {phase!r}; use 'prefill' or 'decode'.")
    if dtype not in TORCH_DTYPES:
        raise BadInputError(f"unknown dtype {dtype!r}; use one of {', '.join(TORCH_DTYPES)}.")
    if not isinstance(batch, int) or isinstance(batch, bool) or batch <= 0:
        raise BadInputError(f"batch must be a positive integer, got {batch}.")
    if moe_routing not in MOE_ROUTINGS:
        raise BadInputError(f"unknown MoE routing assumption {moe_routing!r}; use one of {', '.join(MOE_ROUTINGS)}.")
    max_pos, note = spec.position_limit()
    limit = f"1..{max_pos}" if max_pos is not None else "1 or more"
    if phase == "prefill":
        if context is not None:
            raise BadInputError("--context applies to decode only; for prefill give --seq-len.")
        if seq_len is None:
            raise BadInputError("prefill needs a sequence length: pass --seq-len N.")
        if not isinstance(seq_len, int) or seq_len <= 0 or (max_pos is not None and seq_len > max_pos):
            raise BadInputError(f"sequence length must be in {limit} for {spec.name} (max positions), got {seq_len}.")
        length = seq_len
    else:
        if context is None:
            raise BadInputError("decode needs the KV-cache length: pass --context C (tokens already cached).")
        if seq_len not in (None, 1):
            raise BadInputError(f"decode captures one new token per sequence; --seq-len must be 1 or omitted, got {seq_len}.")
        if not isinstance(context, int) or context <= 0 or (max_pos is not None and context + 1 > max_pos):
            hi = f"1..{max_pos - 1}" if max_pos is not None else "1 or more"
            raise BadInputError(f"context must be in {hi} for {spec.name} (max positions {max_pos}), got {context}.")
        seq_len, length = 1, context
    meta = {"phase": phase, "batch": batch, "seq_len": seq_len, "context": context if phase == "decode" else None,
            "dtype": dtype, "model_name": spec.name, "notes": (note,) if note else ()}
    return _instantiate_cached(spec, phase, batch, dtype, length, moe_routing, meta, progress)


# In-process caches, least recently used first out: a long-lived sweep worker sees many distinct captures, and
# unbounded caches grew its memory 210 → 777 MB; the disk cache keeps everything, so an evicted entry costs
# one unpickling (templates) or one instantiation (graphs).
MAX_GRAPHS = 32
MAX_TEMPLATES = 8
_GRAPHS: OrderedDict[tuple, OpGraph] = OrderedDict()
_TEMPLATES: OrderedDict[tuple, Template] = OrderedDict()


def _remember(cache: OrderedDict, key: tuple, value, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)
CAPTURE_STATS = {"exports": 0, "disk_hits": 0, "memory_hits": 0, "export_s": 0.0}


def _instantiate_cached(spec, phase, batch, dtype, length, routing, meta, progress) -> OpGraph:
    key = (spec.name, spec.config_hash, phase, batch, dtype, length, routing)
    g = _GRAPHS.get(key)
    if g is not None:
        _GRAPHS.move_to_end(key)
        return g
    tpl, sym = _template(spec, phase, batch, dtype, length, progress)
    if tpl.info.get("num_experts"):
        meta = dict(meta, moe_routing=routing)
    # thousands of small acyclic objects: the cyclic GC's passes over them cost ~30 % of an instantiation
    gc_on = gc.isenabled()
    gc.disable()
    try:
        g = instantiate(tpl, length if sym else None, meta)
    finally:
        if gc_on:
            gc.enable()
    _remember(_GRAPHS, key, g, MAX_GRAPHS)
    return g


def default_progress(line: str) -> None:
    """The first-capture progress line: on stderr when it is a terminal, or when LIGHTCODE_PROGRESS=1."""
    import sys

    flag = os.environ.get("LIGHTCODE_PROGRESS")
    if flag == "1" or (flag != "0" and sys.stderr.isatty()):
        print(line, file=sys.stderr, flush=True)


def _serves(tpl: Template, length: int) -> bool:
    lo, hi = tpl.info.get("serves") or (None, None)
    return (lo is None or length >= lo) and (hi is None or length <= hi)


def _template(spec: ModelSpec, phase: str, batch: int, dtype: str, length: int, progress) -> tuple[Template, bool]:
    """The template serving `length`: a symbolic one when possible, else a static one. Returns
    (template, is_symbolic). Decode of a model with sliding windows has two symbolic regimes: every window
    saturated (`sym`, the cache of a windowed layer fixed at W − 1) and no window reached yet (`sym-short`)."""
    max_pos, _ = spec.position_limit()
    base = (spec.config_hash, phase, batch, dtype)
    keys = [] if phase == "prefill" and length == 1 else [base + ("sym",)]
    if phase == "decode":
        keys.append(base + ("sym-short",))
    keys.append(base + (length,))
    for key in keys:
        tpl = _TEMPLATES.get(key) or _load_disk(key)
        if tpl is not None and _serves(tpl, length):
            if key in _TEMPLATES:
                CAPTURE_STATS["memory_hits"] += 1
            _remember(_TEMPLATES, key, tpl, MAX_TEMPLATES)
            return tpl, isinstance(key[-1], str)
    (progress or default_progress)(f"capturing {spec.name} {phase} (first time only; later captures are cached)…")
    for key in keys:
        symbolic = isinstance(key[-1], str)
        t0 = time.perf_counter()
        try:
            got = _export_raw(spec, phase, batch, dtype, length, max_pos, key[-1])
        except _ExportFailed:
            if symbolic:
                continue
            raise
        if got is None:  # this regime does not serve `length`
            continue
        raw, config, serves = got
        if symbolic:
            if raw.symbol is None or raw.symbol_range is None:  # export specialised the length away
                continue
            lo, hi = raw.symbol_range  # the range export proved, within the one asked for
            serves = (max(lo, serves[0]), hi if serves[1] is None else (serves[1] if hi is None else min(hi, serves[1])))
            if not _serves(Template(raw, [], [], [], {"serves": serves}), length):
                continue
        CAPTURE_STATS["exports"] += 1
        CAPTURE_STATS["export_s"] += time.perf_counter() - t0
        tpl = build_template(raw, dict(_model_info(spec, config, raw), serves=serves))
        if not any(g.kind == "attention" for g in tpl.groups):
            raise BadInputError(f"{spec.name}: {config.model_type!r} has no attention layers (a state-space or "
                                "recurrent model); lightcode captures attention decoders.")
        _remember(_TEMPLATES, key, tpl, MAX_TEMPLATES)
        _store_disk(key, tpl)
        return tpl, symbolic
    raise AssertionError("unreachable: the static export either succeeds or raises")


def _export_raw(spec: ModelSpec, phase: str, batch: int, dtype: str, length: int, max_pos: int | None, mode):
    """(RawGraph, config, (lo, hi) lengths it serves) for one template key, or None if `mode` cannot serve
    `length`."""
    if phase == "prefill":
        if mode == "sym":
            rep = _export_replicated(spec, batch, dtype, None, max_pos)
            if rep is not None:
                return rep[0], rep[1], (2, max_pos)
            ep, config = export_prefill(spec, batch, dtype, None, max_pos)
            return extract(ep), config, (2, max_pos)
        rep = _export_replicated(spec, batch, dtype, length, max_pos)
        if rep is not None:
            return rep[0], rep[1], (length, length)
        ep, config = export_prefill(spec, batch, dtype, length, max_pos)
        return extract(ep), config, (length, length)
    if not isinstance(mode, str):
        ep, config = export_decode(spec, batch, dtype, length, max_pos)
        return extract(ep), config, (length, length)
    from lightcode.frontend.arch import layer_windows
    from lightcode.frontend.export import EXAMPLE_LENGTH, build_config

    ws = {w for w in layer_windows(build_config(spec)) if w}
    top = max_pos - 1 if max_pos is not None else None
    if not ws:
        if mode != "sym":
            return None
        lo, example = 2, None
    elif mode == "sym":  # every window saturated: C >= W_max − 1
        lo = max(ws) - 1
        if length < lo or (top is not None and lo > top):
            return None
        example = max(lo, min(EXAMPLE_LENGTH, top)) if top is not None else max(lo, EXAMPLE_LENGTH)
        example = max(example, lo + 1)
    else:  # no window reached: C < W_min − 1
        lo, hi = 2, min(ws) - 2
        if length > hi or hi < 3:
            return None
        ep, config = export_decode(spec, batch, dtype, None, min(hi + 1, max_pos or hi + 1), example=min(EXAMPLE_LENGTH, hi))
        return extract(ep), config, (2, hi)
    ep, config = export_decode(spec, batch, dtype, None, max_pos, example=example)
    return extract(ep), config, (lo, top)


def _export_replicated(spec: ModelSpec, batch: int, dtype: str, length: int | None, max_pos: int | None):
    """(RawGraph, full config) from a two-layer export stamped out to all layers (frontend/replicate.py), or
    None where that does not apply; a cold Llama-2-7B capture is then ~2× faster."""
    from lightcode.frontend.export import build_config
    from lightcode.frontend.replicate import reduced_spec, replicate

    if os.environ.get("LIGHTCODE_FULL_EXPORT"):  # the reference the replication is tested against
        return None
    red = reduced_spec(spec)
    if red is None:
        return None
    small, n_layers = red
    ep, _ = export_prefill(small, batch, dtype, length, max_pos)
    raw = replicate(extract(ep), n_layers)
    return None if raw is None else (raw, build_config(spec))


def _model_info(spec: ModelSpec, config, raw: RawGraph | None = None) -> dict[str, Any]:
    from lightcode.frontend.arch import kv_layout, layer_windows, moe_traits

    heads = config.num_attention_heads
    hidden = config.hidden_size
    kv_heads, k_dim, v_dim = kv_layout(config)
    cache = [t for t in (raw.tensors if raw is not None else ()) if t.origin == "cache"]
    if len(cache) >= 2:  # decode: the model's own cache layout (B, kv heads, C, d) wins over the config's
        kv_heads, k_dim, v_dim = cache[0].shape[1], cache[0].shape[-1], cache[len(cache) // 2].shape[-1]
    windows = layer_windows(config)
    moe = moe_traits(config) or {"num_experts": 0, "top_k": 0}
    return {
        "name": spec.name,
        "architecture": config.model_type,
        "num_layers": config.num_hidden_layers,
        "hidden": hidden,
        "num_heads": heads,
        "num_kv_heads": kv_heads,
        "head_dim": k_dim,
        "intermediate": getattr(config, "intermediate_size", None) or getattr(config, "n_inner", None) or 4 * hidden,
        "vocab": config.vocab_size,
        "max_positions": spec.position_limit()[0],
        "num_parameters": 0,  # counted from the graph's parameters in `instantiate`
        "config_hash": spec.config_hash,
        "v_head_dim": v_dim if v_dim != k_dim else None,
        "attention": getattr(config, "_attn_implementation", None) or "sdpa",
        "layer_windows": windows if any(windows) else (),
        "num_experts": moe["num_experts"],
        "experts_per_token": moe["top_k"],
    }


# --- disk cache ---------------------------------------------------------------------------------------


def cache_dir() -> Path:
    d = os.environ.get("LIGHTCODE_CACHE_DIR")
    return Path(d) if d else Path.home() / ".cache" / "lightcode"


@lru_cache(maxsize=1)
def _code_version() -> str:
    """Hash of the capture code: a change to it invalidates cached templates."""
    # Package metadata, not `import torch` (~4 s): a cached capture must not pay for the libraries it skips.
    from importlib.metadata import version

    here = Path(__file__).resolve().parent
    files = sorted(here.glob("*.py")) + sorted((here / "passes").glob("*.py"))
    h = hashlib.sha256(f"{version('torch')}/{version('transformers')}".encode())
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _disk_path(key: tuple) -> Path:
    name = "-".join(str(k) for k in key)
    return cache_dir() / "capture" / _code_version() / f"{name}.pkl"


def _load_disk(key: tuple) -> Template | None:
    p = _disk_path(key)
    try:
        with p.open("rb") as f:
            tpl = pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception:  # truncated, corrupt, or from other code: rebuilt by the caller
        return None
    if not isinstance(tpl, Template):  # a pickle of the wrong type is as good as none
        return None
    CAPTURE_STATS["disk_hits"] += 1
    return tpl


def _store_disk(key: tuple, tpl: Template) -> None:
    p = _disk_path(key)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(f".tmp{os.getpid()}")
        with tmp.open("wb") as f:
            pickle.dump(tpl, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, p)  # atomic: concurrent sweep workers never read a half-written file
    except OSError:
        pass  # a read-only home only costs speed


def clear_memory_cache() -> None:
    _GRAPHS.clear()
    _TEMPLATES.clear()
