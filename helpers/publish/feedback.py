"""A feedback sheet per commune: what was received from it, every problem found in its submission
(file, sheet, row, column, the value as typed), its indicators against the targets and the
entity's result, and what is missing; one page each where possible, ready to send back.

A problem belongs to a commune when it was found on one of its rows (``records.csv``), in a file
that holds only its rows, or names its code (a commune that sent nothing). Problems on rows whose
unit could not be told (an unknown code) stay with the office: they are listed in the analysis
report's quality section.

Written into ``output/<year>/communes/``: ``phan_hoi_<year>.html`` (every commune, a page each),
``phan_hoi_<year>.xlsx`` (a sheet each) and, when a printer is given, ``<code>_<name>.pdf`` per
commune (the HTML printed once, then cut at each commune's first page).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from helpers.checks.problems import ERROR, SEVERITY_LABELS, WARNING
from helpers.compute.rules import STATUS_MISSING, STATUS_NOT_MET
from helpers.numbers import format_number
from helpers.processed import read_year_table
from helpers.publish.commune_tables import shortfall_to_target
from helpers.publish.html import STYLE, esc, issuing_body_html, render_table
from helpers.reference import ReportingYear
from helpers.storage import write_bytes_atomically, write_text_atomically, write_workbook_atomically
from helpers.text import fold

FEEDBACK_SUBDIR = "communes"


@dataclass(frozen=True)
class CommuneFeedback:
    """One commune's feedback sheet, as tables of texts ready to show."""

    code: str
    name: str
    received: pd.DataFrame      # file, sheet, row, outcome
    problems: pd.DataFrame      # severity, file, sheet, row, column, value, message
    indicators: pd.DataFrame    # indicator, value, target, status, entity, shortfall (empty before the annex step)
    missing: list[str]

    @property
    def slug(self) -> str:
        return f"{self.code}_{fold(self.name).replace(' ', '_')}"


