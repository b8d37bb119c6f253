from lightcode.ir.opgraph import DTYPE_BYTES, OP_KINDS, Edge, Gemm, ModelInfo, Op, OpGraph, TensorSpec

__all__ = ["DTYPE_BYTES", "OP_KINDS", "Edge", "Gemm", "ModelInfo", "Op", "OpGraph", "TensorSpec"]
