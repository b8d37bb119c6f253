"""ATen op -> lightcode op taxonomy. One table; unknown compute ops count as element-wise (logged)."""

from __future__ import annotations

# Ops that only reinterpret or re-layout a tensor: folded into zero-cost edges. Layout copies
# (contiguous/clone) and dtype casts are free here because production kernels fuse them.
VIEW_OPS = frozenset(
    {
        "view", "_unsafe_view", "reshape", "transpose", "permute", "unsqueeze", "squeeze", "expand",
        "expand_as", "slice", "select", "t", "alias", "detach", "to", "_to_copy", "contiguous", "clone",
        "split", "split_with_sizes", "chunk", "unbind", "narrow", "flatten", "unflatten", "view_as",
        "dropout", "lift_fresh_copy", "type_as", "_assert_tensor_metadata", "_assert_scalar",
        "sym_constrain_range_for_size", "unfold", "movedim", "repeat_interleave", "as_strided",
        # transposes by other names (Falcon's weights export as `numpy_T`), complex reinterpretations (DeepSeek rotary)
        "numpy_T", "T", "mT", "mH", "adjoint", "swapaxes", "swapdims", "moveaxis", "view_as_real", "view_as_complex",
    }
)

# Ops with no data effect at all (assertions, shape queries).
NOOP_OPS = frozenset(
    {"_assert_tensor_metadata", "_assert_scalar", "sym_size", "sym_constrain_range_for_size", "_assert_async"}
)

MATMUL_OPS = frozenset({"linear", "addmm", "mm", "bmm", "matmul", "baddbmm", "einsum"})
# Mixture-of-experts GEMMs: tokens sorted by expert, (T·k, K) × (E, K, N) with per-expert offsets.
GROUPED_MM_OPS = frozenset({"grouped_mm_fallback", "_grouped_mm", "grouped_mm"})
ATTENTION_OPS = frozenset(
    {"scaled_dot_product_attention", "_scaled_dot_product_flash_attention",
     "_scaled_dot_product_efficient_attention", "_scaled_dot_product_cudnn_attention"}
)
NORM_OPS = frozenset({"layer_norm", "native_layer_norm", "rms_norm", "group_norm", "_fused_rms_norm"})
SOFTMAX_OPS = frozenset({"softmax", "_softmax", "log_softmax", "_log_softmax", "_safe_softmax"})
EMBEDDING_OPS = frozenset({"embedding"})
DATA_MOVEMENT_OPS = frozenset({"cat", "stack", "index", "index_select", "gather", "scatter", "copy_", "copy",
                               "index_put", "index_copy", "pad", "constant_pad_nd", "roll", "repeat", "where"})

# Module classes whose whole call is one kernel in a real engine (fused by `passes.fuse_modules`).
NORM_MODULE_SUFFIXES = ("Norm", "RMSNorm", "LayerNorm")
ACTIVATION_MODULE_SUFFIXES = ("Activation", "GELU", "SiLU", "GLU", "ReLU")


def aten_name(target: object) -> str:
    """'aten.linear.default' -> 'linear'; non-ATen callables -> their __name__."""
    s = str(target)
    if s.startswith("aten."):
        return s.split(".")[1]
    name = getattr(target, "__name__", s)
    return name[: -len(".default")] if name.endswith(".default") else name


def kind_of(name: str) -> str:
    """Taxonomy kind for a compute ATen op (views/no-ops are handled before this)."""
    if name in MATMUL_OPS or name in GROUPED_MM_OPS:
        return "matmul"
    if name in ATTENTION_OPS:
        return "attention"
    if name in NORM_OPS:
        return "norm"
    if name in SOFTMAX_OPS:
        return "softmax"
    if name in EMBEDDING_OPS:
        return "embedding"
    if name in DATA_MOVEMENT_OPS:
        return "data_movement"
    return "elementwise"


def module_kind(module_class: str) -> str | None:
    """A module whose call becomes one fused op: 'norm' or 'elementwise'; None otherwise."""
    if module_class.endswith(NORM_MODULE_SUFFIXES):
        return "norm"
    if module_class.endswith(ACTIVATION_MODULE_SUFFIXES):
        return "elementwise"
    return None
