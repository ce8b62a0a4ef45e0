"""Legacy .xls submissions (Excel 97-2003) read like .xlsx: same values, merged headers, row numbers."""

from __future__ import annotations

import fixtures_builder as fb
import pandas as pd
import xlwt
from test_ingest import clean_folder


def _write_xls(path, rows):
    """The default fixture table (title, blank row, two merged header rows, communes) as .xls."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Biểu 1")
    sheet.write(0, 0, fb.TITLE)
    sheet.write_merge(2, 3, 0, 0, fb.HEADER[0][0])
    sheet.write_merge(2, 3, 1, 1, fb.HEADER[0][1])
    sheet.write_merge(2, 2, 2, 3, fb.HEADER[0][2])
    sheet.write(2, 4, fb.HEADER[0][4])
    for c, value in enumerate(fb.HEADER[1]):
        if value is not None:
            sheet.write(3, c, value)
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    book.save(str(path))
    return path


def test_xls_gives_the_same_clean_values_and_accounting_as_xlsx(tmp_path):
    (tmp_path / "xlsx").mkdir()
    (tmp_path / "xls").mkdir()
    fb.write_wide(tmp_path / "xlsx" / "bang.xlsx", fb.base_rows())
    _write_xls(tmp_path / "xls" / "bang.xls", fb.base_rows())
    modern, legacy = clean_folder(tmp_path / "xlsx"), clean_folder(tmp_path / "xls")
    columns = ["unit_code", "field", "value", "row"]
    assert len(legacy["clean"]) == 9  # three communes × three fields
    pd.testing.assert_frame_equal(legacy["clean"][columns].reset_index(drop=True),
                                  modern["clean"][columns].reset_index(drop=True))
    counts = ["rows_read", "rows_accepted", "rows_rejected", "rows_total", "rows_heading"]
    assert legacy["files"][counts].values.tolist() == modern["files"][counts].values.tolist()
    assert legacy["files"].loc[0, "file"] == "bang.xls"


def test_unreadable_xls_is_reported_not_raised(tmp_path):
    (tmp_path / "hong.xls").write_bytes(b"not an excel file")
    result = clean_folder(tmp_path)
    problems = result["problems"]
    assert any(problems["message"].str.contains("Không đọc được tệp Excel .xls")), problems["message"].tolist()
