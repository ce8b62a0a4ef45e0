"""What readers get speaks Vietnamese (issue 15, point 3): no field code, machine path, UTC time or
English parameter name in the HTML annex or the Excel copy."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from helpers.reference import load_fields

ENGLISH = ("target_level", "raw_dir", "processed_dir", "Tham số", "province", "national", "district", "UTC",
           "/tmp", "/work", "/home", "/root", "sha256", "None", "nan", "<NA>")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _codes() -> list[str]:
    return list(load_fields()["field"])


def _offending(text: str) -> list[str]:
    found = [word for word in ENGLISH if word in text]
    found += [code for code in _codes() if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)]
    return found


@pytest.mark.parametrize("document", ["annex", "analysis"])
@pytest.mark.parametrize("year", [2021, 2023, 2024])
def test_html_text_has_no_code_path_or_english(sample_build, year, document):
    parser = _Text()
    parser.feed((sample_build["output"] / str(year) / f"{document}_{year}.html").read_text(encoding="utf-8"))
    assert _offending(" ".join(parser.parts)) == []


def test_excel_copy_has_no_code_path_or_english(sample_build):
    book = load_workbook(sample_build["output"] / "2023" / "annex_2023.xlsx")
    texts = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str)]
    assert _offending(" ".join(texts)) == []


@pytest.mark.parametrize("notebook", ["01_clean.ipynb", "02_indicators.ipynb"])
def test_notebook_tables_have_vietnamese_column_labels(sample_build, notebook):
    """The tables 01 and 02 show in JupyterLab (their executed copies under output/<year>/)."""
    import nbformat

    executed = nbformat.read(sample_build["output"] / "2024" / notebook, as_version=4)
    headers = []
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            headers += re.findall(r"<th[^>]*>([^<]*)</th>", html)
    named = [h for h in headers if h.strip() and not h.strip().isdigit()]
    assert named, "no table shown"
    english = [h for h in named if re.fullmatch(r"[a-z_0-9]+", h.strip())]
    assert english == [], english


def test_footnote_marks_stand_apart_from_labels(sample_build):
    """"mức độ 2" followed by footnote 2 must never read "mức độ 22" (HTML: its own element with
    parentheses; Excel: the label alone as the cell's value, the footnote as its comment)."""
    html = (sample_build["output"] / "2023" / "annex_2023.html").read_text(encoding="utf-8")
    label = "Tỷ lệ người từ 15 đến 60 tuổi biết chữ mức độ 1"     # footnoted: the thị xã's own target
    assert re.search(re.escape(label) + r' <sup class="fn">\(\d\)</sup>', html)
    assert not re.search(r"\w<sup", html)
    book = load_workbook(sample_build["output"] / "2023" / "annex_2023.xlsx")
    sheet = book.worksheets[0]
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == label)
    assert cell.comment is not None and cell.comment.text.startswith("(")
    labels = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(re.search(r"mức độ \d\d|kỹ thuật\d", v) for v in labels)


def test_data_entry_template_hides_the_field_codes(tmp_path):
    """The form a commune fills in shows Vietnamese labels; the field codes the reader needs stay
    in a hidden column (issue 15: "Mã trường" showed pop_total, working_age_pop …)."""
    from helpers.ingest.template import write_template

    path = write_template(tmp_path / "form.xlsx", load_fields(), unit_code="19996", unit_name="Phường Hương Trà",
                          year=2026)
    sheet = load_workbook(path).active
    code_column = next(c.column_letter for row in sheet.iter_rows() for c in row if c.value == "pop_total")
    assert sheet.column_dimensions[code_column].hidden
    visible = [str(c.value) for row in sheet.iter_rows() for c in row
               if c.value is not None and not sheet.column_dimensions[c.column_letter].hidden]
    assert _offending(" ".join(visible)) == [] and "Tổng dân số" in visible
