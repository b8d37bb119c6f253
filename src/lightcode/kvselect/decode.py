"""End-to-end decoding with per-head block-sparse attention on the real model (teacher-forced).

A prefix is prefilled densely once (that is the prompt); the scored tokens then run as decode steps with
their own per-(layer, KV head) selection at every position, chosen by the engine from that layer's real
queries and keys inside the forward pass. Layers < `dense_layers` stay dense (Quest keeps layers 0-1
dense); rows whose context has fewer than k selectable blocks run dense too. The fraction of KV fetched
is measured over the sparse layers' heads and rows.

All engines decode one prompt in a single batched forward: the prefill cache is repeated along the batch
and element b runs engine b (the rows share the dense prefill; nothing else is shared between elements but
the per-layer signature basis, which depends on prefill keys only).
"""

from __future__ import annotations

import math

import numpy as np

from lightcode.errors import BadInputError
from lightcode.kvselect import engines as en
from lightcode.kvselect import realmodel as rm
from lightcode.kvselect.passkey_prompts import passkey_prompts
from lightcode.kvselect.stats import bootstrap_index, mcnemar_exact, paired, wilson


def _attn_fn(engines: tuple, layout: en.Layout, k: int, cfg: en.EngineConfig, dense_layers: int,
             stats: dict, calib: dict):
    """Attention for a batch whose element b runs engine `engines[b]` on the same prefill cache."""
    import torch
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    def fn(module, query, key, value, attention_mask, **kw):
        li = module.layer_idx
        E, hq, s, d = query.shape
        T = key.shape[2]
        pos = np.arange(T - s, T)
        rows = np.nonzero(layout.n_candidates(pos) >= k)[0] if li >= dense_layers else np.zeros(0, dtype=int)
        # the dense output only where it is used: full attention, dense layers, rows with < k blocks
        dense = [b for b, e in enumerate(engines) if e == "full" or len(rows) < s]
        out = torch.empty((E, s, hq, d), dtype=query.dtype)
        if dense:
            ix = torch.as_tensor(dense)
            m = attention_mask[ix] if attention_mask is not None and attention_mask.shape[0] == E else attention_mask
            out[ix], _ = sdpa_attention_forward(module, query[ix], key[ix], value[ix], m, **kw)
        if len(rows) == 0:
            return out, None
        hk = key.shape[1]
        g = hq // hk
        trow = torch.from_numpy(rows)
        # per-layer calibration (signature basis) from prefill keys, identical in every batch element
        lcache = calib.setdefault(li, {})
        for b, engine in enumerate(engines):
            if engine == "full":
                continue
            q = query[b, :, rows].float().numpy().reshape(hk, g, len(rows), -1)
            kk, vv = key[b].float().numpy(), value[b].float().numpy()
            ld = en.LayerData(q, kk, vv, pos[rows], layout, cache=lcache)
            sel = en.select(en.scores(engine, ld, cfg, li), ld.n_valid, k)
            km = en.token_mask(ld, sel)  # (Hkv, m, T), or (Hkv, G, m, T) per query head
            keep = torch.from_numpy(km if km.ndim == 4 else km[:, None])
            sc = torch.einsum("hgmd,htd->hgmt", torch.from_numpy(q), key[b].float()) * module.scaling
            sc = sc.masked_fill(~keep, float("-inf"))
            o = torch.einsum("hgmt,htd->hgmd", torch.softmax(sc, dim=-1), value[b].float())
            out[b, trow] = o.reshape(hq, len(rows), -1).transpose(0, 1).to(out.dtype)
            st = stats[engine]
            st["kept"] += float(keep.any(dim=1).sum())  # the KV head reads the union of its query heads
            st["total"] += float(hk * (pos[rows] + 1).sum())
        return out, None

    return fn


def _run_suffix(lm, cache, suffix_ids, engines: tuple, layout, k, cfg, dense_layers):
    """Forward the suffix once for all engines, as a batch (element b = engines[b]) on the prefill cache
    repeated along the batch; the cache is consumed. Returns (logits (E, s, vocab), {engine: KV fraction})."""
    import torch
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    stats = {e: {"kept": 0.0, "total": 0.0} for e in engines}
    name = "lightcode_kvsel"
    AttentionInterface.register(name, _attn_fn(tuple(engines), layout, k, cfg, dense_layers, stats, {}))
    # without a registered mask builder a custom attention gets mask=None, and SDPA's is_causal then
    # aligns the causal triangle top-left — wrong for decode rows on a cache
    AttentionMaskInterface.register(name, sdpa_mask)
    prev = lm.config._attn_implementation
    lm.set_attn_implementation(name)
    cache.batch_repeat_interleave(len(engines))
    try:
        with torch.no_grad():
            ids = torch.as_tensor(suffix_ids)[None].expand(len(engines), -1)
            logits = lm(input_ids=ids, past_key_values=cache, use_cache=True).logits
    finally:
        lm.set_attn_implementation(prev)
    frac = {e: v["kept"] / v["total"] if v["total"] else 1.0 for e, v in stats.items()}
    return logits, frac


