"""Messy commune submissions: one fixture file per defect (tests/fixtures_builder.py), each answered
with its exact outcome; every row of every file accounted for; raw files never modified."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import shutil
import zipfile
from pathlib import Path

import fixtures_builder as fb
import pandas as pd
import pytest
from contexts import context
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.checks.clean import clean_year
from helpers.checks.jumps import check_year_jumps, year_on_year_jumps
from helpers.checks.problems import ProblemLog, quality_list, stop_on_errors
from helpers.errors import WorkbookError
from helpers.ingest.cell_values import MISSING, OK, REJECTED, CellReader, parse_vietnamese_decimal
from helpers.ingest.read import read_submissions
from helpers.ingest.sheets import UnreadableFile
from helpers.ingest.submissions import load_submissions
from helpers.ingest.unit_names import ACCENTS, AMBIGUOUS, EXACT, FUZZY, UNKNOWN, UnitNames
from helpers.ingest.wide_sheets import header_key
from helpers.processed import save_clean_year
from helpers.reference import communes_of, load_entity, load_fields, load_ingest_rules, load_units

ENTITY = load_entity()
UNITS = load_units()
FIELDS = load_fields()
COMMUNES = communes_of(ENTITY, UNITS, fb.YEAR)
SHOWN_FIELDS = ["pop_total", "pop_15_60", "lit1_15_60"]
COMMA_REASON = ("dấu phẩy đứng trước đúng ba chữ số: không rõ là dấu ngăn cách hàng nghìn kiểu Anh (1,000 = một "
                "nghìn) hay dấu thập phân (1,000 = một); hãy ghi số không có dấu ngăn cách (như 1000)")
# Problems every three-commune fixture has (the other 44 fields and six communes are not in it).
NOISE = ("Thiếu số liệu bắt buộc", "Chưa có số liệu năm")


def clean_folder(folder, year: int = fb.YEAR) -> dict:
    """The steps of notebooks/01_clean.ipynb on one folder."""
    ctx = context(year)
    subs = read_submissions(folder, ctx)
    cleaned = clean_year(subs, ctx)
    return {"subs": subs, "records": cleaned.records, "clean": cleaned.values, "files": cleaned.files,
            "rejects": cleaned.rejects, "problems": cleaned.problems, "cleaned": cleaned}


@pytest.fixture(scope="module")
def defects(tmp_path_factory) -> dict:
    """Every defect file in its own year folder, read once."""
    root = tmp_path_factory.mktemp("defects")
    out = {}
    for name, build in fb.DEFECTS.items():
        folder = root / name
        folder.mkdir()
        path = build(folder)
        before = hashlib.sha256(path.read_bytes()).hexdigest()
        result = clean_folder(folder)
        result["path"], result["sha_before"] = path, before
        out[name] = result
    return out


def _problems(result: dict) -> list[tuple]:
    p = result["problems"]
    p = p[~p["message"].str.startswith(NOISE) & ~p["message"].str.match(r"Đã đọc \d+ dòng")]
    return [(s[0].upper(), None if pd.isna(r) else int(r), m)
            for s, r, m in zip(p["severity"], p["row"], p["message"], strict=True)]


def _shown_values(result: dict) -> pd.DataFrame:
    clean = result["clean"]
    mine = clean[clean["field"].isin(SHOWN_FIELDS)]
    table = mine.pivot_table(index="unit_code", columns="field", values="value", aggfunc="first", dropna=False)
    return table.reindex(columns=SHOWN_FIELDS).reset_index().rename_axis(columns=None)


GOOD_VALUES = """\
unit_code,pop_total,pop_15_60,lit1_15_60
19996,11000,7000,6800
20005,12500,8000,7800
20035,2200,1400,1350
"""


def _expected_values(text: str) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(text), dtype={"unit_code": "string"})
    return frame.astype({f: "Int64" for f in SHOWN_FIELDS})


# defect → ((rows read, accepted, rejected, total rows, heading rows), [(severity, row, message), …])
EXPECTED = {
    "merged-two-row-header": ((6, 3, 0, 0, 3), [
    ]),
    "three-row-header": ((7, 3, 0, 0, 4), [
    ]),
    "columns-reordered-with-unit-suffix": ((5, 3, 0, 0, 2), [
    ]),
    "csv-utf8-bom": ((6, 3, 0, 0, 3), [
    ]),
    "csv-windows-1258": ((6, 3, 0, 0, 3), [
        ('I', None, 'Đã đọc tệp CSV mã hóa Windows-1258.'),
        ('I', None, 'Đã chuẩn hóa chữ Việt tổ hợp (NFD) sang Unicode dựng sẵn (NFC): 10 ô.'),
    ]),
    "csv-utf16-tabs": ((6, 3, 0, 0, 3), [
        ('I', None, 'Đã đọc tệp CSV mã hóa UTF-16.'),
    ]),
    "numbers-typed-as-text": ((6, 3, 0, 0, 3), [
        ('I', None, 'Số có dấu cách giữa các nhóm chữ số (như “1 234”) được đọc là số nguyên: 2 ô.'),
    ]),
    "decimal-comma-in-count": ((6, 2, 1, 0, 3), [
        ('E', 5, '“Số người 15-60 tuổi biết chữ mức độ 1”: số đếm phải là số nguyên (“97,29”).'),
    ]),
    "percent-in-count": ((6, 2, 1, 0, 3), [
        ('E', 5, '“Số người 15-60 tuổi biết chữ mức độ 1”: ô ghi tỷ lệ “97,29%”: cần số người (số lượng), '
                 'không phải tỷ lệ.'),
    ]),
    "percent-over-100": ((6, 3, 0, 0, 3), [
        ('W', 6, 'Tỷ lệ 105,2 % lớn hơn 100 % (cột này không được dùng; tỷ lệ được tính lại từ số lượng).'),
    ]),
    "fraction-in-count": ((6, 2, 1, 0, 3), [
        ('E', 6, '“Số người 15-60 tuổi biết chữ mức độ 1”: ô ghi phân số “24/26”: cần một số nguyên; ghi '
                 'riêng tử số (24) và mẫu số (26) '
                 'vào hai cột tương ứng.'),
    ]),
    "formula-with-cached-value": ((6, 3, 0, 0, 3), [
        ('I', None, 'Đã đọc giá trị tính sẵn của ô công thức: 1 ô.'),
    ]),
    "formula-without-cached-value": ((6, 2, 1, 0, 3), [
        ('E', 7, '“Tổng dân số”: ô chứa công thức chưa có giá trị tính sẵn (hãy mở tệp bằng Excel, tính lại và '
                 'lưu trước khi gửi).'),
    ]),
    "words-dash-and-khong": ((6, 3, 0, 0, 3), [
        ('I', None, 'Chữ “không” được hiểu là 0: 1 ô.'),
        ('I', None, 'Dấu “-” được hiểu là 0 (không phát sinh): 1 ô.'),
    ]),
    "word-x-not-applicable": ((6, 3, 0, 0, 3), [
        ('W', 7, '“Số người 15-60 tuổi biết chữ mức độ 1”: ô ghi “x” (không áp dụng hoặc không công bố): '
                 'coi là chưa có số liệu.'),
    ]),
    "word-dat-in-count": ((6, 2, 1, 0, 3), [
        ('E', 5, '“Số người 15-60 tuổi biết chữ mức độ 1”: ô không chứa số mà ghi “Đạt”: cần ghi số lượng, '
                 'không ghi kết quả đánh giá.'),
    ]),
    "negative-count": ((6, 2, 1, 0, 3), [
        ('E', 6, '“Dân số từ 15 đến 60 tuổi”: số đếm không được âm.'),
    ]),
    "tcvn3-font": ((6, 3, 0, 0, 3), [
        ('I', None, 'Đã chuyển mã TCVN3 sang Unicode: 10 ô.'),
    ]),
    "vni-font": ((6, 3, 0, 0, 3), [
        ('I', None, 'Đã chuyển mã VNI sang Unicode: 10 ô.'),
    ]),
    "nfd-unit-names": ((6, 3, 0, 0, 3), [
        ('I', None, 'Đã chuẩn hóa chữ Việt tổ hợp (NFD) sang Unicode dựng sẵn (NFC): 3 ô.'),
    ]),
    "unit-name-variants": ((6, 3, 0, 0, 3), [
        ('I', None, 'Đã nhận “P. Tứ Hạ” là Phường Tứ Hạ (19996).'),
        ('I', None, 'Đã nhận “XÃ HƯƠNG TOÀN” là Xã Hương Toàn (20005).'),
        ('I', None, 'Đã nhận “binh tien” (so khớp không dấu) là Xã Bình Tiến (20035).'),
    ]),
    "fuzzy-unit-name": ((6, 3, 0, 0, 3), [
        ('W', 7, 'Đã nhận “Bình Tiếng” (gần đúng) là Xã Bình Tiến (20035); hãy kiểm tra lại.'),
    ]),
    "ambiguous-unaccented-name": ((6, 2, 1, 0, 3), [
        ('E', 5, 'Tên đơn vị “Huong Van” không rõ là đơn vị nào (Phường Hương Vân (20008), Phường Hương Văn '
                 '(20011)); hãy ghi tên có dấu hoặc mã đơn vị.'),
    ]),
    "unknown-unit-name": ((6, 2, 1, 0, 3), [
        ('E', 7, 'Tên đơn vị “Phú Bài” không có trong danh sách phường, xã; gần nhất: Xã Hương Bình (20026), Phường '
                 'Hương Văn (20011), Phường Hương Vân (20008).'),
    ]),
    "row-without-unit-name": ((6, 2, 1, 0, 3), [
        ('E', 7, 'Dòng có số liệu nhưng không ghi tên hay mã đơn vị.'),
    ]),
    "total-row-consistent": ((7, 3, 0, 1, 3), [
    ]),
    "total-row-mismatch": ((7, 3, 0, 1, 3), [
        ('W', 8, 'Dòng tổng ghi “Tổng dân số” là 26000, nhưng tổng 3 phường, xã trong trang là 25700; phụ lục dùng '
                 'số của từng phường, xã.'),
    ]),
    "duplicate-commune-identical": ((7, 3, 1, 0, 3), [
        ('W', 8, 'Phường Tứ Hạ (19996) xuất hiện hai lần với số liệu giống nhau (tệp '
                 'duplicate-commune-identical.xlsx, trang Biểu 1, dòng 5; tệp duplicate-commune-identical.xlsx, '
                 'trang Biểu 1, dòng 8); đã dùng một lần.'),
    ]),
    "duplicate-commune-conflicting": ((7, 2, 2, 0, 3), [
        ('E', 8, 'Phường Tứ Hạ (19996) có 2 bộ số liệu khác nhau (tệp duplicate-commune-conflicting.xlsx, trang Biểu '
                 '1, dòng 5; tệp duplicate-commune-conflicting.xlsx, trang Biểu 1, dòng 8); hãy giữ lại một.'),
    ]),
    "numerator-over-denominator": ((6, 3, 0, 0, 3), [
        ('E', 7, '“Số người 15-60 tuổi biết chữ mức độ 1” (1500) lớn hơn “Dân số từ 15 đến 60 tuổi” (1400): người '
                 'biết chữ của một nhóm tuổi không nhiều hơn dân số nhóm tuổi đó.'),
    ]),
    "age-group-over-population": ((6, 3, 0, 0, 3), [
        ('E', 7, 'Nhóm tuổi “Dân số từ 15 đến 60 tuổi” (2300) lớn hơn “Tổng dân số” (2200): một nhóm tuổi là '
                 'một phần của tổng dân số.'),
    ]),
    "year-mismatch-in-title": ((6, 3, 0, 0, 3), [
        ('E', None, 'Tiêu đề bảng ghi năm 2022, nhưng tệp nằm trong thư mục năm 2023.'),
    ]),
    "unknown-column": ((6, 3, 0, 0, 3), [
        ('W', 3, 'Cột “Số máy tính” không khớp với trường nào (reference/header_aliases.csv): 3 ô của cột này không '
                 'được đọc.'),
    ]),
    "numbering-and-footer-rows": ((8, 3, 0, 0, 5), [
        ('I', 10, 'Dòng “Người lập biểu” không có số liệu và không phải tên phường, xã; đã bỏ qua.'),
    ]),
    "code-column-wins": ((6, 3, 0, 0, 3), [
        ('W', 7, 'Tên đơn vị “Bình Điền” không khớp với mã 20035 (Xã Bình Tiến); đã dùng theo mã.'),
    ]),
    "several-sheets": ((9, 3, 0, 0, 6), [
    ]),
    "template-without-code": ((53, 47, 0, 0, 6), [
        ('I', None, 'Không ghi mã đơn vị; đã nhận “Xã Bình Tiến” là Xã Bình Tiến (20035).'),
    ]),
    "template-wrong-year": ((53, 0, 47, 0, 6), [
        ('E', None, 'Tệp ghi năm báo cáo 2022, nhưng nằm trong thư mục năm 2023.'),
    ]),
    "unreadable-file": ((0, 0, 0, 0, 0), [
        ('E', None, 'Không đọc được tệp Excel (BadZipFile).'),
    ]),
    "no-table-found": ((0, 0, 0, 0, 0), [
        ('W', None, 'Trang này không có bảng số liệu nhận ra được (biểu mẫu có cột “Mã trường”, hoặc bảng có cột tên '
                    'phường, xã và các cột chỉ tiêu); đã bỏ qua.'),
        ('E', None, 'Không tìm thấy bảng số liệu: tệp không theo biểu mẫu (cột “Mã trường” và “Số liệu”) và không có '
                    'bảng với cột tên phường, xã và các cột chỉ tiêu (reference/header_aliases.csv).'),
    ]),
    # hostile files (issue 16); more cases of each class in tests/test_hostile_inputs.py
    "comma-thousands-in-count": ((6, 1, 2, 0, 3), [
        ('E', 5, '“Tổng dân số”: ô ghi “11,000”: ' + COMMA_REASON + '.'),
        ('E', 6, '“Tổng dân số”: ô ghi “12,500”: ' + COMMA_REASON + '.'),
    ]),
    "percent-format-in-count": ((6, 1, 2, 0, 3), [
        ('E', 5, '“Số người 15-60 tuổi biết chữ mức độ 1”: ô được định dạng phần trăm (%) trong Excel: giá '
                 'trị 1 hiện ra là “100%”; cần số '
                 'người (số lượng), không phải tỷ lệ: hãy đổi định dạng ô sang dạng số (Number) và ghi số lượng.'),
        ('E', 6, '“Dân số từ 15 đến 60 tuổi”: ô được định dạng phần trăm (%) trong Excel: giá trị 0,8 hiện '
                 'ra là “80%”; cần số '
                 'người (số lượng), không phải tỷ lệ: hãy đổi định dạng ô sang dạng số (Number) và ghi số lượng.'),
    ]),
    "field-twice-in-template": ((54, 46, 2, 0, 6), [
        ('E', 9, 'Trường “Tổng dân số” có ở 2 dòng của biểu mẫu: dòng 9 và dòng 61 (đang bị ẩn); không dùng '
                 'số liệu nào '
                 'của trường này. Hãy xóa dòng thừa (kể cả dòng bị ẩn), chỉ giữ lại một dòng.'),
        ('E', 61, 'Trường “Tổng dân số” có ở 2 dòng của biểu mẫu: dòng 9 và dòng 61 (đang bị ẩn); không '
                  'dùng số liệu nào '
                  'của trường này. Hãy xóa dòng thừa (kể cả dòng bị ẩn), chỉ giữ lại một dòng.'),
    ]),
    "huge-cell-reference": ((0, 0, 0, 0, 0), [
        ('E', None, 'Tệp quá lớn, vượt giới hạn đọc: trang “Biểu 1” có ô XFD1048576 (dòng 1.048.576, cột 16.384: bảng '
                    'từ A1 đến ô này có 17.179.869.184 ô); một trang được đọc tối đa 200.000 dòng, 2.000 cột và '
                    '10.000.000 ô (reference/ingest.toml, [limits]). Tệp không được đọc; nếu đó là ô thừa, hãy xóa các '
                    'dòng, cột thừa rồi lưu và gửi lại.'),
    ]),
    "declared-size-too-large": ((6, 3, 0, 0, 3), [
        ('W', None, 'Trang khai báo vùng dữ liệu A1:XFD1048576 (1.048.576 dòng × 16.384 cột), vượt giới hạn đọc '
                    '(200.000 dòng, 2.000 cột, 10.000.000 ô một trang; reference/ingest.toml, [limits]); khai báo này '
                    'không được dùng, chỉ các ô thật sự có trong trang được đọc.'),
    ]),
    "count-with-23-digits": ((6, 1, 2, 0, 3), [
        ('E', 5, '“Tổng dân số”: số quá lớn (23 chữ số): số đếm không thể lớn như vậy, và Excel chỉ giữ đúng 15 chữ '
                 'số (“12345678901234567890123”).'),
        ('E', 6, '“Tổng dân số”: số quá lớn (23 chữ số): số đếm không thể lớn như vậy, và Excel chỉ giữ đúng 15 chữ '
                 'số.'),
    ]),
    "password-protected": ((0, 0, 0, 0, 0), [
        ('E', None, 'Tệp có mật khẩu (tệp Excel được mã hóa bằng mật khẩu): không đọc được nội dung. Hãy mở tệp bằng '
                    'Excel, bỏ mật khẩu (Tệp › Thông tin › Bảo vệ sổ làm việc › Mã hóa bằng mật khẩu: xóa mật khẩu), '
                    'lưu rồi gửi lại.'),
    ]),
}

# Fixtures whose three communes come through with exactly the good values (the defect is fixed
# or only reported); the others are checked one by one below.
CLEAN_THROUGH = [
    "merged-two-row-header", "three-row-header", "columns-reordered-with-unit-suffix", "csv-utf8-bom",
    "csv-windows-1258", "csv-utf16-tabs", "numbers-typed-as-text", "percent-over-100",
    "formula-with-cached-value", "tcvn3-font", "vni-font", "nfd-unit-names", "unit-name-variants",
    "fuzzy-unit-name", "total-row-consistent", "total-row-mismatch", "duplicate-commune-identical",
    "year-mismatch-in-title", "unknown-column", "numbering-and-footer-rows", "code-column-wins", "several-sheets",
    "declared-size-too-large",
]


def test_there_are_at_least_25_distinct_defects():
    assert len(fb.DEFECTS) >= 25
    assert set(EXPECTED) == set(fb.DEFECTS)


@pytest.mark.parametrize("name", sorted(fb.DEFECTS))
def test_each_defect_gets_its_exact_outcome(defects, name):
    counts, problems = EXPECTED[name]
    files = defects[name]["files"]
    assert len(files) == 1
    line = files.iloc[0]
    lines, accepted, rejected, total, heading = counts  # lines: every non-empty line of the file
    assert (line["rows_read"], line["rows_accepted"], line["rows_rejected"], line["rows_total"],
            line["rows_heading"]) == (lines - heading, accepted, rejected, total, heading)
    assert _problems(defects[name]) == problems


@pytest.mark.parametrize("name", sorted(fb.DEFECTS))
def test_every_row_is_accounted_for(defects, name):
    files = defects[name]["files"]
    identity = files["rows_accepted"] + files["rows_rejected"] + files["rows_total"]
    assert (files["rows_read"] == identity).all()
    rows = defects[name]["subs"].rows
    assert len(rows) == (files["rows_read"] + files["rows_heading"]).sum()
    assert not rows.duplicated(["file", "sheet", "row"]).any()


@pytest.mark.parametrize("name", sorted(fb.DEFECTS))
def test_raw_files_are_never_modified(defects, name):
    path = defects[name]["path"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == defects[name]["sha_before"]


@pytest.mark.parametrize("name", CLEAN_THROUGH)
def test_messy_but_valid_tables_give_the_same_values(defects, name):
    pd.testing.assert_frame_equal(_shown_values(defects[name]), _expected_values(GOOD_VALUES))


@pytest.mark.parametrize("name, expected", [
    # the rejected cell is missing, the commune's other cells are kept
    ("decimal-comma-in-count", "19996,11000,7000,\n20005,12500,8000,7800\n20035,2200,1400,1350\n"),
    ("percent-in-count", "19996,11000,7000,\n20005,12500,8000,7800\n20035,2200,1400,1350\n"),
    ("word-dat-in-count", "19996,11000,7000,\n20005,12500,8000,7800\n20035,2200,1400,1350\n"),
    ("fraction-in-count", "19996,11000,7000,6800\n20005,12500,8000,\n20035,2200,1400,1350\n"),
    ("negative-count", "19996,11000,7000,6800\n20005,12500,,7800\n20035,2200,1400,1350\n"),
    ("formula-without-cached-value", "19996,11000,7000,6800\n20005,12500,8000,7800\n20035,,1400,1350\n"),
    ("word-x-not-applicable", "19996,11000,7000,6800\n20005,12500,8000,7800\n20035,2200,1400,\n"),
    # "-" and "không" are 0
    ("words-dash-and-khong", "19996,11000,7000,6800\n20005,12500,8000,0\n20035,2200,1400,0\n"),
    # a rejected or unresolved unit is left out
    ("ambiguous-unaccented-name", "20005,12500,8000,7800\n20035,2200,1400,1350\n"),
    ("unknown-unit-name", "19996,11000,7000,6800\n20005,12500,8000,7800\n"),
    ("row-without-unit-name", "19996,11000,7000,6800\n20005,12500,8000,7800\n"),
    ("duplicate-commune-conflicting", "20005,12500,8000,7800\n20035,2200,1400,1350\n"),
    # checks report, they do not change values
    ("numerator-over-denominator", "19996,11000,7000,6800\n20005,12500,8000,7800\n20035,2200,1400,1500\n"),
    ("age-group-over-population", "19996,11000,7000,6800\n20005,12500,8000,7800\n20035,2200,2300,1350\n"),
    ("template-without-code", "20035,2200,1400,1350\n"),
    # numbers read only when unambiguous (issue 16): English thousands, percent formats, 23 digits;
    # "1.400,0" (Vietnamese dot thousands and decimal comma, whole) is 1400
    ("comma-thousands-in-count", "19996,,7000,6800\n20005,,8000,7800\n20035,2200,1400,1350\n"),
    ("percent-format-in-count", "19996,11000,7000,\n20005,12500,,7800\n20035,2200,1400,1350\n"),
    ("count-with-23-digits", "19996,,7000,6800\n20005,,8000,7800\n20035,2200,1400,1350\n"),
])
def test_defective_tables_keep_exactly_the_good_cells(defects, name, expected):
    header = "unit_code,pop_total,pop_15_60,lit1_15_60\n"
    pd.testing.assert_frame_equal(_shown_values(defects[name]), _expected_values(header + expected))


def test_rejects_table_names_file_sheet_row_column_and_reason(defects):
    rejects = defects["percent-in-count"]["rejects"]
    expected = pd.DataFrame([{
        "file": "percent-in-count.xlsx", "sheet": "Biểu 1", "row": 5, "column": "E · Biết chữ mức độ 1 / 15-60 tuổi",
        "field": "lit1_15_60", "value": "97,29%",
        "reason": "“Số người 15-60 tuổi biết chữ mức độ 1”: ô ghi tỷ lệ “97,29%”: cần số người (số lượng), "
                  "không phải tỷ lệ.",
    }]).astype({"row": "Int64", "value": "string"})
    pd.testing.assert_frame_equal(rejects, expected, check_dtype=False)
    unit = defects["unknown-unit-name"]["rejects"]
    assert list(unit[["row", "column", "value"]].itertuples(index=False, name=None)) == [(7, "B · Đơn vị", "Phú Bài")]
    assert unit["reason"].iloc[0].startswith("Tên đơn vị “Phú Bài” không có trong danh sách phường, xã; gần nhất:")


def test_missing_communes_are_listed(defects):
    problems = defects["merged-two-row-header"]["problems"]
    missing = problems.loc[problems["message"].str.startswith("Chưa có số liệu năm 2023"), "value"]
    assert sorted(missing) == ["20008", "20011", "20017", "20020", "20026", "20041"]


def test_errors_stop_the_year_listing_every_error_and_keep_the_previous_output(defects, tmp_path):
    good = defects["merged-two-row-header"]["cleaned"]
    save_clean_year(tmp_path, dataclasses.replace(good, problems=good.problems.iloc[0:0]))
    before = (tmp_path / "2023" / "values.csv").read_bytes()
    bad = defects["percent-in-count"]
    save_clean_year(tmp_path, bad["cleaned"])
    with pytest.raises(WorkbookError) as caught:
        stop_on_errors(bad["problems"], 2023)
    message = str(caught.value)
    errors = bad["problems"][bad["problems"]["severity"] == "error"]
    assert message.startswith(f"Số liệu năm 2023 có {len(errors)} lỗi")
    assert "97,29%" in message and "Thiếu số liệu bắt buộc" in message
    assert (tmp_path / "2023" / "values.csv").read_bytes() == before
    problems = pd.read_csv(tmp_path / "2023" / "problems.csv", encoding="utf-8-sig")
    assert (problems["severity"] == "error").sum() == len(errors)
    quality = bad["cleaned"].quality
    assert list(quality.columns) == ["severity", "text"]
    assert quality["severity"].iloc[0] == "Lỗi" and quality["severity"].iloc[-1] == "Thông tin"
    rejects = pd.read_csv(tmp_path / "2023" / "rejects.csv", encoding="utf-8-sig")
    assert rejects["value"].tolist() == ["97,29%"]


def test_quality_list_says_what_was_read_fixed_and_rejected(defects):
    quality = quality_list(defects["tcvn3-font"]["problems"])
    texts = quality["text"].tolist()
    assert "tệp tcvn3-font.xlsx: Đã chuyển mã TCVN3 sang Unicode: 10 ô." in texts
    assert ("tệp tcvn3-font.xlsx: Đã đọc 3 dòng số liệu (bảng các phường, xã): nhận 3, loại 0, dòng tổng 0; "
            "bỏ qua 3 dòng tiêu đề/ghi chú; 0 ô bị loại.") in texts
    names = quality_list(defects["unit-name-variants"]["problems"])["text"].tolist()
    assert "tệp unit-name-variants.xlsx: Đã nhận “P. Tứ Hạ” là Phường Tứ Hạ (19996)." in names


def test_legacy_fonts_are_converted_by_font_not_guessed(tmp_path):
    # The same bytes in a Unicode font stay as typed: the font decides, not the text.
    path = fb.write_wide(tmp_path / "a.xlsx", fb.base_rows(), font=".VnTime")
    from helpers.ingest.sheets import read_excel_sheets

    sheet = read_excel_sheets(path)[0]
    assert sheet.rows[4][1] == "Phường Tứ Hạ"
    plain = tmp_path / "b.xlsx"
    fb.write_wide(plain, [[1, fb.legacy_encode("Phường Tứ Hạ", "tcvn3"), 1, 1, 1]])
    assert read_excel_sheets(plain)[0].rows[4][1] == fb.legacy_encode("Phường Tứ Hạ", "tcvn3")


def _rezipped(path, target, *, method=zipfile.ZIP_DEFLATED, extra: bytes = b"", comment: bytes = b"",
              spoil: str | None = None):
    """``path`` written again member by member with ``method`` and an ``extra`` field in each
    header (as archivers add timestamps), and an archive ``comment``; ``spoil`` names a member whose
    deflated bytes are overwritten (a damaged download)."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", method) as out:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, info.date_time)
            member.compress_type, member.extra = method, extra
            out.writestr(member, source.read(info.filename))
        out.comment = comment
    if spoil:
        data = bytearray(target.read_bytes())
        with zipfile.ZipFile(target) as archive:
            info = archive.getinfo(spoil)
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        data[start:start + 40] = b"\xff" * 40
        target.write_bytes(bytes(data))
    return target


