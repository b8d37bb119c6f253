"""GPU family: roofline with per-kind fitted efficiencies, per-kernel launch overhead, utilisation power.

  t_kernel = max(FLOPs_done / (peak(dtype) · eff_c(kind)), bytes / (BW · eff_m(kind)))
  latency  = t_kernel + n_fused · launch_overhead          (n_fused = eager kernels the op stands for)
  compute energy = P_dyn · (a + (1 − a) · u) · t_kernel    u = achieved / achievable FLOP rate ∈ [0, 1]
  memory energy  = bytes · hbm_energy
with P_dyn = tdp − idle_power − BW · hbm_energy (what the cores may draw while HBM runs flat out), so a
compute-bound kernel lands at TDP and a memory-bound one at idle + a·P_dyn + traffic power. Idle power
is `static_power_w`, charged by the simulator over the makespan, never here (see hardware/api.py).

FLOPs_done: op.flops, except causal prefill attention (Sq = Skv > 1), where a flash kernel skips the
masked tiles and does `causal_fraction` of the full-matrix FLOPs that op.flops counts (ir/opgraph.py).
Non-GEMM kinds run on the vector units (peak_flops_fp32, no efficiency) and are memory bound in practice.
"""

from __future__ import annotations

from typing import Mapping

from lightcode.core.cost import CostBreakdown
from lightcode.core.opgraph import Op
from lightcode.cost.families import ParamSpec, register_family

PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("peak_flops_fp16", "FLOP/s", "dense FP16/BF16 tensor-core peak"),
    ParamSpec("peak_flops_fp32", "FLOP/s", "FP32 non-tensor peak (fp32 GEMMs, vector work)"),
    ParamSpec("peak_flops_int8", "FLOP/s", "dense INT8 tensor-core peak (int8 GEMMs)", required=False),
    ParamSpec("hbm_bandwidth", "B/s", "peak HBM bandwidth"),
    ParamSpec("hbm_capacity", "B", "HBM capacity"),
    ParamSpec("hbm_energy", "J/B", "energy per HBM byte read or written"),
    ParamSpec("tdp", "W", "board power limit"),
    ParamSpec("idle_power", "W", "idle power (static_power_w)"),
    ParamSpec("active_power_fraction", "1", "share of the dynamic power budget a running kernel draws at zero FLOP utilisation"),
    ParamSpec("launch_overhead", "s", "fixed cost per kernel"),
    ParamSpec("compute_eff_matmul", "1", "achievable fraction of tensor peak, GEMMs"),
    ParamSpec("memory_eff_matmul", "1", "achievable fraction of HBM bandwidth, GEMMs"),
    ParamSpec("compute_eff_attention", "1", "achievable fraction of tensor peak, fused attention"),
    ParamSpec("memory_eff_attention", "1", "achievable fraction of HBM bandwidth, fused attention"),
    ParamSpec("memory_eff_norm", "1", "achievable fraction of HBM bandwidth, norms"),
    ParamSpec("memory_eff_elementwise", "1", "achievable fraction of HBM bandwidth, element-wise/softmax/embedding/copies"),
    ParamSpec("causal_fraction", "1", "share of full-matrix attention FLOPs a causal flash kernel performs"),
    ParamSpec("precision_bits", "1", "widest arithmetic the unit delivers", integer=True),
)

_VECTOR_KINDS = {"norm": "memory_eff_norm"}  # other non-GEMM kinds use memory_eff_elementwise


@register_family("gpu", "gpu", PARAMS, doc="GPU roofline + launch overhead + utilisation-dependent power")
class GpuUnit:
    kind = "gpu"
    slots = 1  # one kernel at a time (no concurrent streams modelled)
    weight_capacity_bytes = None

    def __init__(self, name: str, params: Mapping[str, float]) -> None:
        self.name = name
        self.p = dict(params)
        p = self.p
        self.static_power_w = p["idle_power"]
        self.precision_bits = int(p["precision_bits"])
        self.dyn_power_w = p["tdp"] - p["idle_power"] - p["hbm_bandwidth"] * p["hbm_energy"]
        if self.dyn_power_w <= 0:
            raise ValueError(f"{name}: tdp must exceed idle_power + hbm_bandwidth·hbm_energy")
        for k, v in p.items():
            if (k.startswith(("compute_eff", "memory_eff")) or k in ("active_power_fraction", "causal_fraction")) and v > 1:
                raise ValueError(f"{name}: {k} must be <= 1, got {v}")

    # --- pieces ------------------------------------------------------------------------------------
    def _tensor_peak(self, dtype: str) -> float:
        p = self.p
        if dtype in ("fp16", "bf16"):
            return p["peak_flops_fp16"]
        if dtype in ("fp32",):
            return p["peak_flops_fp32"]  # PyTorch leaves TF32 off for matmul by default
        if dtype in ("int8", "uint8"):
            return p.get("peak_flops_int8", p["peak_flops_fp16"])
        raise ValueError(f"{self.name}: no peak for dtype {dtype!r}")

    def flops_done(self, op: Op) -> float:
        if op.kind == "attention" and op.gemms:
            g = op.gemms[0]
            if g.m == g.n and g.m > 1:  # causal prefill: Sq == Skv
                return op.flops * self.p["causal_fraction"]
        return float(op.flops)

    def roofline(self, op: Op, dtype: str) -> tuple[float, float, float]:
        """(compute time, memory time, peak FLOP/s used) of the kernel itself, launch excluded."""
        p = self.p
        nbytes = op.bytes_read + op.bytes_written
        if op.kind in ("matmul", "attention"):
            peak = self._tensor_peak(dtype)
            t_c = self.flops_done(op) / (peak * p[f"compute_eff_{op.kind}"])
            t_m = nbytes / (p["hbm_bandwidth"] * p[f"memory_eff_{op.kind}"])
        else:
            peak = p["peak_flops_fp32"]
            t_c = op.flops / peak
            t_m = nbytes / (p["hbm_bandwidth"] * p[_VECTOR_KINDS.get(op.kind, "memory_eff_elementwise")])
        return t_c, t_m, peak

    # --- UnitModel ---------------------------------------------------------------------------------
    def op_cost(self, op: Op, dtype: str) -> CostBreakdown | None:
        p = self.p
        t_c, t_m, _ = self.roofline(op, dtype)
        t_k = max(t_c, t_m)
        latency = t_k + op.n_fused * p["launch_overhead"]
        u = t_c / t_k if t_k > 0 else 0.0  # achieved / achievable compute rate
        a = p["active_power_fraction"]
        e_compute = self.dyn_power_w * (a + (1.0 - a) * u) * t_k
        e_memory = (op.bytes_read + op.bytes_written) * p["hbm_energy"]
        return CostBreakdown(latency, {"compute": e_compute, "memory": e_memory})

    def __repr__(self) -> str:
        return f"GpuUnit({self.name!r})"
