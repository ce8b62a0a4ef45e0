"""The Excel copy: the annex's rows with numbers as numbers, a per-commune sheet, no formula injection."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest
from contexts import context
from openpyxl import Workbook, load_workbook

from helpers.publish.annex_table import ANNEX_COLUMNS, Annex, number_footnotes
from helpers.publish.excel import annex_workbook, save_workbook, write_number, write_text
from helpers.reference import load_annex_wording, load_entity, load_groups, load_indicators

HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1:A2)", "=cmd|' /C calc'!A0"]


@pytest.fixture(scope="module")
def book_2023(sample_build):
    return load_workbook(sample_build["output"] / "2023" / "annex_2023.xlsx")


def test_annex_sheet_has_the_seed_rows_with_numbers_as_numbers(book_2023):
    wording = load_annex_wording()
    sheet = book_2023[wording["excel"]["annex_sheet"]]
    assert sheet["A1"].value == load_entity().issuing_body
    assert sheet["A3"].value == load_entity().title
    assert [c.value for c in sheet[6]] == [
        "TT", "Nội dung chỉ tiêu", "Mục tiêu theo kế hoạch thực hiện Đề án của tỉnh đến năm 2025 (tỷ lệ %)",
        "Kết quả thực hiện (tỷ lệ %)", "Ghi chú (ước thực hiện)"]
    labels = [str(c.value) for c in sheet["B"] if c.value is not None]
    catalogue = load_indicators()
    for label in [*catalogue["label"], *load_groups()["label"][:4]]:
        assert any(text.startswith(label) for text in labels), label
    rows = {str(r[1].value): r for r in sheet.iter_rows(min_row=7) if r[1].value is not None}
    university = rows["Trong đó, dân số có trình độ đại học trở lên"]
    assert university[2].value == 12 and university[3].value == pytest.approx(10.3)
    assert university[3].number_format == "#,##0.0" and university[1].font.i
    # its label carries footnote marks (the fallback target of the thị xã's plan, unverified)
    literacy = next(r for label, r in rows.items()
                    if label.startswith("Tỷ lệ người từ 15 đến 60 tuổi biết chữ mức độ 1"))
    assert literacy[2].value == 99
    assert literacy[3].value == pytest.approx(97.29) and literacy[3].number_format == "#,##0.00"
    assert rows["Huyện, thành phố đạt chuẩn xóa mù chữ mức độ 2"][3].value == "Đạt"
    assert rows["Trường đại học triển khai đại học số và xây dựng học liệu số"][3].value == "Không áp dụng"
    group = rows["VỀ NĂNG LỰC CƠ BẢN VÀ TRÌNH ĐỘ CỦA NGƯỜI DÂN"]
    assert group[0].value == "II" and group[1].font.b
    assert sheet.print_title_rows == "$6:$6"


def test_commune_sheet_lists_every_commune_and_rate_with_numbers(book_2023):
    sheet = book_2023[load_annex_wording()["excel"]["communes_sheet"]]
    frame = pd.DataFrame(sheet.iter_rows(min_row=2, values_only=True),
                         columns=[c.value for c in sheet[1]])
    rates = load_indicators().query("kind == 'rate'")
    assert set(frame["Mã chỉ tiêu"]) == set(rates["id"])
    assert (frame.groupby("Mã chỉ tiêu").size() == 9).all()
    row = frame[(frame["Mã chỉ tiêu"] == "III.3") & (frame["Mã đơn vị"] == "20035")].iloc[0]
    assert row["Đơn vị"] == "Xã Bình Tiến"
    assert (row["Tử số"], row["Mẫu số"]) == (0, 1)
    numbers = [c for r in sheet.iter_rows(min_row=2) for c in (r[4], r[5], r[6]) if c.value is not None]
    assert all(c.data_type == "n" and isinstance(c.value, (int, float)) for c in numbers)
    assert {c.number_format for c in numbers} == {"#,##0", "#,##0.0", "#,##0.00"}


def test_numbers_are_written_rounded_as_shown_with_their_decimals():
    sheet = Workbook().active
    cases = [((10.2999, 1), (10.3, "#,##0.0")), ((100.0, 0), (100, "#,##0")), ((97.2887, 2), (97.29, "#,##0.00")),
             ((1234.0, 0), (1234, "#,##0")), ((49.5, 0), (50, "#,##0")), ((float("nan"), 1), ("", "General"))]
    for row, ((number, decimals), (value, number_format)) in enumerate(cases, start=1):
        cell = write_number(sheet.cell(row, 1), number, decimals)
        assert cell.value == value and cell.number_format == number_format, number
        assert not isinstance(cell.value, str) or cell.value == ""


def _hostile_annex() -> Annex:
    nan = float("nan")
    blank = {"indicator_id": "", "kind": "", "target": nan, "target_decimals": 0, "value": nan, "decimals": 0,
             "status": "", "shown_status": "", "met": nan, "total": nan, "note": "", "projected": nan,
             "recognition": ""}
    rows = [
        {**blank, "row_id": "I", "row_kind": "group", "style": "group", "tt": "I", "label": HOSTILE[0],
         "footnotes": []},
        {**blank, "row_id": "I.1", "row_kind": "indicator", "style": "normal", "tt": "-1", "label": HOSTILE[1],
         "indicator_id": "I.1", "target": 100.0, "shown_status": HOSTILE[2], "footnotes": [("x", HOSTILE[4])]},
        {**blank, "row_id": "L.1", "row_kind": "indicator", "style": "normal", "tt": "1", "label": HOSTILE[3],
         "indicator_id": "L.1", "value": 97.29, "decimals": 2, "footnotes": []},
    ]
    table, footnotes = number_footnotes(pd.DataFrame(rows, columns=ANNEX_COLUMNS))
    return Annex(ctx=context(2023), table=table, footnotes=footnotes, target_header=HOSTILE[0],
                 projection_years=[2021, 2022])


def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path):
    communes = pd.DataFrame({
        "indicator_id": ["II.1"] * 2, "indicator": [HOSTILE[0], HOSTILE[1]], "unit_code": ["19996", "20005"],
        "unit": [HOSTILE[3], HOSTILE[4]], "numerator": [1.0, 2.0], "denominator": [4.0, 4.0],
        "value": [25, 50], "decimals": [0, 0], "status": [HOSTILE[2], "Đạt"]})
    book = annex_workbook(_hostile_annex(), communes)
    path = save_workbook(book, tmp_path / "hostile.xlsx")
    with zipfile.ZipFile(path) as archive:
        sheets = [archive.read(n).decode("utf-8") for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in xml or "<f " in xml for xml in sheets)
    reread = load_workbook(path)
    texts = [c for sheet in reread for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    found = {c.value for c in texts}
    for hostile in HOSTILE:
        assert hostile in found or any(hostile in v for v in found), hostile
    for cell in texts:
        assert cell.data_type == "s", (cell.coordinate, cell.value)
        if cell.value.startswith(("=", "+", "-", "@")):
            assert cell.quotePrefix, (cell.coordinate, cell.value)


def test_write_text_never_makes_a_formula():
    sheet = Workbook().active
    for row, text in enumerate(HOSTILE, start=1):
        cell = write_text(sheet.cell(row, 1), text)
        assert cell.value == text and cell.data_type == "s" and cell.quotePrefix
    plain = write_text(sheet.cell(10, 1), "Phường Tứ Hạ")
    assert plain.data_type == "s" and not plain.quotePrefix
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    assert load_workbook(buffer)["Sheet"]["A1"].value == HOSTILE[0]


def test_workbook_mirrors_the_annex_and_the_analysis_report(book_2023, sample_build):
    sheets = load_annex_wording()["excel"]
    assert book_2023.sheetnames == [sheets["annex_sheet"], sheets["matrix_sheet"], sheets["communes_sheet"],
                                    sheets["caveats_sheet"], sheets["reconciliation_sheet"],
                                    sheets["quality_sheet"]]
    matrix = book_2023[sheets["matrix_sheet"]]
    rows = {r[0].value: r for r in matrix.iter_rows(min_row=2) if r[0].value}
    header = [c.value for c in matrix[1]]
    literacy = rows["Phường Tứ Hạ"][header.index("L.1")]
    assert isinstance(literacy.value, float) and literacy.number_format == "#,##0.00"
    assert rows["Thị xã Hương Trà"][header.index("II.1")].value == 42
    below = rows["Thị xã Hương Trà"][header.index("II.1")]
    assert below.font.b and below.fill.fill_type == "darkUp"         # 42 % against 50 %: marked
    quality = pd.read_csv(sample_build["processed"] / "2023" / "quality.csv", encoding="utf-8-sig")
    listed = [r[1] for r in book_2023[sheets["quality_sheet"]].iter_rows(min_row=2, values_only=True)]
    assert listed == quality["text"].tolist()
    reconciliation = [r for r in book_2023[sheets["reconciliation_sheet"]].iter_rows(min_row=2, values_only=True)]
    assert any(r[0] == "III.3" and "(a)" in (r[-1] or "") for r in reconciliation)
    caveats = [r for r in book_2023[sheets["caveats_sheet"]].iter_rows(min_row=2, values_only=True)]
    assert any(r[0] == "II.3" for r in caveats)                       # 71 % outside its plausible range
