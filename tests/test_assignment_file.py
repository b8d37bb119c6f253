"""`lightcode accuracy --assignment FILE`: the file read back into an Assignment (numerics/compare.py), from a
plain `units` list or from report.json-style `ops` rows (name, unit, variant), and its one-line refusals."""

from __future__ import annotations

import json

import pytest

from compile_fakes import FakeSystem, VariantUnit, graph_of, make_op
from lightcode.errors import BadInputError
from lightcode.numerics.compare import assignment_from_file
from lightcode.sim.simulate import simulate
from lightcode.stack.stacked import StackedGraph


def _stacked() -> StackedGraph:
    """Two ops; the GPU runs both, the PTU runs op1 in two variants (fp16, fp8)."""
    ops = [make_op("a", "matmul", flops=1), make_op("b", "matmul", flops=2)]
    gpu = VariantUnit("gpu", "gpu", table={1: (2e-6, 1e-6), 2: (2e-6, 1e-6)})
    ptu = VariantUnit("ptu", "photonic", variants={2: [("fp16", 1e-6, 3e-7, {}), ("fp8", 1e-6, 2e-7, {})]})
    free = (0.0, 0.0, 0.0)
    return StackedGraph(graph_of(ops, [(0, 1, 64)]),
                        FakeSystem("f", {"gpu": gpu, "ptu": ptu}, {("gpu", "ptu"): free, ("ptu", "gpu"): free}))


def _write(tmp_path, data) -> str:
    p = tmp_path / "a.json"
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(p)


def test_report_rows_pick_the_named_variant_and_replay(tmp_path):
    sg = _stacked()
    rows = [{"name": "a", "unit": "gpu", "variant": "fp16"}, {"name": "b", "unit": "ptu", "variant": "fp8"}]
    a = assignment_from_file(sg, _write(tmp_path, {"ops": rows}))
    assert a.units == ("gpu", "ptu")
    assert sg.realizations[1][a.choice[1]].variant == "fp8"
    assert simulate(sg, a).energy_j == pytest.approx(1e-6 + 2e-7)


def test_units_list_where_each_unit_has_one_realization(tmp_path):
    sg = _stacked()
    a = assignment_from_file(sg, _write(tmp_path, {"units": ["gpu", "gpu"]}))
    assert a.units == ("gpu", "gpu") and a.choice == (0, 0)


@pytest.mark.parametrize("data, match", [
    ({"units": ["gpu", "ptu"]}, "2 variants on unit 'ptu'; give the row's 'variant'"),
    ({"units": ["ptu", "gpu"]}, "op 'a' has no realization on unit 'ptu'"),
    ({"units": ["gpu"]}, "1 units for 2 ops"),
    ({"ops": [{"name": "a", "unit": "gpu"}]}, "lacks 1 ops of the graph, e.g. 'b'"),
    ({"ops": [{"name": "a", "unit": "gpu"}, {"name": "b", "unit": "ptu", "variant": "int4"}]},
     "no realization on unit 'ptu' in variant 'int4'"),
    ({"mapping": []}, "needs a 'units' list or an 'ops' list"),
    ("{not json", "is not JSON"),
])
def test_bad_files_are_refused_in_one_line(tmp_path, data, match):
    with pytest.raises(BadInputError, match=match):
        assignment_from_file(_stacked(), _write(tmp_path, data))


def test_missing_file(tmp_path):
    with pytest.raises(BadInputError, match="assignment file .* not found"):
        assignment_from_file(_stacked(), str(tmp_path / "none.json"))
