"""RawGraph: the exported ATen graph in plain, picklable Python, with symbolic shapes kept symbolic.

A dimension is an int or a string naming a sympy expression of the export's length symbol; shapes become
concrete only in `capture.instantiate`. This is what is cached on disk: one export serves every length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lightcode.frontend.aten_map import NOOP_OPS, VIEW_OPS, aten_name, kind_of

Dim = int | str  # int, or a sympy expression (as text) of the length symbol

_TORCH_DTYPE_NAMES = {
    "torch.float16": "fp16", "torch.bfloat16": "bf16", "torch.float32": "fp32", "torch.float64": "fp64",
    "torch.int64": "int64", "torch.int32": "int32", "torch.int8": "int8", "torch.uint8": "uint8",
    "torch.bool": "bool",
}


@dataclass
class RawTensor:
    tid: int
    shape: tuple[Dim, ...]
    dtype: str
    origin: str  # "node" | "param" | "buffer" | "input" | "cache" | "const"
    name: str = ""  # parameter/buffer FQN or placeholder name
    producer: int | None = None  # RawNode index


@dataclass
class RawNode:
    idx: int
    name: str
    aten: str  # short ATen name, e.g. "linear"
    kind: str  # taxonomy kind, or "view" / "noop"
    module: str  # innermost module path, e.g. "model.layers.0.mlp.up_proj"
    module_class: str
    inputs: list[int]  # tensor ids, in argument order
    outputs: list[int]
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class RawGraph:
    tensors: list[RawTensor]
    nodes: list[RawNode]
    graph_outputs: list[int]
    symbol: str | None  # the length symbol (e.g. "s70"), None for a static export
    symbol_range: tuple[int, int | None] | None  # upper None: unbounded (ALiBi)
    # annotations set by the passes (frontend/passes): storage roots, kept groups, decode cache appends
    root: list[int] | None = None  # tensor id -> the tensor whose storage it reads (fold_views)
    groups: list[list[int]] | None = None  # node indices fused into one op each (fuse)
    kv_appends: frozenset[int] = frozenset()  # nodes that append the new token to the KV cache

    def validate(self) -> None:
        """Structural invariants every pass keeps: nodes in topological order with matching indices, tensor
        ids in range, producers consistent, annotations covering the graph. Raises AssertionError."""
        nt = len(self.tensors)
        for t in self.tensors:
            assert t.producer is None or 0 <= t.producer < len(self.nodes), f"tensor {t.tid}: producer out of range"
        defined = {t.tid for t in self.tensors if t.producer is None}
        for i, n in enumerate(self.nodes):
            assert n.idx == i, f"node {n.name}: index {n.idx} at position {i}"
            for t in n.inputs:
                assert 0 <= t < nt, f"node {n.name}: input {t} out of range"
                r = self.root[t] if self.root is not None else t
                assert t in defined or r in defined, f"node {n.name} reads tensor {t} before it is produced"
            for o in n.outputs:
                assert self.tensors[o].producer == i, f"node {n.name}: output {o} names another producer"
                defined.add(o)
        if self.root is not None:
            assert len(self.root) == nt and all(0 <= r < nt and self.root[r] == r for r in self.root)
        if self.groups is not None:
            flat = [i for grp in self.groups for i in grp]
            assert sorted(flat) == list(range(len(self.nodes))), "groups must partition the nodes"


def renumber(g: RawGraph, nodes: list[RawNode]) -> RawGraph:
    """`g` with `nodes` (a subsequence or rewrite of its nodes, in topological order) renumbered 0..n-1 and
    every tensor's producer updated; tensors no kept node produces become producer-less (constant inputs)."""
    import dataclasses

    new_idx = {id(n): i for i, n in enumerate(nodes)}
    out_nodes = [dataclasses.replace(n, idx=new_idx[id(n)]) for n in nodes]
    producer = {o: n.idx for n in out_nodes for o in n.outputs}
    tensors = [t if producer.get(t.tid) == t.producer else dataclasses.replace(t, producer=producer.get(t.tid))
               for t in g.tensors]
    old_to_new = {n.idx: new_idx[id(n)] for n in nodes}
    kv = frozenset(old_to_new[i] for i in g.kv_appends if i in old_to_new)
    return dataclasses.replace(g, tensors=tensors, nodes=out_nodes, groups=None, kv_appends=kv)


