"""Hostile and ambiguous submissions (issue 16), class by class: numbers are read only when they
are unambiguous; no file stops the reading of a year (each gets a Vietnamese message naming it);
what is not a submission is skipped and listed. The fixture files of tests/fixtures_builder.py
give one example of each class with its exact outcome (tests/test_ingest.py); here, the other
members of each class."""

from __future__ import annotations

import struct
import tomllib
import zipfile
from pathlib import Path

import fixtures_builder as fb
import pandas as pd
import pytest
import xlwt
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from test_ingest import COMMUNES, FIELDS

from helpers.ingest import cfb, fast_zip, submissions
from helpers.ingest.cell_values import OK, REJECTED, CellReader
from helpers.ingest.sheets import Limits, TooLarge, UnreadableFile, default_limits, is_percent_format, read_sheets
from helpers.ingest.submissions import Intake, has_submission_files, load_submissions, scan_year_folder
from helpers.ingest.template import write_template
from helpers.numbers import NotACount, parse_count
from helpers.reference import load_ingest_rules

READER = CellReader()
ASK_WITHOUT_SEPARATORS = "hãy ghi số không có dấu ngăn cách"


def _read(folder: Path, workers: int = 1, rules: dict | None = None):
    return load_submissions(folder, fb.YEAR, FIELDS, COMMUNES, workers=workers, rules=rules)


def _messages(subs, file: str) -> list[str]:
    problems = subs.problems.frame()
    return problems.loc[problems["file"] == file, "message"].tolist()


# --- A. numbers read only when unambiguous -----------------------------------------------------------

@pytest.mark.parametrize("text", [
    "1,000", "2,000", "12,500", "999,999", "1,000,000", "1,234,567", " 2,000 ", "1,000.5", "12,500.00",
    "1234,000", "1.000,000", "0,500",
])
def test_a_comma_before_exactly_three_digits_is_never_read(text):
    """English thousands ("1,000" = one thousand) or a decimal comma ("1,000" = one): a count is
    never silently 1, 1.0 or 12.5; the cell asks for the figure without separators."""
    parsed = READER.parse_count(text)
    assert (parsed.status, parsed.value) == (REJECTED, None)
    assert ASK_WITHOUT_SEPARATORS in parsed.reason and f"“{text.strip()}”" in parsed.reason
    with pytest.raises(NotACount, match=ASK_WITHOUT_SEPARATORS):
        parse_count(text)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1000, max_value=10**12), st.sampled_from(["", ".5", ".00"]))
def test_english_thousands_notation_never_gives_a_number(number, decimals):
    parsed = READER.parse_count(f"{number:,}{decimals}")
    assert parsed.status == REJECTED and ASK_WITHOUT_SEPARATORS in parsed.reason


@pytest.mark.parametrize("text, status, value, says", [
    ("97,29", REJECTED, None, "số đếm phải là số nguyên"),    # a Vietnamese decimal: not a whole number
    ("1,5", REJECTED, None, "số đếm phải là số nguyên"),
    ("1,50", REJECTED, None, "số đếm phải là số nguyên"),
    ("1.000.000,5", REJECTED, None, "cách viết Việt Nam (dấu chấm ngăn cách hàng nghìn, dấu phẩy thập phân) là "
                                    "1000000,5"),
    ("1.000,5", REJECTED, None, "là 1000,5"),
    ("1.000,0", OK, 1000, ""),                 # dot thousands and a decimal comma, whole: unambiguous
    ("1,0", OK, 1, ""),                        # a decimal comma and a zero: whole
    ("1.234.567", OK, 1234567, ""),            # dot thousands, as Vietnamese sheets write them
    ("12 500", OK, 12500, ""),
])
def test_vietnamese_notation_is_read_and_mixed_separators_are_decided(text, status, value, says):
    parsed = READER.parse_count(text)
    assert (parsed.status, parsed.value) == (status, value)
    assert says in parsed.reason


