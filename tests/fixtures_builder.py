"""Bad and messy submission files, one per defect, written from code so they can be reviewed.

Each builder writes one file named after its defect into a folder. ``python tests/fixtures_builder.py
DIR`` writes them all for a person to open in Excel; the tests write them into temporary folders.
The communes are those of the sample district (reference/units.csv), year 2023.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import sys
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from viparse.normalize.encodings import get_charmap

from helpers.ingest.template import write_template
from helpers.reference import load_fields

YEAR = 2023
# Three communes with consistent counts: (code, name as the district writes it, total, 15-60, literate 15-60).
BASE = [
    ("19996", "Phường Tứ Hạ", 11000, 7000, 6800),
    ("20005", "Xã Hương Toàn", 12500, 8000, 7800),
    ("20035", "Xã Bình Tiến", 2200, 1400, 1350),
]
TITLE = f"BẢNG TỔNG HỢP SỐ LIỆU XÃ HỘI HỌC TẬP NĂM {YEAR}"
# Two header rows: "Dân số" merged over "Tổng số" and "15-60 tuổi"; STT and Đơn vị merged down.
HEADER = [
    ["STT", "Đơn vị", "Dân số", None, "Biết chữ mức độ 1"],
    [None, None, "Tổng số", "15-60 tuổi", "15-60 tuổi"],
]
MERGES = ["A3:A4", "B3:B4", "C3:D3"]
FIRST_DATA_ROW = 5          # Excel row of the first commune with the default layout


def base_rows(names: list[str] | None = None) -> list[list[object]]:
    """The three communes as table rows: STT, name, population, 15-60, literate 15-60."""
    names = names or [b[1] for b in BASE]
    return [[i + 1, name, b[2], b[3], b[4]] for i, (name, b) in enumerate(zip(names, BASE, strict=True))]


def legacy_encode(text: str, encoding: str) -> str:
    """Unicode text as typed with a legacy font (the inverse of viparse's table), for fixtures."""
    inverse: dict[str, str] = {}
    for legacy, uni in get_charmap(encoding).pairs:
        inverse.setdefault(uni, legacy)
    return "".join(inverse.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


def cp1258_encode(text: str) -> bytes:
    """Vietnamese text in Windows-1258 (base letters with precomposed forms, tones as combining marks)."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        out += next(encoded for encoded in _cp1258_spellings(base, marks) if encoded is not None)
    return bytes(out)


def _cp1258_spellings(base: str, marks: str):
    """Ways to write a letter in Windows-1258: a precomposed base letter plus combining tone marks."""
    for order in itertools.permutations(marks):
        for i in range(len(order), -1, -1):
            try:
                yield (unicodedata.normalize("NFC", base + "".join(order[:i])).encode("cp1258")
                       + "".join(order[i:]).encode("cp1258"))
            except UnicodeEncodeError:
                yield None
    yield b"?"


def write_wide(path: Path, rows: list[list[object]], *, header: list[list[object]] | None = None,
               merges: list[str] | None = None, title: str | None = TITLE, font: str | None = None,
               sheet: str = "Biểu 1", extra_sheets: dict[str, list[list[object]]] | None = None,
               formulas: dict[str, str] | None = None) -> Path:
    """A commune table: a title row, a blank row, the header (row 3 on), then ``rows``."""
    book = Workbook()
    ws = book.active
    ws.title = sheet
    _fill_sheet(ws, rows, header or HEADER, MERGES if merges is None else merges, title, font)
    for cell, formula in (formulas or {}).items():
        ws[cell] = formula
    for name, extra_rows in (extra_sheets or {}).items():
        _fill_sheet(book.create_sheet(name), extra_rows, header or HEADER, MERGES if merges is None else merges,
                    title, font)
    book.save(path)
    return path


def _fill_sheet(ws, rows, header, merges, title, font) -> None:
    legacy = {".VnTime": "tcvn3", "VNI-Times": "vni"}.get(font or "")

    def put(r: int, c: int, value: object) -> None:
        if isinstance(value, str) and legacy:
            value = legacy_encode(value, legacy)
        cell = ws.cell(row=r, column=c, value=value)
        if font:
            cell.font = Font(name=font)

    if title:
        put(1, 1, title)
    for i, header_row in enumerate(header):
        for c, value in enumerate(header_row, start=1):
            if value is not None:
                put(3 + i, c, value)
    for rng in merges:
        ws.merge_cells(rng)
    for i, row in enumerate(rows):
        for c, value in enumerate(row, start=1):
            if value is not None:
                put(3 + len(header) + i, c, value)


def write_csv(path: Path, rows: list[list[object]], *, encoding: str = "utf-8-sig", delimiter: str = ",",
              header: list[list[object]] | None = None) -> Path:
    """A CSV export of the table (merged header cells exported as blanks right of their text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([TITLE])
    for header_row in header or HEADER:
        writer.writerow(["" if v is None else v for v in header_row])
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    text = buffer.getvalue()
    data = cp1258_encode(text) if encoding == "cp1258" else text.encode(encoding)
    Path(path).write_bytes(data)
    return path


def add_cached_value(path: Path, cell: str, value: object) -> Path:
    """Give a formula cell the cached value Excel would have saved (openpyxl writes none)."""
    with zipfile.ZipFile(path) as zin:
        items = {name: zin.read(name) for name in zin.namelist()}
    sheet_xml = items["xl/worksheets/sheet1.xml"].decode("utf-8")
    pattern = rf'(<c r="{cell}"[^>]*>)(<f>[^<]*</f>)(<v\s*/>|<v></v>)?'
    sheet_xml, count = re.subn(pattern, rf"\1\2<v>{value}</v>", sheet_xml)
    assert count == 1, f"no formula in {cell}"
    items["xl/worksheets/sheet1.xml"] = sheet_xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in items.items():
            zout.writestr(name, data)
    return path


def _set(rows: list[list[object]], r: int, c: int, value: object) -> list[list[object]]:
    rows[r][c] = value
    return rows


# --- the defects, one file each ---------------------------------------------------------------

def merged_two_row_header(d: Path) -> Path:
    return write_wide(d / "merged-two-row-header.xlsx", base_rows())


def three_row_header(d: Path) -> Path:
    header = [["STT", "Tên xã, phường", "Dân số", None, "Xóa mù chữ"],
              [None, None, "Tổng số", "15-60 tuổi", "Biết chữ mức độ 1"],
              [None, None, None, None, "15-60 tuổi"]]
    return write_wide(d / "three-row-header.xlsx", base_rows(), header=header,
                      merges=["A3:A5", "B3:B5", "C3:D3", "C4:C5", "D4:D5"])


def columns_reordered_with_unit_suffix(d: Path) -> Path:
    header = [["Dân số từ 15 đến 60 tuổi (người)", "Số người 15-60 tuổi biết chữ mức độ 1 (người)",
               "Tổng dân số (người)", "Tên đơn vị"]]
    rows = [[b[3], b[4], b[2], b[1]] for b in BASE]
    return write_wide(d / "columns-reordered-with-unit-suffix.xlsx", rows, header=header, merges=[])


def csv_utf8_bom(d: Path) -> Path:
    return write_csv(d / "csv-utf8-bom.csv", base_rows())


def csv_windows_1258(d: Path) -> Path:
    return write_csv(d / "csv-windows-1258.csv", base_rows(), encoding="cp1258", delimiter=";")


def csv_utf16_tabs(d: Path) -> Path:
    return write_csv(d / "csv-utf16-tabs.csv", base_rows(), encoding="utf-16", delimiter="\t")


def numbers_typed_as_text(d: Path) -> Path:
    rows = base_rows()
    rows[0][2:5] = ["11.000", "7 000", "6\u00a0800"]
    return write_wide(d / "numbers-typed-as-text.xlsx", rows)


def decimal_comma_in_count(d: Path) -> Path:
    return write_wide(d / "decimal-comma-in-count.xlsx", _set(base_rows(), 0, 4, "97,29"))


def percent_in_count(d: Path) -> Path:
    return write_wide(d / "percent-in-count.xlsx", _set(base_rows(), 0, 4, "97,29%"))


def percent_over_100(d: Path) -> Path:
    header = [row + [None] for row in HEADER]
    header[0][5] = "Tỷ lệ biết chữ (%)"
    rows = [row + [rate] for row, rate in zip(base_rows(), ["97,14", "105,2", 96.43], strict=True)]
    return write_wide(d / "percent-over-100.xlsx", rows, header=header, merges=[*MERGES, "F3:F4"])


def fraction_in_count(d: Path) -> Path:
    return write_wide(d / "fraction-in-count.xlsx", _set(base_rows(), 1, 4, "24/26"))


def formula_with_cached_value(d: Path) -> Path:
    rows = base_rows()
    rows[2][2] = None
    path = write_wide(d / "formula-with-cached-value.xlsx", rows, formulas={"C7": "=1100+1100"})
    return add_cached_value(path, "C7", 2200)


def formula_without_cached_value(d: Path) -> Path:
    rows = base_rows()
    rows[2][2] = None
    return write_wide(d / "formula-without-cached-value.xlsx", rows, formulas={"C7": "=1100+1100"})


def words_dash_and_khong(d: Path) -> Path:
    rows = base_rows()
    rows[2][4] = "-"
    rows[1][4] = " Không "
    return write_wide(d / "words-dash-and-khong.xlsx", rows)


def word_x_not_applicable(d: Path) -> Path:
    return write_wide(d / "word-x-not-applicable.xlsx", _set(base_rows(), 2, 4, "x"))


def word_dat_in_count(d: Path) -> Path:
    return write_wide(d / "word-dat-in-count.xlsx", _set(base_rows(), 0, 4, "Đạt"))


def negative_count(d: Path) -> Path:
    return write_wide(d / "negative-count.xlsx", _set(base_rows(), 1, 3, -8000))


def tcvn3_font(d: Path) -> Path:
    return write_wide(d / "tcvn3-font.xlsx", base_rows(), font=".VnTime")


def vni_font(d: Path) -> Path:
    return write_wide(d / "vni-font.xlsx", base_rows(), font="VNI-Times")


def nfd_unit_names(d: Path) -> Path:
    names = [unicodedata.normalize("NFD", b[1]) for b in BASE]
    return write_wide(d / "nfd-unit-names.xlsx", base_rows(names))


def unit_name_variants(d: Path) -> Path:
    return write_wide(d / "unit-name-variants.xlsx", base_rows(["P. Tứ Hạ", "XÃ HƯƠNG TOÀN", "binh tien"]))


def fuzzy_unit_name(d: Path) -> Path:
    return write_wide(d / "fuzzy-unit-name.xlsx", base_rows(["Tứ Hạ", "Hương Toàn", "Bình Tiếng"]))


def ambiguous_unaccented_name(d: Path) -> Path:
    rows = base_rows()
    rows[0][1] = "Huong Van"
    return write_wide(d / "ambiguous-unaccented-name.xlsx", rows)


def unknown_unit_name(d: Path) -> Path:
    rows = base_rows()
    rows[2][1] = "Phú Bài"
    return write_wide(d / "unknown-unit-name.xlsx", rows)


def row_without_unit_name(d: Path) -> Path:
    rows = base_rows()
    rows[2][1] = None
    return write_wide(d / "row-without-unit-name.xlsx", rows)


def total_row_consistent(d: Path) -> Path:
    rows = base_rows()
    rows.append([None, "Tổng cộng", sum(b[2] for b in BASE), sum(b[3] for b in BASE), sum(b[4] for b in BASE)])
    return write_wide(d / "total-row-consistent.xlsx", rows)


def total_row_mismatch(d: Path) -> Path:
    rows = base_rows()
    rows.append(["Toàn thị xã", None, 26000, sum(b[3] for b in BASE), sum(b[4] for b in BASE)])
    return write_wide(d / "total-row-mismatch.xlsx", rows, merges=[*MERGES, "A8:B8"])


def duplicate_commune_identical(d: Path) -> Path:
    rows = base_rows()
    rows.append([4, "Tứ Hạ", *rows[0][2:]])
    return write_wide(d / "duplicate-commune-identical.xlsx", rows)


def duplicate_commune_conflicting(d: Path) -> Path:
    rows = base_rows()
    rows.append([4, "Phường Tứ Hạ", 11500, 7000, 6800])
    return write_wide(d / "duplicate-commune-conflicting.xlsx", rows)


def numerator_over_denominator(d: Path) -> Path:
    return write_wide(d / "numerator-over-denominator.xlsx", _set(base_rows(), 2, 4, 1500))


def age_group_over_population(d: Path) -> Path:
    return write_wide(d / "age-group-over-population.xlsx", _set(base_rows(), 2, 3, 2300))


def year_mismatch_in_title(d: Path) -> Path:
    return write_wide(d / "year-mismatch-in-title.xlsx", base_rows(), title="SỐ LIỆU XÃ HỘI HỌC TẬP NĂM 2022")


def unknown_column(d: Path) -> Path:
    header = [row + [None] for row in HEADER]
    header[0][5] = "Số máy tính"
    rows = [row + [n] for row, n in zip(base_rows(), [12, 8, 3], strict=True)]
    return write_wide(d / "unknown-column.xlsx", rows, header=header, merges=[*MERGES, "F3:F4"])


def numbering_and_footer_rows(d: Path) -> Path:
    rows = [["(1)", "(2)", "(3)", "(4)", "(5)"], *base_rows(), [None, None], [None, "Người lập biểu"]]
    return write_wide(d / "numbering-and-footer-rows.xlsx", rows)


def code_column_wins(d: Path) -> Path:
    header = [["Mã ĐVHC", *HEADER[0]], [None, *HEADER[1]]]
    rows = [[b[0], *row] for b, row in zip(BASE, base_rows(["Tứ Hạ", "Hương Toàn", "Bình Điền"]), strict=True)]
    return write_wide(d / "code-column-wins.xlsx", rows, header=header, merges=["A3:A4", "B3:B4", "C3:C4", "D3:E3"])


def several_sheets(d: Path) -> Path:
    rows = base_rows()
    return write_wide(d / "several-sheets.xlsx", rows[:2], sheet="Phường", extra_sheets={"Xã": rows[2:]})


def template_without_code(d: Path) -> Path:
    values = {f: 0 for f in load_fields()["field"]}
    values.update(pop_total=2200, pop_15_plus=1800, pop_15_60=1400, lit1_15_60=1350)
    return write_template(d / "template-without-code.xlsx", load_fields(), unit_name="Xã Bình Tiến",
                          year=YEAR, values=values)


def template_wrong_year(d: Path) -> Path:
    return write_template(d / "template-wrong-year.xlsx", load_fields(), unit_code="20035", year=2022)


def unreadable_file(d: Path) -> Path:
    path = d / "unreadable-file.xlsx"
    path.write_bytes(b"this is not a workbook")
    return path


def no_table_found(d: Path) -> Path:
    book = Workbook()
    book.active["A1"] = "Kính gửi Phòng Giáo dục và Đào tạo"
    book.active["A3"] = "Xã chúng tôi xin báo cáo như sau."
    path = d / "no-table-found.xlsx"
    book.save(path)
    return path


# --- hostile files (issue 16): numbers read only when unambiguous, never a crash -------------------

# The parts of a minimal .xlsx workbook, written by hand so that a test can say exactly what the
# sheet's XML holds (a far cell, a declared size, cells without references).
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '{more}</Types>')
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>{more}</Relationships>')
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def inline_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def hand_built_xlsx(path: Path, sheet_data: str, *, dimension: str | None = None, sheet: str = "Biểu 1",
                    shared_strings: str | None = None, after_data: str = "", xml: str | None = None) -> Path:
    """A one-sheet workbook whose sheet XML is ``<sheetData>`` + ``sheet_data`` (rows and cells as
    written) + ``after_data`` (merged ranges …), with a declared ``dimension`` and a shared-strings
    part if given; or the sheet XML ``xml`` as given."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    xml = xml or (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{SHEET_NS}">{dim}'
                  f"<sheetData>{sheet_data}</sheetData>{after_data}</worksheet>")
    more_types = more_rels = ""
    if shared_strings is not None:
        more_types = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                      'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
        more_rels = ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                     'relationships/sharedStrings" Target="sharedStrings.xml"/>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES.replace("{more}", more_types))
        book.writestr("_rels/.rels", _PACKAGE_RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK.replace("{sheet}", sheet))
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.replace("{more}", more_rels))
        book.writestr("xl/worksheets/sheet1.xml", xml)
        if shared_strings is not None:
            book.writestr("xl/sharedStrings.xml", shared_strings)
    return path


def encrypted_workbook_bytes() -> bytes:
    """What Excel writes for a workbook saved with a password, as far as a reader can tell without
    the password: an OLE compound file (its 8-byte signature) naming an ``EncryptedPackage`` and an
    ``EncryptionInfo`` stream (MS-OFFCRYPTO), in UTF-16 in its directory."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"
    header += bytes(512 - len(header))
    names = b"".join(name.encode("utf-16-le").ljust(64, b"\0") + bytes(64)
                     for name in ("Root Entry", "EncryptionInfo", "EncryptedPackage"))
    return header + names + bytes(512 - len(names) % 512) + bytes(1024)


def comma_thousands_in_count(d: Path) -> Path:
    """English thousands ("11,000", "12,500"): never read as 11 or 12.5; "1.400,0" (Vietnamese
    dot thousands and decimal comma, whole) is 1400."""
    rows = base_rows()
    rows[0][2], rows[1][2], rows[2][3] = "11,000", "12,500", "1.400,0"
    return write_wide(d / "comma-thousands-in-count.xlsx", rows)


def percent_format_in_count(d: Path) -> Path:
    """Counts in cells formatted as percentages: 1 shown as “100%” (built-in "0%") and 0,8 shown as
    “80,0%” (a custom "0.0%")."""
    path = write_wide(d / "percent-format-in-count.xlsx", base_rows())
    book = load_workbook(path)
    sheet = book.active
    sheet["E5"], sheet["D6"] = 1, 0.8
    sheet["E5"].number_format, sheet["D6"].number_format = "0%", "0.0%"
    book.save(path)
    return path


def field_twice_in_template(d: Path) -> Path:
    """An old draft row left hidden at the bottom of a commune's form: pop_total twice."""
    values = {f: 0 for f in load_fields()["field"]}
    values.update(pop_total=2200, pop_15_plus=1800, pop_15_60=1400, lit1_15_60=1350)
    path = write_template(d / "field-twice-in-template.xlsx", load_fields(), unit_code="20035", year=YEAR,
                          values=values)
    book = load_workbook(path)
    sheet = book.active
    row = sheet.max_row + 1
    sheet.cell(row=row, column=2, value="pop_total")
    sheet.cell(row=row, column=5, value=2100)
    sheet.row_dimensions[row].hidden = True
    book.save(path)
    return path


def huge_cell_reference(d: Path) -> Path:
    """A 1 kB workbook with a cell at XFD1048576: a grid of 17 billion cells for a reader."""
    return hand_built_xlsx(d / "huge-cell-reference.xlsx",
                           f'<row r="1">{inline_cell("A1", "Đơn vị")}</row>'
                           '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', dimension="A1:XFD1048576")


def declared_size_too_large(d: Path) -> Path:
    """The sample table, its sheet declaring the whole grid (<dimension ref="A1:XFD1048576">): only
    the cells there are are read."""
    path = write_wide(d / "declared-size-too-large.xlsx", base_rows())
    with zipfile.ZipFile(path) as zin:
        items = {name: zin.read(name) for name in zin.namelist()}
    sheet_xml = items["xl/worksheets/sheet1.xml"].decode("utf-8")
    sheet_xml, count = re.subn(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', sheet_xml)
    assert count == 1
    items["xl/worksheets/sheet1.xml"] = sheet_xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in items.items():
            zout.writestr(name, data)
    return path


def count_with_23_digits(d: Path) -> Path:
    """A count of 23 digits, typed as text and as a number (Excel keeps 15)."""
    rows = base_rows()
    rows[0][2], rows[1][2] = "12345678901234567890123", 12345678901234567890123
    return write_wide(d / "count-with-23-digits.xlsx", rows)


def password_protected(d: Path) -> Path:
    path = d / "password-protected.xlsx"
    path.write_bytes(encrypted_workbook_bytes())
    return path


DEFECTS: dict[str, Callable[[Path], Path]] = {
    f.__name__.replace("_", "-"): f for f in (
        merged_two_row_header, three_row_header, columns_reordered_with_unit_suffix, csv_utf8_bom,
        csv_windows_1258, csv_utf16_tabs, numbers_typed_as_text, decimal_comma_in_count, percent_in_count,
        percent_over_100, fraction_in_count, formula_with_cached_value, formula_without_cached_value,
        words_dash_and_khong, word_x_not_applicable, word_dat_in_count, negative_count, tcvn3_font, vni_font,
        nfd_unit_names, unit_name_variants, fuzzy_unit_name, ambiguous_unaccented_name, unknown_unit_name,
        row_without_unit_name, total_row_consistent, total_row_mismatch, duplicate_commune_identical,
        duplicate_commune_conflicting, numerator_over_denominator, age_group_over_population,
        year_mismatch_in_title, unknown_column, numbering_and_footer_rows, code_column_wins, several_sheets,
        template_without_code, template_wrong_year, unreadable_file, no_table_found,
        comma_thousands_in_count, percent_format_in_count, field_twice_in_template, huge_cell_reference,
        declared_size_too_large, count_with_23_digits, password_protected,
    )
}


def write_all(folder: Path) -> list[Path]:
    """Write every defect file into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [build(folder) for build in DEFECTS.values()]


if __name__ == "__main__":
    for written in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "fixtures-bad")):
        print(written)
