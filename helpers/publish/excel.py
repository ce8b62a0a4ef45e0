"""The Excel copy of the annex: the annex table as in the HTML (numbers as numbers) and a
per-commune sheet, ready to paste into Word.

Numbers come from the typed annex table (:class:`helpers.publish.annex_table.Annex`), rounded to
the decimals the HTML shows and given the matching number format, so the workbook shows exactly
what the HTML shows. Every text is written as text: a label or name beginning with ``=``, ``+``,
``-`` or ``@`` never becomes a formula (formula injection).
"""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from helpers.compute.indicators import IndicatorTables
from helpers.numbers import round_half_up
from helpers.paths import REFERENCE_DIR
from helpers.processed import read_year_table
from helpers.publish.annex_table import Annex, annex_of_year, note_text, result_text
from helpers.publish.commune_tables import commune_matrix, ranked_commune_rates
from helpers.publish.reconcile import load_declared, reconcile_declared
from helpers.reference import Reference, ReportingYear, nfc
from helpers.storage import write_workbook_atomically

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FONT_NAME = "Times New Roman"
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="F0F0F0")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
ANNEX_WIDTHS = {"A": 6, "B": 62, "C": 22, "D": 16, "E": 26}


@functools.cache
def _font(size: int, bold: bool = False, italic: bool = False) -> Font:
    """One Font object per style, shared by the cells (openpyxl hashes what a cell is given: a new
    object per cell made styling a large part of the export's time)."""
    return Font(name=FONT_NAME, size=size, bold=bold, italic=italic)


@functools.cache
def _alignment(vertical: str, horizontal: str | None = None) -> Alignment:
    return Alignment(wrap_text=True, vertical=vertical, horizontal=horizontal)