@pytest.mark.parametrize("cell", [
    "12345678901234567890123", 12345678901234567890123, 1.2345678901234568e22, 10**15, "1.000.000.000.000.000",
])
def test_a_count_of_more_than_15_digits_is_refused_not_overflowed(cell):
    parsed = READER.parse_count(cell)
    assert parsed.status == REJECTED and "số quá lớn" in parsed.reason
    assert READER.parse_count(10**15 - 1).value == 10**15 - 1


def test_a_23_digit_count_in_a_template_is_reported_with_its_place(tmp_path):
    values = {f: 0 for f in FIELDS["field"]}
    values.update(pop_total=12345678901234567890123, pop_15_60="12345678901234567890123")
    write_template(tmp_path / "mau.xlsx", FIELDS, unit_code="20035", year=fb.YEAR, values=values)
    subs = _read(tmp_path)
    rejects = subs.rejects.set_index("field")
    assert set(rejects.index) == {"pop_total", "pop_15_60"}
    assert rejects["reason"].str.contains("số quá lớn \\(23 chữ số\\)").all()
    assert (rejects["row"] > 7).all() and (rejects["file"] == "mau.xlsx").all()
    assert not subs.values["field"].isin(["pop_total", "pop_15_60"]).any()
    assert subs.values["value"].max() == 0                    # the others are read, as Int64


@pytest.mark.parametrize("code, percent", [
    ("0%", True), ("0.00%", True), ("0.0%", True), ("#,##0.00%", True), ("0%;[Red]-0%", True),
    ("[<=1]0%;0", True), ('0"%"', False), ("0\\%", False), ("#,##0", False), ("General", False),
    ('"Tỷ lệ" 0', False), ("0.00_%", False),
])
def test_percent_number_formats(code, percent):
    assert is_percent_format(code) is percent


PERCENT_CELLS = {"B2": "0%", "C2": "0.00%", "D2": "0.0%", "E2": "#,##0.00%"}
OTHER_CELLS = {"F2": '0"%"', "G2": "#,##0", "H2": "General"}


@pytest.mark.parametrize("through", ["python-calamine", "openpyxl"])
def test_number_cells_formatted_as_percents_are_found(tmp_path, through):
    book = Workbook()
    sheet = book.active
    sheet.title = "Biểu 1"
    for ref, code in {**PERCENT_CELLS, **OTHER_CELLS}.items():
        sheet[ref] = 1
        sheet[ref].number_format = code
    sheet["A3"] = "=1+1" if through == "openpyxl" else 2       # a formula: read with openpyxl
    book.save(tmp_path / "b.xlsx")
    found = read_sheets(tmp_path / "b.xlsx")[0].percent_cells
    assert found == {(1, 1), (1, 2), (1, 3), (1, 4)}


def _xls(path: Path, cells: dict[tuple[int, int], tuple[object, str | None]], sheet: str = "Biểu 1") -> Path:
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet(sheet)
    for (r, c), (value, code) in cells.items():
        if code:
            ws.write(r, c, value, xlwt.easyxf(num_format_str=code))
        else:
            ws.write(r, c, value)
    book.save(str(path))
    return path


def test_number_cells_formatted_as_percents_are_found_in_xls_files(tmp_path):
    _xls(tmp_path / "b.xls", {(0, 0): ("Đơn vị", None), (1, 1): (1, "0%"), (1, 2): (0.5, "0.0%"),
                             (1, 3): (7, "#,##0"), (1, 4): (3.5, None)})
    assert read_sheets(tmp_path / "b.xls")[0].percent_cells == {(1, 1), (1, 2)}


def test_a_percent_formatted_count_in_a_wide_xls_table_is_rejected(tmp_path):
    cells = {(0, 0): (fb.TITLE, None)}
    for r, row in enumerate(fb.HEADER, start=2):
        cells.update({(r, c): (v, None) for c, v in enumerate(row) if v is not None})
    for r, row in enumerate(fb.base_rows(), start=4):
        cells.update({(r, c): (v, None) for c, v in enumerate(row)})
    cells[(4, 4)] = (1, "0%")
    _xls(tmp_path / "bang.xls", cells)
    subs = _read(tmp_path)
    assert subs.rejects[["row", "field"]].values.tolist() == [[5, "lit1_15_60"]]
    assert "định dạng phần trăm" in subs.rejects["reason"].iloc[0]


