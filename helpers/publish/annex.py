"""The annex a reader receives: the table in the form of the province's template, and the
sections below it. Everything that came from a data file is HTML-escaped."""

from __future__ import annotations

import base64
import html
import io
import math
import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd
from babel.numbers import NumberFormatError, parse_decimal

from helpers.checks.problems import SEVERITY_LABELS, describe_problems
from helpers.compute.indicators import STATUS_MET, STATUS_MISSING, STATUS_NOT_APPLICABLE, STATUS_NOT_MET
from helpers.numbers import format_number, round_half_up
from helpers.paths import REFERENCE_DIR
from helpers.reference import Entity, nfc

ANNEX_COLUMNS = ["row_id", "row_kind", "style", "tt", "label", "target", "result", "note", "footnotes"]
MAIN_GROUPS = ("I", "II", "III", "IV")  # the seed's table; other groups go to the extra table

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
.annex table.main th:nth-child(1){width:6%}.annex table.main th:nth-child(2){width:44%}
.annex table.main th:nth-child(3){width:17%}.annex table.main th:nth-child(4){width:13%}
.annex th{background:#f0f0f0;text-align:center}
.annex thead{display:table-header-group}
.annex tr{page-break-inside:avoid;break-inside:avoid}
.annex td.num{text-align:right!important;white-space:nowrap}
.annex td.c{text-align:center!important}
.annex th{text-align:center!important}
.annex tr.group td{font-weight:bold}
.annex tr.italic td.label{font-style:italic}
.annex .st-ok{color:#1a5e20}
.annex .st-bad{color:#a00000}
.annex .footnotes{font-size:11pt}
.annex .small{font-size:11pt}
.annex .scroll{overflow-x:auto}
.annex .head .body-name{border-bottom:1px solid #000;padding-bottom:.15em}
.annex h1{font-weight:bold}
.annex tbody tr,.annex tbody tr:nth-child(odd),.annex tbody tr:nth-child(even){background:#fff!important}
.annex table.small td{overflow-wrap:anywhere}
.annex figure.chart{margin:0 0 1.2em;break-inside:avoid;page-break-inside:avoid}
.annex figure.chart img{width:100%;max-width:800px;height:auto;display:block}
.annex p.draft{text-align:justify;text-indent:2em;margin:.3em 0;line-height:1.45}
.annex .intro{font-style:italic;font-size:11pt}
@page{size:A4;margin:18mm 15mm 18mm 20mm}
@media print{
 .jp-OutputArea-child{break-inside:auto!important;page-break-inside:auto!important}
 .annex{max-width:none;font-size:12pt}
 .annex h1{font-size:13pt}
 .annex table.main{table-layout:fixed}
 .annex table.main th:nth-child(2){width:42%}.annex table.main th:nth-child(3){width:16%}
 .annex table.main th:nth-child(4){width:14%}.annex table.main th:nth-child(5){width:22%}
 .annex .scroll{overflow:visible}
 .annex h1,.annex h2{break-after:avoid;page-break-after:avoid}
 .annex .st-ok,.annex .st-bad{color:#000}
}
</style>
"""


def load_annex_wording(reference_dir: Path = REFERENCE_DIR) -> dict:
    """Wording of the annex (``reference/annex.toml``)."""
    return tomllib.loads(nfc((Path(reference_dir) / "annex.toml").read_text(encoding="utf-8")))


def esc(value: object) -> str:
    """HTML-escape any value for display (None/NA → empty)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(nfc(str(value)), quote=True)


def unverified_standards(standard: str, standards: pd.DataFrame, criteria: pd.DataFrame) -> list[str]:
    """Standards in the chain of ``standard`` (itself and its prerequisites) with unverified figures."""
    rules = standards.set_index("standard")
    chain, todo = [], [standard]
    while todo:
        current = todo.pop()
        if current in chain or current not in rules.index:
            continue
        chain.append(current)
        todo.extend(filter(None, (rules.loc[current, "requires"] or "").split("+")))
    bad = [s for s in chain if not rules.loc[s, "verified"]
           or not criteria.loc[criteria["standard"] == s, "verified"].all()]
    return sorted(bad, key=list(rules.index).index)


def build_annex_table(indicators: pd.DataFrame, catalogue: pd.DataFrame, groups: pd.DataFrame,
                      projection: pd.DataFrame, standards: pd.DataFrame, criteria: pd.DataFrame,
                      targets: pd.DataFrame, entity: Entity, wording: dict, *, year: int,
                      target_level: str, communes: pd.DataFrame) -> pd.DataFrame:
    """The annex rows (group headings and indicators) with formatted texts and footnote keys."""
    notes = wording["notes"]
    district = indicators[(indicators["unit_code"] == entity.code) & (indicators["year"] == year)]
    district = district.set_index("indicator_id")
    proj = projection.set_index("indicator_id") if len(projection) else projection
    names = communes.set_index("code")["full_name"]
    chosen = targets[(targets["level"] == target_level) & (targets["target_year"] == entity.target_year)]
    target_source = chosen.drop_duplicates("indicator_id").set_index("indicator_id")["source"]
    rows = []
    for group in groups.itertuples(index=False):
        members = catalogue[catalogue["group"] == group.group]
        if members.empty:
            continue
        if group.group in MAIN_GROUPS:
            rows.append({"row_id": group.group, "row_kind": "group", "style": "group", "tt": group.group,
                         "label": group.label, "target": "", "result": "", "note": "", "footnotes": []})
        for ind in members.to_dict("records"):
            d = district.loc[ind["id"]] if ind["id"] in district.index else None
            footnotes = []
            decimals = int(ind["decimals"])
            target = d["target"] if d is not None else pd.NA
            target_text = format_number(target, 0 if pd.isna(target) or float(target).is_integer() else 1)
            if d is not None and pd.notna(target) and not bool(d["target_verified"]):
                footnotes.append(("target", notes["unverified_target"].format(
                    source=target_source.get(ind["id"], ""))))
            status = d["status"] if d is not None else STATUS_MISSING
            note = ""
            if ind["kind"] == "standard":
                result = status
                bad = unverified_standards(ind["standard"], standards, criteria)
                if bad:
                    labels = standards.set_index("standard").loc[bad, "label"]
                    footnotes.append(("standard", notes["unverified_standard"].format(
                        standards="; ".join(labels))))
                if d is not None and status not in (STATUS_MET, STATUS_MISSING):
                    note = notes["standard_share"].format(met=int(d["numerator"]), total=int(d["denominator"]),
                                                          units_noun=entity.units_noun)
            elif status in (STATUS_NOT_APPLICABLE, STATUS_MISSING) or d is None or pd.isna(d["value"]):
                result = status
            else:
                result = format_number(d["value"], decimals)
                low, high = ind["plausible_min"], ind["plausible_max"]
                if pd.notna(high) and (d["value"] > high or d["value"] < low):
                    footnotes.append(("implausible", notes["implausible"].format(
                        low=format_number(low), high=format_number(high))))
                if ind["kind"] == "rate" and pd.notna(target):
                    if status == STATUS_MET:
                        note = notes["already_met"]
                    elif ind["id"] in getattr(proj, "index", []) and pd.notna(proj.loc[ind["id"], "projected"]):
                        p = proj.loc[ind["id"]]
                        verdict = notes["likely"] if p["likely"] else notes["unlikely"]
                        note = notes["projection"].format(verdict=verdict, target_year=entity.target_year,
                                                          value=format_number(p["projected"], decimals))
                    else:
                        note = notes["too_few_years"]
            if d is not None and d["missing_units"]:
                missing = [f"{names.get(c, c)} ({c})" for c in d["missing_units"].split(";")]
                footnotes.append(("missing", notes["missing_units"].format(units=", ".join(missing))))
            rows.append({"row_id": ind["id"], "row_kind": "indicator", "style": ind["style"],
                         "tt": ind["tt"], "label": ind["label"], "target": target_text,
                         "result": result, "note": note, "footnotes": footnotes})
    return pd.DataFrame(rows, columns=ANNEX_COLUMNS)


def number_footnotes(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Give each distinct footnote text a number; returns the table with ``marks`` and the list."""
    texts: list[str] = []
    marks = []
    for notes in table["footnotes"]:
        mine = []
        for _, text in notes:
            if text not in texts:
                texts.append(text)
            mine.append(texts.index(text) + 1)
        marks.append(mine)
    table = table.copy()
    table["marks"] = marks
    return table, texts


def _status_class(text: str) -> str:
    if text == STATUS_MET:
        return "st-ok"
    if text in ("Chưa đạt",):
        return "st-bad"
    return ""


def render_annex_table(table: pd.DataFrame, wording: dict, *, target_header: str) -> str:
    """HTML of one annex table (rows from :func:`build_annex_table` after numbering footnotes)."""
    cols = wording["columns"]
    out = ['<div class="scroll"><table class="main">', "<thead><tr>"]
    for text in (cols["tt"], cols["label"], target_header, cols["result"], cols["note"]):
        out.append(f"<th>{esc(text)}</th>")
    out.append("</tr></thead><tbody>")
    for row in table.itertuples(index=False):
        marks = "".join(f"<sup>{m}</sup>" for m in row.marks)
        klass = "group" if row.row_kind == "group" else row.style
        # numbers stay on one line, right-aligned; words (Đạt, Không áp dụng) may wrap
        is_number = any(ch.isdigit() for ch in str(row.result))
        result_class = ("num " if is_number else "c ") + _status_class(row.result)
        out.append(
            f'<tr class="{klass}"><td class="c">{esc(row.tt)}</td>'
            f'<td class="label">{esc(row.label)}{marks}</td>'
            f'<td class="num">{esc(row.target)}</td>'
            f'<td class="{result_class}">{esc(row.result)}</td>'
            f'<td class="{_status_class(row.note)}">{esc(row.note)}</td></tr>'
        )
    out.append("</tbody></table></div>")
    return "".join(out)


def render_annex(table: pd.DataFrame, entity: Entity, wording: dict, *, year: int, target_level: str,
                 projection_years: list[int]) -> str:
    """The head of the annex: issuing body, title, attachment line, main and extra tables, notes."""
    header = wording["target_column"][target_level].format(target_year=entity.target_year)
    numbered, footnotes = number_footnotes(table)
    is_extra = ~numbered["row_id"].str.split(".").str[0].isin(MAIN_GROUPS)
    method = wording["notes"]["projection_method"].format(
        target_year=entity.target_year, years=", ".join(str(y) for y in projection_years) or "—")
    ratio = wording["notes"]["ratio_rule"].format(units_noun=entity.units_noun)
    parts = [
        STYLE, '<div class="annex">',
        f'<div class="head"><div class="body-name">{esc(entity.issuing_body)}</div></div>',
        f"<h1>{esc(entity.title)}</h1>",
        f'<p class="attachment">{esc(entity.attachment_line(year))}</p>',
        render_annex_table(numbered[~is_extra], wording, target_header=header),
        f'<h2>{esc(wording["sections"]["extra"])}</h2>',
        render_annex_table(numbered[is_extra], wording, target_header=header),
        '<div class="footnotes"><p><b>Ghi chú:</b></p><ol>',
        *[f"<li>{esc(text)}</li>" for text in footnotes],
        "</ol>",
        f"<p>{esc(method)}</p><p>{esc(ratio)}</p></div></div>",
    ]
    return "".join(parts)


def parse_declared_number(text: object) -> Decimal | None:
    """A number as written in a declared table ("10,3" → 10.3); None for words or blanks."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return None
    try:
        return parse_decimal(str(text).strip(), locale="vi", strict=True)
    except (NumberFormatError, InvalidOperation):
        return None


def read_declared(path: Path) -> pd.DataFrame | None:
    """A hand-made annex table (indicator_id, target, result, note), or None if there is none."""
    path = Path(path)
    if not path.exists():
        return None
    lines = [ln for ln in nfc(path.read_text(encoding="utf-8-sig")).splitlines(keepends=True)
             if not ln.startswith("#")]
    return pd.read_csv(io.StringIO("".join(lines)), dtype=str, keep_default_na=False)


def reconcile_declared(declared: pd.DataFrame, indicators: pd.DataFrame, projection: pd.DataFrame,
                       catalogue: pd.DataFrame, *, year: int, district_code: str) -> pd.DataFrame:
    """Computed vs declared, row by row, with the reasons a declared figure cannot stand.

    Flags: (a) declared % differs from the recomputed one beyond rounding; (b) no whole number of
    units gives the declared share; (c) "Đạt" declared while the value is below target and the
    projection does not reach it; (d) value outside the plausibility range.
    """
    district = indicators[(indicators["unit_code"] == district_code) & (indicators["year"] == year)]
    district = district.set_index("indicator_id")
    cat = catalogue.set_index("id")
    proj = projection.set_index("indicator_id") if len(projection) else None
    rows = []
    for dec in declared.itertuples(index=False):
        if dec.indicator_id not in cat.index or dec.indicator_id not in district.index:
            continue
        ind, d = cat.loc[dec.indicator_id], district.loc[dec.indicator_id]
        decimals = int(ind["decimals"])
        flags = []
        if ind["kind"] == "standard":
            computed = d["status"]
            if dec.result and dec.result != computed:
                flags.append(f"Đã báo cáo “{dec.result}” nhưng tính lại là “{computed}”.")
        else:
            computed = format_number(d["value"], decimals) if pd.notna(d["value"]) else d["status"]
            declared_value = parse_declared_number(dec.result)
            if declared_value is not None and pd.notna(d["value"]):
                places = -declared_value.as_tuple().exponent if declared_value.as_tuple().exponent < 0 else 0
                recomputed = round_half_up(d["value"], places)
                if recomputed != declared_value:
                    flags.append(f"(a) Tỷ lệ đã báo cáo {format_number(declared_value, places)} % khác tỷ lệ "
                                 f"tính lại từ số liệu {format_number(d['value'], max(places, decimals))} %.")
                den = d["denominator"]
                if pd.notna(den) and 0 < den <= 1000:
                    n = int(den)
                    if not any(round_half_up(100 * k / n, places) == declared_value for k in range(n + 1)):
                        flags.append(f"(b) Không có số nguyên nào trong {n} đơn vị cho tỷ lệ "
                                     f"{format_number(declared_value, places)} %.")
            if dec.note == STATUS_MET and d["status"] == STATUS_NOT_MET:
                likely = proj is not None and dec.indicator_id in proj.index
                likely = likely and pd.notna(proj.loc[dec.indicator_id, "likely"]) \
                    and bool(proj.loc[dec.indicator_id, "likely"])
                if not likely:
                    flags.append("(c) Ghi “Đạt” trong khi kết quả thấp hơn mục tiêu và ước tính "
                                 "xu hướng chưa đạt mục tiêu.")
            if pd.notna(d["value"]) and pd.notna(ind["plausible_max"]) and (
                    d["value"] > ind["plausible_max"] or d["value"] < ind["plausible_min"]):
                flags.append(f"(d) Giá trị ngoài khoảng hợp lý ({format_number(ind['plausible_min'])}-"
                             f"{format_number(ind['plausible_max'])} %).")
        rows.append({"indicator_id": dec.indicator_id, "label": ind["label"],
                     "declared_target": dec.target, "declared_result": dec.result,
                     "declared_note": dec.note, "computed_result": computed,
                     "flags": " ".join(flags)})
    return pd.DataFrame(rows, columns=["indicator_id", "label", "declared_target", "declared_result",
                                       "declared_note", "computed_result", "flags"])


def render_table(frame: pd.DataFrame, headers: dict[str, str], numeric: tuple[str, ...] = ()) -> str:
    """A plain bordered table of ``frame``'s columns named in ``headers`` (all cells escaped)."""
    out = ['<div class="scroll"><table class="small"><thead><tr>']
    out += [f"<th>{esc(label)}</th>" for label in headers.values()]
    out.append("</tr></thead><tbody>")
    for record in frame.to_dict("records"):
        out.append("<tr>")
        for column in headers:
            klass = ' class="num"' if column in numeric else ""
            out.append(f"<td{klass}>{esc(record.get(column))}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def render_section(title: str, body: str) -> str:
    """A titled section below the table."""
    return f'{STYLE}<div class="annex"><h2>{esc(title)}</h2>{body}</div>'


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
    body = f'<p class="intro">{esc(intro)}</p>' + "".join(figures)
    body += "".join(f'<p class="small">{esc(note)}</p>' for note in notes)
    return render_section(title, body)


def render_narrative_section(title: str, intro: str, paragraphs: list[str], notes: list[str]) -> str:
    """The draft sentences for the report ("Nội dung gợi ý cho báo cáo"), each paragraph as a
    dash item like the report's section 2a), then notes for whoever edits them."""
    body = f'<p class="intro">{esc(intro)}</p>'
    body += "".join(f'<p class="draft">- {esc(text)}</p>' for text in paragraphs)
    body += "".join(f'<p class="small"><i>{esc(note)}</i></p>' for note in notes)
    return render_section(title, body)


def ranked_commune_rates(indicators: pd.DataFrame, catalogue: pd.DataFrame, communes: pd.DataFrame,
                         *, year: int) -> pd.DataFrame:
    """The commune rows of every rate indicator of ``year``: indicators in catalogue order, communes
    best first (missing values last)."""
    codes = set(communes["code"])
    rates = catalogue.loc[catalogue["kind"] == "rate", "id"].tolist()
    rows = indicators[(indicators["year"] == year) & indicators["indicator_id"].isin(rates)
                      & indicators["unit_code"].isin(codes)].copy()
    rows["order"] = rows["indicator_id"].map({k: i for i, k in enumerate(rates)})
    rows = rows.sort_values(["order", "value"], ascending=[True, False], na_position="last")
    return rows.drop(columns="order")


def commune_table(indicators: pd.DataFrame, catalogue: pd.DataFrame, communes: pd.DataFrame,
                  *, year: int) -> pd.DataFrame:
    """Per-commune counts behind each rate indicator, communes ranked by value, formatted."""
    names = communes.set_index("code")["full_name"]
    rates = catalogue[catalogue["kind"] == "rate"].set_index("id")
    rows = ranked_commune_rates(indicators, catalogue, communes, year=year)
    out = pd.DataFrame({
        "indicator": rows["indicator_id"] + " " + rows["indicator_id"].map(rates["label"]),
        "unit": rows["unit_code"].map(names) + " (" + rows["unit_code"] + ")",
        "numerator": rows["numerator"].map(lambda v: format_number(v, 0)),
        "denominator": rows["denominator"].map(lambda v: format_number(v, 0)),
        "value": [format_number(v, int(rates.loc[i, "decimals"])) if pd.notna(v) else ""
                  for i, v in zip(rows["indicator_id"], rows["value"], strict=True)],
        "status": rows["status"],
        "shortfall": [format_number(n, 0) if pd.notna(n) and n > 0 else ""
                      for n in shortfall_to_target(rows).tolist()],
    })
    return out.reset_index(drop=True)


def shortfall_to_target(rows: pd.DataFrame) -> pd.Series:
    """How many more people (or units) a commune needs to reach the target rate.

    The communes with a shortfall are the ones that pull the district below its target; the
    district's own shortfall is the sum of what it would take. NA where there is no target.
    """
    needed = (rows["target"] / 100 * rows["denominator"] - rows["numerator"]).astype("Float64")
    whole = needed.apply(lambda v: pd.NA if pd.isna(v) else max(0, math.ceil(round(float(v), 9))))
    # a rate that reaches the target once rounded as shown is "Đạt": nothing is missing
    return whole.astype("Int64").mask(rows["status"] == STATUS_MET, 0)


def problems_for_display(problems: pd.DataFrame) -> pd.DataFrame:
    """The data-quality list: errors, then warnings, then what was read and fixed (information),
    each with its Vietnamese severity and one readable place-and-reason sentence."""
    if problems.empty:
        return pd.DataFrame(columns=["severity", "text"])
    order = {severity: i for i, severity in enumerate(SEVERITY_LABELS)}
    ranked = problems.assign(_rank=problems["severity"].map(order)).sort_values("_rank", kind="stable")
    return pd.DataFrame({
        "severity": ranked["severity"].map(SEVERITY_LABELS),
        "text": describe_problems(ranked),
    }).reset_index(drop=True)