@pytest.mark.parametrize(("method", "extra", "comment"), [
    (zipfile.ZIP_DEFLATED, b"", b""),
    (zipfile.ZIP_DEFLATED, b"UT\x05\x00\x01\x80\x5a\x6b\x65", b""),      # an extended-timestamp field
    (zipfile.ZIP_STORED, b"", b""),
    (zipfile.ZIP_DEFLATED, b"", "Biểu của xã".encode()),                  # an archive comment: zipfile reads it
])
def test_formulas_and_legacy_fonts_are_found_in_deflated_and_stored_workbooks(tmp_path, monkeypatch, method, extra,
                                                                              comment):
    from helpers.ingest.sheets import _workbook_features

    plain = fb.write_wide(tmp_path / "plain.xlsx", fb.base_rows())
    legacy = fb.write_wide(tmp_path / "legacy.xlsx", fb.base_rows(), font=".VnTime")
    formula = fb.formula_without_cached_value(tmp_path)
    rezipped = {source: _rezipped(source, tmp_path / f"again-{source.name}", method=method, extra=extra,
                                  comment=comment) for source in (plain, legacy, formula)}
    if not comment:     # the members of a plain archive are read from its bytes directly
        monkeypatch.setattr(zipfile.ZipFile, "__init__", lambda *a, **k: pytest.fail("zipfile was used"))
    for source, expected in [(plain, (False, False)), (legacy, (False, True)), (formula, (True, False))]:
        assert _workbook_features(rezipped[source].read_bytes()) == expected, source.name