def test_text_in_a_percent_formatted_cell_is_read_as_typed():
    assert READER.parse_count("1.234", percent_format=True).value == 1234
    assert READER.parse_count(None, percent_format=True).status == "missing"


def test_a_field_on_several_rows_of_a_form_names_every_row_and_uses_none(tmp_path):
    values = {f: 0 for f in FIELDS["field"]}
    values.update(pop_total=2200, pop_15_60=1400)
    path = write_template(tmp_path / "mau.xlsx", FIELDS, unit_code="20035", year=fb.YEAR, values=values)
    book = load_workbook(path)
    sheet = book.active
    last = sheet.max_row
    for row, value in ((last + 1, 2300), (last + 2, "2.400")):
        sheet.cell(row=row, column=2, value="pop_total")
        sheet.cell(row=row, column=5, value=value)
    sheet.row_dimensions[last + 2].hidden = True
    book.save(path)
    subs = _read(tmp_path)
    first = int(subs.rows.loc[(subs.rows["kind"] == "data"), "row"].min())     # pop_total is the first field
    reason = (f"Trường “Tổng dân số” có ở 3 dòng của biểu mẫu: dòng {first}, dòng {last + 1} và "
              f"dòng {last + 2} (đang bị ẩn); không dùng số liệu nào của trường này. Hãy xóa dòng thừa (kể cả dòng "
              "bị ẩn), chỉ giữ lại một dòng.")
    assert subs.rejects[["row", "value", "reason"]].values.tolist() == [
        [first, "2200", reason], [last + 1, "2300", reason], [last + 2, "2.400", reason]]
    assert "pop_total" not in set(subs.values["field"])
    assert set(subs.values["field"]) == set(FIELDS["field"]) - {"pop_total"}
    rows = subs.rows.set_index("row")
    assert rows.loc[[first, last + 1, last + 2], "status"].tolist() == ["rejected"] * 3
    assert (rows.loc[[first, last + 1, last + 2], "reason"] == reason).all()


def test_the_hidden_duplicate_fixture_keeps_the_other_fields(tmp_path):
    fb.field_twice_in_template(tmp_path)
    values = _read(tmp_path).values.set_index("field")["value"]
    assert "pop_total" not in values.index
    assert (values["pop_15_60"], values["lit1_15_60"]) == (1400, 1350)


# --- B. no file crashes the reading of a year ----------------------------------------------------------

CELL = fb.inline_cell


@pytest.mark.parametrize("sheet_data, after_data, where", [
    ('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', "", "XFD1048576"),
    ('<row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', "",
     "XFD1048576"),                                                   # with a formula: through openpyxl
    ('<row r="300000"><c r="A300000"><v>1</v></c></row>', "", "A300000"),        # too many rows
    ('<row r="1"><c r="CCC1"><v>1</v></c></row>', "", "CCC1"),                  # too many columns
    ('<row r="1"><c r="A1"><v>1</v></c></row><row r="9000"><c r="BER9000"><v>1</v></c></row>', "", "BER9000"),
    ('<row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row>', '<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/>'
     "</mergeCells>", "XFD1048576"),                                  # a merged range over the whole sheet
    ('<row r="1"><c r="A1"><v>1</v></c></row>', '<mergeCells count="1"><mergeCell ref="B2:ZZZ5"/></mergeCells>',
     "ZZZ5"),
    ("<row>" + "<c><v>1</v></c>" * 2500 + "</row>", "", "BXY1"),       # cells that do not name their place:
    # the 2001st column is the first over the limits
    ('<row r="1"><c r="A1"><v>1</v></c></row><row r="250000"><c><v>1</v></c></row>', "", "A250000"),
])
def test_a_far_cell_is_over_the_limits_and_nothing_is_allocated(tmp_path, sheet_data, after_data, where):
    path = fb.hand_built_xlsx(tmp_path / "xa.xlsx", sheet_data, after_data=after_data, dimension="A1")
    with pytest.raises(TooLarge, match=f"^Tệp quá lớn, vượt giới hạn đọc: trang “Biểu 1” có ô {where} "):
        read_sheets(path)


