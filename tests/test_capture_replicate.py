"""Prefill capture by replication (frontend/replicate.py) equals the full torch.export, op for op."""

from __future__ import annotations

import pytest

from lightcode.frontend import capture as cap
from lightcode.frontend.export import export_prefill
from lightcode.frontend.model_spec import ModelSpec
from lightcode.frontend.rawgraph import extract
from lightcode.frontend.replicate import reduced_spec

TINY = {
    "llama": {"model_type": "llama", "vocab_size": 96, "hidden_size": 64, "intermediate_size": 96,
              "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
              "max_position_embeddings": 128, "hidden_act": "silu", "tie_word_embeddings": False},
    "gpt2": {"model_type": "gpt2", "vocab_size": 96, "n_positions": 128, "n_embd": 64, "n_layer": 3, "n_head": 4,
             "activation_function": "gelu_new", "tie_word_embeddings": True},
}


def _graphs(tpl, lengths=(5, 33)):
    meta = {"phase": "prefill", "batch": 1, "context": None, "dtype": "fp16", "model_name": "tiny"}
    return [cap.instantiate(tpl, n, dict(meta, seq_len=n)) for n in lengths]


@pytest.mark.parametrize("arch", sorted(TINY))
def test_replicated_prefill_equals_full_export(arch):
    spec = ModelSpec(f"tiny-{arch}", TINY[arch])
    ep, config = export_prefill(spec, 1, "fp16", None, spec.max_positions)
    full = cap.build_template(extract(ep), cap._model_info(spec, config))
    raw, config2 = cap._export_replicated(spec, 1, "fp16", None, spec.max_positions)
    rep = cap.build_template(raw, cap._model_info(spec, config2))
    for a, b in zip(_graphs(full), _graphs(rep)):
        assert a.model == b.model and a.parameter_bytes == b.parameter_bytes
        assert a.ops == b.ops and a.edges == b.edges
        assert {o.layer for o in b.ops if o.layer is not None} == set(range(config.num_hidden_layers))


def test_replication_only_for_identical_layers():
    base = TINY["llama"]
    assert reduced_spec(ModelSpec("x", base))[1] == 4
    assert reduced_spec(ModelSpec("x", dict(base, num_hidden_layers=2))) is None  # nothing to gain
    mixed = dict(base, layer_types=["full_attention", "sliding_attention"] * 2)
    assert reduced_spec(ModelSpec("x", mixed)) is None
    same = dict(base, layer_types=["full_attention"] * 4)
    assert reduced_spec(ModelSpec("x", same))[0].config["layer_types"] == ["full_attention"] * 2
    assert reduced_spec(ModelSpec("x", dict(base, model_type="deepseek_v3"))) is None
    windowed = dict(base, model_type="qwen2", use_sliding_window=True, max_window_layers=2)
    assert reduced_spec(ModelSpec("x", windowed)) is None
