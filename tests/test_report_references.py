"""Every citation of a reference note (`photonic_sims.md §1.5`, …) in the code, the YAML library and the tests
resolves inside the repository: docs/references/NAME.md exists and has a heading for the cited section."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFS = ROOT / "docs" / "references"
CITE = re.compile(r"\b([a-z_]+)\.md\s*§\s*(\d+(?:\.\d+)*)")
KNOWN = {p.stem for p in REFS.glob("*.md")} - {"README"}
CITED_NOTES = {"photonic_sims", "lightcode", "llm_perf_models", "prism", "offline_model"}


def _citations():
    for base in ("src", "tests", "benchmarks"):
        for p in (ROOT / base).rglob("*"):
            if p.suffix in (".py", ".yaml", ".yml", ".md") and p.is_file():
                for m in CITE.finditer(p.read_text(encoding="utf-8", errors="replace")):
                    if m.group(1) in KNOWN | CITED_NOTES:
                        yield p.relative_to(ROOT), m.group(1), m.group(2)


def _sections(name: str) -> set[str]:
    text = (REFS / f"{name}.md").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^#+\s*(\d+(?:\.\d+)*)[.\s]", text, re.M)}


def test_every_cited_reference_section_exists():
    cites = list(_citations())
    assert len(cites) > 100  # the YAML library cites its sources
    absent = sorted({n for _p, n, _s in cites if not (REFS / f"{n}.md").is_file()})
    assert not absent, f"cited reference notes missing from docs/references: {absent}"
    missing = sorted({(n, s) for _p, n, s in cites if s not in _sections(n)})
    assert not missing, f"citations without a section in docs/references: {missing}"


def test_docs_do_not_point_outside_the_repository():
    for p in [ROOT / "README.md", ROOT / "docs" / "DESIGN.md", *REFS.glob("*.md")]:
        text = p.read_text(encoding="utf-8")
        assert "shared/reference" not in text and "/work/" not in text, p