def test_a_far_cell_in_a_sheet_written_with_a_namespace_prefix(tmp_path):
    xml = (f'<?xml version="1.0"?><x:worksheet xmlns:x="{fb.SHEET_NS}"><x:sheetData><x:row r="1">'
           '<x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>')
    with pytest.raises(TooLarge, match="XFD1048576"):
        read_sheets(fb.hand_built_xlsx(tmp_path / "ns.xlsx", "", xml=xml))


@pytest.mark.parametrize("sheet_data", [
    '<row r="1"><c r="A1"><v>1</v></c><c r="AAA1"><v>2</v></c></row>',                    # 703 columns
    '<row r="2"><c r="B2"><v>1</v></c></row><row r="10000"><c r="A10000"><v>2</v></c></row>',  # 10,000 rows
    "<row>" + "<c><v>1</v></c>" * 30 + "</row><row><c><v>2</v></c></row>",               # no references
])
def test_a_sheet_within_the_limits_is_read_whole(tmp_path, sheet_data):
    sheet = read_sheets(fb.hand_built_xlsx(tmp_path / "ok.xlsx", sheet_data))[0]
    assert sum(v is not None for row in sheet.rows for v in row) in (2, 31)


def test_shared_strings_claiming_billions_of_texts_are_over_the_limits(tmp_path):
    strings = (f'<?xml version="1.0"?><sst xmlns="{fb.SHEET_NS}" count="4000000000" uniqueCount="4000000000">'
               "<si><t>Đơn vị</t></si></sst>")
    path = fb.hand_built_xlsx(tmp_path / "sst.xlsx", '<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
                              shared_strings=strings)
    with pytest.raises(TooLarge, match="khai báo 4.000.000.000 chuỗi chữ"):
        read_sheets(path)


def _limits(**changes) -> Limits:
    return Limits(**{**default_limits().__dict__, **changes})


def test_a_workbook_that_unzips_past_the_limit_is_not_read(tmp_path):
    path = fb.write_wide(tmp_path / "b.xlsx", fb.base_rows())
    with pytest.raises(TooLarge, match="^Tệp quá lớn, vượt giới hạn đọc: nội dung nén của tệp giải nén ra"):
        read_sheets(path, limits=_limits(max_unpacked_bytes=2000))
    with pytest.raises(TooLarge, match="^Tệp quá lớn \\("):
        read_sheets(path, limits=_limits(max_file_bytes=1000))
    assert read_sheets(path)[0].rows[4][1] == "Phường Tứ Hạ"


def test_a_member_is_never_inflated_past_its_listed_size(tmp_path):
    """A zip bomb that lists a small size: the fast reader stops at the size and a byte, and
    zipfile (the way out) refuses the member."""
    path = tmp_path / "bom.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/worksheets/sheet1.xml", bytes(20_000_000))
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x01\x02")
    struct.pack_into("<L", data, end + 24, 10)                      # listed size in the directory: 10 bytes
    members = fast_zip.zip_members(bytes(data))
    assert fast_zip._unpacked(bytes(data), *fast_zip._listed_members(bytes(data))[0][1]) is None
    with pytest.raises(zipfile.BadZipFile):
        members[0][1]()


