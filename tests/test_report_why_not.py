"""report.html's "Why not chosen" section: the compile JSON's `why_not_chosen`, one table row per op kind and
other unit that can run its ops, each unit's own best costs as in the JSON, the kinds a unit cannot run listed,
and the caption saying these are the ops' own costs (the CLI's note)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from lightcode.core.si import si
from lightcode.report.why_not import NOTE, WHY_NOT_HEADER


class _Section(HTMLParser):
    """The paragraphs, table rows (cells) and list items between `<h2 id="why-not-chosen">` and the next h2."""

    def __init__(self):
        super().__init__()
        self.title, self.paras, self.rows, self.items, self.header = "", [], [], [], []
        self._state = "before"  # before | title | in | after
        self._cell: list[str] | None = None
        self._where = ""

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            if self._state == "before" and ("id", "why-not-chosen") in attrs:
                self._state = "title"
            elif self._state == "in":
                self._state = "after"
        if self._state != "in":
            return
        if tag in ("p", "li", "td", "th"):
            self._where, self._cell = tag, []
        elif tag == "tr":
            self.rows.append([])

    def handle_endtag(self, tag):
        if tag == "h2" and self._state == "title":
            self._state = "in"
        if self._state != "in" or self._cell is None or tag != self._where:
            return
        text = "".join(self._cell)
        if tag == "p":
            self.paras.append(text)
        elif tag == "li":
            self.items.append(text)
        elif tag == "th":
            self.header.append(text)
            self.rows[-1:] = [] if self.rows and not self.rows[-1] else self.rows[-1:]
        else:
            self.rows[-1].append(text)
        self._cell = None

    def handle_data(self, data):
        if self._state == "title":
            self.title += data
        elif self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    from lightcode.pipeline.compile import run_compile

    out = tmp_path_factory.mktemp("why") / "rep"
    res = run_compile("gpt2", system="h100+ddot-b-4bit", seq_len=8, objective="latency", heuristics=False,
                      out_dir=out)
    sec = _Section()
    sec.feed((out / "report.html").read_text(encoding="utf-8"))
    return res.to_json_dict()["why_not_chosen"], sec


def test_the_section_states_the_ops_own_costs_for_the_chosen_mapping(compiled):
    _, sec = compiled
    assert sec.title == "Why not chosen: the latency-optimal mapping"
    assert len(sec.paras) == 1 and NOTE in sec.paras[0] and "latency objective" in sec.paras[0]
    assert sec.header == WHY_NOT_HEADER


def test_every_unit_that_can_run_a_kind_has_its_row_with_the_json_costs(compiled):
    why, sec = compiled
    expected, cannot = [], {}
    for row in why["kinds"]:
        for a in row["alternatives"]:
            if a["cannot_run"] == row["ops"]:
                cannot.setdefault(a["unit"], []).append(row["kind"])
            else:
                expected.append((row, a))
    assert expected and len(sec.rows) == len(expected)
    kind = None
    for cells, (row, a) in zip(sec.rows, expected):
        assert len(cells) == len(WHY_NOT_HEADER)
        if row["kind"] != kind:  # the kind's chosen side is written on its first row
            assert cells[:2] == [row["kind"], str(row["ops"])]
            assert cells[3:5] == [si(row["chosen_latency_s"], "s"), si(row["chosen_energy_j"], "J")]
            assert all(u in cells[2] for u in row["chosen_units"])
        kind = row["kind"]
        assert cells[5] == a["unit"]
        if not a["cannot_run"]:
            assert cells[6:8] == [si(a["latency_s"], "s"), si(a["energy_j"], "J")]
            assert all(v in cells[8] for v in a["variants"])
    assert sec.items == [f"{u} cannot run: {', '.join(k)}" for u, k in cannot.items()]
    assert cannot  # the GPU-only kinds (embedding, norm, …) on the photonic unit: the list is exercised