def _zip64(path, target, monkeypatch):
    """``path`` written again by zipfile with zip64 end records (as it writes them past 65,535 members)."""
    with monkeypatch.context() as patch:
        patch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for info in source.infolist():
                out.writestr(info.filename, source.read(info.filename))
    assert b"PK\x06\x06" in target.read_bytes()
    return target


def _force_zip64(path, target):
    """``path`` written again with a zip64 field in each member's local header."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            with out.open(info.filename, "w", force_zip64=True) as member:
                member.write(source.read(info.filename))
    return target


def _respoiled(path, target, member: str):
    """``path`` with the stored bytes of ``member`` changed but not their length (a CRC-32 mismatch)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 100:start + 110] = b"0123456789"
    target.write_bytes(bytes(data))
    return target


def _members_read(members, data: bytes) -> object:
    """Each member's name and content (or the name of what reading it raised), or what listing raised."""
    def content(read):
        try:
            return read()
        except Exception as exc:  # noqa: BLE001 - the error is what is compared
            return type(exc).__name__

    try:
        return [(name, content(read)) for name, read in members(data)]
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__


def test_the_fast_zip_reader_reads_what_zipfile_reads(tmp_path, monkeypatch):
    """helpers.ingest.fast_zip against its plain equivalent, zipfile, as the oracle: the same
    members and contents for the sample workbooks and the fixtures, rewritten stored, with extra
    fields, a comment, zip64 records; the same refusal for damaged, truncated and non-zip files."""
    from helpers.ingest import fast_zip
    from helpers.paths import RAW_DIR

    plain = fb.write_wide(tmp_path / "plain.xlsx", fb.base_rows())
    legacy = fb.write_wide(tmp_path / "legacy.xlsx", fb.base_rows(), font=".VnTime")
    formula = fb.formula_without_cached_value(tmp_path)
    sheet = "xl/worksheets/sheet1.xml"
    books = [*sorted(RAW_DIR.glob("*/*.xlsx"))[:6], plain, legacy, formula,
             _rezipped(plain, tmp_path / "stored.xlsx", method=zipfile.ZIP_STORED),
             _rezipped(legacy, tmp_path / "extra.xlsx", extra=b"UT\x05\x00\x01\x80\x5a\x6b\x65"),
             _rezipped(formula, tmp_path / "comment.xlsx", comment="Biểu của xã".encode()),
             _zip64(plain, tmp_path / "zip64.xlsx", monkeypatch),
             _force_zip64(legacy, tmp_path / "zip64-local.xlsx"),
             _rezipped(plain, tmp_path / "damaged.xlsx", spoil=sheet),
             _respoiled(_rezipped(plain, tmp_path / "s.xlsx", method=zipfile.ZIP_STORED), tmp_path / "crc.xlsx",
                        sheet)]
    contents = [(book.name, book.read_bytes()) for book in books]
    contents += [("truncated.xlsx", plain.read_bytes()[:-30]), ("cut-in-half.xlsx", plain.read_bytes()[:2000]),
                 ("not-a-zip.xlsx", b"PK\x05\x06" + bytes(18)), ("empty.xlsx", b"")]
    refused = set()
    for name, data in contents:
        expected = _members_read(fast_zip.zipfile_members, data)
        assert _members_read(fast_zip.zip_members, data) == expected, name
        if isinstance(expected, str) or any(isinstance(content, str) for _, content in expected):
            refused.add(name)
    assert len(contents) > 15 and {"damaged.xlsx", "crc.xlsx", "truncated.xlsx", "empty.xlsx"} <= refused
    assert fast_zip._listed_members((tmp_path / "zip64.xlsx").read_bytes()) is None        # zipfile reads it
    assert fast_zip._listed_members((tmp_path / "comment.xlsx").read_bytes()) is None
    assert fast_zip._listed_members(plain.read_bytes()) is not None                         # the fast path


