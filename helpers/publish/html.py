"""HTML of the annex and of the analysis sections below it. Everything that came from a data file
is HTML-escaped. The style sheet is emitted once, with the annex head (:func:`render_annex`);
every section below it uses the same classes."""

from __future__ import annotations

import base64
import html

import pandas as pd

from helpers.compute.rules import STATUS_MET, STATUS_NOT_MET
from helpers.publish.annex_table import Annex, note_text, result_text, target_text
from helpers.reference import nfc

STYLE = """
<style>
.annex{font-family:"DejaVu Serif","Times New Roman",serif;font-size:13pt;color:#000;max-width:60em}
.annex .head{display:flex;justify-content:space-between;flex-wrap:wrap;gap:1em;margin-bottom:1em}
.annex .body-name{font-weight:bold;text-align:center}
.annex h1{font-size:14pt;text-align:center;margin:.8em 0 .2em}
.annex .attachment{text-align:center;font-style:italic;margin:0 0 1em}
.annex h2{font-size:13pt;margin:1.4em 0 .4em}
.annex table{border-collapse:collapse;width:100%;margin-bottom:.6em;table-layout:auto}
.annex th,.annex td{border:1px solid #000;padding:.25em .4em;vertical-align:top;text-align:left!important}
.annex table.main th:nth-child(1){width:5%}.annex table.main th:nth-child(2){width:47%}
.annex table.main th:nth-child(3){width:15%}.annex table.main th:nth-child(4){width:12%}
.annex th{background:#f0f0f0;text-align:center}
.annex thead{display:table-header-group}
.annex tr{page-break-inside:avoid;break-inside:avoid}
.annex td.num{text-align:right!important;white-space:nowrap}
.annex td.c{text-align:center!important}
.annex th{text-align:center!important}
.annex tr.group td{font-weight:bold}
.annex tr.italic td.label{font-style:italic}
.annex sup.fn{font-size:.75em;white-space:nowrap}
.annex .st-ok{color:#1a5e20}
.annex .st-bad{color:#a00000}
.annex .footnotes{font-size:11pt}
.annex .small{font-size:11pt}
.annex .scroll{overflow-x:auto}
.annex .head .body-name{border-bottom:1px solid #000;padding-bottom:.15em}
.annex h1{font-weight:bold}
.annex tbody tr,.annex tbody tr:nth-child(odd),.annex tbody tr:nth-child(even){background:#fff!important}
.annex table.small td{overflow-wrap:anywhere}
.annex table.matrix{font-size:9pt}
.annex table.matrix th{font-size:8pt;font-weight:normal}
.annex table.matrix td.below{font-weight:bold;
 background:repeating-linear-gradient(45deg,#fff,#fff 3px,#e6e6e6 3px,#e6e6e6 5px)!important}
.annex .charts{display:flex;flex-wrap:wrap;gap:.6em 2%}
.annex figure.chart{margin:0 0 .6em;width:32%;break-inside:avoid;page-break-inside:avoid}
.annex figure.chart img{width:100%;height:auto;display:block}
.annex p.draft{text-align:justify;text-indent:2em;margin:.3em 0;line-height:1.45}
.annex .intro{font-style:italic;font-size:11pt}
.annex .working{border:1px solid #000;padding:.3em .6em;font-size:11pt;margin-bottom:1em}
@page{size:A4;margin:15mm 12mm 16mm 18mm;
 @bottom-center{content:"Trang " counter(page) "/" counter(pages);font-family:"DejaVu Serif",serif;font-size:9pt}}
@media print{
 .jp-OutputArea-child{break-inside:auto!important;page-break-inside:auto!important}
 .annex{max-width:none;font-size:11pt}
 .annex h1{font-size:12pt;margin-top:.3em}
 .annex .head{margin-bottom:.4em}
 .annex .attachment{margin-bottom:.5em}
 .annex table.main{table-layout:fixed}
 .annex table.main th{font-size:9pt;font-weight:bold;padding:.2em .45em;line-height:1.15}
 .annex table.main td{padding:.12em .45em;line-height:1.2}
 .annex table.main th:nth-child(2){width:47%}.annex table.main th:nth-child(3){width:15%}
 .annex table.main th:nth-child(4){width:12%}.annex table.main th:nth-child(5){width:21%}
 .annex tbody.group-block{break-inside:avoid}
 .annex .footnotes{font-size:9.5pt}
 .annex .scroll{overflow:visible}
 .annex h1,.annex h2{break-after:avoid;page-break-after:avoid}
 .annex .st-ok,.annex .st-bad{color:#000}
 .annex figure.chart{width:32%}
}
</style>
"""