def _prefill(lm, ids):
    import torch

    with torch.no_grad():  # only the cache is used: skip the vocabulary projection of all but one row
        return lm(input_ids=torch.as_tensor(ids)[None], use_cache=True, logits_to_keep=1).past_key_values


def sparse_logits(ids, n_score: int, engine: str, block: int, k: int, *, mrr=None, sink: int = 4,
                  window: int = 256, dense_layers: int = 2, d_sig: int = 32, reduction: str = "pca",
                  centre: bool = True, model: str = rm.DEFAULT_MODEL):
    """Logits of the last `n_score` tokens of `ids`, decoded on a dense prefill cache of the rest with the
    engine's per-head selection; returns (logits (n_score, vocab) as a torch tensor, KV fraction)."""
    _, lm = rm.load(model)
    ids = np.asarray(ids)
    cache = _prefill(lm, ids[: len(ids) - n_score])
    cfg = en.EngineConfig(d_sig=d_sig, reduction=reduction, mrr=mrr, centre=centre)
    logits, frac = _run_suffix(lm, cache, ids[len(ids) - n_score :], (engine,), en.Layout(block, sink, window), k,
                               cfg, dense_layers)
    return logits[0], frac[engine]


def perplexity(context: int, block: int, k: int, engines=en.ENGINES, *, mrr=None, n_score: int = 256,
               sink: int = 4, window: int = 256, dense_layers: int = 2, d_sig: int = 32,
               reduction: str = "pca", centre: bool = True, model: str = rm.DEFAULT_MODEL, offset: int = 0,
               progress=None, reps: int = 2000, pairs=()) -> dict:
    """Perplexity of the last `n_score` tokens of a `context`-token window (from token `offset` of the
    text), each decoded with its own per-head selection, vs full attention; intervals as in
    `perplexity_summary` (one window: they reflect token-to-token spread, not text-to-text). The per-token
    NLLs are returned, so windows run separately merge with `perplexity_summary`."""
    import torch

    rm.check_context(model, context)
    layout = en.Layout(block, sink, window)
    if n_score < 2 or n_score >= context:
        raise BadInputError(f"n_score must be in 2..{context - 1}")
    layout.check(context - n_score + 1, k)
    _, lm = rm.load(model)
    ids = rm.tokens(context, model, offset=offset)
    cache = _prefill(lm, ids[: context - n_score])
    suffix = ids[context - n_score :]
    cfg = en.EngineConfig(d_sig=d_sig, reduction=reduction, mrr=mrr, centre=centre)
    logits, frac = _run_suffix(lm, cache, suffix, engines, layout, k, cfg, dense_layers)
    nll = {}
    for i, e in enumerate(engines):
        nll[e] = torch.nn.functional.cross_entropy(logits[i, :-1], torch.as_tensor(suffix[1:]),
                                                   reduction="none").numpy()[None]
        if progress is not None:
            progress.step(1.0, f"(perplexity, {e})")
    meta = {"context": context, "block": block, "k": k, "dense_layers": dense_layers, "centre": centre,
            "reduction": reduction, "offsets": [offset]}
    return perplexity_summary(nll, {e: [frac[e]] for e in engines}, pairs, meta, reps)


def perplexity_summary(nll: dict, fracs: dict, pairs=(), meta: dict | None = None, reps: int = 2000) -> dict:
    """Perplexity per engine from per-token NLLs (engine → (windows, tokens)), with 95 % intervals of the
    ratio to full and of each pair's ratio by a cluster bootstrap over (window, token) — windows, then
    tokens within each — paired (the same resampled tokens for both engines), and a two-sided bootstrap p
    of the pair's log-ratio. `fracs`: engine → KV fraction per window."""
    first = np.asarray(next(iter(nll.values())))
    W, n = first.shape
    idx = bootstrap_index(W, n, reps, 0)
    out = {}
    for e, v in nll.items():
        v = np.asarray(v)
        out[e] = {"perplexity": math.exp(float(v.mean())), "kv_fraction_fetched_sparse_layers": float(np.mean(fracs[e]))}
        if "full" in nll:
            d = paired(v, np.asarray(nll["full"]), idx)
            out[e]["ratio_to_full"] = math.exp(d["diff"])
            out[e]["ratio_ci95"] = [math.exp(x) for x in d["ci95"]]
            out[e]["ratio_p"] = d["p"]
    cmp = {}
    for a, b in pairs:
        if a in nll and b in nll:
            d = paired(np.asarray(nll[a]), np.asarray(nll[b]), idx)
            cmp[f"{a} vs {b}"] = {"ratio": math.exp(d["diff"]), "ratio_ci95": [math.exp(x) for x in d["ci95"]],
                                  "p": d["p"]}
    return {**(meta or {}), "windows": W, "scored_tokens": n, "engines": out, "comparisons": cmp,
            "nll": {e: np.asarray(v).tolist() for e, v in nll.items()}, "kv_fractions": fracs}


