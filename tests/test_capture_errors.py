"""Bad input to `lightcode graph`: one `error:` line on stderr, exit code 2, no traceback."""

from __future__ import annotations

import json

import pytest


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    for f in fragments:
        assert f in lines[0], lines[0]


def test_unknown_preset_lists_known_and_suggests_closest(run_cli):
    code, _, err = run_cli("graph", "llama2-7", "--seq-len", "8")
    assert_one_line_error(code, err, "unknown model", "'llama2-7b'", "gpt2-xl")


def test_missing_config(run_cli, tmp_path):
    code, _, err = run_cli("graph", str(tmp_path / "nope" / "config.json"), "--seq-len", "8")
    assert_one_line_error(code, err, "no such config file")


def test_directory_without_config(run_cli, tmp_path):
    code, _, err = run_cli("graph", str(tmp_path), "--seq-len", "8")
    assert_one_line_error(code, err, "no such config file")


def test_malformed_config(run_cli, tmp_path):
    p = tmp_path / "config.json"
    p.write_text("{ not json")
    code, _, err = run_cli("graph", str(p), "--seq-len", "8")
    assert_one_line_error(code, err, "malformed JSON")


def test_config_without_model_type(run_cli, tmp_path):
    p = tmp_path / "config.json"
    p.write_text(json.dumps({"hidden_size": 64}))
    code, _, err = run_cli("graph", str(p), "--seq-len", "8")
    assert_one_line_error(code, err, "model_type")


def test_architecture_transformers_cannot_build(run_cli, tmp_path):
    p = tmp_path / "config.json"
    p.write_text(json.dumps({"model_type": "no_such_architecture", "max_position_embeddings": 64}))
    code, _, err = run_cli("graph", str(p), "--seq-len", "8")
    assert_one_line_error(code, err, "cannot build")


def test_encoder_decoder_is_refused(run_cli, tmp_path):
    p = tmp_path / "config.json"
    p.write_text(json.dumps({"model_type": "t5", "d_model": 64, "num_layers": 1, "num_heads": 2, "d_ff": 128,
                             "d_kv": 32, "vocab_size": 100, "n_positions": 64}))
    code, _, err = run_cli("graph", str(p), "--seq-len", "8")
    assert_one_line_error(code, err, "encoder-decoder")


@pytest.mark.parametrize("seq", ["0", "-3", "1025"])
def test_impossible_sequence_lengths(run_cli, seq):
    code, _, err = run_cli("graph", "gpt2", "--seq-len", seq)
    assert_one_line_error(code, err, "1..1024")


def test_decode_without_context(run_cli):
    code, _, err = run_cli("graph", "gpt2", "--phase", "decode")
    assert_one_line_error(code, err, "--context")


def test_decode_context_beyond_max_positions(run_cli):
    code, _, err = run_cli("graph", "gpt2", "--phase", "decode", "--context", "1024")
    assert_one_line_error(code, err, "context")


def test_prefill_without_length(run_cli):
    code, _, err = run_cli("graph", "gpt2")
    assert_one_line_error(code, err, "--seq-len")


def test_bad_phase_dtype_batch(run_cli):
    for args, frag in [(("--phase", "train"), "phase"), (("--dtype", "int3"), "dtype"), (("--batch", "0"), "batch")]:
        code, _, err = run_cli("graph", "gpt2", "--seq-len", "8", *args)
        assert_one_line_error(code, err, frag)
