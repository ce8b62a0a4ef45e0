"""The commune data-entry workbook: one workbook per commune and year, one row per field."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation

from helpers.paths import REFERENCE_DIR
from helpers.reference import nfc
from helpers.storage import write_workbook_atomically

FIRST_FIELD_ROW = 8
HEADER_ROW = 7
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def load_template_wording(reference_dir: Path = REFERENCE_DIR) -> dict:
    """Wording of the data-entry workbook (``reference/template.toml``)."""
    text = (Path(reference_dir) / "template.toml").read_text(encoding="utf-8")
    return tomllib.loads(nfc(text))


def write_template(
    path: Path,
    fields: pd.DataFrame,
    *,
    unit_code: str = "",
    unit_name: str = "",
    year: int | None = None,
    values: dict[str, object] | None = None,
    notes: dict[str, str] | None = None,
    wording: dict | None = None,
) -> Path:
    """Write a data-entry workbook for one commune and year (blank values if ``values`` is None)."""
    wording = wording or load_template_wording()
    labels, columns = wording["labels"], wording["columns"]
    values, notes = values or {}, notes or {}
    book = Workbook()
    sheet = book.active
    sheet.title = wording["template"]["sheet"]

    sheet["A1"] = wording["template"]["title"]
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.merge_cells("A1:F1")
    sheet["A2"] = wording["template"]["subtitle"]
    sheet["A2"].font = Font(italic=True)
    sheet.merge_cells("A2:F2")
    for row, key, value in (
        (3, "unit_name", unit_name),
        (4, "unit_code", unit_code),
        (5, "year", year),
    ):
        sheet.cell(row=row, column=1, value=labels[key]).font = Font(bold=True)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        sheet.cell(row=row, column=3, value=value)
    sheet.cell(row=4, column=3).number_format = "@"
    sheet["A6"] = wording["template"]["instructions"]
    sheet["A6"].font = Font(italic=True, size=9)
    sheet.merge_cells("A6:F6")

    headers = [columns[k] for k in ("order", "field", "label", "unit", "value", "note")]
    for col, text in enumerate(headers, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=col, value=text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.border = BOX

    row = FIRST_FIELD_ROW
    section = None
    order = 0
    validation = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                                allow_blank=True, showErrorMessage=True,
                                error="Chỉ ghi số nguyên không âm.", errorTitle="Số liệu")
    sheet.add_data_validation(validation)
    for field in fields.itertuples(index=False):
        if field.section != section:
            section = field.section
            sheet.cell(row=row, column=1, value=section).font = Font(bold=True)
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
            row += 1
        order += 1
        cells = [order, field.field, field.label, field.unit, values.get(field.field), notes.get(field.field)]
        for col, value in enumerate(cells, start=1):
            cell = sheet.cell(row=row, column=col, value=value)
            cell.border = BOX
            cell.alignment = Alignment(vertical="center", wrap_text=col == 3)
        sheet.cell(row=row, column=5).number_format = "#,##0"
        validation.add(sheet.cell(row=row, column=5))
        row += 1

    for letter, width in zip("ABCDEF", (6, 24, 62, 11, 12, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    # the "Mã trường" column is how the reader finds each field: kept, but hidden from the commune
    # official, who reads the Vietnamese label beside it
    sheet.column_dimensions["B"].hidden = True
    sheet.freeze_panes = sheet.cell(row=FIRST_FIELD_ROW, column=1)

    return write_workbook_atomically(book, Path(path))