def extract(ep) -> RawGraph:
    """Walk an ExportedProgram's graph into a RawGraph (no length-dependent work)."""
    import torch

    sig = ep.graph_signature
    params = dict(getattr(sig, "inputs_to_parameters", {}) or {})
    buffers = dict(getattr(sig, "inputs_to_buffers", {}) or {})
    consts = set((getattr(sig, "inputs_to_lifted_tensor_constants", {}) or {}).keys())
    # tied weights (e.g. lm_head = embedding) are one tensor under two names: use the first name for both
    first_name: dict[int, str] = {}
    canonical = {fqn: first_name.setdefault(id(t), fqn) for fqn, t in ep.state_dict.items()}
    params = {ph: canonical.get(fqn, fqn) for ph, fqn in params.items()}

    tensors: list[RawTensor] = []
    nodes: list[RawNode] = []
    node_tensors: dict[str, list[int] | int] = {}  # fx node name -> tensor id or list (tuple outputs)

    def new_tensor(val, origin: str, name: str = "", producer: int | None = None) -> int:
        tensors.append(RawTensor(len(tensors), _shape(val), _dtype(val), origin, name, producer))
        return len(tensors) - 1

    def tensor_args(args) -> list[int]:
        out: list[int] = []
        for a in args:
            if isinstance(a, torch.fx.Node):
                t = node_tensors.get(a.name)
                if isinstance(t, int):
                    out.append(t)
                elif isinstance(t, list):
                    out.extend(t)
            elif isinstance(a, (list, tuple)):
                out.extend(tensor_args(a))
        return out

    graph_outputs: list[int] = []
    for n in ep.graph.nodes:
        if n.op == "placeholder":
            val = n.meta.get("val")
            if not isinstance(val, torch.Tensor):
                continue
            if n.name in params:
                node_tensors[n.name] = new_tensor(val, "param", params[n.name])
            elif n.name in buffers:
                node_tensors[n.name] = new_tensor(val, "buffer", buffers[n.name])
            elif n.name in consts:
                node_tensors[n.name] = new_tensor(val, "const", n.name)
            elif n.name.startswith("past_key_values"):
                node_tensors[n.name] = new_tensor(val, "cache", n.name)
            else:
                node_tensors[n.name] = new_tensor(val, "input", n.name)
        elif n.op == "call_function":
            name = aten_name(n.target)
            if name == "getitem":  # pick one output of a tuple-returning node: an alias, not an op
                src = node_tensors.get(n.args[0].name)
                if isinstance(src, list) and isinstance(n.args[1], int) and n.args[1] < len(src):
                    node_tensors[n.name] = src[n.args[1]]
                continue
            val = n.meta.get("val")
            ins = tensor_args(list(n.args) + list(n.kwargs.values()))
            if name in NOOP_OPS or val is None:
                continue
            kind = "view" if name in VIEW_OPS else kind_of(name)
            stack = list((n.meta.get("nn_module_stack") or {}).values())
            module, module_class = (stack[-1][0], _class_name(stack[-1][1])) if stack else ("", "")
            idx = len(nodes)
            if isinstance(val, torch.Tensor):
                outs = [new_tensor(val, "node", n.name, idx)]
                node_tensors[n.name] = outs[0]
            elif isinstance(val, (list, tuple)):
                outs = [new_tensor(v, "node", f"{n.name}.{i}", idx) for i, v in enumerate(val) if isinstance(v, torch.Tensor)]
                node_tensors[n.name] = outs
            else:
                continue
            attrs: dict[str, Any] = {}
            if kind == "attention":
                m = _sdpa_mask_tensor(n, node_tensors)
                attrs["mask_args"] = [] if m is None else [m]
            if name in ("linear", "addmm", "baddbmm"):
                attrs["bias"] = _has_bias(name, n)
            nodes.append(RawNode(idx, n.name, name, kind, module, module_class, ins, outs, attrs))
        elif n.op == "output":
            graph_outputs = tensor_args(n.args)

    symbol, rng = None, None
    for sym, vr in ep.range_constraints.items():
        upper = vr.upper  # torch's int_oo (unbounded) is not an integer
        symbol, rng = str(sym), (int(vr.lower), int(upper) if getattr(upper, "is_integer", False) and
                                 getattr(upper, "is_finite", True) is not False and "oo" not in str(upper) else None)
        break
    return RawGraph(tensors, nodes, graph_outputs, symbol, rng)


def _shape(val) -> tuple[Dim, ...]:
    dims: list[Dim] = []
    for d in val.shape:
        if isinstance(d, int):
            dims.append(d)
        else:
            expr = d.node.expr
            dims.append(int(expr) if getattr(expr, "is_number", False) else str(expr))
    return tuple(dims)


def _dtype(val) -> str:
    return _TORCH_DTYPE_NAMES.get(str(val.dtype), "fp32")


def _class_name(cls) -> str:
    s = cls if isinstance(cls, str) else getattr(cls, "__name__", str(cls))
    return s.rsplit(".", 1)[-1].strip("'>")


def _has_bias(name: str, n) -> bool:
    if name == "linear":
        return len(n.args) > 2 and n.args[2] is not None
    return True  # addmm/baddbmm always add their first operand


def _sdpa_mask_tensor(n, node_tensors) -> int | None:
    """The tensor id of SDPA's attn_mask argument (4th positional or kwarg), if any."""
    import torch

    mask = n.kwargs.get("attn_mask", n.args[3] if len(n.args) > 3 else None)
    if isinstance(mask, torch.fx.Node):
        t = node_tensors.get(mask.name)
        return t if isinstance(t, int) else None
    return None
