"""Device authoring (issue 16 item 8): `hardware family` / `new` from the families' own declarations, the
user search path LIGHTCODE_HARDWARE_PATH, systems inheriting from a base, the missing-corner warning and
`hardware validate --json`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from lightcode.cost.families import FAMILIES
from lightcode.errors import ConfigError
from lightcode.hardware.family_doc import family_names, template
from lightcode.hardware.load import SYSTEMS_DIR, list_systems, list_units, load_system, read_system, read_unit

ENV = "LIGHTCODE_HARDWARE_PATH"


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    """No user path from the caller's shell; the warn-once memory starts empty."""
    from lightcode.core import warn
    from lightcode.hardware.load import clear_caches

    clear_caches()  # a system cached by an earlier test would not re-read its units (nor warn)
    monkeypatch.delenv(ENV, raising=False)
    warn.reset()
    yield
    warn.reset()


def _user_dir(tmp_path: Path, monkeypatch, *dirs: Path) -> Path:
    root = tmp_path / "hw"
    (root / "units").mkdir(parents=True, exist_ok=True)
    (root / "systems").mkdir(exist_ok=True)
    import os

    monkeypatch.setenv(ENV, os.pathsep.join(str(d) for d in (root, *dirs)))
    return root


def _my_unit(root: Path, family: str = "ddot", name: str = "my-ddot", **params) -> Path:
    text = template(family, name)
    p = root / "units" / f"{name}.yaml"
    p.write_text(text)
    if params:
        doc = yaml.safe_load(text)
        for k, v in params.items():
            doc["params"][k] = {"value": v, "source": "test"}
        p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p


# --- hardware family ------------------------------------------------------------------------------------
def test_family_lists_exactly_the_declared_parameters(run_cli):
    assert set(family_names()) >= {"gpu", "ddot", "mrr-bank", "mzi-mesh", "pcm-crossbar", "ptu-lightcode", "tfln-mrr"}
    for fam in family_names():
        code, out, err = run_cli("hardware", "family", fam, "--json")
        assert code == 0, err
        info = json.loads(out)
        declared = FAMILIES[fam].params
        assert [p["name"] for p in info["params"]] == [s.name for s in declared]  # one source: the ParamSpecs
        assert [p["meaning"] for p in info["params"]] == [s.doc for s in declared]
        assert all(p["meaning"] for p in info["params"]), f"{fam}: a parameter without a meaning"
        if info["reference_unit"] is None:  # a family no unit uses (a test's own): meanings, no values
            assert not info["units"] and all("corners" not in p for p in info["params"])
            continue
        ref = read_unit(info["reference_unit"])
        for p in info["params"]:
            base = p["corners"]["baseline"]
            if p["name"] not in ref.params:  # an optional parameter the reference leaves out (at baseline)
                assert not p["required"] and base is None
                continue
            assert base["value"] == ref.params[p["name"]].value and base["source"]
            for c in ("conservative", "aggressive"):  # a corner the file lacks is shown as absent, not invented
                assert (p["corners"][c] is None) == (c not in ref.corners)


def test_family_corner_values_differ_where_the_file_says(run_cli):
    code, out, _ = run_cli("hardware", "family", "mrr-bank", "--from", "mrr-bank", "--json")
    info = json.loads(out)
    doc = yaml.safe_load(Path(read_unit("mrr-bank").path).read_text())
    for corner, block in doc["corners"].items():
        for name in block:
            row = next(p for p in info["params"] if p["name"] == name)
            assert row["corners"][corner]["corner"] == corner
            assert row["corners"][corner]["value"] == read_unit("mrr-bank", corner).params[name].value