def test_a_damaged_sheet_inside_a_workbook_is_reported_not_raised(tmp_path):
    from helpers.ingest.sheets import _workbook_features, read_sheets

    good = fb.write_wide(tmp_path / "good.xlsx", fb.base_rows())
    damaged = _rezipped(good, tmp_path / "damaged.xlsx", spoil="xl/worksheets/sheet1.xml")
    assert _workbook_features(damaged.read_bytes()) == (True, True)     # openpyxl is asked, and says why
    with pytest.raises(UnreadableFile, match="^Không đọc được tệp Excel"):
        read_sheets(damaged)


# --- unit names ----------------------------------------------------------------------------------

@pytest.mark.parametrize("written, method, code", [
    ("P. Tứ Hạ", EXACT, "19996"),
    ("Phường Tứ Hạ", EXACT, "19996"),
    ("phuong Tu Ha", ACCENTS, "19996"),
    ("TT. Tứ Hạ", EXACT, "19996"),
    ("Xã Hương Toàn", EXACT, "20005"),
    ("XÃ HƯƠNG TOÀN", EXACT, "20005"),
    ("x. huong toan", ACCENTS, "20005"),
    ("Hương Văn", EXACT, "20011"),
    ("Hương Vân", EXACT, "20008"),
    ("Huong Van", AMBIGUOUS, ""),
    ("phường huong van", AMBIGUOUS, ""),
    ("Bình Thàng", FUZZY, "20041"),
    ("Phú Bài", UNKNOWN, ""),
    ("", UNKNOWN, ""),
])
def test_unit_names_resolve_in_tiers(written, method, code):
    match = UnitNames(COMMUNES).resolve(written)
    assert (match.method, match.code) == (method, code)