def esc(value: object) -> str:
    """HTML-escape any value for display (None/NA → empty)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(nfc(str(value)), quote=True)


def issuing_body_html(entity) -> str:
    """The heading top left: the issuing body, one line per line of the entity file (a Sở under
    its UBND)."""
    lines = "<br>".join(esc(line) for line in entity.issuing_body.splitlines())
    return f'<div class="head"><div class="body-name">{lines}</div></div>'


def _status_class(text: str) -> str:
    if text == STATUS_MET:
        return "st-ok"
    if text == STATUS_NOT_MET:
        return "st-bad"
    return ""


def render_annex_table(rows: pd.DataFrame, annex: Annex) -> str:
    """HTML of one annex table (rows of :attr:`Annex.table`). Each indicator row carries its id
    (``data-indicator``): the key of ``reference/indicators.csv`` that says how it is computed."""
    cols = annex.ctx.ref.wording["columns"]
    out = ['<div class="scroll"><table class="main">', "<thead><tr>"]
    for text in (cols["tt"], cols["label"], annex.target_header, cols["result"], cols["note"]):
        out.append(f"<th>{esc(text)}</th>")
    out.append("</tr></thead><tbody class=\"group-block\">")
    for i, row in enumerate(rows.itertuples(index=False)):
        if row.row_kind == "group" and i:
            out.append('</tbody><tbody class="group-block">')   # a page breaks between groups only
        # each footnote mark in an element of its own, "(1)", apart from the label's last word
        marks = "".join(f' <sup class="fn">({m})</sup>' for m in row.marks)
        klass = "group" if row.row_kind == "group" else row.style
        result = result_text(row)
        note = note_text(row, annex.ctx)
        # numbers stay on one line, right-aligned; words (Đạt, Không áp dụng) may wrap
        result_class = ("c " if row.shown_status or row.row_kind == "group" else "num ") + _status_class(result)
        indicator = f' data-indicator="{esc(row.indicator_id)}"' if row.indicator_id else ""
        out.append(
            f'<tr class="{klass}"{indicator}><td class="c">{esc(row.tt)}</td>'
            f'<td class="label">{esc(row.label)}{marks}</td>'
            f'<td class="num">{esc(target_text(row))}</td>'
            f'<td class="{result_class}">{esc(result)}</td>'
            f'<td class="{_status_class(note)}">{esc(note)}</td></tr>'
        )
    out.append("</tbody></table></div>")
    return "".join(out)


def render_annex(annex: Annex) -> str:
    """The head of the annex: issuing body, title, attachment line, main and extra tables, notes;
    with the style sheet of every section."""
    entity, wording, year = annex.ctx.entity, annex.ctx.ref.wording, annex.ctx.year
    parts = [
        STYLE, '<div class="annex">',
        issuing_body_html(entity),
        f"<h1>{esc(entity.title)}</h1>",
        f'<p class="attachment">{esc(entity.attachment_line(year))}</p>',
        render_annex_table(annex.main, annex),
        f'<h2>{esc(wording["sections"]["extra"])}</h2>',
        render_annex_table(annex.extra, annex),
        '<div class="footnotes"><p><b>Ghi chú:</b></p><ol>',
        *[f"<li>{esc(text)}</li>" for text in annex.footnotes],
        "</ol>",
        *[f"<p>{esc(line)}</p>" for line in annex.closing_notes()],
        "</div></div>",
    ]
    return "".join(parts)


def render_table(frame: pd.DataFrame, headers: dict[str, str], numeric: tuple[str, ...] = (),
                 below_status: str | None = None) -> str:
    """A plain bordered table of ``frame``'s columns named in ``headers`` (all cells escaped); a row
    whose ``status`` is ``below_status`` gets the class ``below`` (bold where the page says so)."""
    out = ['<div class="scroll"><table class="small"><thead><tr>']
    out += [f"<th>{esc(label)}</th>" for label in headers.values()]
    out.append("</tr></thead><tbody>")
    for record in frame.to_dict("records"):
        below = below_status is not None and record.get("status") == below_status
        out.append('<tr class="below">' if below else "<tr>")
        for column in headers:
            klass = ' class="num"' if column in numeric else ""
            out.append(f"<td{klass}>{esc(record.get(column))}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def render_section(title: str, body: str) -> str:
    """A titled section below the table (styled by the sheet :func:`render_annex` emits)."""
    return f'<div class="annex"><h2>{esc(title)}</h2>{body}</div>'


def image_tag(image: bytes, mime: str, alt: str) -> str:
    """An ``<img>`` carrying the image inline (``data:`` URI of type ``mime``, e.g. ``image/svg+xml``)
    and an escaped alt text."""
    data = base64.b64encode(image).decode("ascii")
    return f'<img src="data:{mime};base64,{data}" alt="{esc(alt)}">'


def render_charts_section(title: str, intro: str, charts: list, notes: list[str]) -> str:
    """The charts below the table: each chart (``.image``, ``.mime``, ``.alt``, see helpers.publish.charts.Chart)
    as an inline image, then a sentence for each indicator that has nothing to draw."""
    figures = [f'<figure class="chart">{image_tag(chart.image, chart.mime, chart.alt)}</figure>'
               for chart in charts]
    body = f'<p class="intro">{esc(intro)}</p><div class="charts">' + "".join(figures) + "</div>"
    body += "".join(f'<p class="small">{esc(note)}</p>' for note in notes)
    return render_section(title, body)


def render_narrative_section(title: str, intro: str, paragraphs: list[str], notes: list[str]) -> str:
    """The draft sentences for the report ("Nội dung gợi ý cho báo cáo"), each paragraph as a
    dash item like the report's section 2a), then notes for whoever edits them."""
    body = f'<p class="intro">{esc(intro)}</p>'
    body += "".join(f'<p class="draft">- {esc(text)}</p>' for text in paragraphs)
    body += "".join(f'<p class="small"><i>{esc(note)}</i></p>' for note in notes)
    return render_section(title, body)


