"""Selection quality on real Q/K/V: metrics per (layer, KV head), aggregated only afterwards.

Never a union across heads: every head fetches its own k blocks, and every number below is computed per
head and then averaged (with the 10th percentile over heads beside the mean). Chance k/N_t is reported
beside every recall: picking k of N candidate blocks at random captures k/N of the candidate mass and
k/N of the oracle's blocks in expectation, whatever the attention looks like.

- mass_recall: per query head, the share of its *candidate-block* attention mass that the selection holds,
  averaged over the group (the oracle engine maximises exactly this);
- kept_mass: per query head, the share of *all* its attention that is kept (sinks, window, open block and
  the selected blocks) — the quantity the sparse output actually sees;
- block_recall: |selected ∩ oracle's| / k; kv_fraction_fetched: tokens the KV head reads over the context
  (for quest-qhead the union over its query heads).
"""

from __future__ import annotations

import time

import numpy as np

from lightcode.errors import BadInputError
from lightcode.kvselect import engines as en
from lightcode.kvselect.stats import bootstrap_index, ci95, paired

METRICS = ("mass_recall", "block_recall", "chance_block_recall", "kv_fraction_fetched", "output_rel_error",
           "kept_mass")


def layer_data(cap, layer: int, pos: np.ndarray, layout: en.Layout) -> en.LayerData:
    T = int(pos.max()) + 1
    q = cap.q[layer][:, pos].astype(np.float32)  # (Hq, m, d)
    hk = cap.k[layer].shape[0]
    q = q.reshape(hk, q.shape[0] // hk, *q.shape[1:])  # query heads h·G … h·G+G−1 share KV head h
    ld = en.LayerData(q, cap.k[layer][:, :T].astype(np.float32), cap.v[layer][:, :T].astype(np.float32),
                      pos, layout)
    # signature bases per (layer, calibration end), kept on the capture: reused across (B, k) settings
    ld.cache = cap.bases.setdefault((layer, int(pos.min())), {})
    return ld


def head_metrics(ld: en.LayerData, sel: np.ndarray | None, oracle: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Metrics per (KV head, decode step), (Hkv, m), for one engine's selection `sel` (None = full
    attention; (Hkv, m, N) per KV head or (Hkv, G, m, N) per query head). Query heads are averaged."""
    p = ld.probs()  # (Hkv, G, m, T)
    keep = en.token_mask(ld, sel)  # (Hkv, m, T) or (Hkv, G, m, T)
    keep_g = keep[:, None] if keep.ndim == 3 else keep
    n_valid = ld.n_valid
    bm = ld.block_mass()  # (Hkv, G, m, N)
    valid = np.arange(ld.nmax)[None, :] < n_valid[:, None]  # (m, N)
    cand = (bm * valid[None, None]).sum(-1)
    if sel is None:  # full attention keeps everything
        mass, brec = np.ones(cand.shape), np.ones(cand.shape)
    else:
        sel_g = sel[:, None] if sel.ndim == 3 else sel
        mass = (bm * sel_g).sum(-1) / np.maximum(cand, 1e-30)
        brec = np.broadcast_to((sel_g & oracle[:, None]).sum(-1) / k, cand.shape)
    kept = (p * keep_g).sum(-1)  # (Hkv, G, m): share of all attention kept (sinks and window included)
    ps = p * keep_g / np.maximum(kept[..., None], 1e-30)
    key = ("o_full", len(ld.pos))
    if key not in ld.cache:  # the dense output is the same for every engine
        ld.cache[key] = p @ ld.v[:, None, : p.shape[-1]]
    o_full = ld.cache[key]
    o_sp = ps @ ld.v[:, None, : p.shape[-1]]
    err = np.linalg.norm(o_sp - o_full, axis=-1) / np.maximum(np.linalg.norm(o_full, axis=-1), 1e-30)
    union = keep_g.any(axis=1)  # what the KV head actually reads (the union over its query heads)
    frac = union.sum(-1) / (ld.pos + 1)[None, :]
    chance = np.broadcast_to(k / n_valid, frac.shape) if sel is not None else np.ones(frac.shape)
    return {
        "mass_recall": mass.mean(axis=1),
        "block_recall": brec.mean(axis=1),
        "chance_block_recall": np.asarray(chance, dtype=np.float64),
        "kv_fraction_fetched": frac,
        "output_rel_error": err.mean(axis=1),
        "kept_mass": kept.mean(axis=1),
    }


DEFAULT_PAIRS = (("photonic-signature", "signature"), ("photonic-quest", "quest"), ("signature", "quest"),
                 ("quest-qhead", "quest"))
CI_METRICS = ("mass_recall", "block_recall", "kept_mass", "output_rel_error")


def evaluate(caps, context: int, block: int, k: int, engines=en.ENGINES, *, mrr=None, sink: int = 4,
             window: int = 256, n_queries: int = 16, d_sig: int = 32, reduction: str = "pca",
             centre: bool = True, layers=None, seed: int = 0, pairs=DEFAULT_PAIRS, progress=None,
             reps: int = 2000) -> dict:
    """Every engine at one (context, B, k) on one or several captures (text windows).

    Returns aggregate metrics (mean over windows × steps × (layer, KV head)), a 95 % cluster-bootstrap
    interval over (window, step) for the main metrics, the 10th percentile over heads, per-head mass
    recall, paired engine differences with p-values, and how many (head, step) cells beat the oracle."""
    caps = list(caps) if isinstance(caps, (list, tuple)) else [caps]
    T = min(len(c.ids) for c in caps)
    if context > T:
        raise BadInputError(f"context {context} exceeds the {T} captured tokens")
    if n_queries < 1:
        raise BadInputError(f"queries must be >= 1 decode step, got {n_queries}")
    for e in engines:
        if e not in en.ENGINES:
            raise BadInputError(f"unknown engine {e!r}; known: {', '.join(en.ENGINES)}")
    layout = en.Layout(block, sink, window)
    n_queries = min(n_queries, context)
    pos = np.arange(context - n_queries, context)
    n_min = layout.check(int(pos.min()) + 1, k)
    cfg = en.EngineConfig(d_sig=d_sig, reduction=reduction, mrr=mrr, seed=seed, centre=centre)
    layers = list(range(caps[0].n_layers)) if layers is None else list(layers)
    # per[e][m][w]: list over layers of (Hkv, m) arrays
    per: dict[str, dict[str, list]] = {e: {m: [[] for _ in caps] for m in METRICS} for e in engines}
    secs = {e: 0.0 for e in engines}
    for wi, cap in enumerate(caps):
        for li in layers:
            ld = layer_data(cap, li, pos, layout)
            t0 = time.perf_counter()
            oracle = en.select(en.scores("oracle", ld, cfg, li), ld.n_valid, k)
            t_oracle = time.perf_counter() - t0
            for e in engines:
                t0 = time.perf_counter()
                if e == "full":
                    sel = None
                elif e == "oracle":
                    sel = oracle
                else:
                    sel = en.select(en.scores(e, ld, cfg, li), ld.n_valid, k)
                secs[e] += time.perf_counter() - t0 + (t_oracle if e == "oracle" else 0.0)
                for m, v in head_metrics(ld, sel, oracle, k).items():
                    per[e][m][wi].append(v)
            if progress is not None:
                progress.step(1.0, f"(window {wi + 1}/{len(caps)}, layer {li + 1}/{len(layers)})")
    idx = bootstrap_index(len(caps), n_queries, reps, seed)
    out = {"context": context, "block": block, "k": k, "sink": sink, "window": window,
           "n_queries": int(n_queries), "windows": len(caps), "window_offsets": [int(getattr(c, "offset", 0)) for c in caps],
           "blocks_min": n_min, "blocks_max": int(layout.n_candidates(context - 1)),
           "d_sig": d_sig, "reduction": reduction, "reduction_label": en.REDUCTIONS[reduction],
           "centre": centre, "layers": len(layers), "bootstrap": f"{reps} resamples of windows, then steps",
           "engines": {}, "comparisons": {}}
    arrs = {e: {m: np.stack([np.concatenate(per[e][m][w]) for w in range(len(caps))]) for m in METRICS}
            for e in engines}  # (W, L·Hkv, m)
    for e in engines:
        agg: dict = {"label": en.LABELS[e]}
        for m in METRICS:
            a = arrs[e][m]
            agg[m] = float(a.mean())
            if m in CI_METRICS:
                agg[m + "_ci95"] = ci95(a.mean(axis=1), idx)
            if m in ("mass_recall", "block_recall", "kept_mass"):
                agg[m + "_p10_heads"] = float(np.percentile(a.mean(axis=(0, 2)), 10))
        agg["per_head_mass_recall"] = [float(x) for x in arrs[e]["mass_recall"].mean(axis=(0, 2))]
        # (window, step) means over heads, for paired comparisons across evaluations of the same windows
        agg["grid"] = {m: arrs[e][m].mean(axis=1).tolist() for m in ("mass_recall", "block_recall", "kept_mass")}
        top = en.CEILING.get(e)
        if top in arrs:  # (window, head, step) cells where the engine beats its ceiling: must stay 0
            agg["ceiling"] = top
            agg["cells_above_ceiling"] = int((arrs[e]["mass_recall"] > arrs[top]["mass_recall"] + 1e-9).sum())
        agg["selection_time_s"] = secs[e]  # scoring + top-k over all layers, heads and windows (metrics excluded)
        out["engines"][e] = agg
    for a, b in pairs:
        if a in arrs and b in arrs:
            out["comparisons"][f"{a} vs {b}"] = {
                m: paired(arrs[a][m].mean(axis=1), arrs[b][m].mean(axis=1), idx) for m in ("mass_recall", "block_recall", "kept_mass")}
    return out
