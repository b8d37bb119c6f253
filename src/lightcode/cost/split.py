"""Split realizations: one GEMM's output shared between the host GPU and an accelerator, both running at once.

A linear (matmul with a weight operand) is split along its output columns N (the weight's output rows): the
accelerator computes columns [0, f·N), the host the rest. Each half reads the whole input activation and its
own slice of the weights, so the weight traffic is partitioned, not duplicated, and each half reads it from
where its unit reads weights (cost/operands.py placement, through the unit's own cost model). An attention
op is split along its heads (every gemm's `batch` = B·H): each half reads its heads' Q, K, V (and cached K/V).
A fraction is offered only where it falls on whole columns / heads (eighths of N = 4096, 11008, 32000 do).

Timeline of a split op started at s (its realization's `parts`, both starting at s):
  host part:        holds the host for t_host (its own cost model's latency on the (1 − f) slice);
  accelerator part: holds the accelerator for t_move_in + t_acc + t_move_out: the input activations sent
                    host -> accelerator (the transfer law, System.transfer_cost: zero where the SRAM rule
                    makes the accelerator stream them from memory itself, then in its cost), its compute on
                    the f slice, and its output sent back to the host, where the op's output is assembled;
  the op ends at s + max(t_host, t_move_in + t_acc + t_move_out) and its output lives on the host.
The accelerator part's link shares are averaged over its hold, as an op's weight streaming already is
(cost/operands.py link_demand): (busy time of its moves and streams on each link) / its hold time.

Energy: the two halves' op costs plus both moves, by component; nothing else (static power stays with the
simulator's law, charged for every unit that a part uses).

Per fraction one split realization is offered: the fastest host variant and the fastest accelerator variant
(least energy among equally fast) among those the precision policy admits for the whole op: splitting is a
latency tool, and one pairing per fraction keeps the exact selection's model small.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Mapping

from lightcode.core.cost import CostBreakdown
from lightcode.core.devices import unit_variants
from lightcode.core.formats import Formats
from lightcode.core.opgraph import Gemm, Op, TensorSpec
from lightcode.cost.operands import activation_tensors

# the fractions on offer (the accelerator's share of the output); eighths: see docs/splitting.md for the
# model sizes and solve times they cost
SPLIT_FRACTIONS: tuple[Fraction, ...] = tuple(Fraction(k, 8) for k in range(1, 8))


def link_name(src_unit: str, dst_unit: str) -> str:
    """The schedule's name of the directed link src -> dst (sim/schedule.py re-exports it)."""
    return f"{src_unit}->{dst_unit}"


@dataclass(frozen=True)
class Part:
    """One unit's share of a split op. `cost`: its compute on the slice with the slice's memory traffic (the
    unit's own model); `moves`: the transfers of its inputs in and its output out (zero for the host's part);
    `busy_s`: how long it holds the unit (moves + compute); `link_demand`: its link shares over that hold."""

    unit: str
    fraction: Fraction
    variant: str
    cost: CostBreakdown
    moves: CostBreakdown
    busy_s: float
    link_demand: Mapping[str, float] = field(default_factory=dict)
    formats: Formats | None = None


@dataclass(frozen=True)
class Split:
    """A split way of running an op: its parts (host first) and their combined cost (latency = the longer
    hold, energy = every part's cost and moves)."""

    name: str
    cost: CostBreakdown
    parts: tuple[Part, ...]
    formats: Formats | None  # the host part's (what the op's output is assembled in)


def splittable(op: Op) -> bool:
    return bool(op.gemms) and (
        (op.kind == "matmul" and all(g.weight_operand for g in op.gemms) and op.weight_bytes > 0)
        or op.kind == "attention")


def _scale_int(v: int, f: Fraction) -> int | None:
    num = v * f.numerator
    return num // f.denominator if num % f.denominator == 0 else None


