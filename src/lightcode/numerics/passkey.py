"""Passkey retrieval under a mapping: a 5-digit key hidden at a random depth in held-out news text; a trial
succeeds when every answer token is the model's argmax given the prompt and the answer so far
(teacher-forced, which is exactly greedy decoding of the key). Same prompt design as kvselect's passkey."""

from __future__ import annotations

from lightcode.numerics import metrics


def prompts(tok, text_ids: list[int], trials: int, context: int, seed: int):
    """(sequence, position of the answer, answer) per trial (kvselect/passkey_prompts.py)."""
    from lightcode.kvselect.passkey_prompts import passkey_prompts

    out = []
    for prefix, question, answer in passkey_prompts(tok, text_ids, trials, context, seed):
        seq = prefix + question + answer
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