def render_analysis_head(ctx) -> str:
    """The head of the analysis report (the analyst's document, not the annex to sign), with the
    style sheet of every section below it."""
    words = ctx.ref.wording["analysis"]
    entity = ctx.entity
    return "".join([
        STYLE, "<style>@page{size:A4 landscape}</style>",   # the analyst's document: wide tables, charts side by side
        '<div class="annex">',
        issuing_body_html(entity),
        f"<h1>{esc(words['title'].format(year=ctx.year))}</h1>",
        f'<p class="attachment">{esc(words["subtitle"].format(entity=entity.name, year=ctx.year))}</p>',
        f'<p class="working">{esc(words["working"])}</p></div>',
    ])


def render_caveats(annex: Annex) -> str:
    """What the analyst must check before the annex is signed: unverified targets and thresholds,
    values outside their plausible range (each with its indicator)."""
    words = annex.ctx.ref.wording["analysis"]
    if annex.caveats.empty:
        return render_section(words["caveats"], f'<p class="small">{esc(words["no_caveats"])}</p>')
    items = "".join(f"<li><b>{esc(c.indicator_id)}</b> {esc(c.label)}: {esc(c.text)}</li>"
                    for c in annex.caveats.itertuples(index=False))
    return render_section(words["caveats"], f'<p class="intro">{esc(words["caveats_intro"])}</p><ul>{items}</ul>')


def render_matrix(matrix: pd.DataFrame, ctx) -> str:
    """The per-commune matrix (communes as rows, indicators as columns); a cell below its target
    is hatched and bold. ``matrix`` comes from
    :func:`helpers.publish.commune_tables.commune_matrix`."""
    words = ctx.ref.wording["analysis"]
    columns = [c for c in matrix.columns if c not in ("unit_code", "unit")]
    out = [f'<div class="annex"><h2>{esc(ctx.ref.wording["levels"][ctx.entity.level]["matrix"])}</h2>',
           f'<p class="intro">{esc(words["matrix_intro"])}</p>',
           '<table class="matrix"><thead><tr>', f"<th>{esc(words['matrix_unit'])}</th>"]
    out += [f'<th data-indicator="{esc(c)}">{esc(c)}</th>' for c in columns]
    out.append("</tr></thead><tbody>")
    for record in matrix.attrs["cells"]:
        out.append(f"<tr><td>{esc(record['unit'])}</td>")
        for column in columns:
            text, below = record[column]
            out.append(f'<td class="num{" below" if below else ""}">{esc(text)}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    out.append(f'<p class="small">{esc(words["matrix_legend"])}</p></div>')
    return "".join(out)
