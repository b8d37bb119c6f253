"""Ops built from shapes, for costing one GEMM (`lightcode hardware cost`), tests and benchmarks.

Follows the OpGraph conventions (ir/opgraph.py): matmul FLOPs = 2·M·K·N; bytes_read counts each
input tensor once (the weight whole), bytes_written the output; attention FLOPs over the full score
matrix. These builders do not replace capture; they let a cost model be exercised without a model.
"""

from __future__ import annotations

from lightcode.core.opgraph import DTYPE_BYTES, Gemm, Op, TensorSpec


def gemm_op(
    m: int,
    k: int,
    n: int,
    dtype: str = "fp16",
    batch: int = 1,
    weight_operand: bool = True,
    name: str = "gemm",
    n_fused: int = 1,
) -> Op:
    """One matmul op: `batch` products (m×k)·(k×n); the k×n operand is a weight if `weight_operand`."""
    if min(m, k, n, batch) < 1:
        raise ValueError(f"GEMM dimensions must be >= 1, got m={m} k={k} n={n} batch={batch}")
    if dtype not in DTYPE_BYTES:
        raise ValueError(f"unknown dtype {dtype!r} (known: {', '.join(DTYPE_BYTES)})")
    a = TensorSpec((batch, m, k) if batch > 1 else (m, k), dtype)
    w = TensorSpec((batch, k, n) if batch > 1 and not weight_operand else (k, n), dtype)
    out = TensorSpec((batch, m, n) if batch > 1 else (m, n), dtype)
    g = Gemm(m, k, n, batch=batch, weight_operand=weight_operand)
    return Op(
        name=name,
        kind="matmul",
        target="aten.mm" if batch == 1 else "aten.bmm",
        inputs=(a, w),
        outputs=(out,),
        flops=g.flops,
        bytes_read=a.nbytes + w.nbytes,
        bytes_written=out.nbytes,
        weights=(f"{name}.weight",) if weight_operand else (),
        weight_bytes=w.nbytes if weight_operand else 0,
        gemms=(g,),
        n_fused=n_fused,
    )


def attention_op(
    batch: int, heads: int, sq: int, skv: int, head_dim: int, dtype: str = "fp16", kv_heads: int | None = None, name: str = "attn"
) -> Op:
    """Fused SDPA: reads Q, K, V, writes O; FLOPs 4·B·H·Sq·Skv·d over the full score matrix."""
    kvh = kv_heads or heads
    q = TensorSpec((batch, heads, sq, head_dim), dtype)
    kv = TensorSpec((batch, kvh, skv, head_dim), dtype)
    o = TensorSpec((batch, heads, sq, head_dim), dtype)
    bh = batch * heads
    return Op(
        name=name,
        kind="attention",
        target="aten.scaled_dot_product_attention",
        inputs=(q, kv, kv),
        outputs=(o,),
        flops=4 * bh * sq * skv * head_dim,
        bytes_read=q.nbytes + 2 * kv.nbytes,
        bytes_written=o.nbytes,
        gemms=(Gemm(sq, head_dim, skv, batch=bh, weight_operand=False), Gemm(sq, skv, head_dim, batch=bh, weight_operand=False)),
    )


def vector_op(
    kind: str, shape_in: tuple[int, ...], n_in: int = 1, shape_out: tuple[int, ...] | None = None,
    dtype: str = "fp16", flops_per_elem: int = 1, extra_read_bytes: int = 0, name: str = "", n_fused: int = 1,
) -> Op:
    """A memory-bound op: `n_in` inputs of `shape_in`, one output (default same shape)."""
    tin = TensorSpec(shape_in, dtype)
    tout = TensorSpec(shape_out or shape_in, dtype)
    return Op(
        name=name or kind,
        kind=kind,
        target=f"probe:{kind}",
        inputs=(tin,) * n_in,
        outputs=(tout,),
        flops=flops_per_elem * tout.numel,
        bytes_read=n_in * tin.nbytes + extra_read_bytes,
        bytes_written=tout.nbytes,
        n_fused=n_fused,
    )


