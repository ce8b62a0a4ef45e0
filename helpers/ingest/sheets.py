"""Submission files (.xlsx, .xls, .csv) read into plain grids of what was typed.

A :class:`Sheet` keeps each cell as typed (text stays text: "1.234" is never turned into 1.234),
converted to NFC Unicode (legacy TCVN3/VNI text by its cell font), formulas as their cached
values, and the merged ranges so a reader can fill headers. What was converted is counted, so
the quality report can say it.

A file is read by what it holds (a zip archive, an OLE compound file), not by its name, and only
within the limits of ``reference/ingest.toml`` [limits]: its size, its size unzipped, the furthest
cell of a sheet, the length of a cell's text. They are checked on the file's bytes and the sheets'
XML before a reader allocates anything (a few kB can claim a grid of billions of cells, and the
reader then aborts the whole process). The same look at the XML marks the number cells formatted
as percentages and, when asked, the hidden rows.
"""

from __future__ import annotations

import csv
import functools
import html
import io
import logging
import os
import re
import struct
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from helpers.ingest import cfb, fast_zip
from helpers.ingest.legacy_text import ENCODING_LABELS, encoding_for_font, to_unicode
from helpers.reference import load_ingest_rules, nfc

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SUBMISSION_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
CSV_DELIMITERS = ",;\t"


log = logging.getLogger(__name__)


class UnreadableFile(Exception):
    """The file cannot be opened as a spreadsheet; the message is Vietnamese."""


class TooLarge(UnreadableFile):
    """The file is over one of the reader's limits (``reference/ingest.toml`` [limits])."""


PASSWORD_MESSAGE = ("Tệp có mật khẩu (tệp Excel được mã hóa bằng mật khẩu): không đọc được nội dung. Hãy mở tệp "
                    "bằng Excel, bỏ mật khẩu (Tệp › Thông tin › Bảo vệ sổ làm việc › Mã hóa bằng mật khẩu: xóa "
                    "mật khẩu), lưu rồi gửi lại.")


@dataclass(frozen=True)
class Limits:
    """What the reader reads and allocates for one file (``reference/ingest.toml`` [limits])."""

    max_file_bytes: int
    max_unpacked_bytes: int
    max_rows: int
    max_columns: int
    max_cells: int
    max_text_length: int

    @classmethod
    def from_rules(cls, rules: dict) -> Limits:
        limits = rules["limits"]
        return cls(max_file_bytes=int(limits["max_file_mb"] * 2**20),
                   max_unpacked_bytes=int(limits["max_unpacked_mb"] * 2**20),
                   max_rows=int(limits["max_rows"]), max_columns=int(limits["max_columns"]),
                   max_cells=int(limits["max_cells"]), max_text_length=int(limits["max_text_length"]))


@functools.cache
def default_limits() -> Limits:
    return Limits.from_rules(load_ingest_rules())


def _count(n: int) -> str:
    """A whole number as written in the messages ("1.048.576")."""
    return f"{n:,}".replace(",", ".")


def _megabytes(n: int) -> str:
    return f"{n / 2**20:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".") + " MB"


def _place_over(what: str, ref: str, row: int, column: int, limits: Limits) -> str | None:
    """Why a sheet whose furthest cell is at 1-based ``row`` and ``column`` is over the limits, or None."""
    if row <= limits.max_rows and column <= limits.max_columns and row * column <= limits.max_cells:
        return None
    return (f"Tệp quá lớn, vượt giới hạn đọc: {what} {ref} (dòng {_count(row)}, cột {_count(column)}: bảng từ A1 "
            f"đến ô này có {_count(row * column)} ô); một trang được đọc tối đa {_count(limits.max_rows)} dòng, "
            f"{_count(limits.max_columns)} cột và {_count(limits.max_cells)} ô (reference/ingest.toml, [limits]). "
            "Tệp không được đọc; nếu đó là ô thừa, hãy xóa các dòng, cột thừa rồi lưu và gửi lại.")


