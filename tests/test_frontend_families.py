"""One config.json per decoder family (tests/configs/, see its README for the model cards): the FLOP and
byte identities of prefill and decode, MoE routed FLOPs and touched-expert weights, windows, the pass
pipeline's invariants, and clean refusals of the three non-targets.

Expected values come from the Hugging Face model built on the meta device (its Linear / expert / router
parameters) and from the config's own head sizes, never from our graph.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lightcode as lc
from lightcode.frontend.model_spec import ModelSpec

CONFIGS = Path(__file__).parent / "configs"
REFUSED = {"bert": "encoder-only", "t5": "encoder-decoder", "mamba": "state-space"}
FAMILIES = sorted(p.stem for p in CONFIGS.glob("*.json") if p.stem not in REFUSED)
B, S, C = 2, 48, 40


def spec_of(name: str) -> ModelSpec:
    return ModelSpec(name, json.loads((CONFIGS / f"{name}.json").read_text()))


def hf_counts(spec: ModelSpec) -> dict:
    """Routed linear parameters per token: Linear weights, router weights, and k/E of every expert tensor."""
    import torch
    from transformers.pytorch_utils import Conv1D

    from lightcode.frontend.export import build_meta_model

    model, config = build_meta_model(spec, "fp16")
    k = getattr(config, "num_experts_per_tok", None)
    w = b = 0.0
    kv_b = expert_bytes = 0
    for name, mod in model.named_modules():
        cls = type(mod).__name__
        if isinstance(mod, (torch.nn.Linear, Conv1D)):
            w += mod.weight.numel()
            b += mod.bias.numel() if mod.bias is not None else 0
            if name.endswith("kv_b_proj"):
                kv_b += mod.weight.numel()
        elif cls.endswith("Experts"):
            for p in mod.parameters(recurse=False):
                if p.dim() == 3:
                    w += p.numel() * k / p.shape[0]
                    expert_bytes += p.numel() * 2
        elif ("Router" in cls or cls.endswith("Gate")) and getattr(mod, "weight", None) is not None \
                and mod.weight.dim() == 2:
            w += mod.weight.numel()
    return {"w": w, "b": b, "kv_b": kv_b, "expert_bytes": expert_bytes, "config": config,
            "params": sum(p.numel() for p in model.parameters())}


def linear_flops(g) -> int:
    return sum(o.flops for o in g.ops if o.kind == "matmul" and o.gemms and all(x.weight_operand for x in o.gemms))


def cfg_dims(cfg: dict, config) -> tuple[int, int, int, int]:
    """(query heads, QK head size, V head size, KV-cache heads) from the config keys, per family."""
    h = config.num_attention_heads
    d = cfg.get("head_dim") or config.hidden_size // h
    if "kv_lora_rank" in cfg:  # MLA
        return h, cfg["qk_nope_head_dim"] + cfg["qk_rope_head_dim"], cfg["v_head_dim"], 1
    if cfg["model_type"] == "falcon":
        return h, d, d, 1 if cfg.get("multi_query") else h
    return h, d, d, cfg.get("num_key_value_heads") or h


def windows(cfg: dict, config) -> list[int | None]:
    w = cfg.get("sliding_window")
    types = getattr(config, "layer_types", None)
    if not w:
        return [None] * config.num_hidden_layers
    return [w if types is None or t == "sliding_attention" else None for t in (types or [None] * config.num_hidden_layers)]


@pytest.mark.parametrize("name", FAMILIES)
def test_family_identities(name):
    spec = spec_of(name)
    cfg = spec.config
    hf = hf_counts(spec)
    config = hf["config"]
    h, dk, dv, kvh = cfg_dims(cfg, config)
    wins = windows(cfg, config)

    g = lc.capture(spec, seq_len=S, batch=B)
    g.validate()
    tokens = B * S
    assert linear_flops(g) == pytest.approx(2 * tokens * hf["w"] + tokens * hf["b"], rel=1e-12)
    assert g.parameter_bytes == hf["params"] * 2
    attn = [o for o in g.ops if o.kind == "attention"]
    assert len(attn) == config.num_hidden_layers
    expected = sum(2 * B * h * S * (S if w is None else min(S, w)) * (dk + dv) for w in wins)
    assert sum(o.flops for o in attn) == expected
    if hf["expert_bytes"]:  # routed experts: uniform routing over the B·S tokens
        from lightcode.frontend.moe import expected_distinct_experts

        e, k = g.model.num_experts, g.model.experts_per_token
        share = expected_distinct_experts(tokens, e, k) / e
        grouped = [o for o in g.ops if o.target.endswith("grouped_mm_fallback")]
        assert sum(o.weight_bytes for o in grouped) == pytest.approx(hf["expert_bytes"] * share, abs=len(grouped))
        assert g.meta["moe_routing"] == "uniform"
    else:
        assert "moe_routing" not in g.meta

    d = lc.capture(spec, phase="decode", context=C, batch=B)
    d.validate()
    cached = [C if w is None else min(C, w - 1) for w in wins]
    assert d.totals()["kv_cache_bytes_read"] == sum(B * c * kvh * (dk + dv) * 2 for c in cached)
    # one new token; MLA re-expands its cached latent through kv_b_proj at every step (C more rows)
    assert linear_flops(d) == pytest.approx(2 * B * hf["w"] + B * hf["b"] + 2 * B * C * hf["kv_b"], rel=1e-12)
    d_attn = sum(o.flops for o in d.ops if o.kind == "attention")
    assert d_attn == sum(2 * B * h * (c + 1) * (dk + dv) for c in cached)


@pytest.mark.parametrize("name,fragment", sorted(REFUSED.items()))
def test_non_targets_refused_by_name(run_cli, name, fragment):
    code, out, err = run_cli("graph", str(CONFIGS / f"{name}.json"), "--seq-len", "8")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], err
    assert "Traceback" not in err and out == ""


@pytest.mark.parametrize("name", ["gemma2", "bloom", "mixtral", "deepseek_v2", "falcon"])
def test_pass_pipeline_keeps_invariants(name):
    """Every pass of the declared pipeline leaves a valid RawGraph; the OpGraph built from it validates."""
    from lightcode.frontend import capture as cap
    from lightcode.frontend.export import export_prefill
    from lightcode.frontend.passes import PIPELINE
    from lightcode.frontend.rawgraph import RawGraph, extract

    spec = spec_of(name)
    ep, config = export_prefill(spec, 1, "fp16", None, 128)
    raw = extract(ep)
    raw.validate()
    seen = []

    def check(r: RawGraph) -> None:
        r.validate()
        seen.append(r)

    tpl = cap.build_template(raw, cap._model_info(spec, config), check=check)
    assert len(seen) == len(PIPELINE)
    assert not any(n.kind == "view" for n in seen[-1].nodes)  # folded and dropped
    meta = {"phase": "prefill", "batch": 1, "seq_len": 20, "context": None, "dtype": "fp16", "model_name": name}
    cap.instantiate(tpl, 20, meta).validate()


def test_opgraph_validate_rejects_broken_graphs():
    import dataclasses

    from lightcode.core.opgraph import Edge

    g = lc.capture(spec_of("qwen3"), seq_len=16)
    g.validate()
    cases = [
        (g.replace_ops(g.ops, (Edge(5, 3, 10),) + g.edges), "topological"),
        (g.replace_ops(g.ops, (Edge(0, len(g.ops), 10),)), "out of range"),
        (g.replace_ops([dataclasses.replace(g.ops[3], weight_bytes=g.ops[3].bytes_read + 1,
                                            weights=("w",))] + list(g.ops[4:]), ()), "exceed"),
        (g.replace_ops([dataclasses.replace(g.ops[0], flops=-1)], ()), "negative"),
    ]
    for bad, fragment in cases:
        with pytest.raises(ValueError, match=fragment):
            bad.validate()


def test_eager_attention_is_one_attention_op_with_sdpa_flops():
    g = lc.capture(spec_of("gemma2"), seq_len=24)
    assert g.model.attention == "eager"
    attn = [o for o in g.ops if o.kind == "attention"]
    assert len(attn) == g.model.num_layers and all(o.target == "aten.eager_attention" for o in attn)
    # no S×S score tensor travels between ops: the chain is one kernel
    assert not any(o.kind == "softmax" and o.layer is not None for o in g.ops)


def test_falcon_weight_transposes_fold_and_limit_comes_from_the_config_class(run_cli):
    spec = spec_of("falcon")
    assert "max_position_embeddings" not in spec.config and spec.max_positions == 2048  # FalconConfig default
    g = lc.capture(spec, seq_len=32)
    assert not any("numpy_T" in o.target for o in g.ops)
    weight_gemms = [o for o in g.ops if o.kind == "matmul" and o.weights]
    assert len(weight_gemms) == 4 * g.model.num_layers + 1  # qkv, dense, h_to_4h, 4h_to_h per layer + lm_head
    code, _, err = run_cli("graph", str(CONFIGS / "falcon.json"), "--seq-len", "2049")
    assert code == 2 and "1..2048" in err


def test_alibi_accepts_any_length_with_a_note():
    spec = spec_of("bloom")
    assert spec.max_positions is None
    g = lc.capture(spec, seq_len=5000)
    assert any("ALiBi" in n for n in g.meta["notes"])
    assert lc.capture(spec, phase="decode", context=9000).context == 9000


def test_moe_routing_assumption_is_a_parameter_and_recorded():
    spec = spec_of("mixtral")
    by = {r: lc.capture(spec, phase="decode", context=8, batch=3, moe_routing=r) for r in ("best", "uniform", "worst")}
    wb = {r: sum(o.weight_bytes for o in g.ops if o.target.endswith("grouped_mm_fallback")) for r, g in by.items()}
    assert wb["best"] < wb["uniform"] < wb["worst"]
    for r, g in by.items():
        assert g.meta["moe_routing"] == r
    # FLOPs do not depend on the assumption: only the routed rows are computed
    assert len({linear_flops(g) for g in by.values()}) == 1
    from lightcode.errors import BadInputError

    with pytest.raises(BadInputError, match="routing"):
        lc.capture(spec, seq_len=8, moe_routing="zipf")


def test_expected_distinct_experts():
    from lightcode.frontend.moe import expected_distinct_experts, grouped_gemms

    assert expected_distinct_experts(1, 8, 2) == pytest.approx(2)  # one token touches exactly k experts
    assert expected_distinct_experts(10**6, 8, 2) == pytest.approx(8)  # many tokens touch them all
    assert expected_distinct_experts(2, 8, 2) == pytest.approx(8 * (1 - (6 / 8) ** 2))
    assert expected_distinct_experts(3, 8, 2, "worst") == 6 and expected_distinct_experts(3, 8, 2, "best") == 2
    gm = grouped_gemms(rows=14, k_dim=4, n_dim=5, distinct=3.4, weight_operand=True)
    assert sum(x.m * x.batch for x in gm) == 14 and sum(x.batch for x in gm) == 3


def test_sliding_window_cuts_prefill_attention():
    spec = spec_of("gemma3")
    g = lc.capture(spec, seq_len=128)
    per_layer = {o.layer: o.flops for o in g.ops if o.kind == "attention"}
    full = max(per_layer.values())
    # five of six layers see a 32-token window: 128/32 = 4× fewer attention FLOPs
    assert sorted(per_layer.values()) == [full // 4] * 5 + [full]


def test_decode_any_context_from_one_export():
    from lightcode.frontend import capture as cap

    spec = spec_of("qwen3")
    cap.clear_memory_cache()
    lc.capture(spec, phase="decode", context=50)
    before = cap.CAPTURE_STATS["exports"]
    graphs = {c: lc.capture(spec, phase="decode", context=c) for c in (2, 3, 77, 200, 255)}
    assert cap.CAPTURE_STATS["exports"] == before
    m = graphs[77].model
    for c, g in graphs.items():
        assert g.totals()["kv_cache_bytes_read"] == 2 * m.num_layers * c * m.num_kv_heads * m.head_dim * 2


def test_windowed_decode_short_and_long_contexts():
    """Below the window every layer caches C tokens; above it a sliding layer keeps W − 1."""
    spec = spec_of("gemma2")
    m = lc.capture(spec, phase="decode", context=40).model
    for c in (5, 20, 31, 100, 200):
        g = lc.capture(spec, phase="decode", context=c)
        cached = sum(c if w is None else min(c, w - 1) for w in m.layer_windows)
        assert g.totals()["kv_cache_bytes_read"] == cached * m.num_kv_heads * 2 * m.head_dim * 2