@pytest.mark.parametrize("through", ["python-calamine", "openpyxl", "csv"])
def test_a_cell_longer_than_excel_allows_is_over_the_limits(tmp_path, through):
    long = "x" * 40_000
    if through == "csv":
        path = tmp_path / "dai.csv"
        path.write_text(f"Đơn vị,Dân số\n{long},1\n", encoding="utf-8")
    else:
        formula = '<c r="B1"><f>1+1</f><v>2</v></c>' if through == "openpyxl" else ""
        path = fb.hand_built_xlsx(tmp_path / "dai.xlsx", f'<row r="1">{CELL("A1", long)}{formula}</row>')
    with pytest.raises(TooLarge, match="có một ô dài 40.000 ký tự, quá giới hạn 32.767 ký tự"):
        read_sheets(path)


def test_a_csv_file_over_the_limits_is_not_read(tmp_path):
    (tmp_path / "rong.csv").write_text("," * 3000 + "\n", encoding="utf-8")
    with pytest.raises(TooLarge, match="cột 3.001"):
        read_sheets(tmp_path / "rong.csv")
    (tmp_path / "dai.csv").write_text("a," + "x" * 200_000 + "\n", encoding="utf-8")   # past csv's own field limit
    with pytest.raises(TooLarge, match="quá giới hạn 32.767 ký tự"):
        read_sheets(tmp_path / "dai.csv")


def _patched_xls(tmp_path: Path, record: bytes, values: bytes) -> Path:
    """An .xls file with the first ``record`` (type and length bytes) given other content."""
    path = _xls(tmp_path / "a.xls", {(0, 0): ("Đơn vị", None), (1, 1): (1.23456789, None)})
    data = bytearray(path.read_bytes())
    at = data.find(record)
    assert at > 0
    data[at + 4:at + 4 + len(values)] = values
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("record, values, says", [
    (b"\x00\x02\x0e\x00", struct.pack("<IIHH", 0, 4_000_000_000, 0, 255), "khai báo vùng dữ liệu"),   # DIMENSIONS
    (b"\x03\x02\x0e\x00", struct.pack("<HH", 65535, 65535), "có ô"),                              # a NUMBER cell
])
def test_an_xls_file_claiming_billions_of_cells_is_not_given_to_the_reader(tmp_path, record, values, says):
    with pytest.raises(TooLarge, match=f"trang “Biểu 1” {says}"):
        read_sheets(_patched_xls(tmp_path, record, values))


def test_password_protected_workbooks_are_told_apart_from_xls_files(tmp_path):
    minimal = tmp_path / "mat-khau.xlsx"        # only the signature and the stream's name
    minimal.write_bytes(cfb.SIGNATURE + bytes(504) + "EncryptedPackage".encode("utf-16-le"))
    for path in (minimal, fb.password_protected(tmp_path)):
        with pytest.raises(UnreadableFile, match="^Tệp có mật khẩu"):
            read_sheets(path)
    xls = _xls(tmp_path / "that.xls", {(0, 0): ("Đơn vị", None), (1, 1): (5, None)})
    assert not cfb.is_encrypted_package(xls.read_bytes()) and cfb.names_a_workbook_stream(xls.read_bytes())
    misnamed = tmp_path / "doi-duoi.xlsx"
    misnamed.write_bytes(xls.read_bytes())
    sheet = read_sheets(misnamed)[0]
    assert sheet.rows[1][1] == 5 and "nhưng là bảng tính Excel 97-2003 (.xls)" in next(iter(sheet.fixes))
    other = tmp_path / "van-ban.xls"            # a compound file with no workbook stream (a .doc)
    other.write_bytes(cfb.SIGNATURE + bytes(504) + "WordDocument".encode("utf-16-le"))
    with pytest.raises(UnreadableFile, match="^Tệp không phải bảng tính Excel"):
        read_sheets(other)


def test_an_xls_file_with_a_password_is_reported_as_such(tmp_path):
    """An .xls workbook protected by a password has a FILEPASS record after its first BOF."""
    path = _xls(tmp_path / "a.xls", {(0, 0): ("Đơn vị", None)})
    data = bytearray(path.read_bytes())
    stream = cfb.workbook_stream(bytes(data))
    (length,) = struct.unpack_from("<H", stream, 2)
    at = bytes(data).find(stream[:8]) + 4 + length                   # the record after the BOF
    struct.pack_into("<H", data, at, 0x002F)
    path.write_bytes(bytes(data))
    with pytest.raises(UnreadableFile, match="^Tệp có mật khẩu"):
        read_sheets(path)


