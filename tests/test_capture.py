"""Exact FLOP/byte identities of the captured OpGraph, for every preset and for non-preset architectures.

The expected values come from the Hugging Face model itself (parameter counts of its nn.Linear / Conv1D
modules, built on the meta device), not from our graph, so a capture bug cannot hide in both sides.
Conventions under test are stated in `lightcode/ir/opgraph.py`.
"""

from __future__ import annotations

import json

import pytest

import lightcode as lc
from lightcode.frontend.model_spec import ModelSpec, resolve_model
from lightcode.frontend.presets import PRESET_SOURCES, PRESETS, preset_names

DTYPE_BYTES = {"fp16": 2, "bf16": 2, "fp32": 4}


def hf_linear_params(spec) -> dict[str, int]:
    """Weights and biases of every linear layer (lm_head included) and unique parameters, from transformers."""
    import torch
    from transformers.pytorch_utils import Conv1D

    from lightcode.frontend.export import build_meta_model

    model, config = build_meta_model(spec, "fp16")
    w = b = 0
    for mod in model.modules():
        if isinstance(mod, (torch.nn.Linear, Conv1D)):
            w += mod.weight.numel()
            b += mod.bias.numel() if mod.bias is not None else 0
    unique = sum(p.numel() for p in model.parameters())  # tied weights counted once
    return {"weight": w, "bias": b, "params": unique, "layers": config.num_hidden_layers}


def linear_flops(g) -> int:
    return sum(o.flops for o in g.ops if o.kind == "matmul" and all(x.weight_operand for x in o.gemms))


def check_prefill_identities(spec, batch: int, seq: int, dtype: str = "fp16") -> None:
    g = lc.capture(spec, seq_len=seq, batch=batch, dtype=dtype)
    hf = hf_linear_params(spec)
    m = g.model
    tokens = batch * seq
    # linear layers: 2·B·S·(weights) + B·S·(biases)
    assert linear_flops(g) == 2 * tokens * hf["weight"] + tokens * hf["bias"]
    # weight bytes = unique parameters × dtype bytes
    assert g.parameter_bytes == hf["params"] * DTYPE_BYTES[dtype]
    assert m.num_parameters == hf["params"]
    # attention: full S×S, QKᵀ + AV = 4·B·H·S·S·d per layer
    attn = [o for o in g.ops if o.kind == "attention"]
    assert len(attn) == hf["layers"]
    assert sum(o.flops for o in attn) == hf["layers"] * 4 * batch * m.num_heads * seq * seq * m.head_dim
    # every op belongs to the topological order and views were folded away
    assert not any(o.target in ("aten.view", "aten.reshape", "aten.transpose") for o in g.ops)
    for e in g.edges:
        assert e.src < e.dst and e.nbytes > 0


@pytest.mark.parametrize("name", preset_names())
def test_preset_prefill_identities(name):
    assert PRESET_SOURCES[name]  # every preset cites its config
    spec = resolve_model(name)
    check_prefill_identities(spec, batch=1, seq=128)


def test_identities_hold_at_other_lengths_batches_and_dtypes():
    spec = resolve_model("gpt2")
    for batch, seq, dtype in [(2, 37, "fp16"), (1, 1, "bf16"), (3, 1024, "fp32")]:
        check_prefill_identities(spec, batch=batch, seq=seq, dtype=dtype)
    check_prefill_identities(resolve_model("llama2-7b"), batch=1, seq=4096)  # the symbolic export's maximum


@pytest.mark.parametrize("name", ["llama3-8b", "qwen2.5-7b", "mistral-7b"])
def test_gqa_kv_projection_shapes(name):
    cfg = PRESETS[name]
    g = lc.capture(name, seq_len=64)
    d = cfg["hidden_size"] // cfg["num_attention_heads"]
    for proj, width in [("k_proj", cfg["num_key_value_heads"] * d), ("v_proj", cfg["num_key_value_heads"] * d),
                        ("q_proj", cfg["hidden_size"])]:
        ops = [o for o in g.ops if o.module.endswith(proj)]
        assert len(ops) == cfg["num_hidden_layers"]
        for o in ops:
            (gm,) = o.gemms
            assert (gm.m, gm.k, gm.n) == (64, cfg["hidden_size"], width)


# gpt2 at full depth; the 7-8B GQA presets at their own widths and head counts but 2 layers: every identity
# is a per-layer sum, and a full-depth decode export of an 8B model costs ~30 s more on 2 cores
@pytest.mark.parametrize("name,batch,context,layers", [("gpt2", 1, 100, None), ("llama3-8b", 2, 300, 2),
                                                       ("qwen2.5-7b", 1, 513, 2)])