def passkey(context: int, block: int, k: int, engines=en.ENGINES, *, mrr=None, trials: int = 50,
            sink: int = 4, window: int = 256, dense_layers: int = 2, d_sig: int = 32,
            reduction: str = "pca", centre: bool = True, model: str = rm.DEFAULT_MODEL, seed: int = 0,
            pairs=(), progress=None, on_trial=None, first: int = 0) -> dict:
    """Passkey retrieval: a 5-digit key at a random depth in real news text; success = every answer token
    is the model's argmax (teacher-forced), with each decode row selecting its own blocks per head.
    Every engine sees the same trials, so engines are compared by an exact McNemar test on the pairs.
    Trials `first`..`first + trials − 1` of the seed's sequence are run (so disjoint ranges run in separate
    processes merge with `passkey_summary`); `on_trial(outcomes, fractions)` is called after every trial
    with the per-trial lists so far (a long run keeps its data)."""
    if trials < 1:
        raise BadInputError(f"passkey trials must be >= 1, got {trials}")
    if first < 0:
        raise BadInputError(f"passkey first trial must be >= 0, got {first}")
    rm.check_context(model, context)
    layout = en.Layout(block, sink, window)
    tok, lm = rm.load(model)
    tok_text = list(tok(rm.read_text(), add_special_tokens=False)["input_ids"])
    cfg = en.EngineConfig(d_sig=d_sig, reduction=reduction, mrr=mrr, centre=centre)
    hits: dict[str, list[bool]] = {e: [] for e in engines}
    fracs: dict[str, list[float]] = {e: [] for e in engines}
    for prefix, question, answer in passkey_prompts(tok, tok_text, first + trials, context, seed)[first:]:
        suffix = question + answer
        layout.check(len(prefix) + 1, k)
        cache = _prefill(lm, np.asarray(prefix))
        logits, frac = _run_suffix(lm, cache, np.asarray(suffix), engines, layout, k, cfg, dense_layers)
        for i, e in enumerate(engines):
            pred = logits[i, len(question) - 1 : len(suffix) - 1].argmax(-1).tolist()
            hits[e].append(pred == answer)
            fracs[e].append(frac[e])
        if on_trial is not None:
            on_trial({e: list(v) for e, v in hits.items()}, {e: list(v) for e, v in fracs.items()})
        if progress is not None:
            progress.step(1.0, f"(passkey trial {len(hits[engines[0]])}/{trials})")
    meta = {"context": context, "block": block, "k": k, "dense_layers": dense_layers, "centre": centre,
            "reduction": reduction, "seed": seed, "first_trial": first}
    return passkey_summary(hits, fracs, pairs, meta)


def passkey_summary(hits: dict, fracs: dict, pairs=(), meta: dict | None = None) -> dict:
    """Wilson intervals per engine and exact McNemar p per pair from per-trial outcomes (engine → [bool])
    and KV fractions (engine → [float]) of the same trials."""
    res = {}
    for e, h in hits.items():
        n, wins = len(h), int(sum(h))
        lo, hi = wilson(wins, n)
        res[e] = {"accuracy": wins / n, "successes": wins, "ci95": [lo, hi], "trials": n,
                  "kv_fraction_fetched_sparse_layers": float(np.mean(fracs[e]))}
    cmp = {f"{a} vs {b}": {"diff": res[a]["accuracy"] - res[b]["accuracy"], "mcnemar_p": mcnemar_exact(hits[a], hits[b]),
                           "discordant": [sum(1 for x, y in zip(hits[a], hits[b]) if x and not y),
                                          sum(1 for x, y in zip(hits[a], hits[b]) if y and not x)]}
           for a, b in pairs if a in hits and b in hits}
    trials = len(next(iter(hits.values()))) if hits else 0
    return {**(meta or {}), "trials": trials, "engines": res, "comparisons": cmp,
            "outcomes": {e: [bool(x) for x in v] for e, v in hits.items()},
            "kv_fractions": {e: [float(x) for x in v] for e, v in fracs.items()}}
