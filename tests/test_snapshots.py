"""Whole-pipeline snapshot goldens: for three (model, system, objective) cases, every distinct op
signature's realizations (unit, variant, latency, energy), the mapping chosen, and the final latency and
energy, against the files in tests/goldens/. Not a measurement: a change detector. A cost-model change
shows up here as a diff to review; regenerate with

    python tests/test_snapshots.py --update

and commit the JSON with the change that explains it."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

GOLDENS = Path(__file__).parent / "goldens"
CASES = {
    "gpt2-prefill128-ddot4-energy": dict(model="gpt2", seq_len=128, system="h100+ddot-b-4bit", objective="energy"),
    "llama2-7b-prefill2048-ddot4-latency": dict(model="llama2-7b", seq_len=2048, system="h100+ddot-b-4bit",
                                                objective="latency"),
    "gpt2-decode256-mrr-edp": dict(model="gpt2", phase="decode", context=256, system="h100+mrr-bank",
                                   objective="edp"),
}
REL = 1e-6  # floats are recomputed from the same arithmetic; only a real change moves them


def snapshot(case: dict) -> dict:
    from lightcode.pipeline.compile import run_compile

    r = run_compile(case["model"], heuristics=False, time_limit_s=30.0,
                    **{k: v for k, v in case.items() if k != "model"})
    st = r.stacked
    sigs = []
    seen: set[int] = set()
    for i, op in enumerate(st.graph.ops):
        if st.op_sig[i] in seen:
            continue
        seen.add(st.op_sig[i])
        sigs.append({"first_op": op.name, "kind": op.kind,
                     "realizations": [{"unit": x.unit, "variant": x.variant, "latency_s": x.cost.latency_s,
                                       "energy_j": x.cost.total_energy_j} for x in st.realizations[i]]})
    return {"case": case, "latency_s": r.latency_s, "energy_j": r.energy_j,
            "status": r.assignment.status.value, "ops_by_unit": r.sim.ops_by_unit, "signatures": sigs}


def _close(a, b, path="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}: keys {sorted(set(a) ^ set(b))}"] if set(a) != set(b) else []
        return out + [d for k in a.keys() & b.keys() for d in _close(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items vs {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _close(x, y, f"{path}[{i}]")]
    if isinstance(a, float) or isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=REL, abs_tol=1e-18) else [f"{path}: {a!r} vs golden {b!r}"]
    return [] if a == b else [f"{path}: {a!r} vs golden {b!r}"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_snapshot_matches_golden(name):
    golden = json.loads((GOLDENS / f"{name}.json").read_text())
    diffs = _close(snapshot(CASES[name]), golden)
    assert not diffs, f"{name} differs from tests/goldens (python tests/test_snapshots.py --update):\n" + "\n".join(diffs[:20])


if __name__ == "__main__":
    if "--update" not in sys.argv:
        sys.exit("usage: python tests/test_snapshots.py --update")
    GOLDENS.mkdir(exist_ok=True)
    for n, c in CASES.items():
        (GOLDENS / f"{n}.json").write_text(json.dumps(snapshot(c), indent=1, sort_keys=True) + "\n")
        print(f"wrote tests/goldens/{n}.json")