@dataclass
class Sheet:
    """One sheet (or one CSV file) as a rectangular grid, rows and columns 0-based."""

    file: str
    name: str
    rows: list[list[object]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)   # r0, c0, r1, c1 inclusive
    uncached: set[tuple[int, int]] = field(default_factory=set)             # formulas with no cached value
    fixes: Counter = field(default_factory=Counter)                          # Vietnamese fix → cells
    percent_cells: set[tuple[int, int]] = field(default_factory=set)        # numbers formatted as percents
    notes: list[str] = field(default_factory=list)                           # warnings about the sheet
    hidden_rows: set[int] | None = None      # rows hidden in Excel; None: read from ``source`` when asked
    source: Callable[[], bytes | None] | None = field(default=None, repr=False, compare=False)   # sheet XML

    def rows_hidden(self) -> set[int]:
        """The rows (0-based) hidden in Excel, read from the sheet's XML the first time they are
        asked for (only a form with a field on two rows asks)."""
        if self.hidden_rows is None:
            xml = self.source() if self.source is not None else None
            self.hidden_rows = _hidden_rows(xml) if xml else set()
        return self.hidden_rows

    def cell(self, r: int, c: int) -> object:
        if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]):
            return self.rows[r][c]
        return None

    def filled(self) -> list[list[object]]:
        """The grid with every merged range holding its top-left value (for headers and totals)."""
        grid = [list(row) for row in self.rows]
        for r0, c0, r1, c1 in self.merged:
            value = self.cell(r0, c0)
            for r in range(r0, min(r1, len(grid) - 1) + 1):
                for c in range(c0, min(c1, len(grid[r]) - 1) + 1):
                    grid[r][c] = value
        return grid


def _rectangular(rows: list[list[object]]) -> list[list[object]]:
    width = max((len(r) for r in rows), default=0)
    return [list(r) + [None] * (width - len(r)) for r in rows]


def _clean_text(value: object, fixes: Counter) -> object:
    if not isinstance(value, str):
        return value
    normal = nfc(value)
    if normal != value:
        fixes["đã chuẩn hóa chữ Việt tổ hợp (NFD) sang Unicode dựng sẵn (NFC)"] += 1
    return normal


def read_excel_sheets(path: Path, data: bytes | None = None, limits: Limits | None = None) -> list[Sheet]:
    """Every visible sheet of an .xlsx workbook; legacy text converted by cell font.

    The workbook's parts are checked first against the reader's ``limits`` (its size unzipped, the
    furthest cell of each sheet): what a reader allocates follows from them, and a few kB can claim
    a grid of billions of cells (:class:`TooLarge`). The same look at the sheets' XML finds the
    number cells formatted as percentages, the hidden rows and a declared sheet size over the
    limits (a warning: only the cells there are are read).

    A workbook with no formula and no legacy (.Vn…/VNI-…) font needs no cell styles: it is read
    with python-calamine, much faster than openpyxl. Others go through openpyxl.
    ``data`` is the file's content when the caller has already read it (it is read once).
    """
    data = Path(path).read_bytes() if data is None else data
    limits = limits or default_limits()
    scan = _scan_workbook(data, limits)
    if not scan.formulas and not scan.legacy_fonts:
        try:
            return scan.mark(_read_values_only(path, data, limits, scan.text_bytes > limits.max_text_length))
        except UnreadableFile:
            raise
        except Exception:  # noqa: BLE001 - openpyxl below reads it or reports why it cannot
            log.debug("python-calamine could not read %s; using openpyxl", path)
    from openpyxl import load_workbook

    name = Path(path).name
    try:
        values_book = load_workbook(io.BytesIO(data), data_only=True)
        # the formulas are needed only to tell a formula without a cached value from a blank cell
        formula_book = load_workbook(io.BytesIO(data), data_only=False) if scan.formulas else None
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported, not raised
        raise UnreadableFile(f"Không đọc được tệp Excel ({type(exc).__name__}).") from exc
    sheets = []
    for ws in values_book.worksheets:
        if ws.sheet_state != "visible":
            continue
        over = _place_over(f"trang “{ws.title}” có ô", _reference(ws.max_row, ws.max_column), ws.max_row,
                           ws.max_column, limits)
        if over:
            raise TooLarge(over)
        formulas = formula_book[ws.title] if formula_book is not None else None
        fixes: Counter = Counter()
        rows: list[list[object]] = []
        uncached: set[tuple[int, int]] = set()
        for r, row in enumerate(ws.iter_rows()):
            out = []
            for c, cell in enumerate(row):
                value = cell.value
                typed = formulas.cell(row=cell.row, column=cell.column).value if formulas is not None else None
                if isinstance(typed, str) and typed.startswith("="):
                    if value is None:
                        uncached.add((r, c))
                    else:
                        fixes["đã đọc giá trị tính sẵn của ô công thức"] += 1
                if isinstance(value, str):
                    if len(value) > limits.max_text_length:
                        raise TooLarge(_long_text(ws.title, len(value), limits))
                    encoding = encoding_for_font(cell.font.name if cell.font else None)
                    if encoding:
                        converted = to_unicode(value, encoding)
                        if converted != nfc(value):
                            fixes[f"đã chuyển mã {ENCODING_LABELS[encoding]} sang Unicode"] += 1
                        value = converted
                out.append(_clean_text(value, fixes))
            rows.append(out)
        merged = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
        sheets.append(Sheet(name, ws.title, _rectangular(rows), merged, uncached, fixes))
    values_book.close()
    if formula_book is not None:
        formula_book.close()
    return scan.mark(sheets)


