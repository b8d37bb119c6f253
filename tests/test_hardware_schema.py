"""Hardware YAML: quantity parsing, unit/system validation errors (`FILE: field: what`), loader, CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from lightcode.core.cost import CostBreakdown
from lightcode.cost.families import FAMILIES, ParamSpec, register_family
from lightcode.errors import ConfigError
from lightcode.hardware.load import (
    UNITS_DIR,
    build_unit,
    list_systems,
    list_units,
    load_system,
    load_unit,
    read_system,
    read_unit,
)
from lightcode.hardware.quantity import QuantityError, parse_value

# --- quantities --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,dim,expected",
    [
        ("450 fJ", "J", 450e-15),
        ("3.35 TB/s", "B/s", 3.35e12),
        ("5 GHz", "Hz", 5e9),
        ("80 GB", "B", 80e9),
        ("80 GiB", "B", 80 * 2**30),
        ("2 pJ/bit", "J/bit", 2e-12),
        ("2 pJ/bit", "J/B", 16e-12),
        ("10 ns", "s", 10e-9),
        ("0.35", "1", 0.35),
        (0.35, "1", 0.35),
        ("35 %", "1", 0.35),
        ("989.4 TFLOP/s", "FLOP/s", 989.4e12),
        ("14 GSa/s", "Hz", 14e9),
        ("4 Gbit/s", "B/s", 0.5e9),
        ("1.5 dB", "dB", 1.5),
        ("0.11 dB/cm", "dB/m", 11.0),
        ("-25 dBm", "dBm", -25.0),
        ("-25 dBm", "W", 10 ** (-2.5) * 1e-3),
    ],
)
def test_parse_value(raw, dim, expected):
    assert parse_value(raw, dim) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "raw,dim,fragment",
    [
        (3, "J", "has no unit"),
        ("5 GHz", "B/s", "expected B/s"),
        ("80 GB", "1", "expected dimensionless"),
        ("2 Gb/s", "B/s", "b is not bit"),
        ("1.5 dB", "W", "in dB"),
        ("1.5", "dB", "expected a value in dB"),
        ("3 furlongz", "m", "cannot parse"),
        ("", "J", "empty"),
        (True, "1", "expected a number"),
    ],
)
def test_parse_value_errors(raw, dim, fragment):
    with pytest.raises(QuantityError, match=fragment):
        parse_value(raw, dim)


# --- unit files --------------------------------------------------------------------------------------
H100 = UNITS_DIR / "h100-sxm.yaml"


def _unit_doc() -> dict:
    return yaml.safe_load(H100.read_text())


def _write(tmp_path: Path, doc, name: str = "u.yaml") -> Path:
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False))
    return p


def _mutate(fn):
    doc = _unit_doc()
    fn(doc)
    return doc


UNIT_CASES = [
    ("missing source", lambda d: d["params"]["tdp"].pop("source"), "params.tdp.source: required field missing"),
    ("empty source", lambda d: d["params"]["tdp"].update(source="  "), "params.tdp.source: .*source must not be empty"),
    ("missing unit", lambda d: d["params"]["tdp"].update(value=700), "params.tdp: 700 has no unit"),
    ("unknown unit", lambda d: d["params"]["tdp"].update(value="700 wattz"), "params.tdp: cannot parse"),
    ("wrong dimension", lambda d: d["params"]["hbm_bandwidth"].update(value="5 GHz"), "params.hbm_bandwidth: .*expected B/s"),
    ("non-positive", lambda d: d["params"]["tdp"].update(value="0 W"), "params.tdp: must be > 0"),
    ("negative", lambda d: d["params"]["tdp"].update(value="-5 W"), "params.tdp: must be > 0"),
    ("above its maximum", lambda d: d["params"]["compute_eff_matmul"].update(value=1.2),
     "params.compute_eff_matmul: must be <= 1"),
    ("not integer", lambda d: d["params"]["precision_bits"].update(value=32.5), "params.precision_bits: must be an integer"),
    ("unknown field", lambda d: d.update(vendor="nvidia"), "vendor: unknown field"),
    ("unknown param field", lambda d: d["params"]["tdp"].update(unit="W"), "params.tdp.unit: unknown field"),
    ("unknown param", lambda d: d["params"].update(warp_size={"value": 32, "source": "x"}), "params.warp_size: unknown parameter"),
    ("missing param", lambda d: d["params"].pop("tdp"), "params.tdp: required parameter missing"),
    ("unknown family", lambda d: d.update(family="quantum-abacus"), "family: unknown family 'quantum-abacus'"),
    ("bad corner name", lambda d: d.update(corners={"typical": {}}), "corners.typical"),
    ("bad corner value", lambda d: d.update(corners={"aggressive": {"tdp": {"value": "1 s", "source": "x"}}}), "corners.aggressive.tdp: .*expected W"),
    ("bad name", lambda d: d.update(name="H100 SXM"), "name: String should match pattern"),
    ("boolean value", lambda d: d["params"]["active_power_fraction"].update(value=True), "params.active_power_fraction.value"),
]


@pytest.mark.parametrize("case,mutate,pattern", UNIT_CASES, ids=[c[0] for c in UNIT_CASES])
def test_unit_errors(tmp_path, case, mutate, pattern):
    p = _write(tmp_path, _mutate(mutate))
    with pytest.raises(ConfigError, match=pattern) as ei:
        read_unit(p)
    msg = str(ei.value)
    assert msg.startswith(f"{p}: ") and "\n" not in msg  # FILE: field: what, on one line


def test_malformed_yaml(tmp_path):
    p = _write(tmp_path, "name: x\nparams: {a: [1, 2\n")
    with pytest.raises(ConfigError, match=r"malformed YAML at line \d+"):
        read_unit(p)


def test_not_a_mapping(tmp_path):
    with pytest.raises(ConfigError, match="expected a mapping"):
        read_unit(_write(tmp_path, "- 1\n- 2\n"))


def test_unknown_unit_name_suggests():
    with pytest.raises(ConfigError, match="unknown unit.*did you mean h100-sxm"):
        read_unit("h100-sx")


def test_library_name_must_match_file(tmp_path, monkeypatch):
    import lightcode.hardware.load as L

    # a directory searched by name (LIGHTCODE_HARDWARE_PATH, like the library): name = file name
    (tmp_path / "units").mkdir()
    monkeypatch.setenv("LIGHTCODE_HARDWARE_PATH", str(tmp_path))
    _write(tmp_path / "units", _unit_doc(), "other.yaml")
    with pytest.raises(ConfigError, match="must equal the file name"):
        L.read_unit("other")


def test_unit_from_path_and_name_agree():
    a, b = read_unit("h100-sxm"), read_unit(str(H100))
    assert a.si() == b.si()
    assert all(v.source for v in a.params.values())
    assert a.params["hbm_bandwidth"].value == 3.35e12 and a.params["hbm_bandwidth"].unit == "B/s"


def test_corner_overrides_and_unknown_corner(tmp_path):
    doc = _unit_doc()
    doc["corners"] = {"aggressive": {"launch_overhead": {"value": "2 us", "source": "test"}}}
    p = _write(tmp_path, doc)
    assert read_unit(p, "aggressive").params["launch_overhead"].value == pytest.approx(2e-6)
    assert read_unit(p, "aggressive").params["launch_overhead"].corner == "aggressive"
    assert read_unit(p, "conservative").params["launch_overhead"].value == pytest.approx(5e-6)  # no such corner -> baseline
    with pytest.raises(ConfigError, match="corner: unknown corner 'typical'"):
        read_unit(p, "typical")


def test_every_library_unit_loads_builds_and_labels_its_sources():
    """Every shipped unit loads at every corner and builds (a broken one fails here, not skipped), and every
    source says where its number comes from: a citation, `derived: …` arithmetic or a labelled `guess: …`
    (never a bare placeholder) — the schema only checks that a source is non-empty."""
    placeholder = re.compile(r"^(todo|tbd|fixme|test|source|\?|-|n/?a)\b", re.I)
    for name in list_units():
        spec = read_unit(name)
        for c in ("baseline", *spec.corners):
            at = read_unit(name, c)
            build_unit(at)
            for k, v in at.params.items():
                src = v.source.strip()
                assert not placeholder.match(src) and len(src) >= 12, f"{name}.{k}: source {src!r} is a placeholder"
                if "guess" in src.lower().split(":")[0]:
                    assert src.lower().startswith("guess:"), f"{name}.{k} ({c}): label a guess as 'guess: …'"


# --- systems -------------------------------------------------------------------------------------------
if "test-photonic" not in FAMILIES:

    @register_family(
        "test-photonic",
        "photonic",
        (ParamSpec("mac_energy", "J", "energy per MAC"), ParamSpec("macs_per_s", "Hz", "MAC rate")),
    )
    class _TestPhotonic:
        kind = "photonic"
        slots = 1
        static_power_w = 0.0
        weight_capacity_bytes = None
        precision_bits = 8

        def __init__(self, name, params):
            self.name, self.p = name, params

        def op_cost(self, op, dtype):
            if op.kind != "matmul":
                return None
            macs = sum(g.macs for g in op.gemms)
            return CostBreakdown(macs / self.p["macs_per_s"], {"compute": macs * self.p["mac_energy"]})


def _system_doc(photonic_unit: str) -> dict:
    src = {"source": "test"}
    return {
        "name": "test-system",
        "units": [str(H100), photonic_unit],
        "memories": {
            "hbm": {"read_energy": {"value": "31.2 pJ/B", **src}, "write_energy": {"value": "31.2 pJ/B", **src}},
            "sram": {"read_energy": {"value": "1 pJ/B", **src}, "write_energy": {"value": "2 pJ/B", **src}},
        },
        "links": [
            {
                "between": ["h100-sxm", "pho"],
                "bandwidth": {"value": "100 GB/s", **src},
                "latency": {"value": "100 ns", **src},
                "energy": {"value": "1 pJ/bit", **src},
            }
        ],
        "crossing": {
            "host_memory": "hbm",
            "buffer_memory": "sram",
            "element_bytes": {"value": 2, **src},
            "dac_energy": {"value": "3 pJ", **src},
            "adc_energy": {"value": "1.5 pJ", **src},
            "latency": {"value": "10 ns", **src},
        },
    }


@pytest.fixture
def photonic_file(tmp_path) -> Path:
    doc = {
        "name": "pho",
        "family": "test-photonic",
        "params": {"mac_energy": {"value": "40 fJ", "source": "test"}, "macs_per_s": {"value": "100 GHz", "source": "test"}},
    }
    return _write(tmp_path, doc, "pho.yaml")


def test_system_loads_and_transfer_law(tmp_path, photonic_file):
    p = _write(tmp_path, _system_doc("pho.yaml"), "sys.yaml")  # unit path relative to the system file
    s = load_system(p)
    assert list(s.units) == ["h100-sxm", "pho"] and s.host == "h100-sxm"
    assert s.transfer_cost("pho", "pho", 1000).latency_s == 0
    n = 1_000_000
    c = s.transfer_cost("h100-sxm", "pho", n)
    assert c.latency_s == pytest.approx(100e-9 + n / 100e9 + 10e-9)
    assert c.energy_j["transfer"] == pytest.approx(n * 8 * 1e-12)
    assert c.energy_j["memory"] == pytest.approx(n * (31.2e-12 + 2e-12))  # HBM read + SRAM write
    assert c.energy_j["dac"] == pytest.approx(n / 2 * 3e-12) and "adc" not in c.energy_j
    back = s.transfer_cost("pho", "h100-sxm", n)
    assert back.energy_j["adc"] == pytest.approx(n / 2 * 1.5e-12)
    assert back.energy_j["memory"] == pytest.approx(n * (1e-12 + 31.2e-12))  # SRAM read + HBM write
    assert load_system(p) is s  # cached


SYSTEM_CASES = [
    ("missing unit", lambda d: d["units"].__setitem__(1, "no-such-unit"), r"units\[1\]: unit 'no-such-unit' does not exist"),
    ("photonic host", lambda d: d.update(units=["pho.yaml", str(H100)]), r"units\[0\]: the first unit is the host"),
    ("link to stranger", lambda d: d["links"][0].update(between=["h100-sxm", "ghost"]), r"links\[0\]\.between: 'ghost' is not one"),
    ("no link to host", lambda d: d.update(links=[]), "links: unit 'pho' has no link to the host"),
    ("no crossing", lambda d: d.pop("crossing"), "crossing: required when the system has a photonic unit"),
    ("crossing memory", lambda d: d["crossing"].update(buffer_memory="l2"), "crossing.buffer_memory: 'l2' is not a key"),
    ("link dimension", lambda d: d["links"][0]["energy"].update(value="1 pJ"), r"links\[0\]\.energy: .*expected J/bit"),
    ("memory missing source", lambda d: d["memories"]["sram"]["read_energy"].pop("source"), "memories.sram.read_energy.source: required field missing"),
    ("unknown field", lambda d: d.update(topology="ring"), "topology: unknown field"),
    ("zero element bytes", lambda d: d["crossing"]["element_bytes"].update(value=0), "crossing.element_bytes: must be > 0"),
]


@pytest.mark.parametrize("case,mutate,pattern", SYSTEM_CASES, ids=[c[0] for c in SYSTEM_CASES])
def test_system_errors(tmp_path, photonic_file, case, mutate, pattern):
    doc = _system_doc("pho.yaml")
    mutate(doc)
    p = _write(tmp_path, doc, "sys.yaml")
    with pytest.raises(ConfigError, match=pattern) as ei:
        read_system(p)
    assert str(ei.value).startswith(f"{p.resolve()}: ") or str(ei.value).startswith(f"{p}: ")


def test_unknown_system_name():
    with pytest.raises(ConfigError, match="unknown system"):
        load_system("h100+nothing-like-this")


def test_gpu_only_library_systems_load():
    for name in ("h100", "a100"):
        s = load_system(name)
        assert len(s.units) == 1 and next(iter(s.units.values())).kind == "gpu"
    assert {"h100", "a100", "h100+ddot-b-4bit", "h100+ptu-lightcode", "a100+mrr-bank"} <= set(list_systems())


def test_every_library_system_loads():
    """Every shipped system loads (a shipped system that fails to load is a bug, not a skip) and its memories
    and links carry sources."""
    for name in list_systems():
        s = load_system(name)
        assert s.units and next(iter(s.units.values())).kind != "photonic", name
        spec = read_system(name)
        for mem in spec.memories.values():
            assert all(len(v.source.strip()) >= 12 for v in mem.values()), name


# --- CLI -------------------------------------------------------------------------------------------------
def test_cli_validate(run_cli, tmp_path):
    code, out, _ = run_cli("hardware", "validate", str(H100))
    assert code == 0 and out.startswith("ok: unit h100-sxm")
    bad = _write(tmp_path, _mutate(lambda d: d["params"]["tdp"].update(value="700")))
    code, out, err = run_cli("hardware", "validate", str(bad))
    assert code == 2 and err.startswith(f"error: {bad}: params.tdp:")


def test_cli_show_json_has_every_source(run_cli):
    code, out, _ = run_cli("hardware", "show", "a100-sxm-80gb", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["family"] == "gpu" and d["params"]["peak_flops_fp16"]["value"] == 312e12
    assert all(p["source"] for p in d["params"].values())
    code, out, _ = run_cli("hardware", "show", "h100", "--json")
    assert code == 0 and json.loads(out)["units"]["h100-sxm"]["family"] == "gpu"


def test_cli_list_and_cost(run_cli):
    code, out, _ = run_cli("hardware", "list", "--json")
    assert code == 0 and "h100-sxm" in [u["name"] for u in json.loads(out)["units"]]
    code, out, _ = run_cli("hardware", "cost", "h100-sxm", "--gemm", "128,4096,4096", "--json")
    d = json.loads(out)
    assert code == 0 and {"latency_s", "energy_j", "energy_breakdown_j"} <= set(d)
    assert d["energy_j"] == pytest.approx(sum(d["energy_breakdown_j"].values()))
    code, _, err = run_cli("hardware", "cost", "h100-sxm", "--gemm", "128,4096")
    assert code == 2 and "--gemm" in err
    code, _, err = run_cli("hardware", "show", "nonexistent-unit")
    assert code == 2 and err.startswith("error: nonexistent-unit")


def test_load_unit_returns_unit_model():
    from lightcode.core.devices import UnitModel

    u = load_unit("a100-sxm-80gb")
    assert isinstance(u, UnitModel) and u.kind == "gpu" and u.static_power_w == read_unit("a100-sxm-80gb").si()["idle_power"]
    assert load_unit("a100-sxm-80gb") is u
