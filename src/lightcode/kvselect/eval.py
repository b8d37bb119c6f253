"""Selection quality on real Q/K/V: metrics per (layer, KV head), aggregated only afterwards.

Never a union across heads: every head fetches its own k blocks, and every number below is computed per
head and then averaged (with the 10th percentile over heads beside the mean). Chance k/N_t is reported
beside every recall: picking k of N candidate blocks at random captures k/N of the candidate mass and
k/N of the oracle's blocks in expectation, whatever the attention looks like.
"""

from __future__ import annotations

import time

import numpy as np

from lightcode.errors import BadInputError
from lightcode.kvselect import engines as en

METRICS = ("mass_recall", "block_recall", "chance_block_recall", "kv_fraction_fetched", "output_rel_error",
           "kept_mass")


def layer_data(cap, layer: int, pos: np.ndarray, layout: en.Layout) -> en.LayerData:
    T = int(pos.max()) + 1
    q = cap.q[layer][:, pos].astype(np.float32)  # (Hq, m, d)
    hk = cap.k[layer].shape[0]
    q = q.reshape(hk, q.shape[0] // hk, *q.shape[1:])  # query heads h·G … h·G+G−1 share KV head h
    return en.LayerData(q, cap.k[layer][:, :T].astype(np.float32), cap.v[layer][:, :T].astype(np.float32),
                        pos, layout)


def head_metrics(ld: en.LayerData, sel: np.ndarray | None, oracle: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Per-KV-head metrics (Hkv,) for one engine's selection mask `sel` (None = full attention)."""
    p = ld.probs()  # (Hkv, G, m, T)
    keep = en.token_mask(ld, sel)  # (Hkv, m, T)
    n_valid = ld.n_valid
    bm = ld.block_mass()  # (Hkv, G, m, N)
    valid = np.arange(ld.nmax)[None, :] < n_valid[:, None]  # (m, N)
    cand = (bm * valid[None, None]).sum(-1)
    if sel is None:  # full attention keeps everything
        mass, brec = np.ones(cand.shape), np.ones((p.shape[0], p.shape[2]))
    else:
        mass = (bm * sel[:, None]).sum(-1) / np.maximum(cand, 1e-30)
        brec = (sel & oracle).sum(-1) / k
    kept = (p * keep[:, None]).sum(-1)  # (Hkv, G, m)
    ps = p * keep[:, None] / np.maximum(kept[..., None], 1e-30)
    o_full = np.einsum("hgmt,htd->hgmd", p, ld.v)
    o_sp = np.einsum("hgmt,htd->hgmd", ps, ld.v)
    err = np.linalg.norm(o_sp - o_full, axis=-1) / np.maximum(np.linalg.norm(o_full, axis=-1), 1e-30)
    frac = keep.sum(-1) / (ld.pos + 1)[None, :]
    chance = np.broadcast_to(k / n_valid, frac.shape) if sel is not None else np.ones(frac.shape)
    return {
        "mass_recall": mass.mean(axis=(1, 2)),
        "block_recall": brec.mean(axis=1),
        "chance_block_recall": chance.mean(axis=1),
        "kv_fraction_fetched": frac.mean(axis=1),
        "output_rel_error": err.mean(axis=(1, 2)),
        "kept_mass": kept.mean(axis=(1, 2)),
    }


def evaluate(cap, context: int, block: int, k: int, engines=en.ENGINES, *, mrr=None, sink: int = 4,
             window: int = 256, n_queries: int = 16, d_sig: int = 32, reduction: str = "pca",
             layers=None, seed: int = 0) -> dict:
    """Run every engine at one (context, B, k) on a capture; returns aggregate and per-head metrics."""
    T = len(cap.ids)
    if context > T:
        raise BadInputError(f"context {context} exceeds the {T} captured tokens")
    for e in engines:
        if e not in en.ENGINES:
            raise BadInputError(f"unknown engine {e!r}; known: {', '.join(en.ENGINES)}")
    layout = en.Layout(block, sink, window)
    n_queries = min(n_queries, context)
    pos = np.arange(context - n_queries, context)
    n_min = layout.check(int(pos.min()) + 1, k)
    cfg = en.EngineConfig(d_sig=d_sig, reduction=reduction, mrr=mrr, seed=seed)
    layers = list(range(cap.n_layers)) if layers is None else list(layers)
    per: dict[str, dict[str, list]] = {e: {m: [] for m in METRICS} for e in engines}
    secs = {e: 0.0 for e in engines}
    for li in layers:
        ld = layer_data(cap, li, pos, layout)
        t0 = time.perf_counter()
        oracle = en.select(en.scores("oracle", ld, cfg, li), ld.n_valid, k)
        t_oracle = time.perf_counter() - t0
        for e in engines:
            t0 = time.perf_counter()
            sel = None if e == "full" else (oracle if e == "oracle" else en.select(en.scores(e, ld, cfg, li), ld.n_valid, k))
            secs[e] += time.perf_counter() - t0 + (t_oracle if e == "oracle" else 0.0)
            for m, v in head_metrics(ld, sel, oracle, k).items():
                per[e][m].append(v)
    out = {"context": context, "block": block, "k": k, "sink": sink, "window": window,
           "n_queries": int(n_queries), "blocks_min": n_min, "blocks_max": int(layout.n_candidates(context - 1)),
           "d_sig": d_sig, "reduction": reduction, "layers": len(layers), "engines": {}}
    for e in engines:
        agg = {}
        for m in METRICS:
            a = np.concatenate(per[e][m])  # one value per (layer, KV head)
            agg[m] = float(a.mean())
            if m in ("mass_recall", "block_recall"):
                agg[m + "_p10_heads"] = float(np.percentile(a, 10))
        agg["per_head_mass_recall"] = [float(x) for x in np.concatenate(per[e]["mass_recall"])]
        agg["selection_time_s"] = secs[e]  # scoring + top-k over all layers and heads (metrics excluded)
        out["engines"][e] = agg
    return out
