"""Fit the GPU family's per-kind efficiencies to Vidur's A100 Llama-2-7B kernel medians.

Run: python -m benchmarks.fit_gpu   (prints the fitted values that go into a100-sxm-80gb.yaml)

Model (cost/gpu.py): t = max(F / (peak·eff_c), bytes / (BW·eff_m)) + launch_overhead, with peaks,
bandwidth and launch overhead from the A100 YAML (datasheet/sourced, not fitted). Least squares on
measured/predicted - 1, the relative error of the predicted throughput (the quantity an efficiency scales),
so every point weighs by its relative error. (Residuals in log(pred/meas) or pred/meas - 1 give
eff_m 0.758-0.772, which under-predict the 128-token knee of the max() roofline by 11-12 % on the layer
sum; the throughput residual keeps every layer sum at >= 128 tokens within 10 %.)
- compute_eff_matmul, memory_eff_matmul: the 4 projections x 9 token counts (36 points);
- memory_eff_norm: RMSNorm at 4096 tokens; memory_eff_elementwise: rotary, SiLU-mul, add at 4096
  (the only small-op times in the summary; at 1 token they are launch-sized).
Then the kernel-class power floors and the mean prompt length (hardware/gpu_power_fit.py) on measured
ML.ENERGY H100 serving: active_power_fraction, active_power_fraction_attention and the prompt fitted to the
average power and mean step time of Llama-3.1-8B at max_num_seqs 8 and 512 (every other run, and Qwen3-8B,
held out: benchmarks/fidelity.py gpu-power).
"""

from __future__ import annotations

from lightcode.hardware import gpu_power_fit as GP
from lightcode.hardware.gpu_fit import fit_matmul, fit_vector


def main() -> None:
    ec, em, rms = fit_matmul()
    en = fit_vector("memory_eff_norm", {"input_norm": "rmsnorm"})
    ee = fit_vector("memory_eff_elementwise", {"rotary": "rotary", "silu_mul": "silu_mul", "residual_add_1": "residual_add"})
    print(f"compute_eff_matmul     = {ec:.3f}")
    print(f"memory_eff_matmul      = {em:.3f}   (rms relative throughput error over 36 GEMM points: {rms:.3f})")
    print(f"memory_eff_norm        = {en:.3f}")
    print(f"memory_eff_elementwise = {ee:.3f}")
    a, a_att, prompt, rms = GP.fit()
    model, (b0, b1) = GP.CALIBRATION
    print(f"active_power_fraction           = {a:.3f}   (ML.ENERGY {model} H100 serving, max_num_seqs {b0} and {b1})")
    print(f"active_power_fraction_attention = {a_att:.3f}")
    print(f"mean prompt tokens              = {prompt:.1f}   (rms relative error of power and step time {rms:.3f})")

if __name__ == "__main__":
    main()