def test_ambiguous_names_list_both_candidates():
    match = UnitNames(COMMUNES).resolve("Huong Van")
    assert match.candidates == ("Phường Hương Vân (20008)", "Phường Hương Văn (20011)")


# --- headers and cells ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, key", [
    ("Dân số 15-60 tuổi (người)", "dan so 15-60 tuoi"),
    ("Dân số từ 15 đến 60 tuổi", "dan so 15-60 tuoi"),
    ("Dân số 15 – 60 tuổi", "dan so 15-60 tuoi"),
    ("  TÊN   XÃ/PHƯỜNG ", "ten xa phuong"),
    ("Tỷ lệ (%)", "ty le"),
])
def test_header_key(text, key):
    assert header_key(text) == key


READER = CellReader()


@pytest.mark.parametrize("cell, status, value", [
    (1234, OK, 1234), (1234.0, OK, 1234), ("1.234", OK, 1234), ("1 234", OK, 1234), ("12\u00a0345", OK, 12345),
    ("0", OK, 0), ("-", OK, 0), ("không", OK, 0), ("Không có", OK, 0),
    (None, MISSING, None), ("  ", MISSING, None), ("x", MISSING, None), ("X", MISSING, None), ("...", MISSING, None),
    ("97,29", REJECTED, None), ("97,29%", REJECTED, None), ("24/26", REJECTED, None), ("Đạt", REJECTED, None),
    ("Chưa đạt", REJECTED, None), (-5, REJECTED, None), ("-5", REJECTED, None), (True, REJECTED, None),
    (97.5, REJECTED, None), ("1,234", REJECTED, None), ("12.5", REJECTED, None), ("abc", REJECTED, None),
    ("1E3", REJECTED, None), ("+5", REJECTED, None), ("\u0663", REJECTED, None),
])
def test_count_cells(cell, status, value):
    parsed = READER.parse_count(cell)
    assert (parsed.status, parsed.value) == (status, value)
    assert (parsed.reason != "") == (status == REJECTED or cell in ("x", "X", "..."))


