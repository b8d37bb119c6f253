"""The frontend's bad inputs through the CLI (`graph` and `compile`): exit 2, one `error:` line naming the
problem, no traceback, and nothing of torch's or transformers' own logging before it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CONFIGS = Path(__file__).parent / "configs"
TINY_LLAMA = {"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4,
              "intermediate_size": 128, "vocab_size": 1000, "max_position_embeddings": 512}
TINY_GPT2 = {"model_type": "gpt2", "n_layer": 2, "n_embd": 64, "n_head": 4, "vocab_size": 1000, "n_positions": 512}

BAD_CONFIGS = {
    "string-field": (dict(TINY_GPT2, n_embd="64"), "n_embd"),
    "heads-not-dividing-hidden": (dict(TINY_GPT2, n_head=5), "divisible"),
    "odd-head-dim": (dict(TINY_LLAMA, head_dim=7), "head_dim"),
    "intermediate-0": (dict(TINY_LLAMA, intermediate_size=0), "intermediate_size"),
    "vocab-0": (dict(TINY_LLAMA, vocab_size=0), "vocab_size"),
    "layers-0": (dict(TINY_GPT2, n_layer=0), "num_hidden_layers"),
    "layers-negative": (dict(TINY_GPT2, n_layer=-1), "num_hidden_layers"),
    "kv-heads-not-dividing": (dict(TINY_LLAMA, num_key_value_heads=3), "key-value heads"),
    "bert": (json.loads((CONFIGS / "bert.json").read_text()), "encoder-only"),
    "t5": (json.loads((CONFIGS / "t5.json").read_text()), "encoder-decoder"),
    "mamba": (json.loads((CONFIGS / "mamba.json").read_text()), "state-space"),
    "no-model-type": ({"hidden_size": 64}, "model_type"),
    "unknown-architecture": ({"model_type": "no_such_arch", "max_position_embeddings": 64}, "cannot build"),
}


def assert_one_line_error(code: int, out: str, err: str, fragment: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, (code, err)
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in err + out


@pytest.mark.parametrize("command", ["graph", "compile"])
@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config(run_cli, tmp_path, command, case):
    cfg, fragment = BAD_CONFIGS[case]
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg))
    code, out, err = run_cli(command, str(p), "--seq-len", "8")
    assert_one_line_error(code, out, err, fragment)


@pytest.mark.parametrize("command", ["graph", "compile"])
@pytest.mark.parametrize("args,fragment", [
    (("--seq-len", "0"), "1..1024"),
    (("--seq-len", "-4"), "1..1024"),
    (("--seq-len", "1025"), "1..1024"),
    (("--phase", "decode", "--context", "0"), "context"),
    (("--phase", "decode", "--context", "-5"), "context"),
    (("--phase", "decode", "--context", "1024"), "1..1023"),
    (("--seq-len", "8", "--batch", "0"), "batch"),
    (("--seq-len", "8", "--batch", "-2"), "batch"),
])
def test_bad_lengths_and_batches(run_cli, command, args, fragment):
    code, out, err = run_cli(command, "gpt2", *args)
    assert_one_line_error(code, out, err, fragment)


@pytest.mark.parametrize("command", ["graph", "compile"])
def test_malformed_json_and_missing_config(run_cli, tmp_path, command):
    p = tmp_path / "config.json"
    p.write_text("{ not json")
    code, out, err = run_cli(command, str(p), "--seq-len", "8")
    assert_one_line_error(code, out, err, "malformed JSON")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = run_cli(command, str(empty), "--seq-len", "8")
    assert_one_line_error(code, out, err, "no such config file")


@pytest.mark.parametrize("payload", [{"not": "a template"}, "truncated"])
def test_bad_capture_cache_file_is_rebuilt(payload):
    """A wrong-type pickle, or a truncated one, in the capture cache is rebuilt, not raised."""
    import pickle

    import lightcode as lc
    from lightcode.frontend import capture as cap
    from lightcode.frontend.model_spec import resolve_model

    spec = resolve_model("gpt2")
    good = lc.capture("gpt2", seq_len=12)
    key = (spec.config_hash, "prefill", 1, "fp16", "sym")
    path = cap._disk_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(payload) if payload != "truncated" else path.read_bytes()[:100])
    cap.clear_memory_cache()
    again = lc.capture("gpt2", seq_len=12)
    assert again.ops == good.ops
    assert isinstance(cap._load_disk(key), cap.Template)  # rewritten with a good template


def test_no_library_logging_reaches_the_user(tmp_path):
    """In a fresh process (torch logs straight to fd 2, which capsys would not see): only the error line."""
    p = tmp_path / "config.json"
    p.write_text(json.dumps(dict(TINY_GPT2, n_embd="64")))
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1] / "src"))
    r = subprocess.run([sys.executable, "-m", "lightcode", "graph", str(p), "--seq-len", "8"], env=env,
                       capture_output=True, text=True, timeout=300)
    assert_one_line_error(r.returncode, r.stdout, r.stderr, "n_embd")


def test_progress_line_only_where_asked(monkeypatch, capsys):
    from lightcode.frontend.capture import default_progress

    monkeypatch.setenv("LIGHTCODE_PROGRESS", "0")
    default_progress("capturing x")
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("LIGHTCODE_PROGRESS", "1")
    default_progress("capturing x")
    assert capsys.readouterr().err == "capturing x\n"
