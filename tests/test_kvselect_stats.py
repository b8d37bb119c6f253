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


def test_perplexity_summary_ratios_intervals_and_pairs():
    import math

    from lightcode.kvselect.decode import perplexity_summary

    rng = np.random.default_rng(1)
    full = rng.gamma(2.0, 1.5, (3, 40))  # (windows, tokens) of per-token NLL
    nll = {"full": full, "same": full.copy(), "worse": full + 0.1, "noisy": full + rng.normal(0.0, 0.5, full.shape)}
    fr = {e: [1.0, 1.0, 1.0] if e == "full" else [0.3, 0.4, 0.5] for e in nll}
    r = perplexity_summary(nll, fr, (("worse", "same"), ("noisy", "full")), reps=500)
    e = r["engines"]
    assert r["windows"] == 3 and r["scored_tokens"] == 40
    assert e["full"]["perplexity"] == pytest.approx(math.exp(full.mean()))
    assert e["same"]["ratio_to_full"] == 1.0 and e["same"]["ratio_ci95"] == [1.0, 1.0] and e["same"]["ratio_p"] == 1.0
    # a constant shift of the NLL is a constant ratio: exact, with a degenerate interval and p at the floor
    assert e["worse"]["ratio_to_full"] == pytest.approx(math.exp(0.1))
    assert e["worse"]["ratio_ci95"] == pytest.approx([math.exp(0.1)] * 2) and e["worse"]["ratio_p"] == 0.0
    lo, hi = e["noisy"]["ratio_ci95"]
    assert lo < e["noisy"]["ratio_to_full"] < hi and hi - lo > 0.05
    assert r["comparisons"]["worse vs same"]["ratio"] == pytest.approx(math.exp(0.1))
    assert r["comparisons"]["noisy vs full"]["ratio_ci95"] == pytest.approx([lo, hi])
    assert e["worse"]["kv_fraction_fetched_sparse_layers"] == pytest.approx(0.4)


def test_passkey_summary_counts_discordant_pairs():
    from lightcode.kvselect.decode import passkey_summary

    a = [True] * 8 + [False] * 2  # a wins trials 0-7; b wins 0-4 and 8
    b = [True] * 5 + [False] * 3 + [True, False]
    r = passkey_summary({"a": a, "b": b}, {"a": [0.4] * 10, "b": [0.5] * 10}, (("a", "b"),), {"context": 9})
    c = r["comparisons"]["a vs b"]
    assert c["discordant"] == [3, 1] and c["mcnemar_p"] == pytest.approx(st.mcnemar_exact(a, b))
    assert c["diff"] == pytest.approx(0.8 - 0.6)
    assert r["engines"]["a"]["ci95"] == pytest.approx(list(st.wilson(8, 10))) and r["trials"] == 10
    assert r["context"] == 9 and r["engines"]["b"]["kv_fraction_fetched_sparse_layers"] == pytest.approx(0.5)
