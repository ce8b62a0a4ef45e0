"""A feedback sheet per commune (issue 15): what was received, its own problems with their place
and the value as typed, its indicators against the targets, what is missing."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from contexts import context
from openpyxl import load_workbook

from helpers.checks.clean import clean_year
from helpers.compute.indicators import compute_year
from helpers.ingest.read import read_submissions
from helpers.paths import RAW_DIR
from helpers.processed import load_clean_history, save_clean_year, save_indicator_tables
from helpers.publish.feedback import FEEDBACK_SUBDIR, commune_feedback, write_feedback
from helpers.publish.pdf import find_browser, print_annex_pdf
from helpers.storage import read_processed_csv

BAD_FILE = "20035_binh_tien.xlsx"


def _plant(path, field: str, value) -> int:
    """Type ``value`` in ``field``'s cell of a template; returns the Excel row."""
    book = load_workbook(path)
    sheet = book.active
    for row in sheet.iter_rows():
        if row[1].value == field:
            row[4].value = value
            book.save(path)
            return row[4].row
    raise AssertionError(field)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """2023 with one bad cell in Xã Bình Tiến's file: the year stops on an error."""
    root = tmp_path_factory.mktemp("feedback")
    raw = root / "raw" / "2023"
    shutil.copytree(RAW_DIR / "2023", raw, ignore=shutil.ignore_patterns("declared"))
    row = _plant(raw / BAD_FILE, "cltc_it", "hai")
    ctx = context(2023)
    save_clean_year(root / "processed", clean_year(read_submissions(raw, ctx), ctx))
    return {"root": root, "row": row, "ctx": ctx}


def test_the_commune_with_a_bad_cell_gets_its_place_and_value(planted):
    records = read_processed_csv(planted["root"] / "processed" / "2023" / "records.csv")
    problems = read_processed_csv(planted["root"] / "processed" / "2023" / "problems.csv")
    sheets = {s.code: s for s in commune_feedback(planted["ctx"], records=records, problems=problems)}
    bad = sheets["20035"].problems
    hit = bad[bad["value"] == "hai"]
    assert len(hit) == 1, bad
    assert hit.iloc[0]["file"] == BAD_FILE and hit.iloc[0]["row"] == str(planted["row"])
    assert hit.iloc[0]["severity"] == "Lỗi" and hit.iloc[0]["column"] == "Số liệu"     # the template's column
    assert "Số trung tâm học tập cộng đồng ứng dụng CNTT" in hit.iloc[0]["message"]
    for code, sheet in sheets.items():          # nobody else is told about it
        if code != "20035":
            assert not (sheet.problems["value"] == "hai").any(), code
    assert list(sheets["20035"].received["file"]) == [BAD_FILE]
    assert sheets["20035"].indicators.empty                 # the year stopped: no indicators yet


def test_feedback_files_are_written_even_when_the_year_stops(planted, tmp_path):
    written = write_feedback(planted["root"] / "processed", 2023, tmp_path, planted["ctx"])
    names = {p.name for p in written}
    assert {"phan_hoi_2023.html", "phan_hoi_2023.xlsx"} <= names
    book = load_workbook(tmp_path / FEEDBACK_SUBDIR / "phan_hoi_2023.xlsx")
    assert len(book.sheetnames) == 9
    sheet = next(book[n] for n in book.sheetnames if n.startswith("20035"))
    texts = [c.value for row in sheet.iter_rows() for c in row if c.value]
    assert "hai" in texts and BAD_FILE in texts


@pytest.mark.skipif(find_browser() is None, reason="needs Chromium (make setup installs it)")
def test_one_pdf_page_per_commune_with_its_indicators(tmp_path):
    ctx = context(2023)
    processed = tmp_path / "processed"
    for year in (2022, 2023):
        year_ctx = context(year)
        save_clean_year(processed, clean_year(read_submissions(RAW_DIR / str(year), year_ctx), year_ctx))
    save_indicator_tables(processed, 2023, compute_year(load_clean_history(processed, ctx), ctx))
    written = write_feedback(processed, 2023, tmp_path / "out", ctx,
                             print_pdf=lambda html, pdf: print_annex_pdf(html, pdf))
    pdfs = sorted(p for p in written if p.suffix == ".pdf")
    assert len(pdfs) == 9
    for pdf in pdfs:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "Pages:           1" in info, pdf.name
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        code = pdf.name.split("_")[0]
        assert f"mã {code})" in text and "Kết quả chung" in text
