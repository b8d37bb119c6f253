"""System cost of one decode step with KV block selection: GPU alone vs GPU + photonic scoring engine.

Per step (batch b, context n, L layers, H query / H_kv KV heads of width d_h, bf16 weights and KV):
- full:       weights (once per step) + b·n·2·L·H_kv·d_h·2 B of KV.
- quest:      page min/max metadata scan b·L·H_kv·(n/page)·2·d_h·2 B + fetch of the token budget.
- signature:  PRISM's algorithm on the GPU: b·L·H_kv·(n/B)·d_sig·2 B signature scan + fetch.
- photonic-*: fetch on the GPU; the scan runs on the engine: signature memory read and ring writes
  (time-multiplexed banks: each (user, layer, KV head) is programmed before its query — or resident banks,
  PRISM's assumption), query DACs/modulators, ADC per row, top-k, interface round trip per layer
  (the query of layer ℓ exists only after layer ℓ−1, so selection is layer-sequential and sits on the
  critical path), and always-on power (laser: pump wall-plug and comb conversion; TEC, TIAs) × the step
  time: the real query rate, not back-to-back operation.
Fetched tokens per (user, layer, KV head) = k·B + sink + window (the eval's layout). GPU time is a
roofline on the GPU YAML's bandwidth/efficiencies, plus one launch per layer for a GPU scan kernel
(photonic: one sync + launch per layer, as the attention kernel waits on the engine's indices).
Device numbers come from the unit YAMLs (GPU: `a100-sxm-80gb`, `h100-sxm`; engine: `tfln-mrr`); host
memory, the host link and the engine-local memory from `kvselect/system.yaml`.

Capacity: selection cuts traffic, not capacity — weights, the whole KV cache and the method's metadata
(Quest page bounds, signatures) stay resident. A point whose bytes exceed the GPU's HBM is *infeasible*
(no speed-up or energy ratio is reported for it) unless `offload=True`: the excess KV then lives in host
memory and its share of every KV read crosses the host link, overlapped with the HBM part (t = max of the
two). A point that does not fit HBM + host memory is infeasible either way.

Engine options: banks are reloaded every step over the engine's interface (`bank_source="link"`, PCIe
by default) or from an engine-local memory (`"local"`, an HBM3 stack); resident banks (PRISM) may be
evaluated one after another through the chip's 9 ns pipeline (default) or all of a layer's banks in
parallel (`parallel_banks=True`: one physical bank per (user, KV head) of the layer).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

from lightcode.core.cost import CostBreakdown
from lightcode.errors import BadInputError

METHODS = ("full", "quest", "signature", "photonic-signature", "photonic-quest")
GPUS = {"a100": "a100-sxm-80gb", "h100": "h100-sxm"}
BYTES = 2  # bf16 weights, KV, metadata and queries (a dtype choice, not a device number)
INDEX_BYTES = 4


@dataclass(frozen=True)
class ModelDims:
    name: str
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    weight_params: float  # parameters read per decode step (all layers + LM head; embedding rows only)
    max_context: int

    @property
    def kv_bytes_per_token(self) -> float:
        return 2 * self.layers * self.kv_heads * self.head_dim * BYTES


def model_dims(name: str) -> ModelDims:
    from lightcode.frontend.presets import PRESETS

    if name not in PRESETS:
        raise BadInputError(f"unknown model {name!r}; known: {', '.join(sorted(PRESETS))}")
    c = PRESETS[name]
    try:
        h, L, nh = c["hidden_size"], c["num_hidden_layers"], c["num_attention_heads"]
        nkv, inter, vocab = c.get("num_key_value_heads", nh), c["intermediate_size"], c["vocab_size"]
    except KeyError as e:
        raise BadInputError(f"model {name!r}: preset lacks {e} (kvselect cost needs a llama-style config)") from None
    dh = c.get("head_dim") or h // nh
    per_layer = h * nh * dh * 2 + 2 * h * nkv * dh + 3 * h * inter  # q,o + k,v + gated MLP
    return ModelDims(name, L, nh, nkv, dh, L * per_layer + vocab * h, c.get("max_position_embeddings", 0))


@dataclass(frozen=True)
class Selection:
    block: int = 128  # B for signature engines (PRISM)
    k: int = 32  # blocks fetched per (user, layer, KV head) (PRISM)
    page: int = 16  # Quest page (Quest default); Quest fetches the same token budget k·B
    d_sig: int = 32  # PRISM
    sink: int = 4
    window: int = 256  # PRISM's local window
    weight_bits: int | None = None  # bits per programmed weight read from memory; None = engine DAC bits
    resident: bool = False  # PRISM: a bank per (user, layer, head) stays programmed (no TDM)
    bank_source: str = "link"  # TDM banks reloaded over the engine interface ("link") or engine-local memory ("local")
    parallel_banks: bool = False  # resident banks of one layer evaluate at once (needs resident)
    offload: bool = False  # price KV beyond HBM capacity from host memory instead of marking it infeasible

    def __post_init__(self):
        if self.k < 1:
            raise BadInputError(f"k must be >= 1 block, got {self.k}")
        if self.block <= 0 or self.page <= 0:
            raise BadInputError("block and page sizes must be > 0 tokens")
        if self.d_sig < 1:
            raise BadInputError(f"d_sig must be >= 1, got {self.d_sig}")
        if self.bank_source not in ("link", "local"):
            raise BadInputError(f"bank source must be 'link' or 'local', got {self.bank_source!r}")
        if self.parallel_banks and not self.resident:
            raise BadInputError("parallel banks need resident banks (add --resident)")


@functools.lru_cache(maxsize=1)
def system_params() -> dict[str, float]:
    """kvselect/system.yaml in SI units (host link and memory, engine-local memory)."""
    import yaml

    from lightcode.hardware.quantity import parse_value

    dims = {"host_link_bandwidth": "B/s", "host_link_energy": "J/bit", "host_memory_capacity": "B",
            "host_memory_energy": "J/bit", "engine_memory_bandwidth": "B/s", "engine_memory_capacity": "B",
            "engine_memory_energy": "J/bit"}
    raw = yaml.safe_load((Path(__file__).parent / "system.yaml").read_text(encoding="utf-8"))
    out = {}
    for name, dim in dims.items():
        entry = raw[name]
        if not entry.get("source"):
            raise ValueError(f"kvselect/system.yaml: {name} has no source")
        out[name] = parse_value(entry["value"], dim)
    return out


def _gpu(name: str):
    from lightcode.hardware.load import load_unit

    if name not in GPUS:
        raise BadInputError(f"unknown GPU {name!r}; known: {', '.join(GPUS)}")
    return load_unit(GPUS[name])


def _engine(corner: str):
    from lightcode.hardware.load import load_unit

    return load_unit("tfln-mrr", corner)


def step_cost(model: str, context: int, batch: int = 1, gpu: str = "h100", method: str = "full",
              sel: Selection = Selection(), corner: str = "baseline") -> dict:
    """Latency, energy by component and traffic of one decode step (all users of the batch)."""
    if method not in METHODS:
        raise BadInputError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    if context < 1 or batch < 1:
        raise BadInputError("context and batch must be >= 1")
    m = model_dims(model)
    g = _gpu(gpu).p
    sysp = system_params()
    b, n, L, hkv, dh = batch, context, m.layers, m.kv_heads, m.head_dim
    heads_total = b * L * hkv  # (user, layer, KV head) selections per step
    budget = min(n, sel.k * sel.block + sel.sink + sel.window)  # tokens fetched per head
    weights_b = m.weight_params * BYTES
    kv_total_b = b * n * m.kv_bytes_per_token
    kv_fetch_b = b * (n if method == "full" else budget) * m.kv_bytes_per_token
    scan_b, launches, meta_b = 0.0, 0, 0.0
    if method == "quest":
        meta_b = scan_b = heads_total * math.ceil(n / sel.page) * 2 * dh * BYTES
        launches = L
    elif method == "signature":
        meta_b = scan_b = heads_total * math.ceil(n / sel.block) * sel.d_sig * BYTES
        launches = L
    elif method.startswith("photonic"):
        launches = L  # the sparse-attention kernel waits on the engine's indices: one sync + launch per layer
    # capacity: weights + the whole KV + metadata resident in HBM (photonic banks live off the GPU)
    need = weights_b + kv_total_b + meta_b
    spill = max(0.0, need - g["hbm_capacity"])
    feasible, reason = True, ""
    if spill > 0 and not sel.offload:
        feasible = False
        reason = (f"needs {need / 1e9:.1f} GB (weights {weights_b / 1e9:.1f} + KV {kv_total_b / 1e9:.1f}"
                  f"{f' + metadata {meta_b / 1e9:.1f}' if meta_b else ''}) > {g['hbm_capacity'] / 1e9:.0f} GB HBM; "
                  f"price it with offload or use a smaller batch/context")
    elif spill > sysp["host_memory_capacity"]:
        feasible = False
        reason = (f"the {spill / 1e9:.1f} GB beyond HBM exceed the {sysp['host_memory_capacity'] / 1e9:.0f} GB "
                  f"host memory per GPU")
    off_frac = min(1.0, spill / kv_total_b) if (sel.offload and kv_total_b) else 0.0  # KV share in host memory
    kv_host_b = kv_fetch_b * off_frac
    bw = g["hbm_bandwidth"]
    t_weights = max(2 * m.weight_params * b / (g["peak_flops_fp16"] * g["compute_eff_matmul"]),
                    weights_b / (bw * g["memory_eff_matmul"]))
    t_kv = max((kv_fetch_b - kv_host_b + scan_b) / (bw * g["memory_eff_attention"]),
               kv_host_b / sysp["host_link_bandwidth"])  # HBM and host-link streams overlap
    t_gpu = t_weights + t_kv + launches * g["launch_overhead"]
    e = {"memory": (weights_b + kv_fetch_b - kv_host_b + scan_b) * g["hbm_energy"]
         + kv_host_b * 8 * sysp["host_memory_energy"],
         "transfer": kv_host_b * 8 * sysp["host_link_energy"]}
    gpu_active_w = (g["tdp"] - g["idle_power"] - bw * g["hbm_energy"]) * g["active_power_fraction"]
    t_sel, photonic = 0.0, {}
    if method.startswith("photonic"):
        t_sel, pe, photonic = _photonic(method, m, n, b, sel, corner, g)
        for k_, v in pe.items():
            e[k_] = e.get(k_, 0.0) + v
        if photonic.get("infeasible"):
            feasible, reason = False, photonic["infeasible"]
    t_step = t_gpu + t_sel
    e["compute"] = e.get("compute", 0.0) + gpu_active_w * t_gpu  # keeps the engine's top-k energy
    e["static"] = e.get("static", 0.0) + g["idle_power"] * t_step
    if photonic:
        e["static"] += photonic["static_power_w"] * t_step  # always on, charged at the real query rate
    cb = CostBreakdown(t_step, e)
    return {
        "model": model, "context": n, "batch": b, "gpu": gpu, "method": method, "corner": corner,
        "latency_s": t_step, "energy_j": cb.total_energy_j, "energy_breakdown_j": cb.to_dict()["energy_breakdown_j"],
        "bytes": {"weights": weights_b, "kv_fetch": kv_fetch_b, "kv_fetch_from_host": kv_host_b, "scan": scan_b,
                  "signature_read": photonic.get("signature_bytes", 0.0)},
        "time_s": {"gpu": t_gpu, "selection_critical_path": t_sel},
        "kv_fraction_fetched": kv_fetch_b / (b * n * m.kv_bytes_per_token),
        "feasible": feasible, "infeasible_reason": reason,
        "capacity": {"hbm_needed_b": need, "hbm_capacity_b": g["hbm_capacity"], "kv_total_b": kv_total_b,
                     "offloaded_b": spill if sel.offload else 0.0, "kv_offload_fraction": off_frac},
        "fits_hbm": spill == 0,
        # a cost model may price a longer context (same dims, e.g. Llama-3.1's 128K); flag it
        "beyond_trained_context": bool(m.max_context and n > m.max_context),
        "photonic": photonic,
    }


def check_point(model: str, context: int, batch: int, gpu: str, sel: Selection) -> None:
    """Refuse a point no configuration can hold (KV beyond HBM + host memory) or a k beyond its blocks."""
    if context < 1 or batch < 1:
        raise BadInputError(f"context and batch must be >= 1, got context {context}, batch {batch}")
    blocks = (context - sel.sink - sel.window) // sel.block
    if sel.k > blocks:
        raise BadInputError(f"k={sel.k} exceeds the {max(blocks, 0)} selectable blocks of {sel.block} tokens at "
                            f"context {context} (sink {sel.sink}, window {sel.window}); use a smaller k or block")
    most = max_feasible_context(model, batch, gpu, offload=True)
    if context > most:
        g = _gpu(gpu).p
        raise BadInputError(f"{model} at context {context}, batch {batch} needs "
                            f"{batch * context * model_dims(model).kv_bytes_per_token / 1e9:.3g} GB of KV, beyond "
                            f"{gpu}'s {g['hbm_capacity'] / 1e9:.0f} GB HBM + {system_params()['host_memory_capacity'] / 1e9:.0f}"
                            f" GB host memory; at batch {batch} at most {most} tokens fit")


def max_feasible_context(model: str, batch: int, gpu: str = "h100", offload: bool = True) -> int:
    """Longest context whose weights + full-attention KV fit HBM (+ host memory with offload) at `batch`."""
    m, g = model_dims(model), _gpu(gpu).p
    room = g["hbm_capacity"] + (system_params()["host_memory_capacity"] if offload else 0.0) - m.weight_params * BYTES
    return max(0, int(room // (batch * m.kv_bytes_per_token)))


def _photonic(method, m: ModelDims, n, b, sel: Selection, corner, g):
    """Selection time on the critical path, energy components, and details of the photonic engine."""
    from lightcode.photonics.converters import adc_energy_j, dac_energy_j

    u = _engine(corner)
    p = u.params
    quest = method == "photonic-quest"
    unit = sel.page if quest else sel.block
    rows = math.ceil(n / unit)
    ch = 2 * m.head_dim if quest else sel.d_sig  # Quest bound: [q⁺, q⁻]·[M, −m] on 2·d_h channels
    slots = 1 if quest else 2  # signed query: q⁺ and q⁻ passes; the bound's inputs are non-negative
    qheads = m.heads if quest else m.kv_heads  # the bound is per query head; signatures take Σ_group q
    passes = math.ceil(rows / p["rows"]) * math.ceil(ch / p["channels"])  # tiles of a bank on one chip
    evals = b * m.layers * qheads * slots * passes  # optical evaluations per step
    per_layer_evals = evals / m.layers
    wbits = sel.weight_bits or int(p["weight_dac_bits"])
    banks = b * m.layers * m.kv_heads
    rings = banks * rows * ch
    sysp = system_params()
    local = not sel.resident and sel.bank_source == "local"
    infeasible = ""
    if sel.resident:  # PRISM: weights stay; one new row per bank per B tokens
        writes, sig_bytes = banks * ch / unit, 0.0
        t_prog_layer = 0.0
    else:  # TDM: every bank is read from memory and written before its queries, every step
        writes, sig_bytes = rings, rings * wbits / 8
        bw_prog = sysp["engine_memory_bandwidth"] if local else p["interface_bandwidth"]
        t_prog_layer = sig_bytes / m.layers / bw_prog
        if local and sig_bytes > sysp["engine_memory_capacity"]:
            infeasible = (f"the banks' {sig_bytes / 1e9:.1f} GB exceed the {sysp['engine_memory_capacity'] / 1e9:.0f} GB "
                          f"engine-local memory")
    q_bytes = b * m.layers * qheads * ch * BYTES + b * m.layers * m.kv_heads * sel.k * INDEX_BYTES
    # one chip pipelines every evaluation of the layer; parallel resident banks fire all (user, head) banks at once
    evals_layer_serial = slots * passes * (qheads // m.kv_heads) if sel.parallel_banks else per_layer_evals
    t_layer = p["interface_latency"] + t_prog_layer + q_bytes / m.layers / p["interface_bandwidth"] \
        + evals_layer_serial * p["engine_latency"]
    t_sel = m.layers * t_layer
    e_dac = dac_energy_j(p["input_dac_bits"], p["dac_ref_power"], p["dac_ref_rate"], p["dac_ref_bits"])
    e_adc = adc_energy_j(p["adc_bits"], p["adc_ref_power"], p["adc_ref_rate"], p["adc_ref_bits"])
    rows_used = min(rows, p["rows"])
    energy = {
        "dac": evals * min(ch, p["channels"]) * e_dac,
        "modulator": evals * min(ch, p["channels"]) * p["modulator_energy"],
        "adc": evals * rows_used * e_adc,
        "compute": evals * p["topk_energy"],
        "reprogramming": writes * p["ring_write_energy"],
        "memory": sig_bytes * (sysp["engine_memory_energy"] * 8 if local else g["hbm_energy"]),
        "transfer": ((0.0 if local else sig_bytes) + q_bytes) * 8 * p["interface_energy"],
    }
    # laser (the one laser law, with the comb's conversion efficiency: cost/tfln.py), TEC and TIAs cannot idle
    # between ns-scale queries: they are on for the whole step
    laser_w = u.laser_electrical_w
    return t_sel, energy, {
        "engine": u.name, "rows": rows, "channels": ch, "evaluations": evals, "passes_per_query": passes,
        "rings_needed_resident": rings, "signature_bytes": sig_bytes, "infeasible": infeasible,
        "bank_source": "resident" if sel.resident else ("engine-local memory" if local else "interface link"),
        "parallel_banks": sel.parallel_banks,
        "laser_power_w": laser_w, "static_power_w": u.static_power_w,
        "query_rate_hz": None,  # filled by the caller once the step time is known
        "selection_time_per_layer_s": t_layer,
        "dynamic_energy_per_eval_j": (energy["dac"] + energy["modulator"] + energy["adc"] + energy["compute"]) / evals,
    }


def compare(model: str, context: int, batch: int = 1, gpu: str = "h100", sel: Selection = Selection(),
            corner: str = "baseline", methods=METHODS) -> dict:
    """Every method at one point, with the end-to-end speed-up and energy ratio against full attention."""
    rows = {mt: step_cost(model, context, batch, gpu, mt, sel, corner) for mt in methods}
    ref = rows.get("full") or step_cost(model, context, batch, gpu, "full", sel, corner)
    for r in rows.values():
        ok = r["feasible"] and ref["feasible"]  # an infeasible row is never compared
        r["speedup_vs_full"] = ref["latency_s"] / r["latency_s"] if ok else None
        r["energy_ratio_vs_full"] = r["energy_j"] / ref["energy_j"] if ok else None
        r["tokens_per_s"] = batch / r["latency_s"] if r["feasible"] else None
        if r["photonic"]:
            r["photonic"]["query_rate_hz"] = r["photonic"]["evaluations"] / r["latency_s"]
            r["photonic"]["energy_per_eval_j"] = (
                r["photonic"]["dynamic_energy_per_eval_j"] + r["photonic"]["static_power_w"] / r["photonic"]["query_rate_hz"])
    return {"model": model, "context": context, "batch": batch, "gpu": gpu, "corner": corner,
            "selection": dict(sel.__dict__), "feasible": all(r["feasible"] for r in rows.values()),
            "assumptions": ASSUMPTIONS, "methods": rows}


ASSUMPTIONS = ("bf16 weights/KV/metadata; weights + the whole KV + metadata resident in HBM (else infeasible, or "
               "offloaded to host memory over PCIe with overlapped streams); GPU roofline on the unit YAML; "
               "photonic selection layer-sequential on the critical path; always-on engine power over the step")


def prism_claims_vs_ours(model: str = "qwen2.5-7b", context: int = 65536, batch: int = 1, gpu: str = "h100") -> dict:
    """PRISM's headline figures beside ours: once under PRISM's assumptions (aggressive corner, resident
    banks, co-packaged link, energy at back-to-back utilisation, GPU baseline = full-d_h K+V scan) and once
    under ours (baseline corner, time-multiplexed banks, PCIe, static power at the real query rate)."""
    m = model_dims(model)
    g = _gpu(gpu).p
    u = _engine("aggressive").params
    sel = Selection()
    n_blocks = math.ceil(context / sel.block)
    prism = compare(model, context, batch, gpu, Selection(resident=True), "aggressive")
    ours = compare(model, context, batch, gpu, sel, "baseline")
    local = compare(model, context, batch, gpu, Selection(bank_source="local"), "baseline",
                    methods=("full", "signature", "photonic-signature"))
    par = compare(model, context, batch, gpu, Selection(resident=True, parallel_banks=True), "baseline",
                  methods=("full", "signature", "photonic-signature"))
    pm, om = prism["methods"]["photonic-signature"], ours["methods"]["photonic-signature"]

    def vs_gpu(r):
        return r["methods"]["signature"]["latency_s"] / r["methods"]["photonic-signature"]["latency_s"]
    # PRISM's energy/query: dynamic power × 9 ns (100 % utilisation, TEC excluded)
    prism_dyn_w = pm["photonic"]["dynamic_energy_per_eval_j"] / u["engine_latency"] + pm["photonic"]["laser_power_w"] \
        + u["tia_power"] * u["rows"]
    return {
        "model": model, "context": context, "batch": batch, "gpu": gpu,
        "feasible": ours["feasible"], "infeasible_reason": ours["methods"]["full"]["infeasible_reason"],
        "claims": {
            "traffic_reduction": {"prism_claim": "16x at 64K (v1), 32x at 128K (v2) = N/k",
                                  "prism_formula_N_over_k": n_blocks / sel.k,
                                  "ours_per_head_fetch": 1.0 / om["kv_fraction_fetched"]},
            "energy_per_query_j": {"prism_claim": "1.57-2.29 nJ dynamic (P x 9 ns)",
                                   "under_prism_assumptions": prism_dyn_w * u["engine_latency"],  # one unsigned pass
                                   "ours_at_real_query_rate": om["photonic"]["energy_per_eval_j"] * 2},  # q⁺ and q⁻ passes
            "gpu_scan_energy_per_query_j": {
                "prism_claim": "16.3 uJ (2 x d_h x N x 2 B x 31 pJ/B, N=1024, K+V full width)",
                "prism_formula_here": 2 * m.head_dim * n_blocks * BYTES * g["hbm_energy"],
                "ours_d_sig_signature_scan": n_blocks * sel.d_sig * BYTES * g["hbm_energy"]},
            "selection_latency_s": {"prism_claim": "~9 ns per query",
                                    "under_prism_assumptions_per_layer": pm["photonic"]["selection_time_per_layer_s"],
                                    "ours_per_layer": om["photonic"]["selection_time_per_layer_s"]},
            "end_to_end_speedup_vs_gpu_selection": {
                "prism_claim": "1.06x at 128K, 1.5x at 1M vs GPU block-select (README, batch 128, H100)",
                "under_prism_assumptions": vs_gpu(prism),
                "ours": vs_gpu(ours),
                "ours_banks_from_engine_local_memory": vs_gpu(local),
                "ours_resident_banks_in_parallel": vs_gpu(par)},
            "end_to_end_speedup_vs_full": {"under_prism_assumptions": pm["speedup_vs_full"],
                                           "ours": om["speedup_vs_full"],
                                           "gpu_signature_same_fetch": ours["methods"]["signature"]["speedup_vs_full"]},
        },
        "prism_assumptions": prism, "ours": ours,
    }
