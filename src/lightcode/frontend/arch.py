"""Architecture traits, read from the model's own transformers config class (not from raw config.json keys):
what lightcode refuses and why, the attention implementation to export with, the position limit, the
per-layer attention windows, the mixture-of-experts routing shape, and the config key of the layer count.
"""

from __future__ import annotations

from typing import Any

# Refused by name, with the reason (checked on the raw `model_type`, before transformers builds anything).
ENCODER_ONLY = frozenset({
    "bert", "roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "distilbert", "albert", "electra", "ernie",
    "deberta", "deberta-v2", "mpnet", "modernbert", "big_bird", "roformer", "megatron-bert", "data2vec-text",
    "xmod", "nezha", "esm", "convbert", "funnel", "mobilebert", "squeezebert", "rembert", "layoutlm", "canine",
})
STATE_SPACE = frozenset({
    "mamba", "mamba2", "falcon_mamba", "rwkv", "xlstm", "recurrent_gemma", "jamba", "zamba", "zamba2", "bamba",
    "falcon_h1", "granitemoehybrid", "lfm2", "nemotron_h",
})
ALIBI_MODEL_TYPES = frozenset({"bloom"})  # positions by ALiBi: no learned or rotary table, no length limit
POSITION_KEYS = ("max_position_embeddings", "n_positions", "seq_length", "max_sequence_length", "n_ctx")

# routing assumptions for the expected number of distinct experts a batch touches (frontend/moe.py)
MOE_ROUTINGS = ("uniform", "worst", "best")


def refusal(model_type: str) -> str | None:
    """Why lightcode does not capture this architecture, or None."""
    if model_type in ENCODER_ONLY:
        return (f"{model_type!r} is an encoder-only model (bidirectional attention, no autoregressive decode); "
                "lightcode captures decoder-only causal LMs.")
    if model_type in STATE_SPACE:
        return (f"{model_type!r} is a state-space / recurrent model (its layers are not attention over a KV "
                "cache); lightcode captures attention decoders.")
    return None


def uses_alibi(raw: dict[str, Any]) -> bool:
    return raw.get("model_type") in ALIBI_MODEL_TYPES or (
        raw.get("model_type") in ("falcon", "mpt") and bool(raw.get("alibi") or (raw.get("attn_config") or {}).get("alibi")))


def position_limit_raw(raw: dict[str, Any]) -> int | None:
    for key in POSITION_KEYS:
        v = raw.get(key)
        if isinstance(v, int) and not isinstance(v, bool) and v > 0:
            return v
    return None


def position_limit_config(config) -> int | None:
    """The limit the config class gives (its own defaults included, e.g. Falcon's 2048)."""
    for key in POSITION_KEYS:
        v = getattr(config, key, None)
        if isinstance(v, int) and not isinstance(v, bool) and v > 0:
            return v
    return None


def attention_implementation(model_type: str) -> str:
    """'sdpa' where the causal-LM class supports it, else 'eager' (Gemma-2, GPT-J, BLOOM)."""
    import transformers
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    name = MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.get(model_type)
    cls = getattr(transformers, name, None) if name else None
    return "sdpa" if cls is None or getattr(cls, "_supports_sdpa", False) else "eager"


def layer_windows(config) -> tuple[int | None, ...]:
    """Per layer: the sliding attention window (tokens), or None for full attention."""
    n = config.num_hidden_layers
    w = getattr(config, "sliding_window", None)
    if not isinstance(w, int) or isinstance(w, bool) or w <= 0:
        return (None,) * n
    types = getattr(config, "layer_types", None)
    if types is None:
        if getattr(config, "use_sliding_window", True) is False:
            return (None,) * n
        return (w,) * n  # Mistral-style: every layer windowed
    return tuple(w if t in ("sliding_attention", "chunked_attention") else None for t in types)


def moe_traits(config) -> dict[str, int] | None:
    """{'num_experts', 'top_k'} of a mixture-of-experts model, or None for a dense one."""
    top_k = getattr(config, "num_experts_per_tok", None)
    experts = None
    for key in ("num_local_experts", "num_experts", "n_routed_experts"):
        v = getattr(config, key, None)
        if isinstance(v, int) and v > 0:
            experts = v
            break
    if not isinstance(top_k, int) or top_k <= 0 or experts is None:
        return None
    return {"num_experts": experts, "top_k": top_k}


def layer_count_key(raw: dict[str, Any], config_class) -> str | None:
    """The raw config.json key that sets the layer count (`n_layer` for GPT-2, `num_hidden_layers` …)."""
    alias = dict(getattr(config_class, "attribute_map", {}) or {}).get("num_hidden_layers")
    for key in (alias, "num_hidden_layers", "n_layer", "num_layers", "n_layers"):
        if key and key in raw:
            return key
    return None


def kv_layout(config) -> tuple[int, int, int]:
    """(KV heads, K head size, V head size) of the cache transformers builds for this model: multi-query
    Falcon keeps one KV head; DeepSeek's MLA caches, per token and layer, the compressed latent
    (kv_lora_rank) and the shared rotary key (qk_rope_head_dim), reported here as the "K" and "V" sizes of
    one head. transformers re-expands the latent through kv_b_proj at every decode step (no weight
    absorption), so that GEMM runs over all C + 1 cached tokens."""
    heads = config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    if config.model_type == "falcon":
        if getattr(config, "new_decoder_architecture", False):
            return getattr(config, "num_kv_heads", None) or heads, head_dim, head_dim
        return (1 if getattr(config, "multi_query", False) else heads), head_dim, head_dim
    latent, rope = getattr(config, "kv_lora_rank", None), getattr(config, "qk_rope_head_dim", None)
    if isinstance(latent, int) and isinstance(rope, int):  # MLA: one shared latent plus the rotary key part
        return 1, latent, rope
    kv = getattr(config, "num_key_value_heads", None) or heads
    return kv, head_dim, head_dim
