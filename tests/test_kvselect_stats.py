"""kvselect uncertainty helpers against closed forms and known values."""

import numpy as np
import pytest

from lightcode.kvselect import stats as st


def test_wilson_known_values():
    # 5/12: Wilson 95 % interval [0.193, 0.680] (Wilson 1927 score interval, z = 1.96)
    lo, hi = st.wilson(5, 12)
    assert lo == pytest.approx(0.1933, abs=5e-4) and hi == pytest.approx(0.6805, abs=5e-4)
    assert st.wilson(0, 50)[0] == pytest.approx(0.0, abs=1e-12) and st.wilson(50, 50)[1] == pytest.approx(1.0)


def test_mcnemar_exact_closed_form():
    a = [True] * 3 + [False] * 9
    b = [False] * 12
    assert st.mcnemar_exact(a, b) == pytest.approx(2 * (1 / 8))  # 3 discordant pairs, all one way
    assert st.mcnemar_exact(a, a) == 1.0
    # 6 vs 1 discordant: 2·P[X ≤ 1], X ~ Bin(7, ½) = 2·8/128
    a = [True] * 6 + [False] * 1 + [True] * 5
    b = [False] * 6 + [True] * 1 + [True] * 5
    assert st.mcnemar_exact(a, b) == pytest.approx(16 / 128)


def test_cluster_bootstrap_widens_with_between_window_spread():
    rng = np.random.default_rng(0)
    idx = st.bootstrap_index(3, 16, 2000, 0)
    same = rng.normal(0.5, 0.01, (3, 16))
    shifted = same + np.array([[-0.05], [0.0], [0.05]])  # windows disagree
    w_same = np.diff(st.ci95(same, idx))[0]
    w_shift = np.diff(st.ci95(shifted, idx))[0]
    assert w_shift > 3 * w_same
    lo, hi = st.ci95(shifted, idx)
    assert lo <= shifted.mean() <= hi
    d = st.paired(same + 0.02, same, idx)
    assert d["diff"] == pytest.approx(0.02) and d["p"] < 1e-3 and d["ci95"][0] == pytest.approx(0.02)