def write_text(cell: Cell, text: object) -> Cell:
    """Put ``text`` in ``cell`` as a string, never as a formula (formula injection)."""
    value = "" if text is None or (not isinstance(text, str) and pd.isna(text)) else nfc(str(text))
    cell.value = value
    if value.startswith(FORMULA_TRIGGERS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def number_format_for(decimals: int, thousands: bool = True) -> str:
    """An Excel number format with ``decimals`` places (the reader's Excel shows its own comma)."""
    base = "#,##0" if thousands else "0"
    return base + ("." + "0" * decimals if decimals > 0 else "")


def write_number(cell: Cell, value: float, decimals: int) -> Cell:
    """A number rounded to ``decimals`` places, shown with as many (blank when missing)."""
    if value is None or pd.isna(value):
        return write_text(cell, "")
    number = round_half_up(value, decimals)
    cell.value = int(number) if decimals == 0 else float(number)
    cell.number_format = number_format_for(decimals)
    return cell


def _label_with_marks(cell: Cell, label: str, marks: list[int], footnotes: list[str]) -> None:
    """The label as the cell's plain value; its footnotes as the cell's comment, "(1) …", never
    glued to the label's text."""
    write_text(cell, label)
    if marks:
        text = "\n".join(f"({m}) {footnotes[m - 1]}" for m in marks)
        cell.comment = Comment(text, "Phụ lục", width=360, height=24 + 18 * (len(text) // 50 + len(marks)))


def _style_range(ws: Worksheet, row: int, columns: int, *, bold: bool = False, italic: bool = False,
                 header: bool = False) -> None:
    for column in range(1, columns + 1):
        cell = ws.cell(row, column)
        cell.border = BORDER
        cell.font = _font(12, bold=bold or header, italic=italic)
        horizontal = "center" if header or column == 1 else ("right" if column in (3, 4) else "left")
        cell.alignment = _alignment("center" if header else "top", horizontal)
        if header:
            cell.fill = HEADER_FILL


def _write_annex_rows(ws: Worksheet, start: int, table: pd.DataFrame, headers: list[str], annex: Annex) -> int:
    """Header and rows of one annex table from ``start``; returns the next free row."""
    for column, text in enumerate(headers, start=1):
        write_text(ws.cell(start, column), text)
    _style_range(ws, start, len(headers), header=True)
    row = start + 1
    for record in table.itertuples(index=False):
        write_text(ws.cell(row, 1), record.tt)
        _label_with_marks(ws.cell(row, 2), record.label, list(record.marks), annex.footnotes)
        write_number(ws.cell(row, 3), record.target, int(record.target_decimals))
        if record.shown_status or record.row_kind == "group":
            write_text(ws.cell(row, 4), result_text(record))
        else:
            write_number(ws.cell(row, 4), record.value, int(record.decimals))
        write_text(ws.cell(row, 5), note_text(record, annex.ctx))
        _style_range(ws, row, len(headers), bold=record.row_kind == "group", italic=record.style == "italic")
        row += 1
    return row


def _heading(ws: Worksheet, row: int, text: str, *, bold: bool = True, italic: bool = False,
             merge: bool = True) -> None:
    cell = write_text(ws.cell(row, 1), text)
    cell.font = Font(name=FONT_NAME, size=13 if bold else 12, bold=bold, italic=italic)
    cell.alignment = Alignment(horizontal="center", wrap_text=True, vertical="center")
    if merge:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)


def write_annex_sheet(ws: Worksheet, annex: Annex) -> None:
    """The annex sheet: issuing body, title, attachment line, main and extra tables, notes."""
    entity, wording, year = annex.ctx.entity, annex.ctx.ref.wording, annex.ctx.year
    cols = wording["columns"]
    headers = [cols["tt"], cols["label"], annex.target_header, cols["result"], cols["note"]]
    body = write_text(ws.cell(1, 1), entity.issuing_body)
    body.font = Font(name=FONT_NAME, size=12, bold=True)
    if "\n" in entity.issuing_body:      # a Sở under its UBND: one line each
        body.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[1].height = 16 * (entity.issuing_body.count("\n") + 1)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=2)
    _heading(ws, 3, entity.title)
    _heading(ws, 4, entity.attachment_line(year), bold=False, italic=True)
    ws.row_dimensions[4].height = 32
    row = _write_annex_rows(ws, 6, annex.main, headers, annex)
    ws.print_title_rows = "6:6"
    if len(annex.extra):
        row += 1
        title = write_text(ws.cell(row, 1), wording["sections"]["extra"])
        title.font = Font(name=FONT_NAME, size=12, bold=True)
        row = _write_annex_rows(ws, row + 1, annex.extra, headers, annex)
    row += 1
    notes = [*(f"({i}) {text}" for i, text in enumerate(annex.footnotes, start=1)), *annex.closing_notes()]
    write_text(ws.cell(row, 1), wording["excel"]["notes_heading"]).font = Font(name=FONT_NAME, size=11, bold=True)
    for text in notes:
        row += 1
        cell = write_text(ws.cell(row, 1), text)
        cell.font = Font(name=FONT_NAME, size=11)
        cell.alignment = WRAP_TOP
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
        ws.row_dimensions[row].height = 15 * (1 + len(text) // 110)
    for letter, width in ANNEX_WIDTHS.items():
        ws.column_dimensions[letter].width = width
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def commune_rows(indicators: pd.DataFrame, ctx: ReportingYear) -> pd.DataFrame:
    """Per-commune counts and rate of every rate indicator, numbers kept as numbers (rounded)."""
    names = ctx.communes.set_index("code")["full_name"]
    rates = ctx.ref.catalogue[ctx.ref.catalogue["kind"] == "rate"].set_index("id")
    rows = ranked_commune_rates(indicators, ctx)
    decimals = rows["indicator_id"].map(rates["decimals"]).astype(int)
    return pd.DataFrame({
        "indicator_id": rows["indicator_id"],
        "indicator": rows["indicator_id"].map(rates["label"]),
        "unit_code": rows["unit_code"],
        "unit": rows["unit_code"].map(names),
        "numerator": rows["numerator"],
        "denominator": rows["denominator"],
        "value": [round_half_up(v, d) if pd.notna(v) else None for v, d in zip(rows["value"], decimals, strict=True)],
        "decimals": decimals,
        "status": rows["status"],
    }).reset_index(drop=True)


def write_commune_sheet(ws: Worksheet, rows: pd.DataFrame, wording: dict) -> None:
    """The per-commune sheet: one line per commune and rate indicator."""
    headers = wording["excel"]["commune_columns"]
    for column, text in enumerate(headers.values(), start=1):
        write_text(ws.cell(1, column), text)
    for column in range(1, len(headers) + 1):
        cell = ws.cell(1, column)
        cell.font = Font(name=FONT_NAME, size=12, bold=True)
        cell.fill, cell.border = HEADER_FILL, BORDER
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    for r, record in enumerate(rows.to_dict("records"), start=2):
        for c, key in enumerate(headers, start=1):
            cell = ws.cell(r, c)
            value = record[key]
            if key in ("numerator", "denominator"):
                if pd.notna(value):
                    cell.value = int(value) if float(value).is_integer() else float(value)
                    cell.number_format = number_format_for(0)
            elif key == "value":
                if value is not None:
                    cell.value = float(value) if isinstance(value, Decimal) else value
                    cell.number_format = number_format_for(int(record["decimals"]))
            else:
                write_text(cell, value)
            cell.border = BORDER
            cell.font = _font(12)
            cell.alignment = _alignment("top", "right" if key in ("numerator", "denominator", "value") else None)
    for letter, width in zip("ABCDEFGH", (10, 50, 10, 24, 12, 12, 11, 16), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"


BELOW_FILL = PatternFill("darkUp", fgColor="BFBFBF", bgColor="FFFFFF")   # hatched, like the analysis report


def _header_row(ws: Worksheet, headers: list[str]) -> None:
    for column, text in enumerate(headers, start=1):
        cell = write_text(ws.cell(1, column), text)
        cell.font = Font(name=FONT_NAME, size=11, bold=True)
        cell.fill, cell.border = HEADER_FILL, BORDER
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4


def write_table_sheet(ws: Worksheet, frame: pd.DataFrame, headers: dict[str, str],
                      widths: tuple[int, ...] = ()) -> None:
    """A plain sheet of ``frame``'s columns named in ``headers``: texts as text, numbers as numbers."""
    _header_row(ws, list(headers.values()))
    for r, record in enumerate(frame.to_dict("records"), start=2):
        for c, key in enumerate(headers, start=1):
            value = record.get(key)
            cell = ws.cell(r, c)
            if isinstance(value, int | float) and not isinstance(value, bool) and pd.notna(value):
                cell.value = value
            else:
                write_text(cell, value)
            cell.border, cell.font, cell.alignment = BORDER, _font(11), _alignment("top")
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(1, column).column_letter].width = width


def write_matrix_sheet(ws: Worksheet, matrix: pd.DataFrame, ctx: ReportingYear) -> None:
    """The per-commune matrix of the analysis report: numbers rounded as shown, with their decimals;
    a cell below its target hatched and bold, as in the report."""
    words = ctx.ref.wording["analysis"]
    rates = ctx.ref.catalogue.set_index("id")
    columns = [c for c in matrix.columns if c not in ("unit_code", "unit")]
    _header_row(ws, [words["matrix_unit"], *columns])
    for r, (record, shown) in enumerate(zip(matrix.to_dict("records"), matrix.attrs["cells"], strict=True), start=2):
        write_text(ws.cell(r, 1), record["unit"]).border = BORDER
        for c, indicator_id in enumerate(columns, start=2):
            cell = ws.cell(r, c)
            text, below = shown[indicator_id]
            if pd.notna(record[indicator_id]):
                write_number(cell, record[indicator_id], int(rates.loc[indicator_id, "decimals"]))
            else:
                write_text(cell, text)
            cell.border, cell.alignment = BORDER, _alignment("top", "right")
            cell.font = _font(11, bold=below)
            if below:
                cell.fill = BELOW_FILL
    ws.column_dimensions["A"].width = 26
    ws.page_setup.orientation = "landscape"
    note = ws.cell(len(matrix) + 3, 1, words["matrix_legend"])
    note.font = _font(10, italic=True)


def annex_workbook(annex: Annex, communes_frame: pd.DataFrame, *, matrix: pd.DataFrame | None = None,
                   reconciliation: pd.DataFrame | None = None, quality: pd.DataFrame | None = None) -> Workbook:
    """The workbook: the annex sheet, then the analysis report's tables (per-commune matrix,
    long per-commune list, caveats, reconciliation, data quality) when given."""
    wording = annex.ctx.ref.wording
    sheets = wording["excel"]
    workbook = Workbook()
    annex_ws = workbook.active
    annex_ws.title = sheets["annex_sheet"]
    write_annex_sheet(annex_ws, annex)
    if matrix is not None:
        write_matrix_sheet(workbook.create_sheet(sheets["matrix_sheet"]), matrix, annex.ctx)
    write_commune_sheet(workbook.create_sheet(sheets["communes_sheet"]), communes_frame, wording)
    write_table_sheet(workbook.create_sheet(sheets["caveats_sheet"]), annex.caveats,
                      {"indicator_id": sheets["caveat_columns"]["indicator_id"],
                       "label": sheets["caveat_columns"]["label"], "text": sheets["caveat_columns"]["text"]},
                      (10, 50, 80))
    if reconciliation is not None:
        write_table_sheet(workbook.create_sheet(sheets["reconciliation_sheet"]), reconciliation,
                          dict(wording["tables"]["reconciliation"]), (8, 45, 12, 12, 16, 70))
    if quality is not None:
        write_table_sheet(workbook.create_sheet(sheets["quality_sheet"]), quality,
                          dict(wording["tables"]["quality"]), (12, 120))
    return workbook


def save_workbook(workbook: Workbook, path: Path) -> Path:
    """Write the workbook atomically."""
    return write_workbook_atomically(workbook, path)


def write_year_workbook(annex: Annex, tables: IndicatorTables, path: Path, *, processed_dir: Path,
                        raw_dir: Path | None = None) -> Path:
    """Write ``annex_<year>.xlsx``: the annex and the analysis report's tables (the reconciliation
    when ``raw_dir`` holds a declared table of the year, the quality list of ``processed_dir``)."""
    ctx = annex.ctx
    declared = load_declared(raw_dir, ctx.year) if raw_dir is not None else None
    reconciliation = (reconcile_declared(declared, tables.indicators, tables.projection, ctx)
                      if declared is not None else None)
    workbook = annex_workbook(annex, commune_rows(tables.indicators, ctx),
                              matrix=commune_matrix(tables.indicators, ctx), reconciliation=reconciliation,
                              quality=read_year_table(processed_dir, ctx.year, "quality"))
    return save_workbook(workbook, path)


def export_year_workbook(processed_dir: Path, year: int, path: Path, *, raw_dir: Path | None = None,
                         reference_dir: Path = REFERENCE_DIR, entity: str | None = None) -> Path:
    """Build ``annex_<year>.xlsx`` of the reporting entity ``entity`` (default: the default entity)
    from the processed tables of this run, with the step functions 03_annex calls
    (:func:`write_year_workbook`)."""
    tables, annex = annex_of_year(processed_dir, year, Reference.load(reference_dir, entity=entity))
    return write_year_workbook(annex, tables, path, processed_dir=processed_dir, raw_dir=raw_dir)
