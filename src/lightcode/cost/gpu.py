"""GPU family: roofline with per-kind fitted efficiencies, launch overhead by execution regime, power by state.

  t_kernel = max(FLOPs_done / (peak(dtype) · eff_c(kind)), bytes / (BW · eff_m(kind)))
  latency  = t_kernel + kernels · launch          eager:  kernels = n_fused (the eager kernels the op stands
                                                          for), launch = launch_overhead
                                                  graphs: kernels = 1 (the op's element-wise chain fused into
                                                          one kernel, replayed from a CUDA graph), launch =
                                                          graph_launch_overhead
Power states (W), each a cited parameter (gpu_power.py names them):
  idle       P_idle = idle_power          P0 with a CUDA context, no kernel running ("clocked idle")
  deep idle  P_deep = deep_idle_power     no context / long gaps: the lowest measured idle
  kernel     P_idle + min(P_dyn · (a_k + (1 − a_k) · u), P_dyn − P_hbm) + P_hbm,  P_hbm = bytes/t · hbm_energy
             P_dyn = tdp − idle_power, the board's budget above idle; u = achieved / achievable FLOP rate
             ∈ [0, 1], a_k the floor of the kernel's class: `active_power_fraction_attention` for attention,
             `active_power_fraction` for GEMMs and the vector kinds (norm, element-wise). The board limit
             (tdp) caps cores and HBM together, so the cores get what HBM leaves: a compute-bound GEMM,
             moving few bytes, draws the whole limit, as measured H100 matmuls run power-limited (Horace He,
             "Strangely, Matrix Multiplications on GPUs Run Faster When Given 'Predictable' Data!",
             thonking.ai 2024: an 8192³ bf16 matmul throttles its clock at the power limit, 257 TFLOP/s on
             random inputs vs 295 on zeros); the throttled clock is inside the fitted compute efficiency.
  waiting    P_wait: what the GPU draws while another unit computes, by the system's `gpu_wait_state`
             (clocked_idle = P_idle, deep_idle = P_deep, busy_poll = a spinning kernel, P_idle + a·P_dyn).
The simulator charges `static_power_w` = P_wait over the whole makespan (sim/simulate.py); each op adds what
its kernel draws above P_wait while it runs, and P_idle − P_wait over its launch gaps (the GPU stays clocked
between the kernels of a stream), so the GPU's energy is P_wait over the time it waits, P_idle over its
launch gaps and kernel power over its kernels, whatever the wait state.

FLOPs_done: op.flops, except causal prefill attention (Sq = Skv > 1), where a flash kernel skips the
masked tiles and does `causal_fraction` of the full-matrix FLOPs that op.flops counts (ir/opgraph.py).
Non-GEMM kinds run on the vector units (peak_flops_fp32, no efficiency) and are memory bound in practice.

Variants (`op_variants`): a weight GEMM is offered at every format the unit's YAML gives a peak for, each
with its traffic at the format of what is read (weights and input activations at their bits, outputs in
the graph's dtype):
  <dtype>  every operand in the graph's dtype (also `op_cost`);
  fp8      W8A8 fp8-e4m3 on the fp8 tensor cores (`peak_flops_fp8`; Hopper has them, Ampere does not);
  int8     W8A8 int8 on the int8 tensor cores (`peak_flops_int8`);
  w4a16    4-bit weights with per-group fp16 scales, dequantised in registers and multiplied on the fp16
           tensor cores at `w4a16_compute_efficiency` of their rate; the dequantisation's energy is
           `w4a16_dequant_energy_share` of the kernel's energy (measured share, cited in the YAML).
Attention and the other kinds keep the graph's dtype (one variant).
"""

from __future__ import annotations

from typing import Mapping

from lightcode.core.cost import CostBreakdown
from lightcode.core.devices import Variant
from lightcode.core.formats import Formats, NumberFormat, dtype_formats
from lightcode.core.opgraph import DTYPE_BYTES, Op
from lightcode.cost.families import ParamSpec, register_family
from lightcode.cost.gpu_power import REGIMES, WAIT_STATES, dynamic_budget, wait_power

PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("peak_flops_fp16", "FLOP/s", "dense FP16/BF16 tensor-core peak"),
    ParamSpec("peak_flops_fp32", "FLOP/s", "FP32 non-tensor peak (fp32 GEMMs, vector work)"),
    ParamSpec("peak_flops_int8", "FLOP/s", "dense INT8 tensor-core peak (int8 GEMMs)", required=False),
    ParamSpec("peak_flops_fp8", "FLOP/s", "dense FP8 tensor-core peak (absent: no fp8 variant)", required=False),
    ParamSpec("w4a16_group_size", "1", "weights per fp16 scale of a W4A16 checkpoint (absent: no w4a16 variant)",
              required=False, integer=True),
    ParamSpec("w4a16_compute_efficiency", "1", "W4A16 kernel's tensor rate as a fraction of the fp16 GEMM's",
              required=False, maximum=1.0),
    ParamSpec("w4a16_dequant_energy_share", "1", "share of a W4A16 kernel's energy spent dequantising",
              required=False, positive=False),
    ParamSpec("hbm_bandwidth", "B/s", "peak HBM bandwidth"),
    ParamSpec("hbm_capacity", "B", "HBM capacity"),
    ParamSpec("hbm_energy", "J/B", "energy per HBM byte read or written"),
    ParamSpec("tdp", "W", "board power limit"),
    ParamSpec("idle_power", "W", "clocked idle: P0 with a CUDA context, no kernel running (launch gaps; the default wait state)"),
    ParamSpec("deep_idle_power", "W", "deep idle: no context or long gaps (the `deep_idle` wait state)"),
    ParamSpec("active_power_fraction", "1", "share of the dynamic power budget a GEMM or vector kernel draws at zero FLOP utilisation", maximum=1.0),
    ParamSpec("active_power_fraction_attention", "1", "share of the dynamic power budget an attention kernel draws at zero FLOP utilisation", maximum=1.0),
    ParamSpec("launch_overhead", "s", "cost per kernel launched eagerly (execution_regime: eager)"),
    ParamSpec("graph_launch_overhead", "s", "cost per kernel replayed from a CUDA graph (execution_regime: graphs)"),
    ParamSpec("compute_eff_matmul", "1", "achievable fraction of tensor peak, GEMMs", maximum=1.0),
    ParamSpec("memory_eff_matmul", "1", "achievable fraction of HBM bandwidth, GEMMs", maximum=1.0),
    ParamSpec("compute_eff_attention", "1", "achievable fraction of tensor peak, fused attention", maximum=1.0),
    ParamSpec("memory_eff_attention", "1", "achievable fraction of HBM bandwidth, fused attention", maximum=1.0),
    ParamSpec("memory_eff_norm", "1", "achievable fraction of HBM bandwidth, norms", maximum=1.0),
    ParamSpec("memory_eff_elementwise", "1", "achievable fraction of HBM bandwidth, element-wise/softmax/embedding/copies", maximum=1.0),
    ParamSpec("causal_fraction", "1", "share of full-matrix attention FLOPs a causal flash kernel performs", maximum=1.0),
    ParamSpec("precision_bits", "1", "widest arithmetic the unit delivers", integer=True),
)

_VECTOR_KINDS = {"norm": "memory_eff_norm"}  # other non-GEMM kinds use memory_eff_elementwise