def test_decode_reads_exactly_the_kv_cache(name, batch, context, layers):
    spec = resolve_model(name)
    if layers is not None:
        spec = ModelSpec(f"{name}-{layers}-layers", {**spec.config, "num_hidden_layers": layers})
    g = lc.capture(spec, phase="decode", context=context, batch=batch)
    m = g.model
    hf = hf_linear_params(spec)
    assert m.num_layers == hf["layers"] == (layers or m.num_layers)
    expected = 2 * m.num_layers * batch * context * m.num_kv_heads * m.head_dim * 2
    assert g.totals()["kv_cache_bytes_read"] == expected
    # attention over the cache plus the new token: 4·B·H·1·(C+1)·d per layer
    attn = sum(o.flops for o in g.ops if o.kind == "attention")
    assert attn == m.num_layers * 4 * batch * m.num_heads * (context + 1) * m.head_dim
    # one new token: linear FLOPs = 2·B·(weights) + B·(biases)
    assert linear_flops(g) == 2 * batch * hf["weight"] + batch * hf["bias"]
    # the cache append writes only the new token's K and V
    appends = [o for o in g.ops if o.name.split(":")[-1].startswith("kv_append")]
    assert len(appends) == 2 * m.num_layers
    assert sum(o.bytes_written for o in appends) == 2 * m.num_layers * batch * m.num_kv_heads * m.head_dim * 2


# --- architectures that are not presets (config.json written here) -------------------------------------

NON_PRESET = {
    # parallel residual, biases, partial rotary
    "gpt-neox": {"model_type": "gpt_neox", "vocab_size": 1000, "hidden_size": 256, "intermediate_size": 1024,
                 "num_hidden_layers": 2, "num_attention_heads": 8, "max_position_embeddings": 512,
                 "use_parallel_residual": True, "rotary_pct": 0.25, "tie_word_embeddings": False},
    # learned positions, ReLU MLP, biases everywhere, tied embeddings
    "opt": {"model_type": "opt", "vocab_size": 1000, "hidden_size": 256, "ffn_dim": 1024, "num_hidden_layers": 2,
            "num_attention_heads": 8, "max_position_embeddings": 512, "word_embed_proj_dim": 256,
            "do_layer_norm_before": True, "tie_word_embeddings": True},
    # GQA with a separate head_dim, GeGLU, tied embeddings
    "gemma": {"model_type": "gemma", "vocab_size": 1000, "hidden_size": 256, "intermediate_size": 768,
              "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 64,
              "max_position_embeddings": 512, "tie_word_embeddings": True},
    # SwiGLU with biases on q/k/v (Qwen2 family) at toy size, GQA
    "qwen2-tiny": {"model_type": "qwen2", "vocab_size": 1000, "hidden_size": 256, "intermediate_size": 512,
                   "num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 2,
                   "max_position_embeddings": 512, "tie_word_embeddings": True},
}


@pytest.mark.parametrize("arch", sorted(NON_PRESET))
def test_non_preset_architectures_from_config_json(tmp_path, arch):
    (tmp_path / "config.json").write_text(json.dumps(NON_PRESET[arch]))
    spec = resolve_model(str(tmp_path))  # a directory holding config.json
    check_prefill_identities(spec, batch=2, seq=48)
    g = lc.capture(str(tmp_path / "config.json"), phase="decode", context=20)
    m = g.model
    assert g.totals()["kv_cache_bytes_read"] == 2 * m.num_layers * 20 * m.num_kv_heads * m.head_dim * 2


def test_graph_json_contract(run_cli):
    code, out, err = run_cli("graph", "gpt2", "--seq-len", "16", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc["totals"]) >= {"flops", "matmul_flops", "weight_bytes", "ops"}
    assert doc["totals"]["ops"] == len(doc["ops"])
    for op in doc["ops"]:
        assert set(op) == {"name", "kind", "flops", "bytes_read", "bytes_written", "layer", "module"}
    assert sum(o["flops"] for o in doc["ops"]) == doc["totals"]["flops"]
    assert {o["layer"] for o in doc["ops"] if o["layer"] is not None} == set(range(12))


def test_graph_table(run_cli):
    code, out, _ = run_cli("graph", "gpt2", "--seq-len", "16")
    assert code == 0
    assert "matmul" in out and "attention" in out and "total" in out


def test_symbolic_export_serves_many_lengths():
    from lightcode.frontend import capture as cap

    cap.clear_memory_cache()
    lc.capture("gpt2", seq_len=20)
    before = cap.CAPTURE_STATS["exports"]
    for s in range(21, 40):
        lc.capture("gpt2", seq_len=s)
    assert cap.CAPTURE_STATS["exports"] == before  # no new trace for new lengths


def test_in_process_caches_are_bounded():
    """A long-lived worker's graph and template caches stay within their limits (least recently used out)."""
    from collections import OrderedDict

    from lightcode.frontend import capture as cap

    c: OrderedDict = OrderedDict()
    for i in range(10):
        cap._remember(c, (i,), i, 4)
    assert list(c) == [(6,), (7,), (8,), (9,)]
    cap._remember(c, (7,), 7, 4)  # touched again: now the most recent
    cap._remember(c, (10,), 10, 4)
    assert list(c) == [(8,), (9,), (7,), (10,)]
    assert cap.MAX_GRAPHS >= 1 and cap.MAX_TEMPLATES >= 1
