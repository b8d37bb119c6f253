"""Split realizations on a shipped system: the halves sum to the whole op, their costs come from the units'
own models plus the moves, the schedule runs them at once, the trace shows both and the JSON reports the
fractions."""

from __future__ import annotations

from fractions import Fraction

import pytest

from compile_fakes import graph_of
from lightcode.core.devices import unit_variants
from lightcode.core.opgraph import Gemm, Op, TensorSpec
from lightcode.cost.operands import activation_tensors
from lightcode.cost.split import SPLIT_FRACTIONS, slice_op
from lightcode.errors import BadInputError
from lightcode.hardware.load import load_system
from lightcode.pipeline.request import CompileRequest
from lightcode.report.trace import trace_events, validate_trace
from lightcode.select import select
from lightcode.sim.simulate import simulate
from lightcode.stack.stacked import StackedGraph

SYSTEM = "h100+ddot-l-8bit"


def linear(m: int = 2048, k: int = 4096, n: int = 4096) -> Op:
    """A Llama-2-7B projection as the capture writes it: x (1, M, K), weight (N, K), output (1, M, N)."""
    x, w, y = TensorSpec((1, m, k), "fp16"), TensorSpec((n, k), "fp16"), TensorSpec((1, m, n), "fp16")
    return Op("proj:linear", "matmul", "aten.linear", (x, w), (y,), flops=2 * m * k * n,
              bytes_read=x.nbytes + w.nbytes, bytes_written=y.nbytes, weights=("proj.weight",),
              weight_bytes=w.nbytes, gemms=(Gemm(m, k, n),))


def attention(b: int = 1, h: int = 32, s: int = 512, d: int = 128, cache: int = 0) -> Op:
    """SDPA over H heads; decode (cache > 0): one query against cache + 1 keys, the cache read from memory."""
    sq, skv = (1, cache + 1) if cache else (s, s)
    q, kv, o = (TensorSpec((b, h, sq, d), "fp16"), TensorSpec((b, h, skv, d), "fp16"),
                TensorSpec((b, h, sq, d), "fp16"))
    return Op("sdpa:attention", "attention", "aten.sdpa", (q, kv, kv), (o,), flops=4 * b * h * sq * skv * d,
              bytes_read=q.nbytes + 2 * kv.nbytes, bytes_written=o.nbytes,
              gemms=(Gemm(sq, d, skv, b * h, False), Gemm(sq, skv, d, b * h, False)),
              kv_cache_bytes_read=2 * b * h * cache * d * 2)


@pytest.mark.parametrize("op", [linear(), linear(64, 11008, 4096), attention(), attention(b=4, cache=2048)],
                         ids=["prefill-linear", "decode-linear", "prefill-attention", "decode-attention"])
def test_halves_sum_to_the_whole_op(op):
    for f in SPLIT_FRACTIONS:
        a, b = slice_op(op, f), slice_op(op, 1 - f)
        assert a.flops + b.flops == op.flops
        assert sum(g.macs for g in a.gemms + b.gemms) == sum(g.macs for g in op.gemms)
        assert a.bytes_written + b.bytes_written == op.bytes_written
        assert sum(t.nbytes for t in a.outputs + b.outputs) == sum(t.nbytes for t in op.outputs)
        assert a.weight_bytes + b.weight_bytes == op.weight_bytes
        assert a.kv_cache_bytes_read + b.kv_cache_bytes_read == op.kv_cache_bytes_read
        if op.kind == "matmul":  # columns: both halves read the whole input, each its slice of the weights
            x = sum(activation_tensors(op)[0])
            assert a.bytes_read + b.bytes_read == op.bytes_read + x
            assert sum(activation_tensors(a)[0]) == x
        else:  # heads: every tensor is partitioned
            assert a.bytes_read + b.bytes_read == op.bytes_read


def test_fractions_off_whole_columns_or_heads_are_not_offered():
    assert slice_op(linear(n=12), Fraction(1, 8)) is None  # 1.5 columns
    assert slice_op(linear(n=12), Fraction(1, 4)).gemms[0].n == 3
    assert slice_op(attention(h=4), Fraction(1, 8)) is None  # half a head
    norm = Op("n", "norm", "aten.rms_norm", (), (), 10, 10, 10)
    assert slice_op(norm, Fraction(1, 2)) is None