def test_percent_over_100_in_a_count_says_so():
    assert READER.parse_count("105,2%").reason.endswith("không phải tỷ lệ; tỷ lệ 105,2 % lớn hơn 100 %")


NUMBER_LIKE = re.compile(r"^[0-9.,\s\u00a0\u202f\u2009]+$")


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=12))
def test_parsing_random_text_never_raises_and_never_invents_numbers(text):
    parsed = READER.parse_count(text)
    assert parsed.status in (OK, MISSING, REJECTED)
    if parsed.status == OK:
        word = " ".join(text.strip().lower().split())
        assert NUMBER_LIKE.match(text.strip()) or word in READER.words, text
    decimal = parse_vietnamese_decimal(text)
    assert decimal is None or NUMBER_LIKE.match(text.strip())


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**9))
def test_numbers_written_the_vietnamese_way_read_back(number):
    dotted = f"{number:,}".replace(",", ".")
    spaced = f"{number:,}".replace(",", " ")
    assert READER.parse_count(dotted).value == number
    assert READER.parse_count(spaced).value == number


# --- year-over-year jumps ------------------------------------------------------------------------

def test_implausible_jump_from_last_year_is_flagged_not_rejected(defects):
    result = defects["merged-two-row-header"]
    previous = result["clean"].copy()
    previous.loc[previous["field"] == "pop_total", "value"] = [5000, 12400, 2150]
    problems = ProblemLog()
    jumps = check_year_jumps(result["clean"], previous, FIELDS, load_ingest_rules(), problems)
    expected = pd.DataFrame([{"unit_code": "19996", "field": "pop_total", "previous": 5000, "value": 11000}])
    pd.testing.assert_frame_equal(jumps.reset_index(drop=True), expected, check_dtype=False)
    assert problems.frame()["severity"].tolist() == ["warning"]
    assert "5000 → 11000" in problems.frame()["message"].iloc[0]


