"""Measured Llama-2-7B kernel medians on an A100 80GB (ms), TP=1, fp16.

Source: microsoft/vidur data/profiling/compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv, as summarised in
the team reference notes (llm_perf_models.md §2.2). "qkv" is the fused 4096->12288 projection, "up_gate"
the fused 4096->22016 one; "layer_sum" = 2 RMSNorms + QKV + rotary + O + up+gate + SiLU-mul + down +
2 residual adds (attention excluded).
"""

TOKENS = (1, 8, 64, 128, 256, 512, 1024, 2048, 4096)

# tokens -> (qkv, o, up_gate, down, layer_sum) in ms
MATMUL_MS: dict[int, tuple[float, float, float, float, float]] = {
    1: (0.065, 0.025, 0.116, 0.060, 0.292),
    8: (0.063, 0.025, 0.111, 0.061, 0.285),
    64: (0.067, 0.027, 0.116, 0.068, 0.305),
    128: (0.074, 0.032, 0.157, 0.088, 0.386),
    256: (0.112, 0.052, 0.229, 0.110, 0.561),
    512: (0.234, 0.088, 0.402, 0.229, 1.049),
    1024: (0.475, 0.176, 0.877, 0.431, 2.135),
    2048: (0.979, 0.301, 1.694, 0.851, 4.200),
    4096: (1.911, 0.611, 3.365, 1.604, 8.226),
}
OPS = ("qkv", "o", "up_gate", "down")

# small ops at 4096 tokens (ms); at 1 token they take 2-7 us (add 2, RMSNorm 5, rotary 5, SiLU-mul 7)
SMALL_4096_MS = {"rmsnorm": 0.105, "rotary": 0.149, "silu_mul": 0.266, "residual_add": 0.055}
SMALL_1_MS = {"rmsnorm": 0.005, "rotary": 0.005, "silu_mul": 0.007, "residual_add": 0.002}


def measured(op: str, tokens: int) -> float:
    """Seconds."""
    return MATMUL_MS[tokens][OPS.index(op)] * 1e-3


def layer_sum(tokens: int) -> float:
    return MATMUL_MS[tokens][4] * 1e-3