@pytest.mark.parametrize("m", [2048, 64])
def test_split_costs_are_the_units_own_on_each_slice_plus_the_moves(m):
    """M = 2048: the 16 MB input exceeds the DDot's 2 MB buffer, so by the SRAM rule its part streams it from
    HBM itself (in its own cost) and the moves are free; M = 64: the input and output move over the link."""
    system = load_system(SYSTEM)
    op = linear(m)
    sg = StackedGraph(graph_of([op], []), system, split=True)
    whole = [r for r in sg.realizations[0] if not r.parts]
    splits = [r for r in sg.realizations[0] if r.parts]
    assert whole == list(StackedGraph(graph_of([op], []), system).realizations[0])  # a superset
    assert {r.parts[1].fraction for r in splits} == set(SPLIT_FRACTIONS)
    for r in splits:
        host, acc = r.parts
        assert r.unit == host.unit == sg.host and acc.unit == "ddot-l-8bit" and host.fraction + acc.fraction == 1
        for part, f in ((host, host.fraction), (acc, acc.fraction)):
            own = {v.name: v.cost for v in unit_variants(system.units[part.unit], slice_op(op, f), "fp16")}
            assert part.cost == own[part.variant]
        a_op = slice_op(op, acc.fraction)
        moves = (system.transfer_cost(host.unit, acc.unit, sum(activation_tensors(a_op)[0]))
                 + system.transfer_cost(acc.unit, host.unit, a_op.bytes_written))
        assert host.moves.total_energy_j == 0 and acc.moves == moves
        assert (moves.total_energy_j > 0) == (m == 64)
        assert acc.busy_s == pytest.approx(acc.cost.latency_s + acc.moves.latency_s)
        assert r.cost.latency_s == max(host.busy_s, acc.busy_s)
        for c in set(r.cost.energy_j) | set(host.cost.energy_j) | set(acc.cost.energy_j):
            parts = host.cost.energy_j.get(c, 0) + acc.cost.energy_j.get(c, 0) + acc.moves.energy_j.get(c, 0)
            assert r.cost.energy_j.get(c, 0) == pytest.approx(parts)
        assert r.fractions == {host.unit: float(host.fraction), acc.unit: float(acc.fraction)}


def _split_optimum():
    system = load_system(SYSTEM)
    op = linear()
    sg = StackedGraph(graph_of([op], []), system, split=True)
    a = select(sg, "latency", time_limit_s=30)
    return sg, a, simulate(sg, a)


def test_the_latency_optimum_splits_and_runs_both_halves_at_once():
    sg, a, sim = _split_optimum()
    r = sg.realizations[0][a.choice[0]]
    assert r.parts, "a 2048x4096x4096 GEMM: a share on the DDot shortens it (docs/splitting.md)"
    whole = select(StackedGraph(sg.graph, sg.system), "latency", time_limit_s=30)
    assert sim.latency_s < simulate(StackedGraph(sg.graph, sg.system), whole).latency_s
    ev = sim.schedule.events[sim.schedule.op_event[0]]
    (u0, _c0, e0), (u1, _c1, e1) = ev.parts
    assert (u0, u1) == ("h100-sxm", "ddot-l-8bit")
    # both halves start with the op and overlap on their two units
    assert ev.start_s < min(e0, e1) and ev.end_s == pytest.approx(ev.start_s + r.cost.latency_s)
    assert max(e0, e1) == pytest.approx(ev.end_s)
    # energy: the op (both parts + moves), the host I/O edges, and both units' static power over the makespan
    static = sum(sg.unit(u).static_power_w for u in sg.units) * sim.latency_s
    assert sim.energy_j == pytest.approx(r.cost.total_energy_j + static)  # host I/O stays on the host
    assert sim.energy_breakdown_j["static"] == pytest.approx(static)
    assert sum(sim.flops_by_unit.values()) == pytest.approx(sg.graph.ops[0].flops)
    assert sim.utilisation["ddot-l-8bit"] > 0 and sim.utilisation["h100-sxm"] > 0


def test_trace_shows_one_slice_per_half():
    sg, a, sim = _split_optimum()
    r = sg.realizations[0][a.choice[0]]
    tr = trace_events(sg, sim, name="split")
    validate_trace(tr)
    names = {ev["args"]["name"]: ev["pid"] for ev in tr["traceEvents"] if ev["name"] == "process_name"}
    slices = [ev for ev in tr["traceEvents"] if ev["ph"] == "X" and ev["name"].startswith("proj:linear")]
    assert sorted(ev["name"] for ev in slices) == sorted(f"proj:linear (f={p.fraction})" for p in r.parts)
    assert {ev["pid"] for ev in slices} == {names["h100-sxm"], names["ddot-l-8bit"]}
    (s0, e0), (s1, e1) = [(ev["ts"], ev["ts"] + ev["dur"]) for ev in slices]
    assert max(s0, s1) < min(e0, e1)  # overlapping in time
    last = [ev for ev in tr["traceEvents"] if ev["name"] == "energy"][-1]
    assert last["args"]["cumulative J"] == pytest.approx(sim.energy_j, rel=1e-6)


def test_compile_json_reports_fractions_per_unit():
    import lightcode as lc

    g = graph_of([linear()], [])
    res = lc.compile(g, system=SYSTEM, objective="latency", split=True, heuristics=False)
    (op,) = res.to_json_dict()["ops"]
    assert set(op["fractions"]) == {"h100-sxm", "ddot-l-8bit"} and sum(op["fractions"].values()) == pytest.approx(1)
    assert [p["unit"] for p in op["parts"]] == ["h100-sxm", "ddot-l-8bit"]
    (whole,) = lc.compile(g, system=SYSTEM, objective="latency", heuristics=False).to_json_dict()["ops"]
    assert list(whole["fractions"].values()) == [1.0] and "parts" not in whole


def test_request_field():
    assert CompileRequest("llama2-7b").split is False
    assert CompileRequest("llama2-7b").key == CompileRequest("llama2-7b", split=False).key  # stores stay valid
    assert CompileRequest("llama2-7b", split=True).key != CompileRequest("llama2-7b").key
    with pytest.raises(BadInputError, match="split must be true or false"):
        CompileRequest("llama2-7b", split="yes")