def _long_text(sheet: str, length: int, limits: Limits) -> str:
    return (f"Tệp quá lớn, vượt giới hạn đọc: trang “{sheet}” có một ô dài {_count(length)} ký tự, quá giới hạn "
            f"{_count(limits.max_text_length)} ký tự một ô (Excel cũng chỉ cho một ô tối đa 32.767 ký tự; "
            "reference/ingest.toml, [limits]). Tệp không được đọc.")


def _plain_row(row: list[object], fixes: Counter) -> list[object]:
    """A calamine row as openpyxl gives it (empty → None, whole floats → int), text in NFC.

    A whole float of 16 digits or more stays a float: Excel keeps 15 significant digits, so its
    digits past the 15th are not what was typed (the reader of counts refuses it as such)."""
    out = []
    for value in row:
        kind = type(value)
        if kind is str:
            if not value:
                value = None
            elif not value.isascii() and not unicodedata.is_normalized("NFC", value):
                value = _clean_text(value, fixes)
        elif kind is float and value.is_integer() and -1e15 < value < 1e15:
            value = int(value)
        out.append(value)
    return out


def _read_values_only(path: Path, data: bytes | None = None, limits: Limits | None = None,
                      long_texts: bool = True) -> list[Sheet]:
    """The visible sheets, read by python-calamine. ``long_texts``: whether a cell may hold a text
    longer than the limits allow (False when the workbook's XML is shorter than that)."""
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    limits = limits or default_limits()
    name = os.path.basename(path)
    book = (CalamineWorkbook.from_path(str(path)) if data is None
            else CalamineWorkbook.from_filelike(io.BytesIO(data)))
    sheets = []
    for meta in book.sheets_metadata:
        if meta.visible != SheetVisibleEnum.Visible:
            continue
        sheet = book.get_sheet_by_name(meta.name)
        if sheet.end is not None:       # the grid below starts at A1 and ends at the furthest cell
            over = _place_over(f"trang “{meta.name}” có ô", _reference(sheet.end[0] + 1, sheet.end[1] + 1),
                               sheet.end[0] + 1, sheet.end[1] + 1, limits)
            if over:
                raise TooLarge(over)
        fixes: Counter = Counter()
        rows = [_plain_row(row, fixes) for row in sheet.to_python(skip_empty_area=False)]   # rectangular
        if long_texts:
            longest = max((len(v) for row in rows for v in row if type(v) is str), default=0)
            if longest > limits.max_text_length:
                raise TooLarge(_long_text(meta.name, longest, limits))
        merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
        sheets.append(Sheet(name, meta.name, rows, merged, set(), fixes))
    return sheets


_LEGACY_FONT = re.compile(rb'<(?:\w+:)?name val="(?:\.Vn|VNI-)', re.IGNORECASE)
_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")


def _has_formula_element(xml: bytes) -> bool:
    """Whether a worksheet's XML holds an ``<f>`` element (``<(prefix:)?f[ >/]``).

    The search steps from one "f" to the next rather than searching for "<f": "f" is rare in a
    sheet's XML and "<" is not (10,000 workbooks are read at scale)."""
    start = 0
    while (i := xml.find(b"f", start)) != -1:
        start = i + 1
        if xml[i + 1:i + 2] in (b" ", b">", b"/") and xml[i - 1:i] in (b"<", b":"):
            if xml[i - 1:i] == b"<" or _FORMULA.search(xml, max(0, i - 64), i + 2):
                return True
    return False


