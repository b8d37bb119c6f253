"""KV-cache block-selection engines for one decode step, per (layer, KV head).

Layout (one choice, used everywhere): blocks of B tokens are aligned at absolute position `sink` and a
block becomes selectable once it is complete and wholly older than the local window. For a query at
position t (context t+1 tokens) the candidates are blocks j < N_t = ⌊(t+1−W−S)/B⌋; always kept are the S
sink tokens and the recent region [S+N_t·B, t] (the W-token window plus < B tokens of the open block).

GQA: one selection per KV head serves all G query heads of its group (every engine but `quest-qhead`).
Scores are summed over the group's query heads: oracle = Σ_g m_g/cand_g (this ranking maximises the
reported mass recall — the mean over the group of each head's captured share of its candidate mass —
exactly); oracle-kept = Σ_g m_g (maximises kept_mass, the share of *all* attention kept); quest = Σ_g of
the per-head bounds (the GQA variant); signature: Σ_g q_g·σ = (Σ_g q_g)·σ, one aggregated query per KV head.
`quest-qhead` is Quest as published for MHA: every query head picks its own k blocks and the KV head
fetches the union (a larger budget); its ceiling is `oracle-qhead` (each head its own top-k by m_g/cand_g). Queries are the real post-rotary queries of the step, never keys.

Photonic engines program *centred* weights by default: the per-column mean over the calibration blocks
(the prefill's) is subtracted before programming and x·μ is added back digitally. The common part carries
no ranking information (x·μ is one constant per query) but would use weight range and fan-out SNR.
`centre=False` is PRISM's mapping (uncentred signatures).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lightcode.errors import BadInputError

ENGINES = ("full", "oracle", "oracle-kept", "oracle-qhead", "quest", "quest-qhead", "signature",
           "photonic-signature", "photonic-quest")
LABELS = {
    "full": "full attention",
    "oracle": "oracle: exact ceiling of mass recall (rank by Σ_g m_g/cand_g)",
    "oracle-kept": "oracle of kept mass (rank by the group's summed attention Σ_g m_g)",
    "oracle-qhead": "oracle per query head (each head its own top-k by m_g; ceiling of quest-qhead)",
    "quest": "Quest, GQA variant (one selection per KV head from the group's summed bounds)",
    "quest-qhead": "Quest per query head (as published for MHA; the KV head fetches the union)",
    "signature": "block signatures on the GPU (float)",
    "photonic-signature": "block signatures on the microring engine",
    "photonic-quest": "Quest bound on the microring engine (per query head, summed after the ADC)",
}
# signature reductions d -> d_sig: ours (pca) and PRISM's own two, named as such
REDUCTIONS = {
    "pca": "PCA of the prefill keys (lightcode's calibration)",
    "jl": "PRISM's random projection (Gaussian JL, unit columns)",
    "first": "PRISM's code: the first d_sig dimensions",
    "none": "no reduction (d_sig = d)",
}
PER_QUERY_HEAD = ("oracle-qhead", "quest-qhead")  # engines whose selection is (Hkv, G, m, N)
CEILING = {e: ("oracle-qhead" if e in PER_QUERY_HEAD else "oracle") for e in ENGINES if e != "full"}


@dataclass(frozen=True)
class Layout:
    block: int
    sink: int = 4
    window: int = 256

    def __post_init__(self):
        if self.block <= 0:
            raise BadInputError(f"block size must be > 0 tokens, got {self.block}")
        if self.sink < 0 or self.window < 0:
            raise BadInputError("sink and window must be >= 0 tokens")

    def n_candidates(self, t):
        """Selectable blocks for a query at position t (vectorised over t)."""
        return np.maximum(0, (np.asarray(t) + 1 - self.window - self.sink) // self.block)

    def check(self, context: int, k: int) -> int:
        """Validate k for the smallest evaluated context; returns N there."""
        n = int(self.n_candidates(context - 1))
        if k < 1:
            raise BadInputError(f"k must be >= 1 block, got {k}")
        if k > n:
            raise BadInputError(
                f"k={k} exceeds the {n} selectable blocks of {self.block} tokens at context {context} "
                f"(sink {self.sink}, window {self.window}); use a smaller k or block, or a longer context"
            )
        return n


@dataclass
class LayerData:
    """One layer at m evaluated decode positions. q: (Hkv, G, m, d); k, v: (Hkv, T, d); pos: (m,)."""

    q: np.ndarray
    k: np.ndarray
    v: np.ndarray
    pos: np.ndarray
    layout: Layout
    _probs: np.ndarray | None = field(default=None, repr=False)
    cache: dict = field(default_factory=dict, repr=False)  # per-layer calibration (signature bases)

    @property
    def nmax(self) -> int:
        return int(self.layout.n_candidates(self.pos.max()))

    @property
    def n_valid(self) -> np.ndarray:
        return self.layout.n_candidates(self.pos)

    def probs(self) -> np.ndarray:
        """Full causal attention probabilities (Hkv, G, m, T) over keys 0..max(pos)."""
        if self._probs is None:
            T = int(self.pos.max()) + 1
            d = self.q.shape[-1]
            s = (self.q @ np.swapaxes(self.k[:, None, :T], -1, -2)) / math.sqrt(d)  # BLAS, not einsum
            s = np.where(np.arange(T)[None, None, None, :] <= self.pos[None, None, :, None], s, -np.inf)
            s = s - s.max(axis=-1, keepdims=True)
            p = np.exp(s)
            self._probs = p / p.sum(axis=-1, keepdims=True)
        return self._probs

    def blocks(self, x: np.ndarray) -> np.ndarray:
        """(Hkv, T, d) → (Hkv, nmax, B, d) candidate blocks."""
        b, s, n = self.layout.block, self.layout.sink, self.nmax
        return x[:, s : s + n * b].reshape(x.shape[0], n, b, x.shape[-1])

    def block_mass(self) -> np.ndarray:
        """True attention mass per candidate block per query head: (Hkv, G, m, nmax)."""
        b, s, n = self.layout.block, self.layout.sink, self.nmax
        p = self.probs()[..., s : s + n * b]
        return p.reshape(*p.shape[:-1], n, b).sum(axis=-1)


def reduction_basis(k: np.ndarray, d_sig: int, how: str, seed: int = 0) -> np.ndarray:
    """Per-head (d, d_sig) map applied to mean keys and queries alike (see REDUCTIONS). 'pca': top
    eigenvectors of the (uncentred) second moment of the keys given (calibration = the prefill)."""
    h, _, d = k.shape
    if how == "none" or d_sig >= d:
        return np.broadcast_to(np.eye(d, dtype=np.float32), (h, d, d)).copy()
    if how == "first":
        return np.broadcast_to(np.eye(d, dtype=np.float32)[:, :d_sig], (h, d, d_sig)).copy()
    if how == "jl":
        r = np.random.default_rng(seed).standard_normal((h, d, d_sig)).astype(np.float32)
        return r / np.linalg.norm(r, axis=1, keepdims=True)
    if how == "pca":
        kk = np.ascontiguousarray(k, dtype=np.float32)
        cov = (np.ascontiguousarray(kk.transpose(0, 2, 1)) @ kk).astype(np.float64)  # BLAS, not einsum
        _, vecs = np.linalg.eigh(cov)  # ascending
        return vecs[:, :, ::-1][:, :, :d_sig].astype(np.float32).copy()
    raise BadInputError(f"unknown signature reduction {how!r}; use {', '.join(REDUCTIONS)}")


@dataclass
class EngineConfig:
    d_sig: int = 32
    reduction: str = "pca"
    mrr: object | None = None  # photonics.microring.MRRConfig for the photonic engines
    seed: int = 0
    centre: bool = True  # photonic engines: remove the calibration blocks' per-column mean before programming

    def __post_init__(self):
        if self.d_sig < 1:
            raise BadInputError(f"d_sig must be >= 1 signature dimension, got {self.d_sig}")
        if self.reduction not in REDUCTIONS:
            raise BadInputError(f"unknown signature reduction {self.reduction!r}; use {', '.join(REDUCTIONS)}")


def _quest_bounds(ld: LayerData) -> tuple[np.ndarray, np.ndarray]:
    kb = ld.blocks(ld.k)
    return kb.min(axis=2), kb.max(axis=2)  # (Hkv, N, d)


def n_calibration(ld: LayerData) -> int:
    """Blocks complete before the first evaluated step (the prefill's): the centring calibration set."""
    t0 = int(ld.pos.min())
    return int(min(ld.nmax, max(1, (t0 - ld.layout.sink) // ld.layout.block)))


def centred(w: np.ndarray, n_cal: int) -> tuple[np.ndarray, np.ndarray]:
    """(w − μ, μ) with μ the per-column mean of the first n_cal rows of each head's (Hkv, N, c) weights."""
    mu = w[:, :n_cal].mean(axis=1, keepdims=True)
    return w - mu, mu


def scores(name: str, ld: LayerData, cfg: EngineConfig, layer: int = 0) -> np.ndarray:
    """Block scores (Hkv, m, nmax) — (Hkv, G, m, nmax) for per-query-head engines; higher = fetch."""
    if name in ("oracle", "oracle-qhead"):
        bm = ld.block_mass()
        valid = np.arange(ld.nmax)[None, :] < ld.n_valid[:, None]
        share = bm / np.maximum((bm * valid[None, None]).sum(-1, keepdims=True), 1e-30)  # m_g / cand_g
        return share if name == "oracle-qhead" else share.sum(axis=1)
    if name == "oracle-kept":
        return ld.block_mass().sum(axis=1)
    if name in ("quest", "quest-qhead"):
        lo, hi = _quest_bounds(ld)
        qp, qn = np.maximum(ld.q, 0.0), np.maximum(-ld.q, 0.0)
        # Σ_i max(q_i m_i, q_i M_i) = q⁺·M − q⁻·m per query head
        b = (np.einsum("hgmd,hnd->hgmn", qp, hi) - np.einsum("hgmd,hnd->hgmn", qn, lo)).astype(np.float32)
        return b if name == "quest-qhead" else b.sum(axis=1)
    if name in ("signature", "photonic-signature"):
        t0 = int(ld.pos.min())  # calibration on keys the prefill has already produced
        key = (cfg.d_sig, cfg.reduction, cfg.seed)
        if key not in ld.cache:
            ld.cache[key] = reduction_basis(ld.k[:, : max(t0, 1)], cfg.d_sig, cfg.reduction, cfg.seed)
        basis = ld.cache[key]
        sig = np.einsum("hnd,hde->hne", ld.blocks(ld.k).mean(axis=2), basis)
        qa = np.einsum("hmd,hde->hme", ld.q.sum(axis=1), basis)
        if name == "signature":
            return np.einsum("hme,hne->hmn", qa, sig)
        if not cfg.centre:
            return _photonic(sig, qa, cfg, layer, signed=True)
        w, mu = centred(sig, n_calibration(ld))
        return _photonic(w, qa, cfg, layer, signed=True) + np.einsum("hme,hoe->hmo", qa, mu)
    if name == "photonic-quest":
        lo, hi = _quest_bounds(ld)
        w = np.concatenate([hi, -lo], axis=-1)  # (Hkv, N, 2d) signed weights on balanced rings
        h, g, m, d = ld.q.shape
        x = np.concatenate([np.maximum(ld.q, 0.0), np.maximum(-ld.q, 0.0)], axis=-1).reshape(h, g * m, 2 * d)
        back = 0.0
        if cfg.centre:
            w, mu = centred(w, n_calibration(ld))
            back = np.einsum("hxc,hoc->hxo", x, mu)
        s = _photonic(w, x, cfg, layer, signed=False) + back  # one non-negative pass per query head
        return s.reshape(h, g, m, -1).sum(axis=1)
    raise BadInputError(f"unknown engine {name!r}; known: {', '.join(ENGINES)}")


def _photonic(w: np.ndarray, x: np.ndarray, cfg: EngineConfig, layer: int, signed: bool) -> np.ndarray:
    from lightcode.photonics import microring as mr

    if cfg.mrr is None:
        raise BadInputError("photonic engines need a microring corner (EngineConfig.mrr)")
    out = np.empty((w.shape[0], x.shape[1], w.shape[1]), dtype=np.float64)
    for h in range(w.shape[0]):
        rng = np.random.default_rng([cfg.seed, layer, h])  # a fixed chip state per (layer, head)
        bank = mr.program(w[h], cfg.mrr, rng)
        out[h] = mr.scores(bank, x[h], rng, signed=signed)
    return out


def select(sc: np.ndarray, n_valid: np.ndarray, k: int) -> np.ndarray:
    """Top-k mask (..., m, nmax) among each query's valid blocks; ties go to the older block."""
    n = sc.shape[-1]
    valid = np.arange(n)[None, :] < np.asarray(n_valid)[:, None]  # (m, nmax), broadcast over leading dims
    s = np.where(valid, sc, -np.inf)
    order = np.argsort(-s, axis=-1, kind="stable")[..., :k]
    mask = np.zeros(sc.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=-1)
    return mask & valid


def token_mask(ld: LayerData, blocks: np.ndarray | None) -> np.ndarray:
    """Kept tokens (..., m, T): sinks + selected blocks + recent region, causal. None = full attention.
    `blocks` is (Hkv, m, N) or, per query head, (Hkv, G, m, N); the mask has the same leading dims."""
    lay = ld.layout
    T = ld.k.shape[1]
    pos = ld.pos
    tix = np.arange(T)
    causal = tix[None, :] <= pos[:, None]  # (m, T)
    if blocks is None:
        return np.broadcast_to(causal, (ld.k.shape[0], len(pos), T)).copy()
    lead = blocks.shape[:-2]
    recent = tix[None, :] >= (lay.sink + ld.n_valid * lay.block)[:, None]
    keep = np.broadcast_to((tix < lay.sink)[None, :] | recent, (*lead, len(pos), T)).copy()
    n = ld.nmax
    tb = np.repeat(blocks, lay.block, axis=-1)  # (..., m, n*B)
    keep[..., lay.sink : lay.sink + n * lay.block] |= tb
    return keep & causal