# --- the data-entry template for communes --------------------------------------------------------

def test_blank_templates_are_written_per_commune_and_read_back(tmp_path):
    from helpers.publish.commune_forms import write_commune_templates

    paths = write_commune_templates(2023, tmp_path / "template")
    assert len(paths) == len(COMMUNES) == 9
    one = tmp_path / "year"
    one.mkdir()
    shutil.copy(paths[0], one / paths[0].name)
    result = clean_folder(one)
    assert result["records"][["unit_code", "unit_status"]].values.tolist() == [["19996", "ok"]]
    assert result["files"]["rows_accepted"].tolist() == [len(FIELDS)]
    messages = result["problems"]["message"]
    assert messages.str.startswith("Thiếu số liệu bắt buộc").sum() == len(FIELDS)


# --- end to end: a district-wide table through the clean notebook --------------------------------

SAME_LABEL = {  # two fields share the catalogue label "Trong đó, số được công nhận công dân học tập"
    "learning_citizens_community": "Công dân học tập / Trong đó được công nhận công dân học tập cộng đồng",
    "learning_citizens_staff": "Công dân học tập / Trong đó được công nhận công dân học tập đơn vị",
}


def test_a_district_table_gives_the_same_clean_values_as_the_templates(sample_build, tmp_path):
    """The 2023 sample data typed as one wide table (fields in reverse order, unit suffixes, a
    two-row header, names instead of codes, a total row) is read to the same values."""
    from helpers.processed import load_clean_values
    from helpers.run.batch import run_steps

    expected = load_clean_values(sample_build["processed"], 2023)[["unit_code", "field", "value"]]
    table = expected.pivot(index="unit_code", columns="field", values="value")
    fields = list(FIELDS["field"])[::-1]
    names = COMMUNES.set_index("code")["full_name"]
    groups, labels = ["STT", "Tên đơn vị"], [None, None]
    catalogue = FIELDS.set_index("field")
    for f in fields:
        label = SAME_LABEL.get(f) or f"{catalogue.loc[f, 'label']} ({catalogue.loc[f, 'unit']})"
        group, _, sub = label.rpartition(" / ")
        groups.append(group or sub)
        labels.append(sub if group else None)
    rows = [[i + 1, names[code].upper() if i % 2 else names[code], *[int(table.loc[code, f]) for f in fields]]
            for i, code in enumerate(table.index)]
    rows.append([None, "Tổng cộng", *[int(table[f].sum()) for f in fields]])
    raw = tmp_path / "raw" / "2023"
    raw.mkdir(parents=True)
    fb.write_wide(raw / "bang_tong_hop_2023.xlsx", rows, header=[groups, labels], merges=["A3:A4", "B3:B4"])
    before = hashlib.sha256((raw / "bang_tong_hop_2023.xlsx").read_bytes()).hexdigest()

    result = run_steps(2023, ("01_clean.ipynb",), raw_dir=tmp_path / "raw", processed_dir=tmp_path / "processed",
                       output_dir=tmp_path / "output", target_level="province", kernel_name="xhht", render=False)
    assert result.status == "built", result.message
    got = load_clean_values(tmp_path / "processed", 2023)[["unit_code", "field", "value"]]
    order = ["unit_code", "field"]
    pd.testing.assert_frame_equal(got.sort_values(order).reset_index(drop=True),
                                  expected.sort_values(order).reset_index(drop=True))
    files = pd.read_csv(tmp_path / "processed" / "2023" / "files.csv", encoding="utf-8-sig")
    assert files[["rows_read", "rows_accepted", "rows_rejected", "rows_total", "rows_heading"]].values.tolist() == [
        [10, 9, 0, 1, 3]]
    problems = pd.read_csv(tmp_path / "processed" / "2023" / "problems.csv", encoding="utf-8-sig")
    assert "error" not in set(problems["severity"])
    assert (tmp_path / "processed" / "2023" / "rejects.csv").exists()
    assert hashlib.sha256((raw / "bang_tong_hop_2023.xlsx").read_bytes()).hexdigest() == before


def test_jump_check_compares_the_clean_values_of_two_years():
    """02_indicators compares the year's clean values with last year's (both from values.csv)."""
    from helpers.paths import RAW_DIR

    values = pd.concat([clean_folder(RAW_DIR / str(y), y)["clean"] for y in (2023, 2024)], ignore_index=True)
    problems = year_on_year_jumps(values, context(2024))
    # the sample's community learning citizens go from none recognised in 2023 to some in 2024
    assert set(problems["column"]) == {"Trong đó, số được công nhận công dân học tập"}   # the label, not the code
    assert (problems["severity"] == "warning").all()
    row = problems[problems["message"].str.contains("đơn vị 19996")].iloc[0]
    assert "(0 → 209)" in row["message"] and row["value"] == "209"
    assert row["file"].endswith(".xlsx") and row["row"] > 0          # names where the 2024 count was read
    assert year_on_year_jumps(values, context(2023)).empty       # no 2022 values given
    assert year_on_year_jumps(values[values["year"] == 2024], context(2024)).empty


# --- reading in several processes ------------------------------------------------------------------