# --- whole layers (shapes of the public configs) -----------------------------------------------------
def llama2_7b_layer_ops(tokens: int, dtype: str = "fp16") -> dict[str, Op]:
    """The non-attention ops of one Llama-2-7B decoder layer as profiled by Vidur (fused QKV, up+gate)."""
    h, i, t = 4096, 11008, tokens
    eb = DTYPE_BYTES[dtype]
    return {
        "input_norm": vector_op("norm", (t, h), extra_read_bytes=h * eb, flops_per_elem=4, dtype=dtype, name="input_norm"),
        "qkv": gemm_op(t, h, 3 * h, dtype, name="qkv"),
        "rotary": vector_op("elementwise", (t, h), n_in=2, shape_out=(2 * t, h), dtype=dtype, flops_per_elem=3, name="rotary"),
        "o": gemm_op(t, h, h, dtype, name="o"),
        "residual_add_1": vector_op("elementwise", (t, h), n_in=2, dtype=dtype, name="residual_add_1"),
        "post_attn_norm": vector_op("norm", (t, h), extra_read_bytes=h * eb, flops_per_elem=4, dtype=dtype, name="post_attn_norm"),
        "up_gate": gemm_op(t, h, 2 * i, dtype, name="up_gate"),
        "silu_mul": vector_op("elementwise", (t, 2 * i), shape_out=(t, i), dtype=dtype, flops_per_elem=6, name="silu_mul"),
        "down": gemm_op(t, i, h, dtype, name="down"),
        "residual_add_2": vector_op("elementwise", (t, h), n_in=2, dtype=dtype, name="residual_add_2"),
    }


def decoder_prefill_ops(
    layers: int, hidden: int, heads: int, intermediate: int, vocab: int, seq: int, batch: int = 1,
    dtype: str = "fp16", gated: bool = True, kv_heads: int | None = None, eager_act_kernels: int = 1,
    norm_kernels: int = 1, lm_head_tokens: int | None = None,
) -> list[Op]:
    """Ops of a decoder-only prefill built from shapes (eager-PyTorch kernel counts via n_fused).

    gated=True: Llama-style SwiGLU (fused up+gate, RMSNorm); False: GPT-2 style (fc, GELU, LayerNorm,
    biases folded into the GEMM kernels). `eager_act_kernels`: kernels of the activation in eager mode
    (GPT-2's gelu_new is several element-wise kernels)."""
    t, h, d = batch * seq, hidden, hidden // heads
    kvh = kv_heads or heads
    ops: list[Op] = [vector_op("embedding", (t, h), dtype=dtype, name="embed")]
    for li in range(layers):
        p = f"l{li}."
        ops.append(vector_op("norm", (t, h), dtype=dtype, flops_per_elem=5, name=p + "norm1", n_fused=norm_kernels))
        ops.append(gemm_op(t, h, h + 2 * kvh * d, dtype, name=p + "qkv"))
        if gated:
            ops.append(vector_op("elementwise", (t, h), n_in=2, dtype=dtype, flops_per_elem=3, name=p + "rotary"))
        ops.append(attention_op(batch, heads, seq, seq, d, dtype, kv_heads=kvh, name=p + "attn"))
        ops.append(gemm_op(t, h, h, dtype, name=p + "o"))
        ops.append(vector_op("elementwise", (t, h), n_in=2, dtype=dtype, name=p + "add1"))
        ops.append(vector_op("norm", (t, h), dtype=dtype, flops_per_elem=5, name=p + "norm2", n_fused=norm_kernels))
        if gated:
            ops.append(gemm_op(t, h, 2 * intermediate, dtype, name=p + "up_gate"))
            ops.append(vector_op("elementwise", (t, 2 * intermediate), shape_out=(t, intermediate), dtype=dtype,
                                 flops_per_elem=6, name=p + "act", n_fused=eager_act_kernels))
        else:
            ops.append(gemm_op(t, h, intermediate, dtype, name=p + "fc"))
            ops.append(vector_op("elementwise", (t, intermediate), dtype=dtype, flops_per_elem=8, name=p + "act",
                                 n_fused=eager_act_kernels))
        ops.append(gemm_op(t, intermediate, h, dtype, name=p + "down"))
        ops.append(vector_op("elementwise", (t, h), n_in=2, dtype=dtype, name=p + "add2"))
    ops.append(vector_op("norm", (t, h), dtype=dtype, flops_per_elem=5, name="final_norm", n_fused=norm_kernels))
    ops.append(gemm_op(lm_head_tokens or t, h, vocab, dtype, name="lm_head"))
    return ops


