"""OpGraph: the operator graph of one model, phase and shape. Frozen, SI units (FLOP, bytes).

Every later stage (cost models, stacked graph, solvers, simulator) reads only these types.

Conventions (the tests check them exactly):
- matmul FLOPs = 2·M·N·K per product, plus M·N for a fused bias add;
- attention (fused SDPA, or an eager QKᵀ -> softmax -> ·V chain) FLOPs = 4·B·H·Sq·Skv·d: QKᵀ and A·V over
  the *full* Sq×Skv score matrix (no causal halving; prefill Skv = S, decode Skv = C + 1); a sliding-window
  layer of window W sees Skv = min(S, W) keys per query in prefill, and its cache holds W − 1 tokens in
  decode; softmax, scaling, soft-capping and masks are not counted;
- mixture of experts: a grouped expert GEMM counts the routed rows only (2·T·k·K·N for T tokens, top-k), and
  its weight bytes are those of the expected number of distinct experts the T tokens touch under the routing
  assumption in `meta["moe_routing"]` (frontend/moe.py);
- bytes_read counts the bytes of every distinct input tensor once (a weight is read whole; an embedding
  lookup reads only the gathered rows); views/expands are free and read their source;
- weights are model parameters, named as in `state_dict` (a tied weight is one parameter).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

OP_KINDS: tuple[str, ...] = (
    "matmul",
    "attention",
    "norm",
    "softmax",
    "elementwise",
    "embedding",
    "data_movement",
)

DTYPE_BYTES: dict[str, int] = {
    "fp64": 8,
    "fp32": 4,
    "fp16": 2,
    "bf16": 2,
    "int64": 8,
    "int32": 4,
    "int8": 1,
    "uint8": 1,
    "bool": 1,
}


@dataclass(frozen=True)
class TensorSpec:
    shape: tuple[int, ...]
    dtype: str

    @property
    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def nbytes(self) -> int:
        return self.numel * DTYPE_BYTES[self.dtype]


@dataclass(frozen=True)
class Gemm:
    """`batch` independent products (m×k)·(k×n). `weight_operand`: the k×n operand is a model weight
    (static, can stay resident on a weight-stationary device); otherwise both operands are activations."""

    m: int
    k: int
    n: int
    batch: int = 1
    weight_operand: bool = True

    @property
    def flops(self) -> int:
        return 2 * self.batch * self.m * self.k * self.n

    @property
    def macs(self) -> int:
        return self.batch * self.m * self.k * self.n


@dataclass(frozen=True)
class Op:
    name: str
    kind: str
    target: str  # the ATen op(s) it came from, e.g. "aten.linear" or "fused:aten.mul+aten.silu"
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    flops: int
    bytes_read: int
    bytes_written: int
    weights: tuple[str, ...] = ()
    weight_bytes: int = 0
    layer: int | None = None
    module: str = ""
    gemms: tuple[Gemm, ...] = ()
    kv_cache_bytes_read: int = 0  # decode: bytes of the *cached* K/V (C tokens) this op reads
    n_fused: int = 1  # ATen compute nodes merged into this op (1 = one kernel in eager PyTorch)

    def __post_init__(self) -> None:
        if self.kind not in OP_KINDS:
            raise ValueError(f"unknown op kind {self.kind!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "flops": self.flops,
            "bytes_read": self.bytes_read,
            "bytes_written": self.bytes_written,
            "layer": self.layer,
            "module": self.module,
        }


@dataclass(frozen=True)
class Edge:
    src: int  # index into OpGraph.ops
    dst: int
    nbytes: int


@dataclass(frozen=True)
class ModelInfo:
    name: str
    architecture: str
    num_layers: int
    hidden: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    max_positions: int | None  # None: no position limit (ALiBi)
    num_parameters: int
    config_hash: str
    v_head_dim: int | None = None  # when it differs from head_dim (DeepSeek's MLA)
    attention: str = "sdpa"  # the attention implementation exported: "sdpa" or "eager"
    layer_windows: tuple[int | None, ...] = ()  # per layer: sliding window (tokens) or None; () = all full
    num_experts: int = 0  # mixture of experts: routed experts per MoE layer (0 = dense)
    experts_per_token: int = 0  # top-k


@dataclass(frozen=True)
class OpGraph:
    model: ModelInfo
    phase: str  # "prefill" | "decode"
    batch: int
    seq_len: int  # prefill: prompt length; decode: new tokens (1)
    context: int | None  # decode: cached tokens C
    dtype: str
    ops: tuple[Op, ...]  # topological order
    edges: tuple[Edge, ...]
    parameter_bytes: int  # all distinct parameters × dtype bytes
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    # --- notebook views (short: the op list itself is `ops`, or `to_json_dict()`) ---------------------
    def _shape(self) -> str:
        tail = f"S={self.seq_len}" if self.phase == "prefill" else f"C={self.context}"
        return f"{self.phase} B={self.batch} {tail} {self.dtype}"

    def __repr__(self) -> str:
        from lightcode.core.si import si

        t = self.totals()
        kinds = ", ".join(f"{k} {int(v['count'])}" for k, v in sorted(self.by_kind().items(), key=lambda kv: -kv[1]["count"]))
        return (f"<OpGraph {self.model.name} {self._shape()}: {len(self.ops)} ops ({kinds}), {len(self.edges)} edges, "
                f"{si(t['flops'], 'FLOP')}, weights {si(t['weight_bytes'], 'B')}>")

    def _repr_html_(self) -> str:
        import html

        from lightcode.core.si import si

        t = self.totals()
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{int(v['count'])}</td><td>{si(v['flops'], 'FLOP')}</td>"
                       f"<td>{si(v['bytes_read'], 'B')}</td><td>{si(v['bytes_written'], 'B')}</td></tr>"
                       for k, v in self.by_kind().items())
        return (f"<div><b>OpGraph</b> {html.escape(self.model.name)} — {html.escape(self._shape())}: "
                f"{len(self.ops)} ops, {len(self.edges)} edges, {si(t['flops'], 'FLOP')}, weights "
                f"{si(t['weight_bytes'], 'B')}<table><thead><tr><th>kind</th><th>ops</th><th>FLOP</th>"
                f"<th>read</th><th>written</th></tr></thead><tbody>{rows}</tbody></table></div>")

    # --- queries -------------------------------------------------------------------------------
    def predecessors(self) -> list[list[int]]:
        preds: list[list[int]] = [[] for _ in self.ops]
        for e in self.edges:
            preds[e.dst].append(e.src)
        return preds

    def successors(self) -> list[list[int]]:
        succ: list[list[int]] = [[] for _ in self.ops]
        for e in self.edges:
            succ[e.src].append(e.dst)
        return succ

    def ops_of(self, kind: str) -> list[Op]:
        return [o for o in self.ops if o.kind == kind]

    def totals(self) -> dict[str, float]:
        return {
            "flops": float(sum(o.flops for o in self.ops)),
            "matmul_flops": float(sum(g.flops for o in self.ops for g in o.gemms)),
            "weight_bytes": float(self.parameter_bytes),
            "bytes_read": float(sum(o.bytes_read for o in self.ops)),
            "bytes_written": float(sum(o.bytes_written for o in self.ops)),
            "kv_cache_bytes_read": float(sum(o.kv_cache_bytes_read for o in self.ops)),
            "ops": len(self.ops),
        }

    def by_kind(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for o in self.ops:
            row = out.setdefault(o.kind, {"count": 0, "flops": 0.0, "bytes_read": 0.0, "bytes_written": 0.0})
            row["count"] += 1
            row["flops"] += o.flops
            row["bytes_read"] += o.bytes_read
            row["bytes_written"] += o.bytes_written
        return out

    def to_json_dict(self) -> dict[str, Any]:
        """The `lightcode graph --json` contract (DESIGN §4)."""
        return {
            "model": self.model.name,
            "phase": self.phase,
            "batch": self.batch,
            "seq_len": self.seq_len,
            "context": self.context,
            "dtype": self.dtype,
            "moe_routing": self.meta.get("moe_routing"),
            "notes": list(self.meta.get("notes", ())),
            "ops": [o.to_dict() for o in self.ops],
            "totals": self.totals(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_json_dict(), sort_keys=True)

    def validate(self) -> None:
        """Invariants every stage may rely on: ops in topological order (every edge goes forward), edge
        indices in range and not self-loops, legal kinds, non-negative FLOPs and bytes, weight and KV bytes
        within the bytes read, GEMM FLOPs within the op's FLOPs, parameter bytes covering the weights read.
        Raises ValueError naming the first violation."""
        n = len(self.ops)
        for e in self.edges:
            if not (0 <= e.src < n and 0 <= e.dst < n):
                raise ValueError(f"edge {e.src}->{e.dst} out of range (0..{n - 1})")
            if e.src >= e.dst:
                raise ValueError(f"edge {e.src}->{e.dst} is not in topological order")
            if e.nbytes < 0:
                raise ValueError(f"edge {e.src}->{e.dst} has negative bytes")
        names = set()
        for i, o in enumerate(self.ops):
            where = f"op {i} ({o.name})"
            if o.name in names:
                raise ValueError(f"{where}: duplicate name")
            names.add(o.name)
            if o.kind not in OP_KINDS:
                raise ValueError(f"{where}: unknown kind {o.kind!r}")
            if min(o.flops, o.bytes_read, o.bytes_written, o.weight_bytes, o.kv_cache_bytes_read) < 0:
                raise ValueError(f"{where}: negative FLOPs or bytes")
            if o.weight_bytes + o.kv_cache_bytes_read > o.bytes_read:
                raise ValueError(f"{where}: weight + KV bytes {o.weight_bytes + o.kv_cache_bytes_read} exceed "
                                 f"the bytes read {o.bytes_read}")
            if sum(g.flops for g in o.gemms) > o.flops:
                raise ValueError(f"{where}: GEMM FLOPs exceed the op's FLOPs")
            if o.weight_bytes and not o.weights:
                raise ValueError(f"{where}: weight bytes without named weights")
            if o.kind in ("matmul", "attention") and o.flops and not o.gemms:
                raise ValueError(f"{where}: a {o.kind} op without GEMMs")
        if self.ops and max(o.weight_bytes for o in self.ops) > self.parameter_bytes:
            raise ValueError("an op reads more weight bytes than the model's parameters hold")

    def replace_ops(self, ops: Iterable[Op], edges: Iterable[Edge]) -> "OpGraph":
        from dataclasses import replace

        return replace(self, ops=tuple(ops), edges=tuple(edges))


def model_info_dict(info: ModelInfo) -> dict[str, Any]:
    return asdict(info)
