"""Op lists of the encoder transformers LT evaluates (DeiT, BERT), built from their shapes.

Used to validate photonic cost models against Lightening-Transformer's published re-runs
(photonic_sims.md §1.7b) without the capture front end. Only GEMM ops are listed: LT's non-GEMM
"others" (softmax, LayerNorm, GELU, residual) cost < 1 % of its totals and run on the GPU here.
"""

from __future__ import annotations

from dataclasses import dataclass

from lightcode.core.opgraph import Gemm, Op, TensorSpec

_DT = "fp16"


@dataclass(frozen=True)
class EncoderShape:
    name: str
    layers: int
    hidden: int
    heads: int
    mlp: int
    tokens: int
    patch_embed_in: int = 0  # ViT: flattened patch length (3·16·16); 0 = no linear embedding
    patches: int = 0
    classes: int = 0  # classifier head on the class token; 0 = none


# DeiT: Touvron et al. 2021 (patch 16, 224² → 196 patches + class token); BERT: Devlin et al. 2019.
DEIT_B = EncoderShape("deit-b", 12, 768, 12, 3072, 197, patch_embed_in=768, patches=196, classes=1000)
DEIT_S = EncoderShape("deit-s", 12, 384, 6, 1536, 197, patch_embed_in=768, patches=196, classes=1000)
DEIT_T = EncoderShape("deit-t", 12, 192, 3, 768, 197, patch_embed_in=768, patches=196, classes=1000)


def bert_base(tokens: int) -> EncoderShape:
    return EncoderShape(f"bert-b-{tokens}", 12, 768, 12, 3072, tokens)


def bert_large(tokens: int) -> EncoderShape:
    return EncoderShape(f"bert-l-{tokens}", 24, 1024, 16, 4096, tokens)


def linear_op(name: str, tokens: int, d_in: int, d_out: int, layer: int | None = None) -> Op:
    g = Gemm(m=tokens, k=d_in, n=d_out, batch=1, weight_operand=True)
    return Op(name=name, kind="matmul", target="aten.linear",
              inputs=(TensorSpec((tokens, d_in), _DT), TensorSpec((d_in, d_out), _DT)),
              outputs=(TensorSpec((tokens, d_out), _DT),), flops=g.flops,
              bytes_read=2 * (tokens * d_in + d_in * d_out), bytes_written=2 * tokens * d_out,
              weights=(f"{name}.weight",), weight_bytes=2 * d_in * d_out, layer=layer, module=name, gemms=(g,))


def attention_op(name: str, q_len: int, kv_len: int, heads: int, head_dim: int, layer: int | None = None,
                 kv_cache_len: int = 0) -> Op:
    """Fused SDPA: QKᵀ (q×d·d×kv) and A·V (q×kv·kv×d), both operands dynamic, batched over heads."""
    qk = Gemm(m=q_len, k=head_dim, n=kv_len, batch=heads, weight_operand=False)
    av = Gemm(m=q_len, k=kv_len, n=head_dim, batch=heads, weight_operand=False)
    q = TensorSpec((1, heads, q_len, head_dim), _DT)
    kv = TensorSpec((1, heads, kv_len, head_dim), _DT)
    return Op(name=name, kind="attention", target="aten.scaled_dot_product_attention",
              inputs=(q, kv, kv), outputs=(q,), flops=qk.flops + av.flops,
              bytes_read=q.nbytes + 2 * kv.nbytes, bytes_written=q.nbytes, layer=layer, module=name,
              gemms=(qk, av), kv_cache_bytes_read=2 * 2 * heads * kv_cache_len * head_dim)


def encoder_ops(s: EncoderShape) -> list[Op]:
    ops: list[Op] = []
    if s.patch_embed_in:
        ops.append(linear_op("patch_embed", s.patches, s.patch_embed_in, s.hidden))
    hd = s.hidden // s.heads
    for i in range(s.layers):
        pre = f"blocks.{i}"
        ops += [
            linear_op(f"{pre}.attn.qkv", s.tokens, s.hidden, 3 * s.hidden, i),
            attention_op(f"{pre}.attn.sdpa", s.tokens, s.tokens, s.heads, hd, i),
            linear_op(f"{pre}.attn.proj", s.tokens, s.hidden, s.hidden, i),
            linear_op(f"{pre}.mlp.fc1", s.tokens, s.hidden, s.mlp, i),
            linear_op(f"{pre}.mlp.fc2", s.tokens, s.mlp, s.hidden, i),
        ]
    if s.classes:
        ops.append(linear_op("head", 1, s.hidden, s.classes))
    return ops