def test_family_table_and_list(run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich folds cells to the terminal's width
    code, out, _ = run_cli("hardware", "family", "gpu")
    assert code == 0 and "peak_flops_fp16" in out and "FLOP/s" in out and "h100-sxm" in out
    code, out, _ = run_cli("hardware", "family", "--json")
    rows = {r["family"]: r for r in json.loads(out)["families"]}
    assert "h100-sxm" in rows["gpu"]["units"] and rows["ddot"]["parameters"] == len(FAMILIES["ddot"].params)


# --- hardware new ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("family", ["gpu", "ddot", "mrr-bank", "mzi-mesh", "pcm-crossbar", "ptu-lightcode", "tfln-mrr"])
def test_new_template_validates_and_names_every_parameter(family, run_cli, tmp_path):
    out = tmp_path / f"my-{family}.yaml"
    code, _, err = run_cli("hardware", "new", "--family", family, "--name", f"my-{family}", "--out", str(out))
    assert code == 0, err
    text = out.read_text()
    for s in FAMILIES[family].params:  # every parameter appears, with its meaning as a comment
        assert f"{s.name}:" in text and s.doc in text
    code, js, err = run_cli("hardware", "validate", str(out), "--json")
    assert code == 0, err
    v = json.loads(js)
    assert v["ok"] and v["kind"] == "unit" and v["name"] == f"my-{family}" and v["family"] == family
    ref = read_unit(template_ref(text))
    assert read_unit(out).si() == ref.si()  # the template's values are its reference unit's


def template_ref(text: str) -> str:
    return yaml.safe_load(text)["description"].split(":")[0].removeprefix("based on ")


def test_new_prints_to_stdout_and_refuses_to_overwrite(run_cli, tmp_path):
    code, out, _ = run_cli("hardware", "new", "--family", "gpu")
    assert code == 0 and yaml.safe_load(out)["family"] == "gpu"
    p = tmp_path / "u.yaml"
    p.write_text("keep me")
    code, _, err = run_cli("hardware", "new", "--family", "gpu", "--out", str(p))
    assert code == 2 and err.startswith("error: --out") and p.read_text() == "keep me"


# --- the search path ------------------------------------------------------------------------------------
def test_user_units_and_systems_are_listed_and_resolve_by_name(tmp_path, monkeypatch, run_cli):
    root = _user_dir(tmp_path, monkeypatch)
    _my_unit(root, tiles=8)
    (root / "systems" / "h100+my-ddot.yaml").write_text(
        "name: h100+my-ddot\nbase: h100+ddot-b-4bit\nunits: [h100-sxm, my-ddot]\nlinks:\n"
        "  - between: [h100-sxm, my-ddot]\n    bandwidth: {value: 450 GB/s, source: test}\n"
        "    latency: {value: 100 ns, source: test}\n    energy: {value: 1.3 pJ/bit, source: test}\n")
    assert "my-ddot" in list_units() and "h100+my-ddot" in list_systems()
    code, out, _ = run_cli("hardware", "list", "--json")
    d = json.loads(out)
    mine = {u["name"]: u for u in d["units"]}["my-ddot"]
    assert mine["origin"] == str(root.resolve()) and mine["error"] is None
    assert {s["name"]: s for s in d["systems"]}["h100+my-ddot"]["error"] is None
    assert read_unit("my-ddot").params["tiles"].value == 8
    sysm = load_system("h100+my-ddot")
    assert list(sysm.units) == ["h100-sxm", "my-ddot"]
    # the sweep spec and the override machinery (sweep, sensitivity) resolve it by name too
    from lightcode.experiments.spec import parse_spec
    from lightcode.hardware.overrides import check_overrides, system_with_overrides

    parse_spec({"models": ["gpt2"], "systems": ["h100+my-ddot"], "seq_lens": [8]})
    check_overrides("h100+my-ddot", {"my-ddot.tiles": 2})
    assert read_system(system_with_overrides("h100+my-ddot", {"my-ddot.tiles": 2})).units[1].params["tiles"].value == 2


def test_compile_by_name_from_the_search_path(tmp_path, monkeypatch, run_cli):
    root = _user_dir(tmp_path, monkeypatch)
    (root / "systems" / "my-h100.yaml").write_text("name: my-h100\nbase: h100\ndescription: a renamed h100\n")
    code, out, err = run_cli("compile", "gpt2", "--seq-len", "8", "--system", "my-h100", "--objective", "latency",
                             "--no-heuristics", "--json")
    assert code == 0, err
    mine = json.loads(out)
    code, out, _ = run_cli("compile", "gpt2", "--seq-len", "8", "--system", "h100", "--objective", "latency",
                           "--no-heuristics", "--json")
    lib = json.loads(out)
    assert mine["system"] == "my-h100" and mine["result"]["latency_s"] == lib["result"]["latency_s"]


def test_user_file_shadowing_a_library_one_wins_and_warns_once(tmp_path, monkeypatch):
    root = _user_dir(tmp_path, monkeypatch)
    doc = yaml.safe_load((SYSTEMS_DIR / "h100.yaml").read_text())
    doc["description"] = "mine"
    (root / "systems" / "h100.yaml").write_text(yaml.safe_dump(doc))
    with pytest.warns(UserWarning, match="hides") as rec:
        assert read_system("h100").description == "mine"
        list_systems()
    assert len([w for w in rec if "hides" in str(w.message)]) == 1


def test_malformed_user_yaml_is_a_row_in_list_and_one_line_when_used(tmp_path, monkeypatch, run_cli):
    root = _user_dir(tmp_path, monkeypatch)
    (root / "units" / "broken.yaml").write_text("name: broken\nparams: {a: [1, 2\n")
    code, out, _ = run_cli("hardware", "list", "--json")
    assert code == 0
    row = {u["name"]: u for u in json.loads(out)["units"]}["broken"]
    assert "malformed YAML" in row["error"]
    code, _, err = run_cli("hardware", "show", "broken")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "malformed YAML" in err


def test_missing_search_path_directory_is_one_line(tmp_path, monkeypatch, run_cli):
    monkeypatch.setenv(ENV, str(tmp_path / "nowhere"))
    code, _, err = run_cli("hardware", "list")
    assert code == 2 and err.startswith(f"error: {ENV}:") and "no such directory" in err
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv(ENV, str(tmp_path / "empty"))
    code, _, err = run_cli("hardware", "list")
    assert code == 2 and "neither units/ nor systems/" in err


# --- inheritance ----------------------------------------------------------------------------------------
def _derived(tmp_path: Path, body: str, name: str = "d") -> Path:
    p = tmp_path / f"{name}.yaml"
    p.write_text(f"name: {name}\n" + body)
    return p


def test_base_memories_merge_field_by_field_and_null_removes(tmp_path):
    base = read_system("h100+ddot-b-4bit")
    p = _derived(tmp_path, "base: h100+ddot-b-4bit\nmemories:\n  sram:\n    capacity: {value: 4 MB, source: test}\n")
    d = read_system(p)
    assert d.memories["sram"]["capacity"].value == 4e6
    assert d.memories["sram"]["read_energy"].value == base.memories["sram"]["read_energy"].value  # kept
    assert d.memories["hbm"] == base.memories["hbm"] and d.links == base.links and d.placement == base.placement
    assert d.description.startswith("based on h100+ddot-b-4bit")
    # removing the buffer memory the crossing names is an error about the crossing, in the derived file
    p = _derived(tmp_path, "base: h100+ddot-b-4bit\nmemories: {sram: null}\n", "e")
    with pytest.raises(ConfigError, match=r"e\.yaml: crossing\.buffer_memory"):
        read_system(p)


def test_base_links_by_pair_and_dropped_with_their_unit(tmp_path):
    p = _derived(tmp_path, "base: h100+ddot-b-4bit\nlinks:\n  - between: [ddot-b-4bit, h100-sxm]\n"
                 "    bandwidth: {value: 900 GB/s, source: test}\n")
    d = read_system(p)
    assert len(d.links) == 1 and d.links[0][1]["bandwidth"].value == 900e9
    assert d.links[0][1]["energy"].value == read_system("h100+ddot-b-4bit").links[0][1]["energy"].value
    # swapping the photonic unit drops the old unit's link: the new one must be linked (the usual error)
    p = _derived(tmp_path, "base: h100+ddot-b-4bit\nunits: [h100-sxm, ddot-b-8bit]\n", "swap")
    with pytest.raises(ConfigError, match="'ddot-b-8bit' has no link to the host"):
        read_system(p)


def test_base_chain_cycle_and_relative_units(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    h100 = Path(read_unit("h100-sxm").path)
    (sub / "gpu.yaml").write_text(h100.read_text().replace("name: h100-sxm", "name: gpu"))
    (sub / "b.yaml").write_text("name: b\nunits: [gpu.yaml]\n")  # a unit path relative to the base
    p = _derived(tmp_path, "base: sub/b.yaml\n", "c")
    assert read_system(p).units[0].name == "gpu"
    q = _derived(tmp_path, "base: c.yaml\ncorner: aggressive\n", "c2")
    assert read_system(q).corner == "aggressive" and read_system(q).units[0].name == "gpu"
    (tmp_path / "x.yaml").write_text("name: x\nbase: y.yaml\n")
    (tmp_path / "y.yaml").write_text("name: y\nbase: x.yaml\n")
    with pytest.raises(ConfigError, match="inheritance cycle"):
        read_system(tmp_path / "x.yaml")
    with pytest.raises(ConfigError, match="base: .*unknown system"):
        read_system(_derived(tmp_path, "base: no-such-system\n", "z"))


def test_editing_a_base_takes_effect(tmp_path):
    import os

    b = tmp_path / "b.yaml"
    doc = yaml.safe_load((SYSTEMS_DIR / "h100+ddot-b-4bit.yaml").read_text())
    doc["name"] = "b"
    b.write_text(yaml.safe_dump(doc))
    d = _derived(tmp_path, "base: b.yaml\n")
    assert read_system(d).links[0][1]["latency"].value == pytest.approx(100e-9)
    doc["links"][0]["latency"]["value"] = "200 ns"
    b.write_text(yaml.safe_dump(doc))
    os.utime(b, ns=(b.stat().st_atime_ns, b.stat().st_mtime_ns + 10**9))
    assert read_system(d).links[0][1]["latency"].value == pytest.approx(200e-9)


def test_overrides_on_a_derived_system(tmp_path):
    from lightcode.hardware.overrides import system_with_overrides

    p = _derived(tmp_path, "base: h100+ddot-b-4bit\nmemories:\n  sram:\n    capacity: {value: 4 MB, source: test}\n")
    o = read_system(system_with_overrides(str(p), {"ddot-b-4bit.tiles": 2}))
    assert o.units[1].params["tiles"].value == 2 and o.memories["sram"]["capacity"].value == 4e6


# --- corners, validate ----------------------------------------------------------------------------------
def test_missing_corner_warns_once(run_cli):
    code, _, err = run_cli("hardware", "cost", "h100", "--gemm", "8,64,64", "--corner", "aggressive")
    assert code == 0
    lines = [ln for ln in err.splitlines() if ln.startswith("warning:")]
    assert len(lines) == 1 and "h100-sxm" in lines[0] and "'aggressive'" in lines[0] and "baseline" in lines[0]
    code, _, err = run_cli("hardware", "cost", "h100", "--gemm", "8,64,64", "--corner", "aggressive")
    assert "warning:" not in err  # once per process
    with pytest.warns(UserWarning) as rec:  # a unit that has the corner says nothing
        read_unit("ddot-b-4bit", "aggressive")
        read_unit("a100-sxm-80gb", "conservative")
    assert [str(w.message).split()[1] for w in rec] == ["a100-sxm-80gb"]


def test_validate_json_system(run_cli, tmp_path):
    code, out, _ = run_cli("hardware", "validate", str(SYSTEMS_DIR / "h100+ddot-b-4bit.yaml"), "--json")
    v = json.loads(out)
    assert code == 0 and v["ok"] and v["units"] == ["h100-sxm", "ddot-b-4bit"] and v["bases"] == []
    assert v["corners_missing"] == {"h100-sxm": ["conservative", "aggressive"], "ddot-b-4bit": []}
    p = _derived(tmp_path, "base: h100+ddot-b-4bit\n")
    code, out, _ = run_cli("hardware", "validate", str(p), "--json")
    assert json.loads(out)["bases"] == [str(SYSTEMS_DIR / "h100+ddot-b-4bit.yaml")]
    code, out, err = run_cli("hardware", "validate", str(p))
    assert "based on h100+ddot-b-4bit" in out and "warning" not in err


@pytest.mark.parametrize("args,fragment", [
    (["hardware", "family", "nope"], "unknown family 'nope'"),
    (["hardware", "family", "ddott"], "did you mean ddot"),
    (["hardware", "family", "ddot", "--from", "h100-sxm"], "not 'ddot'"),
    (["hardware", "new", "--family", "nope"], "unknown family"),
    (["hardware", "new", "--family", "gpu", "--name", "Bad Name"], "--name"),
    (["hardware", "new", "--family", "gpu", "--out", "/proc/nope/u.yaml"], "--out"),
    (["hardware", "new", "--family", "gpu", "--out", "{tmp}"], "is a directory"),
    (["hardware", "validate", "{tmp}/missing.yaml", "--json"], "no such file"),
    (["hardware", "validate", "{tmp}/bad.yaml", "--json"], "malformed YAML"),
])
def test_authoring_bad_inputs_one_line(args, fragment, run_cli, tmp_path):
    (tmp_path / "bad.yaml").write_text("name: [\n")
    code, out, err = run_cli(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], err
    assert "Traceback" not in err and not out


def test_nothing_cites_the_shared_reference_directory():
    root = Path(__file__).parents[1]
    hits = [str(p.relative_to(root)) for base in ("src", "tests", "benchmarks") for p in (root / base).rglob("*")
            if p.is_file() and p.suffix in (".py", ".yaml", ".yml", ".md") and p.name != Path(__file__).name
            and "shared/reference" in p.read_text(encoding="utf-8", errors="replace")]
    assert not [h for h in hits if not h.endswith("test_report_references.py")], hits