_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, KeyError, ValueError, struct.error)


@dataclass
class _SheetMarks:
    """What a sheet's XML says beyond its values."""

    percent_cells: set[tuple[int, int]] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


@dataclass
class _WorkbookScan:
    formulas: bool
    legacy_fonts: bool
    sheets: dict[str, _SheetMarks] = field(default_factory=dict)     # by sheet name
    parts: dict[str, bytes] = field(default_factory=dict)            # worksheet part → its XML
    book: dict = field(default_factory=dict)                         # workbook.xml and its relations
    names: dict[str, str] | None = None                              # worksheet part → sheet name
    text_bytes: int = 0        # the most bytes of XML a cell's text can come from (shared strings and its sheet)

    def sheet_name(self, part: str) -> str:
        if self.names is None:
            self.names = _sheet_names(self.book)
        return self.names.get(part, part)

    def xml_of(self, sheet: str) -> bytes | None:
        return next((xml for part, xml in self.parts.items() if self.sheet_name(part) == sheet), None)

    def mark(self, sheets: list[Sheet]) -> list[Sheet]:
        """``sheets`` with what the XML says of each."""
        for sheet in sheets:
            marks = self.sheets.get(sheet.name)
            if marks is not None:
                sheet.percent_cells, sheet.notes = marks.percent_cells, marks.notes
            sheet.source = functools.partial(self.xml_of, sheet.name)
        return sheets


def _workbook_features(data: bytes) -> tuple[bool, bool]:
    """Whether an .xlsx file holds a formula (an ``<f>`` element in a worksheet), and whether its
    styles name a TCVN3 (.Vn…) or VNI font. An unreadable archive answers (True, True), so that
    openpyxl reports the problem. The archive is read by ``helpers.ingest.fast_zip`` (a fast path,
    ``zipfile`` its plain equivalent)."""
    scan = _scan_workbook(data, default_limits())
    return scan.formulas, scan.legacy_fonts


def _scan_workbook(data: bytes, limits: Limits) -> _WorkbookScan:
    """:func:`_workbook_features`, with the limits checked (raising :class:`TooLarge`) and the
    marks of each sheet (percent cells, notes; its XML for the hidden rows, read when asked). Each
    part is inflated once, and the sheets' XML is searched, not parsed cell by cell, unless it
    names a far place or a percent style (10,000 workbooks are read at scale)."""
    try:
        members, unpacked = fast_zip.zip_contents(data)
    except _ZIP_ERRORS:
        return _WorkbookScan(True, True)
    if unpacked > limits.max_unpacked_bytes:
        raise TooLarge(f"Tệp quá lớn, vượt giới hạn đọc: nội dung nén của tệp giải nén ra {_megabytes(unpacked)}, quá "
                       f"giới hạn {_megabytes(limits.max_unpacked_bytes)} (reference/ingest.toml, [limits]). Tệp "
                       "không được đọc.")
    styles, parts, book, shared = b"", {}, {}, 0
    try:
        for name, content in members:
            if name == "xl/styles.xml":
                styles = content()
            elif name.startswith("xl/worksheets/") and name.endswith(".xml"):
                parts[name] = content()
            elif name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
                book[name] = content
            elif name == "xl/sharedStrings.xml":
                shared = _check_shared_strings(content(), limits)
    except _ZIP_ERRORS:
        return _WorkbookScan(True, True)
    scan = _WorkbookScan(any(_has_formula_element(xml) for xml in parts.values()),
                         _LEGACY_FONT.search(styles) is not None, parts=parts, book=book,
                         text_bytes=shared + max(map(len, parts.values()), default=0))
    percent_styles = _percent_styles(styles)
    for part, xml in parts.items():
        furthest = _furthest_cell(xml, limits)
        if furthest and _place_over("", "", *furthest, limits):
            raise TooLarge(_place_over(f"trang “{scan.sheet_name(part)}” có ô", _reference(*furthest), *furthest,
                                       limits))
        marks = _sheet_marks(xml, percent_styles, limits)
        if marks is not None:
            scan.sheets[scan.sheet_name(part)] = marks
    return scan


