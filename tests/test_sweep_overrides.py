"""Parameter overrides on the real hardware library: derived system files, validated like user YAML."""

from __future__ import annotations

import pytest

from lightcode.errors import BadInputError
from lightcode.experiments.spec import parse_spec
from lightcode.hardware.load import load_system
from lightcode.hardware.overrides import system_with_overrides


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LIGHTCODE_CACHE_DIR", str(tmp_path))


def test_override_reaches_the_unit():
    path = system_with_overrides("h100+ptu-lightcode", {"ptu-lightcode.cores": 4, "ptu-lightcode.multiplex": 5})
    assert path == system_with_overrides("h100+ptu-lightcode", {"ptu-lightcode.multiplex": 5, "ptu-lightcode.cores": 4})
    base, new = load_system("h100+ptu-lightcode"), load_system(path)
    assert list(new.units) == list(base.units)
    assert new.spec.units[1].params["cores"].value == 4 and new.spec.units[1].params["multiplex"].value == 5
    assert new.spec.units[1].params["clock"].value == base.spec.units[1].params["clock"].value
    assert system_with_overrides("h100", {}) == "h100"


@pytest.mark.parametrize("grid, msg", [
    ({"ptu-lightcode.cores": [2.5]}, "must be an integer"),
    ({"ptu-lightcode.nope": [1]}, "unknown parameter"),
    ({"gpu.cores": [1]}, "has no unit 'gpu'"),
    ({"cores": [1]}, "UNIT.PARAM"),
])
def test_bad_overrides_fail_at_spec_load(grid, msg):
    with pytest.raises(BadInputError, match=msg):
        parse_spec({"models": ["gpt2"], "seq_lens": [8], "systems": ["h100+ptu-lightcode"], "grid": grid})


def test_unknown_system_from_library():
    with pytest.raises(BadInputError, match="unknown system 'h900'"):
        parse_spec({"models": ["gpt2"], "seq_lens": [8], "systems": ["h900"]})
    with pytest.raises(BadInputError, match="unknown model 'gpt5'"):
        parse_spec({"models": ["gpt5"], "seq_lens": [8], "systems": ["h100"]})