def decoder_decode_ops(
    layers: int, hidden: int, heads: int, intermediate: int, vocab: int, context: int, batch: int = 1,
    dtype: str = "fp16", kv_heads: int | None = None,
) -> list[Op]:
    """One decode step of a Llama-style decoder: B new tokens attending to `context` cached tokens."""
    return decoder_step_ops(layers, hidden, heads, intermediate, vocab, context, batch, dtype=dtype, kv_heads=kv_heads)


def decoder_step_ops(
    layers: int, hidden: int, heads: int, intermediate: int, vocab: int, context: int, batch: int = 1,
    prompts: int = 0, prompt_len: int = 0, dtype: str = "fp16", kv_heads: int | None = None,
    qk_norm: bool = False,
) -> list[Op]:
    """One serving-engine step of a Llama-style decoder (chunked prefill, as vLLM schedules it): `batch`
    decoding tokens attending to `context` cached tokens, plus `prompts` new prompts of `prompt_len` tokens
    prefilled in the same step. The linear layers run once over all batch + prompts·prompt_len rows (one
    weight read); attention runs per kind (decode over the cache, causal prefill per prompt); logits only
    for the rows that sample (the decodes and each prompt's last token). prompts=0 is a plain decode step.
    qk_norm: an RMSNorm over each head of q and of k before rotary (Qwen3)."""
    if prompts < 0 or (prompts and prompt_len < 1):
        raise ValueError(f"prompts={prompts} prompt_len={prompt_len}: need prompts >= 0 and prompt_len >= 1")
    h, d = hidden, hidden // heads
    kvh = kv_heads or heads
    t = batch + prompts * prompt_len
    ops: list[Op] = []
    for li in range(layers):
        p = f"l{li}."
        ops.append(vector_op("norm", (t, h), dtype=dtype, flops_per_elem=5, name=p + "norm1"))
        ops.append(gemm_op(t, h, h + 2 * kvh * d, dtype, name=p + "qkv"))
        if qk_norm:
            ops.append(vector_op("norm", (t, heads * d), dtype=dtype, flops_per_elem=5, name=p + "q_norm"))
            ops.append(vector_op("norm", (t, kvh * d), dtype=dtype, flops_per_elem=5, name=p + "k_norm"))
        ops.append(vector_op("elementwise", (t, h), n_in=2, dtype=dtype, flops_per_elem=3, name=p + "rotary"))
        ops.append(attention_op(batch, heads, 1, context + 1, d, dtype, kv_heads=kvh, name=p + "attn"))
        if prompts:
            ops.append(attention_op(prompts, heads, prompt_len, prompt_len, d, dtype, kv_heads=kvh, name=p + "attn_prefill"))
        ops.append(gemm_op(t, h, h, dtype, name=p + "o"))
        ops.append(vector_op("elementwise", (t, h), n_in=2, dtype=dtype, name=p + "add1"))
        ops.append(vector_op("norm", (t, h), dtype=dtype, flops_per_elem=5, name=p + "norm2"))
        ops.append(gemm_op(t, h, 2 * intermediate, dtype, name=p + "up_gate"))
        ops.append(vector_op("elementwise", (t, 2 * intermediate), shape_out=(t, intermediate), dtype=dtype, flops_per_elem=6, name=p + "act"))
        ops.append(gemm_op(t, intermediate, h, dtype, name=p + "down"))
        ops.append(vector_op("elementwise", (t, h), n_in=2, dtype=dtype, name=p + "add2"))
    ops.append(vector_op("norm", (t, h), dtype=dtype, flops_per_elem=5, name="final_norm"))
    ops.append(gemm_op(batch + prompts, h, vocab, dtype, name="lm_head"))
    return ops