_UNIQUE_COUNT = re.compile(rb'<(?:\w+:)?sst\b[^>]*?\suniqueCount="([0-9]+)"')


def _check_shared_strings(xml: bytes, limits: Limits) -> int:
    """A workbook's table of texts may not claim more texts than a sheet may have cells (a reader
    sets aside room for them all before reading one); the table's size in bytes."""
    found = _UNIQUE_COUNT.search(xml, 0, 2048)
    if found and int(found.group(1)) > limits.max_cells:
        raise TooLarge(f"Tệp quá lớn, vượt giới hạn đọc: bảng chữ dùng chung của tệp (xl/sharedStrings.xml) khai báo "
                       f"{_count(int(found.group(1)))} chuỗi chữ, quá giới hạn {_count(limits.max_cells)} ô "
                       "(reference/ingest.toml, [limits]). Tệp không được đọc.")
    return len(xml)


def _reference(row: int, column: int) -> str:
    """The Excel reference of a 1-based row and column (1, 1 → "A1")."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


@functools.cache
def _places_to_look_at(limits: Limits) -> tuple[re.Pattern, re.Pattern]:
    """A cell element that does not start by naming its place (``<c>``, ``<c/>``, ``<c t="s" …``),
    or names it with more letters or more digits than any cell of a sheet surely within
    ``limits`` has: as many as fit within the rows, columns and cells (with the limits of
    reference/ingest.toml: 3 letters, past ZZ, or 5 digits, past row 9999); and a merged range
    whose far corner is such a place."""
    letters, columns = 0, 0
    while columns + 26 ** (letters + 1) <= limits.max_columns:
        letters, columns = letters + 1, columns + 26 ** (letters + 1)
    digits = len(str(limits.max_rows))
    while digits > 0 and (10**digits - 1 > limits.max_rows or (10**digits - 1) * columns > limits.max_cells):
        digits -= 1
    if letters == 0 or digits == 0:        # limits too small to tell: look at every cell and range
        return re.compile(rb"<c[\s/>]"), re.compile(rb"<mergeCell\s")
    near = rb'[A-Z]{1,%d}[0-9]{1,%d}"' % (letters, digits)
    return (re.compile(rb'<c(?:>|/>|\s(?!r="' + near + rb'))'),
            re.compile(rb'<mergeCell\s(?!ref="[A-Z]{1,3}[0-9]{1,7}:' + near + rb')'))


_ELEMENT = re.compile(rb"<(?:\w+:)?(row|c|mergeCell)(?=[\s/>])([^>]*)>")
_PLACE = re.compile(rb'(?:^|\s)(?:r|ref)="([A-Za-z]*)([0-9]*)(?::([A-Za-z]*)([0-9]*))?"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([^"]*)"')


def _furthest_cell(xml: bytes, limits: Limits) -> tuple[int, int] | None:
    """The furthest row and column (1-based) a sheet's cells or merged ranges reach, when it may be
    over ``limits``; None when it surely is not.

    One search of the XML finds a cell that does not name its place first (``<c r="B7"``) or names
    one further than a sheet surely within the limits has (:func:`_places_to_look_at`); only then
    is the XML read element by element, up to the first place over the limits. Merged ranges (a
    few, after the cells) are looked at apart."""
    start = xml.find(b"<sheetData")
    cells, merged = _places_to_look_at(limits)
    if start != -1 and cells.search(xml, start) is None:
        end = xml.rfind(b"</sheetData>")
        if merged.search(xml, 0, start) is None and merged.search(xml, start if end == -1 else end) is None:
            return None
    rows = columns = row = column = 0
    max_rows, max_columns, max_cells = limits.max_rows, limits.max_columns, limits.max_cells
    for match in _ELEMENT.finditer(xml):
        kind, place = match.group(1), _PLACE.search(match.group(2))
        if kind == b"row":
            row, column = (int(place.group(2)) if place and place.group(2) else row + 1), 0
        elif kind == b"c":
            if place and place.group(1):
                column, cell_row = _column_number(place.group(1)), int(place.group(2) or row)
            else:
                column, cell_row = column + 1, row
            rows, columns = max(rows, cell_row), max(columns, column)
        elif place and place.group(3) and place.group(4):          # a merged range: its far corner
            rows, columns = max(rows, int(place.group(4))), max(columns, _column_number(place.group(3)))
        if rows > max_rows or columns > max_columns or rows * columns > max_cells:
            break
    return rows, columns


def _sheet_marks(xml: bytes, percent_styles: bytes, limits: Limits) -> _SheetMarks | None:
    """Percent cells and a declared size over the limits, of a sheet's XML (None when there is
    neither)."""
    marks = _SheetMarks()
    at = xml.find(b"dimension ref=", 0, 8192)
    declared = _DIMENSION.search(xml, max(0, at - 16), at + 64) if at != -1 else None
    place = _PLACE.search(b' ref="' + declared.group(1) + b'"') if declared else None
    if place and place.group(3) is not None and place.group(4):
        rows, columns = int(place.group(4)), _column_number(place.group(3))
        if _place_over("", "", rows, columns, limits):
            marks.notes.append(
                f"Trang khai báo vùng dữ liệu {declared.group(1).decode('ascii', 'replace')} ({_count(rows)} dòng × "
                f"{_count(columns)} cột), vượt giới hạn đọc ({_count(limits.max_rows)} dòng, "
                f"{_count(limits.max_columns)} cột, {_count(limits.max_cells)} ô một trang; reference/ingest.toml, "
                "[limits]); khai báo này không được dùng, chỉ các ô thật sự có trong trang được đọc.")
    if percent_styles:
        pattern = re.compile(rb'<(?:\w+:)?c((?:\s[^>]*?)?\ss="(?:' + percent_styles + rb')"[^>]*)>')
        for match in pattern.finditer(xml):
            cell = _PLACE.search(match.group(1))
            if cell and cell.group(1) and cell.group(2):
                marks.percent_cells.add((int(cell.group(2)) - 1, _column_number(cell.group(1)) - 1))
    return marks if (marks.notes or marks.percent_cells) else None


def _hidden_rows(xml: bytes) -> set[int]:
    """The rows (0-based) a sheet's XML hides (``<row r="61" hidden="1">``)."""
    hidden = set()
    if b'hidden="1"' in xml or b'hidden="true"' in xml:
        for match in _ELEMENT.finditer(xml):
            if match.group(1) == b"row" and re.search(rb'\shidden="(?:1|true)"', match.group(2)):
                row = _PLACE.search(match.group(2))
                if row and row.group(2):
                    hidden.add(int(row.group(2)) - 1)
    return hidden