def slice_op(op: Op, f: Fraction) -> Op | None:
    """The share f of `op` (output columns of a linear, heads of an attention), or None where f does not
    fall on whole columns / heads."""
    if not splittable(op) or not 0 < f < 1:
        return None
    if op.kind == "matmul":
        ns = [_scale_int(g.n, f) for g in op.gemms]
        if any(n is None or n == 0 for n in ns):
            return None
        gemms = tuple(replace(g, n=n) for g, n in zip(op.gemms, ns))
        w_bytes = _scale_int(op.weight_bytes, f)
        # weight tensors: the inputs activation_tensors() does not count as activations (matched by size)
        acts, _ = activation_tensors(op)
        left = list(acts)
        inputs = []
        for t in op.inputs:
            if t.nbytes in left:
                left.remove(t.nbytes)
                inputs.append(t)
            else:  # a weight (N, K) or bias (N,): its first dimension is N
                d0 = _scale_int(t.shape[0], f)
                if d0 is None:
                    return None
                inputs.append(TensorSpec((d0,) + tuple(t.shape[1:]), t.dtype))
        outputs = []
        for t in op.outputs:
            dn = _scale_int(t.shape[-1], f)
            if dn is None:
                return None
            outputs.append(TensorSpec(tuple(t.shape[:-1]) + (dn,), t.dtype))
        flops = _scale_int(op.flops, f)
        written = _scale_int(op.bytes_written, f)
        if w_bytes is None or flops is None or written is None:
            return None
        return replace(op, gemms=gemms, inputs=tuple(inputs), outputs=tuple(outputs), flops=flops,
                       bytes_read=op.bytes_read - op.weight_bytes + w_bytes, bytes_written=written,
                       weight_bytes=w_bytes)
    # attention: heads (batch of every gemm; dimension 1 of a (B, H, S, d) tensor, else its last dimension)
    batches = [_scale_int(g.batch, f) for g in op.gemms]
    if any(b is None or b == 0 for b in batches):
        return None
    gemms = tuple(Gemm(g.m, g.k, g.n, b, g.weight_operand) for g, b in zip(op.gemms, batches))

    def heads(t: TensorSpec) -> TensorSpec | None:
        dim = 1 if len(t.shape) == 4 else len(t.shape) - 1
        d = _scale_int(t.shape[dim], f)
        return None if d is None or d == 0 else TensorSpec(t.shape[:dim] + (d,) + t.shape[dim + 1:], t.dtype)

    ins = [heads(t) for t in op.inputs]
    outs = [heads(t) for t in op.outputs]
    vals = [_scale_int(v, f) for v in (op.flops, op.bytes_read, op.bytes_written, op.kv_cache_bytes_read)]
    if any(t is None for t in ins + outs) or any(v is None for v in vals):
        return None
    flops, read, written, kv = vals
    return replace(op, gemms=gemms, inputs=tuple(ins), outputs=tuple(outs), flops=flops, bytes_read=read,
                   bytes_written=written, kv_cache_bytes_read=kv)


def _fastest(unit, op: Op, dtype: str, admitted: set[str]):
    vs = [v for v in unit_variants(unit, op, dtype) if v.name in admitted]
    return min(vs, key=lambda v: (v.cost.latency_s, v.cost.total_energy_j), default=None)


def _merge(*demands: Mapping[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for d in demands:
        for k, v in d.items():
            out[k] = out.get(k, 0.0) + v
    return out


def split_options(system, host: str, acc: str, op: Op, dtype: str, host_admitted: set[str],
                  acc_admitted: set[str], fractions=SPLIT_FRACTIONS) -> list[Split]:
    """Every split of `op` between `host` and accelerator `acc` (module docstring), one per fraction that
    both units can run; `*_admitted`: the variant names the precision policy admits on each unit for the
    whole op."""
    out = []
    hu, au = system.units[host], system.units[acc]
    for f in fractions:
        acc_op, host_op = slice_op(op, f), slice_op(op, 1 - f)
        if acc_op is None or host_op is None:
            continue
        hv, av = _fastest(hu, host_op, dtype, host_admitted), _fastest(au, acc_op, dtype, acc_admitted)
        if hv is None or av is None:
            continue
        ins, _ = activation_tensors(acc_op)
        move_in = system.transfer_cost(host, acc, sum(ins))
        move_out = system.transfer_cost(acc, host, acc_op.bytes_written)
        moves = move_in + move_out
        busy = moves.latency_s + av.cost.latency_s
        t_host = hv.cost.latency_s
        # link busy seconds of the accelerator part: its own streams (share × its compute time) and its moves
        streams = {k: q * av.cost.latency_s for k, q in av.link_demand.items()}
        moved = {link_name(host, acc): move_in.latency_s, link_name(acc, host): move_out.latency_s}
        acc_ld = {k: min(1.0, v / busy) for k, v in _merge(streams, moved).items() if v > 0} if busy > 0 else {}
        if set(acc_ld) & set(hv.link_demand):  # the solvers take one hold per link and op: not modelled
            continue
        parts = (Part(host, 1 - f, hv.name, hv.cost, CostBreakdown(0.0, {}), t_host, dict(hv.link_demand), hv.formats),
                 Part(acc, f, av.name, av.cost, moves, busy, acc_ld, av.formats))
        energy = _merge(hv.cost.energy_j, av.cost.energy_j, moves.energy_j)
        out.append(Split(f"split {f} {acc}:{av.name} + {hv.name}", CostBreakdown(max(t_host, busy), energy),
                         parts, hv.formats))
    return out