@pytest.mark.parametrize("files_per_run", [250, 3])
def test_several_reading_processes_give_exactly_what_one_gives(tmp_path, monkeypatch, files_per_run):
    """Every defect file in one folder (template and wide sheets, CSV, .xls, legacy fonts, broken
    files): read by three worker processes, the values, records, row accounting, rejects, totals,
    problems and file list are those of one process, record numbers included; also when the
    workers take the files in many short runs, each the next one free."""
    from helpers.ingest import reading_pool

    monkeypatch.setattr(reading_pool, "FILES_PER_RUN", files_per_run)
    folder, scratch = tmp_path / str(fb.YEAR), tmp_path / "one"
    folder.mkdir()
    scratch.mkdir()
    for name, build in fb.DEFECTS.items():
        made = build(scratch)
        made.rename(folder / f"{name}{made.suffix}")
    assert len(list(folder.iterdir())) == len(fb.DEFECTS)
    one = load_submissions(folder, fb.YEAR, FIELDS, COMMUNES, workers=1)
    three = load_submissions(folder, fb.YEAR, FIELDS, COMMUNES, workers=3)
    for name in ("values", "records", "rows", "rejects", "totals", "files"):
        pd.testing.assert_frame_equal(getattr(three, name), getattr(one, name), obj=name)
    pd.testing.assert_frame_equal(three.problems.frame(), one.problems.frame(), obj="problems")
    assert three.records["record"].is_unique and len(one.records) > len(fb.DEFECTS) // 2
    assert set(three.values["record"]) <= set(three.records["record"])


def test_a_file_that_breaks_a_reading_process_stops_the_read_with_its_error(tmp_path, monkeypatch):
    """An unexpected error in a worker reaches the caller as itself (the runs not yet started are
    dropped), as it would in one process."""
    from helpers.ingest import reading_pool, submissions

    folder, scratch = tmp_path / str(fb.YEAR), tmp_path / "one"
    folder.mkdir()
    scratch.mkdir()
    for name, build in list(fb.DEFECTS.items())[:12]:
        made = build(scratch)
        made.rename(folder / f"{name}{made.suffix}")
    reading = submissions.read_submission_file

    def breaks_on_the_fifth(path, intake):
        if Path(path).name == sorted(p.name for p in folder.iterdir())[4]:
            raise OSError("đĩa hỏng")
        return reading(path, intake)

    monkeypatch.setattr(reading_pool, "FILES_PER_RUN", 2)
    monkeypatch.setattr(submissions, "read_submission_file", breaks_on_the_fifth)
    with pytest.raises(OSError, match="đĩa hỏng"):
        load_submissions(folder, fb.YEAR, FIELDS, COMMUNES, workers=2)


def test_reading_leaves_the_garbage_collector_as_it_found_it(tmp_path, monkeypatch):
    """The collector is paused while the rows pile up, then given back: on after a normal read,
    on after a read that failed half-way, and still off for a caller who had switched it off."""
    import gc

    from helpers.ingest import submissions

    folder = tmp_path / str(fb.YEAR)
    folder.mkdir()
    next(iter(fb.DEFECTS.values()))(folder)
    assert gc.isenabled()
    load_submissions(folder, fb.YEAR, FIELDS, COMMUNES, workers=1)
    assert gc.isenabled()

    def broken(path, intake):
        assert not gc.isenabled()          # paused while reading
        raise OSError("đĩa hỏng")

    with monkeypatch.context() as patch:
        patch.setattr(submissions, "read_submission_file", broken)
        with pytest.raises(OSError):
            load_submissions(folder, fb.YEAR, FIELDS, COMMUNES, workers=1)
    assert gc.isenabled()
    gc.disable()
    try:
        load_submissions(folder, fb.YEAR, FIELDS, COMMUNES, workers=1)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_year_of_a_few_dozen_files_is_read_in_this_process(monkeypatch):
    from helpers.ingest import reading_pool

    monkeypatch.setattr(reading_pool.os, "sched_getaffinity", lambda _pid: set(range(8)), raising=False)
    assert reading_pool.read_workers(9) == reading_pool.read_workers(150) == 1
    assert reading_pool.read_workers(300) == 3                 # about a hundred files a worker
    assert reading_pool.read_workers(10_000) == 8              # at most one a core


def test_reading_processes_start_and_stop_inside_a_jupyter_kernel(tmp_path):
    """An analyst's notebook reads a large year in worker processes started from the kernel."""
    import nbformat
    from nbclient import NotebookClient

    from helpers.paths import NOTEBOOKS_DIR, RAW_DIR

    for form in (RAW_DIR / "2023").glob("[12]*.xlsx"):     # the nine communes' forms of the thị xã
        shutil.copy(form, tmp_path / form.name)
    code = ("from helpers.reference import load_fields\n"
            "from helpers.ingest.submissions import load_submissions\n"
            f"one = load_submissions(r'{tmp_path}', 2023, load_fields(), workers=1)\n"
            f"two = load_submissions(r'{tmp_path}', 2023, load_fields(), workers=2)\n"
            "print(len(two.values), two.values.equals(one.values), two.records.equals(one.records))")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(notebook, kernel_name="xhht", timeout=120, resources={"metadata": {"path": str(NOTEBOOKS_DIR)}}
                   ).execute()
    printed = "".join(o.get("text", "") for o in notebook.cells[0].outputs).split()
    assert printed == [str(9 * len(FIELDS)), "True", "True"], notebook.cells[0].outputs


def test_problem_sentences_of_a_table_equal_those_of_each_row(defects):
    from helpers.checks.problems import describe_problem, describe_problems

    problems = pd.concat([result["problems"] for result in defects.values()], ignore_index=True)
    assert problems["row"].isna().any() and problems["row"].notna().any() and (problems["sheet"] == "").any()
    assert describe_problems(problems) == [describe_problem(p) for _, p in problems.iterrows()]
    assert describe_problems(problems.iloc[:0]) == []


@pytest.mark.parametrize(("xml", "expected"), [
    (b'<row r="2"><c r="B2"><f>SUM(B3:B9)</f><v>12</v></c></row>', True),
    (b'<x:row><x:c r="B2"><x:f>B3+B4</x:f></x:c></x:row>', True),          # a namespace prefix
    (b'<c r="B3"><f t="shared" ref="B3:B9" si="0"/></c>', True),
    (b'<c r="B4"><f t="shared" si="0"/></c>', True),
    (b'<c r="A1" t="inlineStr"><is><t>Ghi ch\xc3\xba:f &lt;f&gt;</t></is></c>', False),  # only text
    (b'<c r="B2"><v>12</v></c>', False),
])
def test_formula_cells_are_recognised_in_the_sheet_xml(xml, expected):
    from helpers.ingest.sheets import _has_formula_element

    assert _has_formula_element(xml) is expected