def _as_text(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with these columns as text ("" for missing), whatever the CSV reader made of them."""
    return frame.assign(**{c: frame[c].astype(object).where(frame[c].notna(), "").astype(str)
                           for c in columns if c in frame.columns})


def _owner_of_problems(problems: pd.DataFrame, records: pd.DataFrame, codes: set[str]) -> list[str | None]:
    """The commune each problem belongs to (None: the office's)."""
    usable = records[records["unit_code"].isin(codes)]
    by_row = {(f, s, int(r)): c for f, s, r, c in zip(usable["file"], usable["sheet"].fillna(""),
                                                       usable["row"], usable["unit_code"], strict=True)
              if pd.notna(r)}
    by_file = usable.groupby("file")["unit_code"].unique()
    single = {f: units[0] for f, units in by_file.items() if len(units) == 1}
    owners = []
    for file, sheet, row, value in zip(problems["file"].fillna(""), problems["sheet"].fillna(""), problems["row"],
                                       problems["value"].fillna(""), strict=True):
        owner = by_row.get((file, sheet, int(row))) if pd.notna(row) else None
        owner = owner or single.get(file) or (value if not file and value in codes else None)
        owners.append(owner)
    return owners


def commune_feedback(ctx: ReportingYear, *, records: pd.DataFrame, problems: pd.DataFrame,
                     indicators: pd.DataFrame | None = None) -> list[CommuneFeedback]:
    """The feedback of every commune of the entity that year, in the order of the unit list."""
    words = ctx.ref.wording["feedback"]
    codes = set(ctx.communes["code"])
    records, problems = _as_text(records, ("file", "sheet", "unit_code", "reason", "unit_status", "layout")), \
        _as_text(problems, ("file", "sheet", "column", "value", "message", "severity"))
    problems = problems.assign(_owner=_owner_of_problems(problems, records, codes))
    catalogue = ctx.ref.catalogue.set_index("id")
    fields = ctx.ref.fields.set_index("field")["label"]
    entity_rows = (indicators[indicators["unit_code"] == ctx.entity.code].set_index("indicator_id")
                   if indicators is not None else None)
    sheets = []
    for unit in ctx.communes.itertuples(index=False):
        mine = records[records["unit_code"] == unit.code]
        received = pd.DataFrame({
            "file": mine["file"], "sheet": mine["sheet"].fillna(""),
            "row": [("" if pd.isna(r) or layout == "template" else str(int(r)))
                    for r, layout in zip(mine["row"], mine["layout"], strict=True)],
            "outcome": [words["accepted"] if s in ("ok", "duplicate") else f"{words['rejected']}: {reason}"
                        for s, reason in zip(mine["unit_status"], mine["reason"].fillna(""), strict=True)],
        })
        own = problems[(problems["_owner"] == unit.code) & problems["severity"].isin([ERROR, WARNING])]
        shown = pd.DataFrame({
            "severity": own["severity"].map(SEVERITY_LABELS), "file": own["file"].fillna(""),
            "sheet": own["sheet"].fillna(""),
            "row": [("" if pd.isna(r) else str(int(r))) for r in own["row"]],
            "column": own["column"].fillna(""), "value": own["value"].fillna(""), "message": own["message"],
        })
        missing = [fields[f] for f in fields.index
                   if own["message"].str.startswith(f"Thiếu số liệu bắt buộc “{fields[f]}”").any()]
        if mine.empty:
            missing.insert(0, words["nothing_received"].format(year=ctx.year))
        table = pd.DataFrame(columns=["indicator", "value", "target", "status", "entity", "shortfall"])
        # a commune entity before the reform: its indicators are the sum of the units that formed it,
        # under the code one of them had, so a former unit gets none of its own
        former = ctx.entity.level == "commune" and pd.notna(unit.valid_to)
        if indicators is not None and not former:
            # the rates that have a target: what the commune is measured against
            rows = indicators[(indicators["unit_code"] == unit.code) & (indicators["kind"] == "rate")
                              & indicators["target"].notna()]
            short = shortfall_to_target(rows, ctx.ref.directions).tolist() if len(rows) else []
            table = pd.DataFrame([{
                "indicator": f"{r.indicator_id} {catalogue.loc[r.indicator_id, 'label']}",
                "value": format_number(r.value, int(catalogue.loc[r.indicator_id, "decimals"])) if pd.notna(r.value)
                else r.status,
                "target": format_number(r.target, 0 if float(r.target).is_integer() else 1) if pd.notna(r.target)
                else "",
                "status": r.status,
                "entity": format_number(entity_rows.loc[r.indicator_id, "value"],
                                        int(catalogue.loc[r.indicator_id, "decimals"]))
                if r.indicator_id in entity_rows.index and pd.notna(entity_rows.loc[r.indicator_id, "value"]) else "",
                "shortfall": format_number(n, 0) if pd.notna(n) and n > 0 else "",
            } for r, n in zip(rows.itertuples(index=False), short, strict=True)], columns=table.columns)
            missing += [f"{r.indicator_id} {catalogue.loc[r.indicator_id, 'label']}"
                        for r in rows.itertuples(index=False) if r.status == STATUS_MISSING]
        sheets.append(CommuneFeedback(unit.code, unit.full_name, received.reset_index(drop=True),
                                      shown.reset_index(drop=True), table, missing))
    return sheets


def _indicator_section(ctx: ReportingYear) -> tuple[str, dict[str, str]]:
    """The heading and columns of a sheet's indicator table: against the targets and the entity's
    result, or for a commune entity (whose result is the commune's own) against the targets only."""
    words = ctx.ref.wording["feedback"]
    if ctx.entity.level == "commune":
        return words["indicators_own"], dict(words["indicator_columns"])
    return (words["indicators"].format(entity=ctx.entity.name),
            {**words["indicator_columns"], "entity": words["entity_column"].format(entity=ctx.entity.name)})


def render_feedback(sheets: list[CommuneFeedback], ctx: ReportingYear) -> str:
    """One HTML document, one page per commune (each begins with its code, for cutting the PDF)."""
    words = ctx.ref.wording["feedback"]
    pages = []
    for sheet in sheets:
        parts = [
            f'<section class="feedback" data-unit="{esc(sheet.code)}">',
            issuing_body_html(ctx.entity),
            f"<h1>{esc(words['title'].format(year=ctx.year))}</h1>",
            f'<p class="attachment">{esc(words["to"].format(name=sheet.name, code=sheet.code))}</p>',
            f"<h2>{esc(words['received'])}</h2>",
            render_table(sheet.received, words["received_columns"]) if len(sheet.received)
            else f"<p>{esc(words['nothing_received'].format(year=ctx.year))}</p>",
            f"<h2>{esc(words['problems'])}</h2>",
            render_table(sheet.problems, words["problem_columns"]) if len(sheet.problems)
            else f"<p>{esc(words['no_problems'])}</p>",
        ]
        if len(sheet.indicators):
            heading, headers = _indicator_section(ctx)
            parts += [f"<h2>{esc(heading)}</h2>",
                      render_table(sheet.indicators, headers, below_status=STATUS_NOT_MET)]
        parts += [f"<h2>{esc(words['missing'])}</h2>",
                  "<ul>" + "".join(f"<li>{esc(m)}</li>" for m in sheet.missing) + "</ul>" if sheet.missing
                  else f"<p>{esc(words['nothing_missing'])}</p>",
                  f'<p class="small">{esc(words["closing"])}</p></section>']
        pages.append("".join(parts))
    # each commune's sheet is its own document once cut: no page numbers of the whole
    style = ("<style>@page{@bottom-center{content:none}}.feedback{break-after:page;font-size:10.5pt}"
             ".feedback table.small{font-size:9pt}.feedback tr.below td{font-weight:bold}"
             ".feedback h2{font-size:11.5pt;margin:.8em 0 .3em}</style>")
    return (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>'
            f'{esc(words["title"].format(year=ctx.year))}</title>{STYLE}{style}</head><body>'
            f'<div class="annex">{"".join(pages)}</div></body></html>')


def feedback_workbook(sheets: list[CommuneFeedback], ctx: ReportingYear) -> Workbook:
    """One sheet per commune with the same parts as its page."""
    from helpers.publish.excel import write_text  # the Excel writer's text rule (never a formula)

    words = ctx.ref.wording["feedback"]
    book = Workbook()
    book.remove(book.active)
    indicator_heading, indicator_headers = _indicator_section(ctx)
    for sheet in sheets:
        ws = book.create_sheet(f"{sheet.code} {sheet.name}"[:31])
        row = 1
        for text in (words["title"].format(year=ctx.year), words["to"].format(name=sheet.name, code=sheet.code)):
            write_text(ws.cell(row, 1), text)
            row += 1
        for heading, frame, headers in (
                (words["received"], sheet.received, words["received_columns"]),
                (words["problems"], sheet.problems, words["problem_columns"]),
                (indicator_heading, sheet.indicators, indicator_headers)):
            row += 1
            write_text(ws.cell(row, 1), heading)
            row += 1
            for c, label in enumerate(headers.values(), start=1):
                write_text(ws.cell(row, c), label)
            for record in frame.to_dict("records"):
                row += 1
                for c, key in enumerate(headers, start=1):
                    write_text(ws.cell(row, c), record.get(key))
        row += 2
        write_text(ws.cell(row, 1), words["missing"])
        for item in sheet.missing or [words["nothing_missing"]]:
            row += 1
            write_text(ws.cell(row, 1), item)
        for letter, width in zip("ABCDEFG", (40, 14, 8, 24, 14, 60, 14), strict=True):
            ws.column_dimensions[letter].width = width
    return book


def _starts_from_outline(reader, sheets: list[CommuneFeedback]) -> dict[str, int] | None:
    """Each commune's first page from the PDF's bookmarks (one top-level heading per commune, in
    order), or None when they do not line up."""
    top = [item for item in reader.outline if not isinstance(item, list)]
    if len(top) != len(sheets):
        return None
    return {sheet.code: reader.get_destination_page_number(item) for sheet, item in zip(sheets, top, strict=True)}


def split_pdf(pdf: bytes, sheets: list[CommuneFeedback]) -> dict[str, bytes]:
    """Cut the printed feedback document into one PDF per commune: a commune's pages run from its
    first page (its bookmark; else the page whose text names its code) to the page before the next
    commune's."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf))
    starts = _starts_from_outline(reader, sheets)
    if starts is None:
        starts, code_at = {}, 0
        for number, page in enumerate(reader.pages):
            text = page.extract_text() or ""
            while code_at < len(sheets) and f"mã {sheets[code_at].code})" in text:
                starts[sheets[code_at].code] = number
                code_at += 1
    out = {}
    ordered = [s for s in sheets if s.code in starts]
    for i, sheet in enumerate(ordered):
        end = starts[ordered[i + 1].code] if i + 1 < len(ordered) else len(reader.pages)
        writer = PdfWriter()
        for number in range(starts[sheet.code], end):
            writer.add_page(reader.pages[number])
        buffer = io.BytesIO()
        writer.write(buffer)
        out[sheet.code] = buffer.getvalue()
    return out


def write_feedback(processed_dir: Path, year: int, out_dir: Path, ctx: ReportingYear, *,
                   print_pdf: Callable[[Path, Path], object] | None = None) -> list[Path]:
    """Write the feedback sheets of ``year`` into ``out_dir/communes/``: HTML, Excel and, with
    ``print_pdf(html, pdf)``, one PDF per commune. Reads records and problems (written by the clean
    step even when it found errors) and, when the indicator step has run, the indicators."""
    folder = Path(out_dir) / FEEDBACK_SUBDIR
    records = read_year_table(processed_dir, year, "records")
    problems = read_year_table(processed_dir, year, "problems")
    indicators_path = Path(processed_dir) / str(year) / "indicators.csv"
    indicators = read_year_table(processed_dir, year, "indicators") if indicators_path.is_file() else None
    sheets = commune_feedback(ctx, records=records, problems=problems, indicators=indicators)
    html_path = write_text_atomically(folder / f"phan_hoi_{year}.html", render_feedback(sheets, ctx))
    written = [html_path, write_workbook_atomically(feedback_workbook(sheets, ctx), folder / f"phan_hoi_{year}.xlsx")]
    if print_pdf is not None:
        combined = folder / f".phan_hoi_{year}.pdf"
        print_pdf(html_path, combined)
        if combined.is_file():
            for code, data in split_pdf(combined.read_bytes(), sheets).items():
                sheet = next(s for s in sheets if s.code == code)
                written.append(write_bytes_atomically(folder / f"{sheet.slug}.pdf", data))
            combined.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.publish.feedback --year 2023 [--entity hue]``: the feedback sheets of a
    year from the entity's processed tables (each PDF printed by a browser started for it)."""
    import sys

    from helpers.compute.indicators import target_level_of
    from helpers.errors import WorkbookError
    from helpers.paths import DEFAULT_ENTITY, entity_dirs
    from helpers.publish.pdf import print_annex_pdf
    from helpers.reference import Reference
    from helpers.run.batch import VietnameseArgumentParser

    parser = VietnameseArgumentParser(prog="python -m helpers.publish.feedback",
                                      description="Lập phiếu phản hồi số liệu cho từng phường, xã của một năm.")
    parser.add_argument("--year", type=int, required=True, metavar="NĂM", help="năm báo cáo")
    parser.add_argument("--entity", default=DEFAULT_ENTITY, metavar="ĐƠN_VỊ",
                        help=f"đơn vị báo cáo, theo tệp reference/entities/<ĐƠN_VỊ>.toml (mặc định: {DEFAULT_ENTITY})")
    parser.add_argument("--processed-dir", type=Path, default=None, metavar="THƯ_MỤC",
                        help="thư mục số liệu đã xử lý (mặc định: của đơn vị báo cáo, như khi lập phụ lục)")
    parser.add_argument("--output-dir", type=Path, default=None, metavar="THƯ_MỤC",
                        help="thư mục kết quả, ghi vào <năm>/communes (mặc định: của đơn vị báo cáo)")
    args = parser.parse_args(argv)
    try:
        ref = Reference.load(entity=args.entity)
    except WorkbookError as exc:
        print(exc, file=sys.stderr)
        return 2
    own_processed, own_output = entity_dirs(ref.entity.key)
    processed_dir = args.processed_dir or own_processed
    output_dir = args.output_dir or own_output
    indicators_path = processed_dir / str(args.year) / "indicators.csv"
    level = target_level_of(read_year_table(processed_dir, args.year, "indicators")) \
        if indicators_path.is_file() else "province"
    ctx = ref.for_year(args.year, level)
    written = write_feedback(processed_dir, args.year, output_dir / str(args.year), ctx,
                             print_pdf=lambda html, pdf: print_annex_pdf(html, pdf))
    print(f"Đã lập {len(written)} tệp phản hồi trong {output_dir / str(args.year) / FEEDBACK_SUBDIR}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
