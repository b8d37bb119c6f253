"""kvselect bad inputs: each gives one `error:` line on stderr, exit 2, no traceback, before any model work.
Reproductions from issue 11 item 5 plus the options added with issue 18."""

import sys

import numpy as np
import pytest

from lightcode.kvselect import realmodel as rm

COST = ["kvselect", "cost", "qwen2.5-7b"]
CASES = [
    ["kvselect", "eval", "--d-sig", "0"],
    ["kvselect", "eval", "--d-sig", "-3"],
    ["kvselect", "eval", "--queries", "0"],
    ["kvselect", "eval", "--queries", "-1"],
    ["kvselect", "eval", "--passkey", "--trials", "0"],
    ["kvselect", "eval", "--windows", "0"],
    ["kvselect", "eval", "--reduction", "random"],
    ["kvselect", "eval", "--engines", "oracle,nope"],
    ["kvselect", "eval", "--engines", ","],
    ["kvselect", "eval", "--block", "0"],
    ["kvselect", "eval", "--k", "0"],
    ["kvselect", "eval", "--k", "1000"],
    ["kvselect", "eval", "--context", "0"],
    ["kvselect", "eval", "--context", "100000"],
    ["kvselect", "eval", "--sink", "-1"],
    ["kvselect", "eval", "--corner", "nope"],
    ["kvselect", "eval", "--out", "/proc/nope/x"],
    [*COST, "--context", "4096", "--k", "0"],
    [*COST, "--context", "65536", "--k", "-2"],
    [*COST, "--context", "10000000"],
    [*COST, "--context", "65536", "--batch", "9223372036854775808"],
    [*COST, "--context", "65536", "--batch", "0"],
    [*COST, "--context", "0"],
    [*COST, "--context", "4096", "--k", "100"],
    [*COST, "--context", "65536", "--block", "0"],
    [*COST, "--context", "65536", "--gpu", "tpu"],
    [*COST, "--context", "65536", "--bank-source", "disk"],
    [*COST, "--context", "65536", "--parallel-banks"],
    [*COST, "--context", "65536", "--corner", "nope"],
    ["kvselect", "cost", "no-such-model", "--context", "65536"],
]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(a[1:]) for a in CASES])
def test_bad_input_one_error_line_exit_2(args, monkeypatch, capsys, tmp_path):
    from lightcode import cli

    monkeypatch.setenv("LIGHTCODE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["lightcode", *args])
    with pytest.raises(SystemExit) as e:
        cli.main()
    err = capsys.readouterr().err
    assert e.value.code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err


@pytest.mark.skipif(rm.available() is not None, reason=f"real model unavailable: {rm.available()}")
def test_damaged_qkv_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("LIGHTCODE_CACHE_DIR", str(tmp_path))
    good = rm.capture(64)
    (path,) = list(tmp_path.rglob("qkv-*.npz"))
    data = path.read_bytes()
    for damage in (data[: len(data) // 2], b"not a zip" * 10, b""):  # truncated, garbage, empty
        path.write_bytes(damage)
        assert rm._read_cache(path, 64) is None
        again = rm.capture(64)  # rebuilt, not an error on every later eval
        assert np.array_equal(again.k[3], good.k[3]) and np.array_equal(again.ids, good.ids)
        assert rm._read_cache(path, 64) is not None  # the file on disk is whole again