@register_family("gpu", "gpu", PARAMS, doc="GPU roofline + launch overhead + utilisation-dependent power")
class GpuUnit:
    kind = "gpu"
    slots = 1  # one kernel at a time (no concurrent streams modelled)
    weight_capacity_bytes = None

    def __init__(self, name: str, params: Mapping[str, float], wait_state: str = "clocked_idle",
                 regime: str = "graphs") -> None:
        self.name = name
        self.p = dict(params)
        p = self.p
        self.precision_bits = int(p["precision_bits"])
        self.dyn_power_w = dynamic_budget(p)  # the board's budget above idle, HBM included
        if self.dyn_power_w <= p["hbm_bandwidth"] * p["hbm_energy"]:
            raise ValueError(f"{name}: tdp must exceed idle_power + hbm_bandwidth·hbm_energy")
        for k, v in p.items():
            if (k.startswith(("compute_eff", "memory_eff", "active_power_fraction"))
                    or k in ("causal_fraction", "w4a16_compute_efficiency")) and v > 1:
                raise ValueError(f"{name}: {k} must be <= 1, got {v}")
        if wait_state not in WAIT_STATES:
            raise ValueError(f"{name}: unknown gpu_wait_state {wait_state!r} (known: {', '.join(WAIT_STATES)})")
        if regime not in REGIMES:
            raise ValueError(f"{name}: unknown execution_regime {regime!r} (known: {', '.join(REGIMES)})")
        self.wait_state, self.regime = wait_state, regime
        self.static_power_w = wait_power(p, wait_state)  # charged over the makespan by the simulator
        if p.get("w4a16_dequant_energy_share", 0.0) >= 1:
            raise ValueError(f"{name}: w4a16_dequant_energy_share must be < 1")
        w4 = ("w4a16_group_size", "w4a16_compute_efficiency", "w4a16_dequant_energy_share")
        if any(k in p for k in w4) and not all(k in p for k in w4):
            raise ValueError(f"{name}: a w4a16 variant needs all of {', '.join(w4)}")

    def operated(self, wait_state: str | None = None, regime: str | None = None) -> "GpuUnit":
        """This GPU in another power state while waiting and/or execution regime (the system's choice)."""
        return GpuUnit(self.name, self.p, wait_state or self.wait_state, regime or self.regime)

    @property
    def launch_s(self) -> float:
        """Overhead per kernel in this regime."""
        return self.p["launch_overhead" if self.regime == "eager" else "graph_launch_overhead"]

    def kernels(self, op: Op) -> int:
        """Kernels the op launches: its eager ATen kernels, or one fused kernel under CUDA graphs."""
        return op.n_fused if self.regime == "eager" else 1

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

    # --- formats ---------------------------------------------------------------------------------
    def formats_offered(self, dtype: str) -> tuple[str, ...]:
        """Variant names this GPU offers for a weight GEMM (from which peaks its YAML declares)."""
        names = [dtype]
        if "peak_flops_fp8" in self.p:
            names.append("fp8")
        if "peak_flops_int8" in self.p:
            names.append("int8")
        if "w4a16_group_size" in self.p:
            names.append("w4a16")
        return tuple(names)

    def variant_formats(self, name: str, dtype: str) -> Formats:
        base = dtype_formats(dtype)
        out = base.outputs
        if name == dtype:
            return base
        if name == "fp8":
            f8 = NumberFormat("fp8-e4m3", "float", 8)
            return Formats(f8, f8, out, "per-tensor")
        if name == "int8":
            i8 = NumberFormat("int8", "int", 8)
            return Formats(i8, i8, out, "per-channel")
        if name == "w4a16":
            g = int(self.p["w4a16_group_size"])
            return Formats(NumberFormat("int4", "int", 4), base.activations, out, f"per-group-{g}")
        raise ValueError(f"{self.name}: no variant {name!r} (offers: {', '.join(self.formats_offered(dtype))})")

    def traffic(self, op: Op, dtype: str, name: str) -> dict[str, float]:
        """HBM bytes of one op at variant `name`, by what is read: weights (codes), their scales (W4A16: one
        graph-dtype scale per group), input activations, outputs (always the graph's dtype)."""
        f = self.variant_formats(name, dtype)
        dbits = DTYPE_BYTES[dtype] * 8
        scales = 0.0
        if name == "w4a16":
            scales = op.weight_bytes / self.p["w4a16_group_size"]  # one dtype-wide scale per group of weights
        return {"weights": op.weight_bytes * f.weights.bits / dbits, "scales": scales,
                "activations": (op.bytes_read - op.weight_bytes) * f.activations.bits / dbits,
                "outputs": float(op.bytes_written)}

    # --- UnitModel ---------------------------------------------------------------------------------
    def _cost(self, op: Op, dtype: str, t_c: float, nbytes: float, dequant_share: float = 0.0) -> CostBreakdown:
        p = self.p
        t_m = nbytes / (p["hbm_bandwidth"] * p[f"memory_eff_{op.kind}"]) if op.kind in ("matmul", "attention") \
            else self.roofline(op, dtype)[1]
        t_k = max(t_c, t_m)
        t_launch = self.kernels(op) * self.launch_s
        u = t_c / t_k if t_k > 0 else 0.0  # achieved / achievable compute rate
        a = p["active_power_fraction_attention" if op.kind == "attention" else "active_power_fraction"]
        above_wait = p["idle_power"] - self.static_power_w  # < 0 only when waiting busy-polls
        e_memory = nbytes * p["hbm_energy"]
        core = self.dyn_power_w * (a + (1.0 - a) * u)
        # dequantisation: a measured share s of the kernel's energy, i.e. s/(1-s) on top of the rest
        core += dequant_share / (1.0 - dequant_share) * (core + (e_memory / t_k if t_k > 0 else 0.0))
        if t_k > 0:  # the board limit caps cores and HBM together: the cores get what HBM leaves
            core = min(core, self.dyn_power_w - e_memory / t_k)
        e_compute = (core + above_wait) * t_k + max(0.0, above_wait) * t_launch
        return CostBreakdown(t_k + t_launch, {"compute": max(0.0, e_compute), "memory": e_memory})

    def op_cost(self, op: Op, dtype: str) -> CostBreakdown | None:
        t_c, _, _ = self.roofline(op, dtype)
        return self._cost(op, dtype, t_c, op.bytes_read + op.bytes_written)

    def variant_cost(self, op: Op, dtype: str, name: str) -> CostBreakdown:
        """Cost of a weight GEMM at variant `name` (traffic at the format of what is read)."""
        if name == dtype or not self._is_weight_gemm(op):
            return self.op_cost(op, dtype)
        p = self.p
        nbytes = sum(self.traffic(op, dtype, name).values())
        if name == "fp8":
            peak, share = p["peak_flops_fp8"], 0.0
        elif name == "int8":
            peak, share = p["peak_flops_int8"], 0.0
        else:  # w4a16: fp16 tensor cores at the dequantising kernel's efficiency
            peak, share = p["peak_flops_fp16"] * p["w4a16_compute_efficiency"], p["w4a16_dequant_energy_share"]
        t_c = self.flops_done(op) / (peak * p["compute_eff_matmul"])
        return self._cost(op, dtype, t_c, nbytes, share)

    @staticmethod
    def _is_weight_gemm(op: Op) -> bool:
        return op.kind == "matmul" and bool(op.gemms) and op.weight_bytes > 0 and all(g.weight_operand for g in op.gemms)

    def op_variants(self, op: Op, dtype: str) -> tuple[Variant, ...]:
        names = self.formats_offered(dtype) if self._is_weight_gemm(op) and dtype in ("fp16", "bf16") else (dtype,)
        return tuple(Variant(n, self.variant_cost(op, dtype, n), self.variant_formats(n, dtype)) for n in names)

    def __repr__(self) -> str:
        return f"GpuUnit({self.name!r})"
