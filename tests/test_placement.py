"""Weight placement (issue 12 items 4-5): operands read from where the system places them, over the link
when remote; stored format; unit-local capacity; the SRAM rule. Expected values are the YAML's numbers
(HBM 31.2 pJ/B, link 450 GB/s, 1.3 pJ/bit, 100 ns; HBM3 stack 819.2 GB/s, 24 GB) put through the one law
in cost/operands.py, computed here independently."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lightcode.core.cost import ZERO
from lightcode.core.devices import unit_variants
from lightcode.cost.operands import activation_tensors, kv_tensors
from lightcode.errors import ConfigError
from lightcode.hardware.load import SYSTEMS_DIR, load_system, load_unit
from lightcode.hardware.probe import gemm_op
from lightcode.sim.schedule import link_name
from lightcode.stack.stacked import StackedGraph

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "systems"
GEMV = gemm_op(1, 4096, 4096, "fp16")
W = 4096 * 4096  # weight elements


def _ddot(system: str):
    s = load_system(system)
    return s, s.units["ddot-b-4bit"]


def test_link_names_are_the_schedules():
    _, u = _ddot("h100+ddot-b-4bit")
    link = u.placement.weights.link
    assert link.read_name == link_name("h100-sxm", "ddot-b-4bit")
    assert link.write_name == link_name("ddot-b-4bit", "h100-sxm")


def test_default_system_streams_4bit_weights_from_hbm_over_the_link():
    _, u = _ddot("h100+ddot-b-4bit")
    (v,) = unit_variants(u, GEMV, "fp16")
    wbytes = W * 4 / 8  # stored pre-quantised for the reader (4-bit codes)
    assert v.cost.energy_j["transfer"] == pytest.approx(wbytes * 8 * 1.3e-12, rel=1e-9)
    assert v.cost.latency_s >= wbytes / 450e9 + 100e-9  # the link bounds the stream
    share = v.link_demand["h100-sxm->ddot-b-4bit"]
    assert 0 < share <= 1 and share == pytest.approx(wbytes / 450e9 / v.cost.latency_s, rel=1e-9)
    alone = load_unit("ddot-b-4bit")  # on its own: LT's private DRAM, no link
    assert unit_variants(alone, GEMV, "fp16")[0].link_demand == {}
    assert unit_variants(alone, GEMV, "fp16")[0].cost.energy_j["transfer"] == 0


def test_stored_format_sets_the_bytes_read():
    four = unit_variants(load_system(BENCH / "h100+ddot-b-4bit-today.yaml").units["ddot-b-4bit"], GEMV, "fp16")[0]
    sixteen = unit_variants(load_system(BENCH / "h100+ddot-b-4bit-16bit.yaml").units["ddot-b-4bit"], GEMV, "fp16")[0]
    gb2 = load_unit("ddot-b-4bit").p["gb2_energy"]
    # weights from the private DRAM (31.2 pJ/B): 4-bit codes vs the fp16 checkpoint — 4x the bytes
    assert four.cost.energy_j["memory"] - sixteen.cost.energy_j["memory"] == pytest.approx(
        -(W * 2 - W * 0.5) * 31.2e-12, rel=1e-6)
    assert four.cost.energy_j["transfer"] == sixteen.cost.energy_j["transfer"] == 0
    assert gb2 > 0


def test_today_system_is_the_unit_on_its_own():
    """The benchmark's `today` placement reproduces the pre-issue model: the unit's own reference memory."""
    today = load_system(BENCH / "h100+ddot-b-4bit-today.yaml").units["ddot-b-4bit"]
    alone = load_unit("ddot-b-4bit")
    for op in (GEMV, gemm_op(2048, 4096, 11008, "fp16")):
        assert today.op_cost(op, "fp16") == alone.op_cost(op, "fp16")


def test_copackaged_reads_weights_locally_at_the_stacks_bandwidth():
    s, u = _ddot("h100+ddot-b-4bit-copackaged")
    assert u.placement.weights.link is None and u.placement.weights.memory == "local-hbm"
    assert s.memories["local-hbm"].bandwidth_bytes_per_s == pytest.approx(819.2e9)
    assert s.memories["local-hbm"].capacity_bytes == pytest.approx(24e9)
    (v,) = unit_variants(u, GEMV, "fp16")
    assert v.cost.energy_j["transfer"] == 0 and v.link_demand == {}
    assert v.cost.latency_s >= W * 0.5 / 819.2e9
    (streamed,) = unit_variants(_ddot("h100+ddot-b-4bit")[1], GEMV, "fp16")
    assert v.cost.latency_s < streamed.cost.latency_s  # 819 GB/s local vs 450 GB/s over the link


def test_every_photonic_system_declares_placement():
    for p in SYSTEMS_DIR.glob("*+*.yaml"):
        doc = yaml.safe_load(p.read_text())
        assert set(doc["placement"]) == {"weights", "kv_cache", "activations"}, p.name
        for m in doc["memories"].values():
            assert "attached_to" not in m or m["attached_to"] in doc["units"]
    assert (SYSTEMS_DIR / "h100+ddot-b-4bit-copackaged.yaml").is_file()


# --- capacity ------------------------------------------------------------------------------------------
def _copackaged_with(tmp_path, capacity: str, stored: str = "reader") -> Path:
    doc = yaml.safe_load((SYSTEMS_DIR / "h100+ddot-b-4bit-copackaged.yaml").read_text())
    doc["name"] = "tiny-local"
    doc["units"] = ["h100-sxm", "ddot-b-4bit"]
    doc["memories"]["local-hbm"]["capacity"] = {"value": capacity, "source": "test: a small unit-local memory"}
    doc["placement"]["weights"]["stored"] = stored
    p = tmp_path / "tiny-local.yaml"
    p.write_text(yaml.safe_dump(doc))
    return p


def test_unit_local_memory_smaller_than_the_weights_is_a_clear_error(tmp_path):
    import lightcode as lc

    g = lc.capture("gpt2", seq_len=8)
    # the weights the photonic unit may read (its GEMMs, at 4 bits): every matmul weight, counted once
    need = sum(o.weight_bytes for o in g.ops if o.kind == "matmul") / 2 * 0.5
    small = load_system(_copackaged_with(tmp_path, "10 MB"))
    with pytest.raises(ConfigError) as ei:
        StackedGraph(g, small)
    msg = str(ei.value)
    assert "memory 'local-hbm' (local to ddot-b-4bit) holds 0.01 GB" in msg
    assert f"places {need / 1e9:.3g} GB of weights" in msg and "h100+ddot-b-4bit" in msg
    big = load_system(_copackaged_with(tmp_path, f"{int(need) + 1} B"))
    StackedGraph(g, big)  # fits exactly: no error
    fp16 = load_system(_copackaged_with(tmp_path, f"{int(need) + 1} B", stored="dtype"))
    with pytest.raises(ConfigError, match="holds"):  # the fp16 checkpoint is 4x larger
        StackedGraph(g, fp16)


def test_cli_reports_the_capacity_error(run_cli, tmp_path):
    p = _copackaged_with(tmp_path, "10 MB")
    code, _, err = run_cli("compile", "gpt2", "--seq-len", "8", "--system", str(p), "--objective", "energy")
    assert code == 2 and err.startswith("error: system 'tiny-local': memory 'local-hbm'") and "\n" not in err.strip()


# --- SRAM rule ---------------------------------------------------------------------------------------------
def test_edge_larger_than_the_sram_is_no_transfer_but_the_ops_pay_it():
    s, u = _ddot("h100+ddot-b-4bit")
    cap = u.buffer_capacity_bytes
    assert cap == pytest.approx(2e6)
    assert s.transfer_cost("h100-sxm", "ddot-b-4bit", int(cap) + 1) == ZERO
    assert s.transfer_cost("h100-sxm", "ddot-b-4bit", int(cap)).total_energy_j > 0
    big = gemm_op(2048, 4096, 4096, "fp16")  # 16.8 MB in, 16.8 MB out: both spill
    ins, outs = activation_tensors(big)
    assert ins == [2048 * 4096 * 2] and outs == [2048 * 4096 * 2]
    spill_in, spill_out = u.spill_access(big)
    assert spill_in.transfer_j == pytest.approx(ins[0] * 8 * 1.3e-12) and spill_in.memory_j == pytest.approx(ins[0] * 31.2e-12)
    assert spill_out.link_busy_s == {"ddot-b-4bit->h100-sxm": pytest.approx(outs[0] / 450e9)}
    no_rule = load_system(BENCH / "h100+ddot-b-4bit-today.yaml")  # no SRAM capacity declared
    assert no_rule.units["ddot-b-4bit"].spill_access(big)[0].transfer_j == 0
    small = gemm_op(16, 4096, 4096, "fp16")  # 131 kB: stays in the buffer
    assert u.spill_access(small)[0].memory_j == 0


def _on(st, i, unit="ddot-b-4bit"):
    """The op's first realization on `unit` (DDot offers attention in two orientations, with the same
    operand traffic), or None."""
    return next((r for r in st.realizations[i] if r.unit == unit), None)


@pytest.mark.parametrize("phase", ["prefill", "decode"])
def test_every_dropped_edge_is_paid_by_its_photonic_op(phase):
    """Consistency of the two halves of the SRAM rule on a real graph: an edge the transfer law drops at a
    photonic end (larger than the buffer) is one the op at that end streams itself (a spilled activation
    tensor of that size, or the KV cache it reads from where the KV cache lives)."""
    import lightcode as lc
    from lightcode.frontend.model_spec import ModelSpec, resolve_model

    if phase == "prefill":
        g = lc.capture("llama2-7b", seq_len=512)
    else:  # a per-op property: Llama-2-7B's widths at 2 layers (a full-depth decode export costs ~30 s more)
        spec = resolve_model("llama2-7b")
        g = lc.capture(ModelSpec("llama2-7b-2-layers", {**spec.config, "num_hidden_layers": 2}), phase="decode",
                       context=1024)
    s, u = _ddot("h100+ddot-b-4bit")
    st = StackedGraph(g, s)
    cap = u.buffer_capacity_bytes
    dropped = 0
    for e in st.edges:
        if e.nbytes <= cap:
            continue
        for end, i in (("dst", e.dst), ("src", e.src)):
            if i is None or _on(st, i) is None:
                continue
            dropped += 1
            op = g.ops[i]
            ins, outs = activation_tensors(op)
            if end == "src":
                assert e.nbytes in outs, (op.name, e.nbytes, outs)
            else:
                assert e.nbytes in ins or kv_tensors(op), (op.name, e.nbytes, ins)
    assert dropped > 0


def test_sram_rule_changes_photonic_to_photonic_edges_on_llama_prefill():
    """Issue 12: 64 photonic-to-photonic edges of 16.8 MB passed a 2 MB SRAM for free; now each is written
    and read back over the link by its two ops."""
    import lightcode as lc

    g = lc.capture("llama2-7b", seq_len=2048)
    s, u = _ddot("h100+ddot-b-4bit")
    st = StackedGraph(g, s)
    both = [e for e in st.edges if e.src is not None and e.dst is not None
            and _on(st, e.src) and _on(st, e.dst)]
    big = [e for e in both if e.nbytes > u.buffer_capacity_bytes]
    assert len(big) == 64 and all(e.nbytes == 2048 * 4096 * 2 for e in big)
    for e in big:
        src, dst = (_on(st, i) for i in (e.src, e.dst))
        assert src.cost.energy_j["transfer"] >= e.nbytes * 8 * 1.3e-12  # written out over the link
        assert dst.cost.energy_j["transfer"] >= e.nbytes * 8 * 1.3e-12  # and read back
