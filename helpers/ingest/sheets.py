"""Submission files (.xlsx, .xls, .csv) read into plain grids of what was typed.

A :class:`Sheet` keeps each cell as typed (text stays text: "1.234" is never turned into 1.234),
converted to NFC Unicode (legacy TCVN3/VNI text by its cell font), formulas as their cached
values, and the merged ranges so a reader can fill headers. What was converted is counted, so
the quality report can say it.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import struct
import unicodedata
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from helpers.ingest import fast_zip
from helpers.ingest.legacy_text import ENCODING_LABELS, encoding_for_font, to_unicode
from helpers.reference import nfc

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SUBMISSION_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
CSV_DELIMITERS = ",;\t"


log = logging.getLogger(__name__)


class UnreadableFile(Exception):
    """The file cannot be opened as a spreadsheet; the message is Vietnamese."""


@dataclass
class Sheet:
    """One sheet (or one CSV file) as a rectangular grid, rows and columns 0-based."""

    file: str
    name: str
    rows: list[list[object]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)   # r0, c0, r1, c1 inclusive
    uncached: set[tuple[int, int]] = field(default_factory=set)             # formulas with no cached value
    fixes: Counter = field(default_factory=Counter)                          # Vietnamese fix → cells

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


def read_excel_sheets(path: Path, data: bytes | None = None) -> list[Sheet]:
    """Every visible sheet of an .xlsx workbook; legacy text converted by cell font.

    A workbook with no formula and no legacy (.Vn…/VNI-…) font needs no cell styles: it is read
    with python-calamine, much faster than openpyxl. Others go through openpyxl.
    ``data`` is the file's content when the caller has already read it (it is read once).
    """
    data = Path(path).read_bytes() if data is None else data
    formulas, legacy_fonts = _workbook_features(data)
    if not formulas and not legacy_fonts:
        try:
            return _read_values_only(path, data)
        except Exception:  # noqa: BLE001 - openpyxl below reads it or reports why it cannot
            log.debug("python-calamine could not read %s; using openpyxl", path)
    from openpyxl import load_workbook

    name = Path(path).name
    try:
        values_book = load_workbook(path, data_only=True)
        # the formulas are needed only to tell a formula without a cached value from a blank cell
        formula_book = load_workbook(path, data_only=False) if formulas else None
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported, not raised
        raise UnreadableFile(f"Không đọc được tệp Excel ({type(exc).__name__}).") from exc
    sheets = []
    for ws in values_book.worksheets:
        if ws.sheet_state != "visible":
            continue
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
    return sheets


def _plain_row(row: list[object], fixes: Counter) -> list[object]:
    """A calamine row as openpyxl gives it (empty → None, whole floats → int), text in NFC."""
    out = []
    for value in row:
        kind = type(value)
        if kind is str:
            if not value:
                value = None
            elif not value.isascii() and not unicodedata.is_normalized("NFC", value):
                value = _clean_text(value, fixes)
        elif kind is float and value.is_integer():
            value = int(value)
        out.append(value)
    return out


def _read_values_only(path: Path, data: bytes | None = None) -> list[Sheet]:
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    name = os.path.basename(path)
    book = (CalamineWorkbook.from_path(str(path)) if data is None
            else CalamineWorkbook.from_filelike(io.BytesIO(data)))
    sheets = []
    for meta in book.sheets_metadata:
        if meta.visible != SheetVisibleEnum.Visible:
            continue
        sheet = book.get_sheet_by_name(meta.name)
        fixes: Counter = Counter()
        rows = [_plain_row(row, fixes) for row in sheet.to_python(skip_empty_area=False)]   # rectangular
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


def _workbook_features(data: bytes) -> tuple[bool, bool]:
    """Whether an .xlsx file holds a formula (an ``<f>`` element in a worksheet), and whether its
    styles name a TCVN3 (.Vn…) or VNI font. An unreadable archive answers (True, True), so that
    openpyxl reports the problem. The archive is read by ``helpers.ingest.fast_zip`` (a fast path,
    ``zipfile`` its plain equivalent)."""
    try:
        styles, formulas = b"", False
        for name, content in fast_zip.zip_members(data):
            if name == "xl/styles.xml":
                styles = content()
            elif not formulas and name.startswith("xl/worksheets/") and name.endswith(".xml"):
                formulas = _has_formula_element(content())
    except (zipfile.BadZipFile, zlib.error, OSError, KeyError, ValueError, struct.error):
        return True, True
    return formulas, _LEGACY_FONT.search(styles) is not None


def read_xls_sheets(path: Path) -> list[Sheet]:
    """Every visible sheet of a legacy .xls workbook, with its merged ranges (python-calamine).

    Cell fonts are not available for .xls, so TCVN3/VNI text in an .xls file is not converted.
    """
    try:
        return _read_values_only(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported, not raised
        raise UnreadableFile(f"Không đọc được tệp Excel .xls ({type(exc).__name__}).") from exc


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


def read_csv_sheet(path: Path) -> Sheet:
    """A CSV export of a commune table, every cell kept as text."""
    name = Path(path).name
    try:
        text, encoding = decode_csv_bytes(Path(path).read_bytes())
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableFile(f"Không đọc được tệp CSV ({type(exc).__name__}).") from exc
    delimiter = guess_delimiter(text)
    fixes: Counter = Counter()
    if encoding not in ("UTF-8", "UTF-8 (BOM)"):
        fixes[f"đã đọc tệp CSV mã hóa {encoding}"] += 1
    rows = [[_clean_text(v, fixes) if v.strip() else None for v in row]
            for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    return Sheet(name, Path(path).stem, _rectangular(rows), fixes=fixes)


def read_sheets(path: Path, data: bytes | None = None) -> list[Sheet]:
    """The sheets of any submission file; raises :class:`UnreadableFile` with a Vietnamese reason.

    ``data`` is the file's content when the caller has already read it."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix in EXCEL_SUFFIXES:
        return read_excel_sheets(path, data)
    if suffix == ".xls":
        return read_xls_sheets(path)
    if suffix == ".csv":
        return [read_csv_sheet(path)]
    raise UnreadableFile(f"Không đọc được tệp có đuôi {suffix}.")