def test_an_empty_file_is_reported(tmp_path):
    (tmp_path / "rong.xlsx").write_bytes(b"")
    with pytest.raises(UnreadableFile, match="^Tệp rỗng"):
        read_sheets(tmp_path / "rong.xlsx")


def _year_with_hostile_files(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    fb.write_wide(folder / "a-good.xlsx", fb.base_rows())
    for build in (fb.huge_cell_reference, fb.password_protected, fb.count_with_23_digits, fb.unreadable_file):
        build(folder)
    fb.write_csv(folder / "z-good.csv", fb.base_rows())


@pytest.mark.parametrize("workers", [1, 2])
def test_an_unexpected_error_in_one_file_is_reported_and_the_year_goes_on(tmp_path, monkeypatch, workers):
    """Any error while one file is read (here a reader raising half-way through a sheet, after some
    of its rows were taken) gives one message naming the file, none of that file's rows, and the
    other files read as without it; in one process and in reading processes."""
    folder = tmp_path / str(fb.YEAR)
    _year_with_hostile_files(folder)
    expected = _read(folder, workers=1)
    fb.write_wide(folder / "m-broken.xlsx", fb.base_rows())
    read_cell = Intake.read_cell
    calls = {"n": 0}

    def breaks_half_way(self, sheet, *args, **kwargs):
        if sheet.file == "m-broken.xlsx":
            calls["n"] += 1
            if calls["n"] == 4:
                raise KeyError("ô lạ")
        return read_cell(self, sheet, *args, **kwargs)

    monkeypatch.setattr(Intake, "read_cell", breaks_half_way)
    got = _read(folder, workers=workers)
    assert _messages(got, "m-broken.xlsx") == [
        "Không đọc được tệp m-broken.xlsx (lỗi: KeyError: 'ô lạ'); tệp này bị bỏ qua, các tệp khác vẫn được đọc."]
    for name in ("values", "records", "rows", "rejects", "totals"):
        table = getattr(got, name)
        assert not (table["file"] == "m-broken.xlsx").any(), name
        pd.testing.assert_frame_equal(table.drop(columns="record", errors="ignore"),
                                      getattr(expected, name).drop(columns="record", errors="ignore"), obj=name)
    assert got.files["file"].tolist() == sorted([*expected.files["file"], "m-broken.xlsx"])
    good = got.values[got.values["file"].isin(["a-good.xlsx", "z-good.csv"])]
    assert len(good) == 18


def test_a_reader_raising_for_one_file_is_reported(tmp_path, monkeypatch):
    folder = tmp_path / str(fb.YEAR)
    _year_with_hostile_files(folder)
    real = submissions.read_sheets

    def parser(path, *args, **kwargs):
        if Path(path).name == "a-good.xlsx":
            raise RuntimeError("bộ đọc hỏng")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(submissions, "read_sheets", parser)
    subs = _read(folder)
    assert _messages(subs, "a-good.xlsx") == [
        "Không đọc được tệp a-good.xlsx (lỗi: RuntimeError: bộ đọc hỏng); tệp này bị bỏ qua, các tệp khác vẫn được "
        "đọc."]
    assert set(subs.values["file"]) == {"count-with-23-digits.xlsx", "z-good.csv"}
    assert subs.files["sha256"].str.len().eq(64).all()


def test_a_year_of_hostile_files_is_read_with_one_message_for_each(tmp_path):
    folder = tmp_path / str(fb.YEAR)
    _year_with_hostile_files(folder)
    subs = _read(folder)
    assert _messages(subs, "huge-cell-reference.xlsx")[0].startswith("Tệp quá lớn, vượt giới hạn đọc")
    assert _messages(subs, "password-protected.xlsx")[0].startswith("Tệp có mật khẩu")
    assert _messages(subs, "unreadable-file.xlsx") == ["Không đọc được tệp Excel (BadZipFile)."]
    assert len(subs.values[subs.values["file"] == "a-good.xlsx"]) == 9


def test_a_file_over_the_size_limit_is_hashed_not_read(tmp_path):
    folder = tmp_path / str(fb.YEAR)
    folder.mkdir()
    fb.write_wide(folder / "b.xlsx", fb.base_rows())
    rules = load_ingest_rules()
    rules = {**rules, "limits": {**rules["limits"], "max_file_mb": 0.001}}
    subs = _read(folder, rules=rules)
    assert _messages(subs, "b.xlsx")[0].startswith("Tệp quá lớn (")
    assert subs.files["sha256"].tolist() == [__import__("hashlib").sha256((folder / "b.xlsx").read_bytes()).hexdigest()]
    assert subs.values.empty


def test_the_limits_are_in_the_reference_file():
    limits = tomllib.loads((Path(__file__).parents[1] / "reference" / "ingest.toml").read_text("utf-8"))["limits"]
    assert set(limits) == {"max_file_mb", "max_unpacked_mb", "max_rows", "max_columns", "max_cells",
                           "max_text_length"}
    assert default_limits() == Limits.from_rules({"limits": limits})


# --- C. what is not a submission is skipped and listed ------------------------------------------------

JUNK = ["._bang.xlsx", "~$bang.xlsx", ".~lock.bang.xlsx#", "Thumbs.db", ".DS_Store", "desktop.ini", "ghi-chu.docx"]


def test_files_that_are_not_submissions_are_skipped_listed_and_do_not_stop_the_year(tmp_path):
    folder = tmp_path / str(fb.YEAR)
    folder.mkdir()
    fb.write_wide(folder / "bang.xlsx", fb.base_rows())
    for name in JUNK:
        (folder / name).write_bytes(b"\x00\x05\x16\x07 not a workbook")
    (folder / "__MACOSX" / "sub").mkdir(parents=True)
    (folder / "__MACOSX" / "._bang.xlsx").write_bytes(b"\x00\x05\x16\x07")
    (folder / "__MACOSX" / "sub" / "._x.xlsx").write_bytes(b"\x00\x05\x16\x07")
    (folder / "cu").mkdir()
    (folder / "declared").mkdir()
    subs = _read(folder)
    assert subs.files["file"].tolist() == ["bang.xlsx"]
    skipped = sorted([*JUNK, "__MACOSX/._bang.xlsx", "__MACOSX/sub/._x.xlsx", "cu/"])
    assert subs.skipped["file"].tolist() == skipped
    problems = subs.problems.frame()
    listed = problems[problems["file"].isin(skipped)]
    assert sorted(listed["file"]) == skipped and (listed["severity"] == "info").all()
    assert listed["message"].str.startswith("Đã bỏ qua: ").all()
    assert "error" not in set(problems["severity"])
    assert len(subs.values) == 9
    only_junk = tmp_path / "junk"
    only_junk.mkdir()
    for name in JUNK:
        (only_junk / name).write_bytes(b"x")
    assert not has_submission_files(only_junk)
    assert scan_year_folder(only_junk)[0] == []


def test_hidden_rows_are_read_from_xlsx_and_xls_files(tmp_path):
    book = Workbook()
    book.active["A1"], book.active["A4"] = "a", "b"
    book.active.row_dimensions[4].hidden = True
    book.save(tmp_path / "an.xlsx")
    legacy = xlwt.Workbook()
    sheet = legacy.add_sheet("S")
    sheet.write(0, 0, "a")
    sheet.write(3, 0, "b")
    sheet.row(3).hidden = True
    legacy.save(str(tmp_path / "an.xls"))
    for name in ("an.xlsx", "an.xls"):
        assert read_sheets(tmp_path / name)[0].rows_hidden() == {3}, name
