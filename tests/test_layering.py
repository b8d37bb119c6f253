"""The import graph of the package, derived from the source: every import points down the layering and
no two modules import each other (directly or through a cycle). Lazy imports inside functions count too:
they are still dependencies, only deferred for start-up time."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PKG = Path(__file__).resolve().parents[1] / "src" / "lightcode"

# bottom → top. A module may import its own package and any package listed before it.
LAYERS: tuple[str, ...] = (
    "errors", "core", "photonics", "cost", "hardware", "frontend", "stack", "sim", "select", "report",
    "kvselect", "numerics", "pipeline", "experiments", "cli", "__init__", "__main__",
)


def _package_of(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    mod = _module_name(path)
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            name = node.module or ""
            if node.level:
                base = mod.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                name = ".".join(base + ([name] if name else []))
            if name.startswith("lightcode"):
                out.add(name)
                for a in node.names:  # `from lightcode.x import y` where y is a module
                    out.add(f"{name}.{a.name}")
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("lightcode"))
    return out


def _graph() -> tuple[nx.DiGraph, list[tuple[str, str, str]]]:
    files = {_module_name(p): p for p in PKG.rglob("*.py")}
    g = nx.DiGraph()
    upward = []
    for mod, path in files.items():
        g.add_node(mod)
        src_pkg = _package_of(path)
        for imp in _imports(path):
            target = imp
            while target not in files and "." in target:
                target = target.rsplit(".", 1)[0]
            if target not in files or target == mod:
                continue
            g.add_edge(mod, target)
            dst_pkg = _package_of(files[target])
            if target == "lightcode":
                dst_pkg = "__init__"
            if src_pkg != dst_pkg and LAYERS.index(dst_pkg) > LAYERS.index(src_pkg):
                upward.append((mod, target, f"{src_pkg} -> {dst_pkg}"))
    return g, upward


def test_every_package_has_a_layer():
    pkgs = {_package_of(p) for p in PKG.rglob("*.py")}
    assert pkgs <= set(LAYERS), f"packages without a layer: {sorted(pkgs - set(LAYERS))}"


def test_no_upward_import():
    _, upward = _graph()
    assert not upward, "upward imports:\n" + "\n".join(f"{a} imports {b} ({why})" for a, b, why in upward)


def test_no_import_cycle():
    g, _ = _graph()
    # a package's __init__ re-exporting its own submodules is not a cycle between modules
    h = nx.DiGraph((a, b) for a, b in g.edges if not (b.startswith(a + ".") or a.startswith(b + ".")))
    cycles = list(nx.simple_cycles(h))
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c + [c[0]]) for c in cycles[:10])


def test_layer_test_detects_an_upward_import(tmp_path, monkeypatch):
    """The check itself can fail: a fake core module importing the pipeline is reported."""
    fake = tmp_path / "lightcode"
    (fake / "core").mkdir(parents=True)
    (fake / "pipeline").mkdir()
    (fake / "core" / "bad.py").write_text("from lightcode.pipeline.x import y\n")
    (fake / "pipeline" / "x.py").write_text("y = 1\n")
    monkeypatch.setattr(__import__(__name__), "PKG", fake)
    _, upward = _graph()
    assert upward and upward[0][2] == "core -> pipeline"
