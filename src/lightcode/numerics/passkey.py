"""Passkey retrieval under a mapping: a 5-digit key hidden at a random depth in held-out news text; a trial
succeeds when every answer token is the model's argmax given the prompt and the answer so far
(teacher-forced, which is exactly greedy decoding of the key). Same prompt design as kvselect's passkey."""

from __future__ import annotations

import numpy as np

from lightcode.errors import BadInputError
from lightcode.numerics import metrics


def prompts(tok, text_ids: list[int], trials: int, context: int, seed: int):
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
            raise BadInputError(f"passkey context {context} too short for the prompt")
        start = int(rng.integers(0, len(text_ids) - n_fill))
        fill = text_ids[start : start + n_fill]
        depth = int(rng.uniform(0.1, 0.9) * n_fill)
        seq = intro + fill[:depth] + needle + fill[depth:] + question + answer
        out.append((seq, len(seq) - len(answer), answer))
    return out


def passkey(twin, numerics, config) -> dict:
    import torch

    from lightcode.kvselect import realmodel

    ids = twin.tok(realmodel.read_text(), add_special_tokens=False)["input_ids"][config.offset :]
    wins = 0
    trials = prompts(twin.tok, ids, config.passkey_trials, config.passkey_context, config.seed + 1)
    with twin.mapping(numerics, seed=config.seed):
        for t, (seq, a0, answer) in enumerate(trials):
            twin.reseed(config.seed * 1_000_003 + 7919 + t)
            logits = twin.logits(torch.tensor(seq)[None])[0]
            pred = logits[a0 - 1 : len(seq) - 1].argmax(-1).tolist()
            wins += int(pred == answer)
    lo, hi = metrics.wilson(wins, len(trials))
    return {"accuracy": wins / len(trials), "ci95": [lo, hi], "trials": len(trials),
            "context": config.passkey_context}
