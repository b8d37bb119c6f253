"""Passkey-retrieval prompts (a five-digit key hidden at a random depth of real filler text), shared by the
KV-selection evaluation (kvselect/decode.py) and the functional accuracy evaluation (numerics/passkey.py)."""

from __future__ import annotations

import numpy as np

from lightcode.errors import BadInputError


def passkey_prompts(tok, text_ids: list[int], trials: int, context: int,
                    seed: int) -> list[tuple[list[int], list[int], list[int]]]:
    """`trials` prompts of `context` tokens: (prefix with the key inside the filler, question, answer)."""
    enc = lambda s: list(tok(s, add_special_tokens=False)["input_ids"])  # noqa: E731
    rng = np.random.default_rng(seed)
    intro = enc("There is a pass key hidden inside a lot of irrelevant text. Find it and memorize it.\n")
    out = []
    for _ in range(trials):
        key = str(rng.integers(10000, 100000))
        needle = enc(f" The pass key is {key}. Remember it. {key} is the pass key. ")
        question = enc("\nWhat is the pass key? The pass key is ")
        answer = enc(key)
        n_fill = context - len(intro) - len(needle) - len(question) - len(answer)
        if n_fill < 16:
            raise BadInputError(f"context {context} too short for the passkey prompt")
        start = int(rng.integers(0, len(text_ids) - n_fill))
        fill = text_ids[start : start + n_fill]
        depth = int(rng.uniform(0.1, 0.9) * n_fill)
        out.append((intro + fill[:depth] + needle + fill[depth:], question, answer))
    return out
