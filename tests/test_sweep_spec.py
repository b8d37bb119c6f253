"""Sweep spec validation and the Cartesian product."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lightcode.errors import BadInputError
from lightcode.experiments.spec import LengthRange, parse_spec

MODELS = {"gpt2", "llama2-7b"}
SYSTEMS = {"h100", "h100+ddot-b-4bit"}


def spec(**kw):
    base = {"models": ["gpt2"], "seq_lens": [64, 128], "systems": ["h100"], "objectives": ["latency", "energy"]}
    base.update(kw)
    return parse_spec(base, known_models=MODELS, known_systems=SYSTEMS)


def test_product_size_and_order():
    s = spec(systems=sorted(SYSTEMS), batches=[1, 2], grid={"ptu.cores": [1, 2, 4]})
    pts = s.points()
    assert len(pts) == 1 * 2 * 2 * 2 * 3 * 2  # models·batches·lengths·systems·grid·objectives
    assert len({p.key for p in pts}) == len(pts)
    # points sharing a capture (model, phase, batch, length) are adjacent
    caps = [(p.model, p.phase, p.batch, p.seq_len) for p in pts]
    assert caps == sorted(caps, key=caps.index) and len(set(caps)) == 4
    assert {p.overrides["ptu.cores"] for p in pts} == {1, 2, 4}


def test_decode_uses_contexts():
    s = spec(phases=["prefill", "decode"], contexts=[1024])
    dec = [p for p in s.points() if p.phase == "decode"]
    assert {(p.seq_len, p.context) for p in dec} == {(1, 1024)}


def test_hash_stable_and_name_free():
    a, b = spec(name="a"), spec(name="b")
    assert a.spec_hash == b.spec_hash
    assert [p.key for p in a.points()] == [p.key for p in b.points()]
    assert spec(seq_lens=[64]).spec_hash != a.spec_hash


def test_length_range():
    assert LengthRange(start=1, stop=1000, num=4).values() == [1, 10, 100, 1000]
    assert LengthRange(start=10, stop=40, num=4, scale="linear").values() == [10, 20, 30, 40]
    assert spec(seq_lens={"start": 1, "stop": 60000, "num": 20}).points()[-1].seq_len == 60000


@pytest.mark.parametrize(
    "kw, msg",
    [
        ({"sequence_lengths": [1]}, "unknown key 'sequence_lengths'"),
        ({"seq_lens": []}, "needs seq_lens"),
        ({"systems": []}, "systems"),
        ({"grid": {"ptu.cores": []}}, "empty"),
        ({"models": ["gpt5"]}, "unknown model 'gpt5'"),
        ({"systems": ["h900"]}, "unknown system 'h900'"),
        ({"objectives": ["speed"]}, "objectives"),
        ({"batches": [0]}, "batches"),
        ({"phases": ["decode"]}, "needs contexts"),
        ({"corners": ["typical"]}, "corners"),
    ],
)
def test_bad_specs(kw, msg):
    with pytest.raises(BadInputError, match=msg):
        spec(**kw)


def test_cli_bad_spec_exits_2(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("models: [gpt2]\nsystems: [h100]\nseq_lens: [8]\nbogus: 1\n")
    r = subprocess.run([sys.executable, "-m", "lightcode", "sweep", str(p), "--db", str(tmp_path / "r.sqlite")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.startswith("error: unknown key 'bogus'") and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "lightcode", "sweep", str(tmp_path / "missing.yaml")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "not found" in r.stderr


def test_repeated_values_run_once():
    assert len(spec(seq_lens=[64, 64, 128]).points()) == len(spec().points())