_ATTRIBUTE = re.compile(rb'([\w:.-]+)\s*=\s*"([^"]*)"')
_NUMBER_FORMAT = re.compile(rb"<(?:\w+:)?numFmt\s([^>]*)>")
_CELL_FORMAT = re.compile(rb"<(?:\w+:)?xf(?=[\s/>])([^>]*)>")
_BUILTIN_PERCENT = {9, 10}               # Excel's built-in "0%" and "0.00%"


def is_percent_format(code: str) -> bool:
    """Whether an Excel number format code shows numbers as percentages ("0%", "0.0%",
    "#,##0.00%"): a % outside quoted text, escaped characters and [colour]/[condition] brackets,
    which Excel multiplies by 100 (1 shows as “100%”)."""
    return "%" in re.sub(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.', "", code)


def _percent_styles(styles: bytes) -> bytes:
    """The cell styles (``s="…"`` of a cell) of ``styles.xml`` that show a number as a percentage,
    as a regular-expression alternation (b"3|7"), empty when there is none (most workbooks)."""
    if not styles or (b"%" not in styles and b'numFmtId="9"' not in styles and b'numFmtId="10"' not in styles):
        return b""
    percent = set(_BUILTIN_PERCENT)
    for match in _NUMBER_FORMAT.finditer(styles):
        attributes = dict(_ATTRIBUTE.findall(match.group(1)))
        code = html.unescape(attributes.get(b"formatCode", b"").decode("utf-8", "replace"))
        if is_percent_format(code) and attributes.get(b"numFmtId", b"").isdigit():
            percent.add(int(attributes[b"numFmtId"]))
    start = styles.find(b"cellXfs")
    end = styles.find(b"cellXfs", start + 7) if start != -1 else -1
    section = styles[start:end if end != -1 else len(styles)] if start != -1 else b""
    found = []
    for index, match in enumerate(_CELL_FORMAT.finditer(section)):
        number = dict(_ATTRIBUTE.findall(match.group(1))).get(b"numFmtId", b"0")
        if number.isdigit() and int(number) in percent:
            found.append(b"%d" % index)
    return b"|".join(found)


def _sheet_names(book: dict) -> dict[str, str]:
    """Each worksheet part of a workbook (``xl/worksheets/sheet1.xml``) → its sheet's name."""
    try:
        workbook, relations = book["xl/workbook.xml"](), book["xl/_rels/workbook.xml.rels"]()
    except _ZIP_ERRORS:
        return {}
    targets = {}
    for match in re.finditer(rb"<(?:\w+:)?Relationship\s([^>]*)>", relations):
        attributes = dict(_ATTRIBUTE.findall(match.group(1)))
        target = attributes.get(b"Target", b"").decode("utf-8", "replace")
        part = target.lstrip("/") if target.startswith("/") else os.path.normpath("xl/" + target).replace("\\", "/")
        targets[attributes.get(b"Id", b"").decode("utf-8", "replace")] = part
    names = {}
    for match in re.finditer(rb"<(?:\w+:)?sheet\s([^>]*)>", workbook):
        attributes = dict(_ATTRIBUTE.findall(match.group(1)))
        relation = next((v for k, v in attributes.items() if k.endswith(b":id")), b"").decode("utf-8", "replace")
        if relation in targets and b"name" in attributes:
            names[targets[relation]] = html.unescape(attributes[b"name"].decode("utf-8", "replace"))
    return names


def read_xls_sheets(path: Path, data: bytes | None = None, limits: Limits | None = None) -> list[Sheet]:
    """Every visible sheet of a legacy .xls workbook, with its merged ranges (python-calamine).

    Its records are checked first (:mod:`helpers.ingest.cfb`): a password (FILEPASS), a declared
    size or a cell over the limits are reported without the file being given to python-calamine;
    number cells formatted as percentages are marked. Cell fonts are not available for .xls, so
    TCVN3/VNI text in an .xls file is not converted.
    """
    data = Path(path).read_bytes() if data is None else data
    limits = limits or default_limits()
    records = None
    if cfb.is_compound_file(data):
        if cfb.is_encrypted_package(data):
            raise UnreadableFile(PASSWORD_MESSAGE)
        try:
            stream = cfb.workbook_stream(data)
        except (cfb.CompoundFileError, struct.error, IndexError):
            # damaged: python-calamine says why it cannot read it, if it names a workbook at all
            stream = b"" if cfb.names_a_workbook_stream(data) else None
        if stream is None:
            raise UnreadableFile("Tệp không phải bảng tính Excel: đây là một tệp Office dạng cũ (OLE) không có bảng "
                                 "tính nào (có thể là tệp Word .doc hay PowerPoint .ppt đổi đuôi).")
        if stream:
            records = cfb.scan_workbook_stream(stream, is_percent_format)
            if records.encrypted:
                raise UnreadableFile(PASSWORD_MESSAGE)
            for sheet in records.sheets:
                rows, columns = sheet.last_row + 1, sheet.last_column + 1
                over = _place_over(f"trang “{sheet.name}” có ô", _reference(rows, columns), rows, columns, limits)
                if not over and sheet.claimed_rows * sheet.claimed_columns > limits.max_cells:
                    over = _place_over(f"trang “{sheet.name}” khai báo vùng dữ liệu đến ô",
                                       _reference(sheet.claimed_rows, sheet.claimed_columns), sheet.claimed_rows,
                                       sheet.claimed_columns, limits)
                if over:
                    raise TooLarge(over)
    try:
        sheets = _read_values_only(path, data, limits)
    except UnreadableFile:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported, not raised
        if type(exc).__name__ == "PasswordError":
            raise UnreadableFile(PASSWORD_MESSAGE) from exc
        raise UnreadableFile(f"Không đọc được tệp Excel .xls ({type(exc).__name__}).") from exc
    if records is not None:
        found = {sheet.name: sheet for sheet in records.sheets}
        for sheet in sheets:
            if sheet.name in found:
                sheet.percent_cells, sheet.hidden_rows = found[sheet.name].percent_cells, found[sheet.name].hidden_rows
    return sheets


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """The text of a CSV export and the encoding it was read with (UTF-8, UTF-16, Windows-1258)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "UTF-8 (BOM)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return data.decode("cp1258"), "Windows-1258"


def guess_delimiter(text: str) -> str:
    """The separator of a CSV export: the candidate found on most of its first lines."""
    lines = [line for line in text.splitlines()[:30] if line.strip()]
    scores = {d: (sum(d in line for line in lines), text.count(d)) for d in CSV_DELIMITERS}
    return max(CSV_DELIMITERS, key=lambda d: scores[d])




def read_csv_sheet(path: Path, data: bytes | None = None, limits: Limits | None = None) -> Sheet:
    """A CSV export of a commune table, every cell kept as text."""
    name = Path(path).name
    limits = limits or default_limits()
    try:
        text, encoding = decode_csv_bytes(Path(path).read_bytes() if data is None else data)
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableFile(f"Không đọc được tệp CSV ({type(exc).__name__}).") from exc
    delimiter = guess_delimiter(text)
    fixes: Counter = Counter()
    if encoding not in ("UTF-8", "UTF-8 (BOM)"):
        fixes[f"đã đọc tệp CSV mã hóa {encoding}"] += 1
    try:
        lines = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise TooLarge(_long_text(Path(path).stem, csv.field_size_limit() + 1, limits)) from exc
        raise UnreadableFile(f"Không đọc được tệp CSV ({exc}).") from exc
    width = max(map(len, lines), default=0)
    over = _place_over("tệp CSV có ô", _reference(len(lines), width), len(lines), width, limits)
    if over:
        raise TooLarge(over)
    longest = max((len(v) for line in lines for v in line), default=0)
    if longest > limits.max_text_length:
        raise TooLarge(_long_text(Path(path).stem, longest, limits))
    rows = [[_clean_text(v, fixes) if v.strip() else None for v in line] for line in lines]
    return Sheet(name, Path(path).stem, _rectangular(rows), fixes=fixes)


def read_sheets(path: Path, data: bytes | None = None, limits: Limits | None = None) -> list[Sheet]:
    """The sheets of any submission file; raises :class:`UnreadableFile` with a Vietnamese reason.

    A file is read by what it holds, not by its name: a zip archive as an .xlsx workbook, an OLE
    compound file as an .xls workbook, or as a workbook saved with a password (reported as such);
    the others by their suffix. ``data`` is the file's content when the caller has already read
    it; a file larger than ``limits`` allow is not read (:class:`TooLarge`)."""
    limits = limits or default_limits()
    suffix = os.path.splitext(path)[1].lower()
    size = len(data) if data is not None else os.path.getsize(path)
    if size > limits.max_file_bytes:
        raise TooLarge(file_too_large(size, limits))
    data = Path(path).read_bytes() if data is None else data
    if not data:
        raise UnreadableFile("Tệp rỗng (0 byte): không có gì để đọc.")
    if cfb.is_compound_file(data):
        sheets = read_xls_sheets(path, data, limits)
        if suffix != ".xls" and sheets:
            sheets[0].fixes[f"đã đọc tệp theo nội dung: tệp có đuôi {suffix} nhưng là bảng tính Excel 97-2003 "
                            "(.xls)"] += 1
        return sheets
    if suffix in EXCEL_SUFFIXES or data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        sheets = read_excel_sheets(path, data, limits)
        if suffix not in EXCEL_SUFFIXES and sheets:
            sheets[0].fixes[f"đã đọc tệp theo nội dung: tệp có đuôi {suffix} nhưng là bảng tính Excel (.xlsx)"] += 1
        return sheets
    if suffix == ".xls":
        return read_xls_sheets(path, data, limits)
    if suffix == ".csv":
        return [read_csv_sheet(path, data, limits)]
    raise UnreadableFile(f"Không đọc được tệp có đuôi {suffix}.")


def file_too_large(size: int, limits: Limits) -> str:
    """Why a file of ``size`` bytes is not read (Vietnamese)."""
    return (f"Tệp quá lớn ({_megabytes(size)}), vượt giới hạn {_megabytes(limits.max_file_bytes)} một tệp số liệu "
            "(reference/ingest.toml, [limits]). Tệp không được đọc.")
