"""Read the communes' submissions of one year into a tidy table, accounting for every row.

Two layouts are read, in .xlsx, .xls or .csv files, several per year:

- the project's data-entry template (``helpers.ingest.template``): one workbook per commune, one row per
  field, a "Mã trường" column with the field ids;
- a commune table ("wide" sheet): one row per commune, one column per field, under a Vietnamese
  header merged over up to three rows (``helpers.ingest.wide_sheets``), with total rows.

Every non-empty row read is accounted for: accepted (its values go on), rejected (with a reason
naming file, sheet, row and column), a total row (used only to cross-check the communes' sum) or a
heading row (titles, column numbers, notes: no values). Units are resolved from their GSO code,
or from their name when there is no code (``helpers.ingest.unit_names``).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd

from helpers.checks.problems import ERROR, INFO, WARNING, ProblemLog
from helpers.ingest.cell_values import MISSING, REJECTED, CellReader
from helpers.ingest.sheets import (
    SUBMISSION_SUFFIXES,
    Limits,
    Sheet,
    UnreadableFile,
    default_limits,
    file_too_large,
    read_sheets,
)
from helpers.ingest.template import load_template_wording
from helpers.ingest.unit_names import CODE, EXACT, FUZZY, UnitNames, load_ingest_rules
from helpers.ingest.wide_sheets import (
    NOTE,
    ORDER,
    RATE,
    ROLES,
    UNIT_CODE,
    UNIT_NAME,
    YEAR,
    HeaderAliases,
    TableHeader,
    column_letter,
    find_table_header,
    header_key,
    is_numbering,
    year_in_title,
)
from helpers.numbers import MAX_COUNT, NotACount, format_number, parse_count
from helpers.paths import DECLARED_SUBDIR
from helpers.reference import nfc
from helpers.text import label_key

VALUE_COLUMNS = ["year", "unit_code", "field", "value", "note", "file", "sheet", "row"]
REJECT_COLUMNS = ["file", "sheet", "row", "column", "field", "value", "reason"]
FILE_COLUMNS = [
    "file", "sha256", "layout", "sheets", "rows_read", "rows_accepted", "rows_rejected", "rows_total",
    "rows_heading", "cells_rejected",
]
RECORD_COLUMNS = [
    "record", "file", "sheet", "row", "layout", "unit_name", "unit_code", "method", "year_in_file", "status",
    "reason",
]
ROW_COLUMNS = ["file", "sheet", "row", "kind", "record", "status", "reason"]
SKIPPED_COLUMNS = ["file", "reason"]
TEMPLATE = "template"
WIDE = "wide"
LAYOUT_LABELS = {TEMPLATE: "biểu mẫu theo trường", WIDE: "bảng các phường, xã"}
# Row kinds and statuses of the accounting table.
DATA, TOTAL, HEADING = "data", "total", "heading"
ACCEPTED, ROW_REJECTED = "accepted", "rejected"
_KIND_STATUS = {DATA: ACCEPTED, TOTAL: TOTAL, HEADING: HEADING}    # a row's status unless it was rejected


@dataclass
class Submissions:
    """What was read from one year's folder."""

    values: pd.DataFrame      # VALUE_COLUMNS + record
    files: pd.DataFrame       # one line per file (counts filled by helpers.checks.accounting.summarise_files)
    rejects: pd.DataFrame     # REJECT_COLUMNS
    problems: ProblemLog = field(default_factory=ProblemLog)
    records: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=RECORD_COLUMNS))
    rows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ROW_COLUMNS))
    totals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=VALUE_COLUMNS))
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SKIPPED_COLUMNS))   # not submissions


log = logging.getLogger(__name__)

# Files that copying, zipping and opening submissions leave in a folder, and what each is.
_NOT_A_SUBMISSION = "không phải bảng số liệu"
_SYSTEM_FILES = {
    "thumbs.db": "tệp ảnh thu nhỏ của Windows (Thumbs.db)",
    "ehthumbs.db": "tệp ảnh thu nhỏ của Windows (ehthumbs.db)",
    "desktop.ini": "tệp cấu hình thư mục của Windows (desktop.ini)",
    ".ds_store": "tệp cấu hình thư mục của macOS (.DS_Store)",
}
MACOS_FOLDER = "__MACOSX"


def skip_reason(name: str) -> str | None:
    """Why a file of a year's folder is not read as a submission (Vietnamese), None when it is one:
    what macOS, Excel and LibreOffice leave next to the workbooks, and files of other kinds."""
    if name.startswith("._"):
        return f"tệp phụ của macOS (AppleDouble “._…”, tạo khi chép hay nén trên máy Mac), {_NOT_A_SUBMISSION}"
    if name.startswith("~$"):
        return f"tệp khóa tạm của Excel (“~$…”, có khi tệp đang được mở), {_NOT_A_SUBMISSION}"
    if name.startswith(".~lock."):
        return f"tệp khóa tạm của LibreOffice (“.~lock.…#”, có khi tệp đang được mở), {_NOT_A_SUBMISSION}"
    if name.lower() in _SYSTEM_FILES:
        return f"{_SYSTEM_FILES[name.lower()]}, {_NOT_A_SUBMISSION}"
    if os.path.splitext(name)[1].lower() not in SUBMISSION_SUFFIXES:
        return f"không phải tệp số liệu (chỉ đọc các tệp {', '.join(SUBMISSION_SUFFIXES)})"
    return None


def _submission_names(folder: Path) -> Iterator[str]:
    """The names of the submission files of ``folder``, as the directory lists them (one directory
    read, no stat per file: 10,000 files at scale)."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_file() and skip_reason(entry.name) is None:
                yield entry.name


def scan_year_folder(year_dir: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """The submission files of a year folder, and what else is there with why it is not read:
    lock and system files (:func:`skip_reason`), the files of a ``__MACOSX/`` folder one by one,
    and other folders (the declared annex folder is the project's own and is not listed)."""
    folder = Path(year_dir)
    names, skipped = [], []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir():
                if entry.name == MACOS_FOLDER:
                    for root, _, files in os.walk(entry.path):
                        for file in files:
                            skipped.append((os.path.relpath(os.path.join(root, file), folder).replace(os.sep, "/"),
                                            f"tệp trong thư mục {MACOS_FOLDER}/ (tệp phụ macOS tạo khi nén), "
                                            f"{_NOT_A_SUBMISSION}"))
                elif entry.name != DECLARED_SUBDIR:
                    skipped.append((f"{entry.name}/", "thư mục con: các tệp trong đó không được đọc (chỉ đọc các tệp "
                                                      "nằm ngay trong thư mục của năm)"))
            elif (reason := skip_reason(entry.name)) is None:
                names.append(entry.name)
            else:
                skipped.append((entry.name, reason))
    return [folder / name for name in sorted(names)], sorted(skipped)


def list_submission_files(year_dir: Path) -> list[Path]:
    """Submission files of a year folder (.xlsx, .xls, .csv; lock, system and macOS files
    excluded, see :func:`skip_reason`)."""
    folder = Path(year_dir)
    return [folder / name for name in sorted(_submission_names(folder))]


def has_submission_files(year_dir: Path) -> bool:
    """Whether a year folder holds at least one submission file (without listing them all)."""
    return next(_submission_names(Path(year_dir)), None) is not None


def _text(value: object) -> str:
    if value is None:
        return ""
    if type(value) is str and value.isascii():
        return " ".join(value.split())
    return " ".join(nfc(str(value)).split())


def _code_text(value: object) -> str:
    text = _text(value)
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


@functools.lru_cache(maxsize=4096)
def _text_key(text: str) -> str:
    """:func:`label_key` of a text cell, remembered: the template's own texts recur in every file."""
    return label_key(text)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _blank_row(row: list[object]) -> bool:
    """Whether every cell of ``row`` is :func:`_blank` (one loop: rows are tested by the thousand)."""
    for value in row:
        if value is not None and (type(value) is not str or value.strip()):
            return False
    return True


@functools.cache
def _rate_field_pairs() -> tuple[tuple[str, str], ...]:
    """(numerator, denominator) single-field pairs of the indicators and the standards' criteria:
    what a printed rate column of a commune table can be the rate of."""
    from helpers.reference import load_indicators, load_standards

    indicators = load_indicators()
    _, criteria = load_standards()
    pairs = [(n, d) for n, d in zip(indicators["numerator"], indicators["denominator"], strict=True)
             if n and d and "+" not in n and "+" not in d]
    pairs += list(zip(criteria["numerator"], criteria["denominator"], strict=True))
    return tuple(dict.fromkeys(pairs))


def _rate_columns(rate_cols: list[int], field_cols: dict[int, str]) -> dict[int, tuple[int, int]]:
    """For each rate column, the (numerator, denominator) columns it is the rate of: the nearest
    count column to its left that is a known numerator whose denominator is also in the table."""
    column_of = {f: c for c, f in field_cols.items()}
    found = {}
    for c in rate_cols:
        for left in sorted((k for k in field_cols if k < c), reverse=True):
            pair = next(((n, d) for n, d in _rate_field_pairs() if n == field_cols[left] and d in column_of), None)
            if pair is not None:
                found[c] = (left, column_of[pair[1]])
                break
    return found


class Intake:
    """Collects values, rejects, records and the row accounting while files are read."""

    def __init__(self, year: int, fields: pd.DataFrame, communes: pd.DataFrame | None,
                 rules: dict, aliases: HeaderAliases, cells: CellReader, wording: dict):
        self.year, self.fields, self.rules, self.aliases, self.cells, self.wording = (
            year, fields, rules, aliases, cells, wording)
        self.labels = fields.set_index("field")["label"].to_dict()
        self.known_fields = set(fields["field"])
        self.header_columns = {key: label_key(text) for key, text in wording["columns"].items()}
        self.label_names: dict[str, list[str]] = {}     # a header label's key → what it labels
        for what, text in wording["labels"].items():
            self.label_names.setdefault(label_key(text), []).append(what)
        self.units = UnitNames(communes, rules) if communes is not None else None
        self.problems = ProblemLog()
        self.values: list[tuple] = []             # the two large tables are kept as tuples
        self.rejects: list[dict] = []
        self.records: list[dict] = []
        self.rows: list[tuple] = []
        self.totals: list[dict] = []
        self.fixes: Counter = Counter()            # (file, message) → cells
        self.total_words = sorted((header_key(w) for w in rules["totals"]["words"]), key=len, reverse=True)
        self.limits = Limits.from_rules(rules) if "limits" in rules else default_limits()

    # --- a file read whole or not at all ---------------------------------------------------------
    _TABLES = ("values", "rejects", "records", "rows", "totals")

    def lengths(self) -> tuple[int, ...]:
        return tuple(len(getattr(self, name)) for name in self._TABLES)

    def truncate(self, lengths: tuple[int, ...]) -> None:
        """Forget what was collected since :meth:`lengths` gave ``lengths``."""
        for name, length in zip(self._TABLES, lengths, strict=True):
            del getattr(self, name)[length:]

    # --- bookkeeping -------------------------------------------------------------------------
    def add_row(self, sheet: Sheet, row: int, kind: str, record: int | None = None,
                status: str | None = None, reason: str = "") -> None:
        status = status or _KIND_STATUS[kind]
        self.rows.append((sheet.file, sheet.name, row, kind, record, status, reason))   # ROW_COLUMNS

    def add_record(self, sheet: Sheet, row: int, layout: str, unit_name: str, unit_code: str, method: str,
                   year_in_file: object = None, status: str = "ok", reason: str = "") -> int:
        record = len(self.records)
        self.records.append({"record": record, "file": sheet.file, "sheet": sheet.name, "row": row,
                             "layout": layout, "unit_name": unit_name, "unit_code": unit_code, "method": method,
                             "year_in_file": year_in_file, "status": status, "reason": reason})
        return record

    def reject(self, sheet: Sheet, row: int | None, column: str, field_id: str, value: object, reason: str,
               severity: str = ERROR) -> None:
        self.problems.add(severity, reason, file=sheet.file, sheet=sheet.name, row=row, column=column,
                          value=value)
        self.rejects.append({"file": sheet.file, "sheet": sheet.name, "row": row, "column": column,
                             "field": field_id, "value": None if value is None else nfc(str(value)),
                             "reason": reason})

    def read_cell(self, sheet: Sheet, r: int, c: int, field_id: str, column: str, record: int,
                  note: str = "") -> bool:
        """Read one count cell of ``record``; False when it was rejected."""
        value = raw = sheet.cell(r, c)
        percent = sheet.percent_cells
        # a plain count (most cells) is what parse_count would say
        if type(raw) is not int or raw < 0 or raw > MAX_COUNT or (percent and (r, c) in percent):
            parsed = self.cells.parse_count(raw, formula_without_value=(r, c) in sheet.uncached,
                                            percent_format=bool(percent) and (r, c) in percent)
            if parsed.status == REJECTED:
                label = self.labels.get(field_id, field_id)
                self.reject(sheet, r + 1, column, field_id, raw, f"“{label}”: {parsed.reason}.")
                return False
            if parsed.status == MISSING and parsed.reason:
                label = f"“{self.labels.get(field_id, field_id)}”"
                self.problems.add(WARNING, f"{label}: {parsed.reason}.", file=sheet.file, sheet=sheet.name,
                                  row=r + 1, column=column, value=raw)
            if parsed.fix:
                self.fixes[(sheet.file, parsed.fix)] += 1
            value = parsed.value
        self.values.append((self.year, None, field_id, value, note, sheet.file, sheet.name, r + 1,
                            record))   # VALUE_COLUMNS + record
        return True

    def is_total(self, *texts: object) -> bool:
        for text in texts:
            key = header_key(text)
            if key and any(key == w or key.startswith(w + " ") for w in self.total_words):
                return True
        return False

    # --- the template layout -----------------------------------------------------------------
    def template_header(self, sheet: Sheet) -> tuple[int, dict[str, int], dict[str, object]] | None:
        columns = self.header_columns
        found: dict[str, tuple[int, object]] = {}
        for r, row in enumerate(sheet.rows):
            keys = [_text_key(v) if type(v) is str else label_key(v) for v in row]
            for c, key in enumerate(keys):
                for what in self.label_names.get(key, ()):
                    if what not in found:
                        right = next((v for v in row[c + 1:] if not _blank(v)), None)
                        found[what] = (r, right)
            if columns["field"] in keys and columns["value"] in keys:
                cols = {what: keys.index(label) for what, label in columns.items() if label in keys}
                return r, cols, found
        return None

    def read_template(self, sheet: Sheet, header: tuple[int, dict[str, int], dict[str, object]]) -> None:
        header_row, cols, found = header
        wording = self.wording
        where = dict(file=sheet.file, sheet=sheet.name)
        code_row, code_cell = found.get("unit_code", (header_row, None))
        unit_code = _code_text(code_cell)
        unit_name = _text(found.get("unit_name", (0, None))[1])
        year_cell = found.get("year", (None, None))[1]
        status, reason, method = "ok", "", CODE
        if not unit_code and unit_name and self.units is not None:
            match = self.units.resolve(unit_name)
            if match.resolved:
                unit_code, method = match.code, match.method
                self.problems.add(INFO, f"Không ghi mã đơn vị; {match.message()}.", **where,
                                  column=wording["labels"]["unit_name"], value=unit_name)
            else:
                self.problems.add(ERROR, f"Không ghi mã đơn vị và {match.message()}.", **where,
                                  column=wording["labels"]["unit_name"], value=unit_name)
                status, reason = "rejected", match.message()
        if not unit_code and status == "ok":
            reason = f"Thiếu “{wording['labels']['unit_code']}”."
            self.problems.add(ERROR, reason, **where, column=wording["labels"]["unit_code"])
            status = "rejected"
        try:
            year_in_file = parse_count(year_cell)
        except NotACount:
            year_in_file = None
        if year_in_file is None:
            reason = f"Thiếu hoặc sai “{wording['labels']['year']}”."
            self.problems.add(ERROR, reason, **where, column=wording["labels"]["year"], value=year_cell)
            status = "rejected"
        elif year_in_file != self.year:
            reason = f"Tệp ghi năm báo cáo {year_in_file}, nhưng nằm trong thư mục năm {self.year}."
            self.problems.add(ERROR, reason, **where, column=wording["labels"]["year"], value=year_cell)
            status = "rejected"
        record = self.add_record(sheet, code_row + 1, TEMPLATE, unit_name, unit_code, method, year_in_file,
                                 status, reason)
        known = self.known_fields
        field_col, value_col, note_col = cols["field"], cols["value"], cols.get("note")
        value_header = wording["columns"]["value"]
        # A plain count (most rows) is recorded here as read_cell would record it, without its call
        # and a row's bookkeeping call each: 10,000 workbooks of ~50 rows are read at scale.
        year, file, name, values, rows = self.year, sheet.file, sheet.name, self.values, self.rows
        percent = sheet.percent_cells
        first_row: dict[str, int] = {}            # field → the form's row that holds it
        repeated: dict[str, list[int]] = {}       # field → its rows, when it has more than one
        marks = len(values), len(rows)
        for r in range(header_row + 1, len(sheet.rows)):
            row = sheet.rows[r]
            if _blank_row(row):
                continue
            code = _text(row[field_col])
            if not code:
                self.add_row(sheet, r + 1, HEADING, record)
                continue
            if code not in known:
                reason = f"Mã trường “{code}” không có trong danh mục (reference/fields.csv)."
                self.reject(sheet, r + 1, wording["columns"]["field"], code, code, reason)
                self.add_row(sheet, r + 1, DATA, record, ROW_REJECTED, reason)
                continue
            if first_row.setdefault(code, r) != r:
                repeated.setdefault(code, [first_row[code]]).append(r)
            note = _text(row[note_col]) if note_col is not None else ""
            value = row[value_col]
            if type(value) is int and 0 <= value <= MAX_COUNT and not (percent and (r, value_col) in percent):
                values.append((year, None, code, value, note, file, name, r + 1, record))   # VALUE_COLUMNS + record
                rows.append((file, name, r + 1, DATA, record, ACCEPTED, ""))               # ROW_COLUMNS
            elif self.read_cell(sheet, r, value_col, code, value_header, record, note):
                self.add_row(sheet, r + 1, DATA, record)
            else:
                self.add_row(sheet, r + 1, DATA, record, ROW_REJECTED, self.rejects[-1]["reason"])
        if repeated:
            self.reject_repeated_fields(sheet, repeated, value_col, marks)

    def reject_repeated_fields(self, sheet: Sheet, repeated: dict[str, list[int]], value_col: int,
                               marks: tuple[int, int]) -> None:
        """A field on several rows of one form (an old draft row left in, often hidden): each of its
        rows is rejected naming all of them, and none of its values is used."""
        value_header = self.wording["columns"]["value"]
        reasons: dict[int, str] = {}
        for code, form_rows in repeated.items():
            places = [f"dòng {r + 1}" + (" (đang bị ẩn)" if r in sheet.rows_hidden() else "") for r in form_rows]
            listed = ", ".join(places[:-1]) + " và " + places[-1]
            reason = (f"Trường “{self.labels.get(code, code)}” có ở {len(form_rows)} dòng của biểu mẫu: {listed}; "
                      "không dùng số liệu nào của trường này. Hãy xóa dòng thừa (kể cả dòng bị ẩn), chỉ giữ lại một "
                      "dòng.")
            for r in form_rows:
                self.reject(sheet, r + 1, value_header, code, sheet.cell(r, value_col), reason)
                reasons[r + 1] = reason
        values_from, rows_from = marks
        self.values[values_from:] = [v for v in self.values[values_from:] if v[2] not in repeated]
        self.rows[rows_from:] = [row[:5] + (ROW_REJECTED, reasons[row[2]]) if row[2] in reasons else row
                                 for row in self.rows[rows_from:]]

    # --- the wide layout ---------------------------------------------------------------------
    def read_wide(self, sheet: Sheet, grid: list[list[object]], header: TableHeader) -> None:
        where = dict(file=sheet.file, sheet=sheet.name)
        name_col, code_col = header.column_of(UNIT_NAME), header.column_of(UNIT_CODE)
        order_col, note_col, year_col = header.column_of(ORDER), header.column_of(NOTE), header.column_of(YEAR)
        field_cols = {c: f for c, f in header.columns.items() if f not in ROLES}
        rate_cols = [c for c, f in header.columns.items() if f == RATE]
        rate_pair = _rate_columns(rate_cols, field_cols)
        column_name = {c: f"{column_letter(c)} · {header.labels[c]}" for c in header.labels}
        for c, label in header.unknown.items():
            filled = sum(not _blank(sheet.cell(r, c)) for r in range(header.last_row + 1, len(sheet.rows)))
            if filled:
                reason = (f"Cột “{label}” không khớp với trường nào (reference/header_aliases.csv): "
                          f"{filled} ô của cột này không được đọc.")
                self.problems.add(WARNING, reason, **where, row=header.first_row + 1, column=column_name[c])
                self.rejects.append({**where, "row": header.first_row + 1, "column": column_name[c], "field": "",
                                     "value": label, "reason": reason})
        for c, field_id in header.duplicates.items():
            reason = (f"Cột “{header.labels[c]}” lặp lại trường {field_id} đã có ở cột "
                      f"{column_letter(header.column_of(field_id))}; cột này không được đọc.")
            self.reject(sheet, header.first_row + 1, column_name[c], field_id, header.labels[c], reason)
        for r in range(header.first_row):
            if not _blank_row(sheet.rows[r]):
                self.add_row(sheet, r + 1, HEADING)
        for r in range(header.first_row, header.last_row + 1):
            self.add_row(sheet, r + 1, HEADING)
        title_years = year_in_title(grid, header.first_row)
        if title_years and self.year not in title_years:
            self.problems.add(ERROR, f"Tiêu đề bảng ghi năm {title_years[0]}, nhưng tệp nằm trong thư mục năm "
                                     f"{self.year}.", **where, value=title_years[0])
        sheet_records: list[int] = []
        total_rows: list[int] = []
        for r in range(header.last_row + 1, len(sheet.rows)):
            raw = sheet.rows[r]
            if _blank_row(raw):
                continue
            excel_row = r + 1
            unit_text = _text(grid[r][name_col]) if name_col is not None else ""
            code_text = _code_text(raw[code_col]) if code_col is not None else ""
            order_text = _text(grid[r][order_col]) if order_col is not None else ""
            has_values = any(not _blank(raw[c]) for c in field_cols)
            if all(_blank(v) or is_numbering(v) for v in raw):
                self.add_row(sheet, excel_row, HEADING)
                continue
            if self.is_total(unit_text, order_text):
                self.add_row(sheet, excel_row, TOTAL)
                total_rows.append(r)
                continue
            if year_col is not None and not _blank(raw[year_col]):
                try:
                    row_year = parse_count(raw[year_col])
                except NotACount:
                    row_year = None
                if row_year != self.year:
                    reason = f"Dòng ghi năm {_text(raw[year_col])}, nhưng tệp nằm trong thư mục năm {self.year}."
                    self.reject(sheet, excel_row, column_name[year_col], "", raw[year_col], reason)
                    self.add_row(sheet, excel_row, DATA, None, ROW_REJECTED, reason)
                    continue
            if not unit_text and not code_text:
                if has_values:
                    reason = "Dòng có số liệu nhưng không ghi tên hay mã đơn vị."
                    self.reject(sheet, excel_row, column_name.get(name_col, ""), "", None, reason)
                    self.add_row(sheet, excel_row, DATA, None, ROW_REJECTED, reason)
                else:
                    self.add_row(sheet, excel_row, HEADING)
                continue
            match = self.units.resolve(unit_text) if (unit_text and self.units is not None) else None
            if code_text:
                unit_code, method = code_text, CODE
            elif match is not None and match.resolved:
                unit_code, method = match.code, match.method
                plain = unit_text == match.full_name or unit_text == self.units.strip_prefix(unit_text)
                if match.method == FUZZY:
                    self.problems.add(WARNING, match.message()[0].upper() + match.message()[1:] + ".", **where,
                                      row=excel_row, column=column_name[name_col], value=unit_text)
                elif match.method != EXACT or not plain:
                    self.fixes[(sheet.file, match.message()[0].upper() + match.message()[1:])] += 1
            else:
                message = match.message() if match is not None else "không xác định được đơn vị"
                if not has_values:
                    self.problems.add(INFO, f"Dòng “{unit_text}” không có số liệu và không phải tên phường, xã; "
                                            "đã bỏ qua.", **where, row=excel_row, column=column_name[name_col],
                                      value=unit_text)
                    self.add_row(sheet, excel_row, HEADING)
                    continue
                reason = message[0].upper() + message[1:] + "."
                self.reject(sheet, excel_row, column_name[name_col], "", unit_text, reason)
                self.add_row(sheet, excel_row, DATA, None, ROW_REJECTED, reason)
                continue
            record = self.add_record(sheet, excel_row, WIDE, unit_text, unit_code, method, self.year)
            sheet_records.append(record)
            note = _text(raw[note_col]) if note_col is not None else ""
            bad = [c for c, f in field_cols.items()
                   if not self.read_cell(sheet, r, c, f, column_name[c], record, note)]
            for c in rate_cols:
                rate = self.cells.parse_rate(raw[c])
                if rate is not None and (r, c) in sheet.percent_cells and not isinstance(raw[c], str):
                    rate = rate * 100    # a cell formatted as a percentage holds 0,6008 for "60,08%"
                if rate is not None and rate > self.rules["percent"]["max_rate"]:
                    self.problems.add(WARNING, f"Tỷ lệ {_text(raw[c])} % lớn hơn 100 % (cột này không được dùng; "
                                               "tỷ lệ được tính lại từ số lượng).", **where, row=excel_row,
                                      column=column_name[c], value=raw[c])
                elif rate is not None and c in rate_pair:
                    self.check_printed_rate(sheet, r, c, rate, rate_pair[c], column_name, raw[c])
            self.add_row(sheet, excel_row, DATA, record, ROW_REJECTED if bad else ACCEPTED,
                         f"{len(bad)} ô bị loại" if bad else "")
        for r in total_rows:
            self.read_total(sheet, r, field_cols, column_name)

    def check_printed_rate(self, sheet: Sheet, r: int, c: int, rate: Decimal, pair: tuple[int, int],
                           column_name: dict[int, str], written: object) -> None:
        """A commune's own printed rate against its own counts on the same row: a difference beyond
        the rounding of the printed figure is a warning (the annex recomputes from the counts)."""
        num_col, den_col = pair
        counts = [self.cells.parse_count(sheet.cell(r, k)) for k in (num_col, den_col)]
        if any(parsed.status != "ok" for parsed in counts) or not counts[1].value:
            return
        exponent = rate.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        computed = 100 * Decimal(counts[0].value) / Decimal(counts[1].value)
        if abs(computed - rate) <= Decimal(5) / Decimal(10) ** (places + 1):
            return
        shown = format_number(float(computed), max(places, 2))
        self.problems.add(WARNING, (
            f"Tỷ lệ ghi “{_text(written)}” khác tỷ lệ tính từ số liệu của chính dòng này: "
            f"{column_name[num_col]} {counts[0].value} / {column_name[den_col]} {counts[1].value} = {shown} %; "
            "phụ lục dùng tỷ lệ tính từ số lượng, hãy kiểm tra lại."),
            file=sheet.file, sheet=sheet.name, row=r + 1, column=column_name[c], value=written)

    def read_total(self, sheet: Sheet, r: int, field_cols: dict[int, str], column_name: dict[int, str]) -> None:
        """Keep a total row's values to cross-check the communes' sum (never used as data)."""
        for c, field_id in field_cols.items():
            parsed = self.cells.parse_count(sheet.cell(r, c), formula_without_value=(r, c) in sheet.uncached,
                                            percent_format=(r, c) in sheet.percent_cells)
            if parsed.status != "ok":
                continue
            self.totals.append({"year": self.year, "unit_code": None, "field": field_id, "value": parsed.value,
                                "note": column_name[c], "file": sheet.file, "sheet": sheet.name, "row": r + 1})


def read_submission_file(path: Path, intake: Intake) -> dict:
    """Read every sheet of one file into ``intake``; returns the file's manifest line.

    A file is read whole or not at all: whatever goes wrong while it is read (a reader's error on a
    damaged or unexpected file) leaves ``intake`` as it was before it, with one error naming the
    file and what went wrong, and the year goes on with the other files."""
    name = os.path.basename(path)
    manifest = {"file": name, "sha256": "", "layout": "", "sheets": ""}
    lengths, problems, fixes = intake.lengths(), intake.problems, intake.fixes
    intake.problems, intake.fixes = ProblemLog(), Counter()      # this file's, kept if it is read
    try:
        _read_file(path, name, intake, manifest)
    except Exception as exc:  # noqa: BLE001 - one file's failure is reported; the year goes on
        log.warning("could not read %s", path, exc_info=True)
        intake.truncate(lengths)
        intake.problems, intake.fixes = ProblemLog(), Counter()
        manifest.update(layout="", sheets="")
        detail = " ".join(str(exc).split())
        detail = f"{type(exc).__name__}: {detail[:200]}" if detail else type(exc).__name__
        intake.problems.add(ERROR, f"Không đọc được tệp {name} (lỗi: {detail}); tệp này bị bỏ qua, các tệp khác vẫn "
                                   "được đọc.", file=name)
    finally:
        problems.extend(intake.problems)
        fixes.update(intake.fixes)
        intake.problems, intake.fixes = problems, fixes
    return manifest


def _read_file(path: Path, name: str, intake: Intake, manifest: dict) -> None:
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > intake.limits.max_file_bytes:      # not read into memory: only hashed
            manifest["sha256"] = hashlib.file_digest(file, "sha256").hexdigest()
            intake.problems.add(ERROR, file_too_large(size, intake.limits), file=name)
            return
        data = file.read()
    manifest["sha256"] = hashlib.sha256(data).hexdigest()
    try:
        sheets = read_sheets(path, data, intake.limits)
    except UnreadableFile as exc:
        intake.problems.add(ERROR, str(exc), file=name)
        return
    layouts, used = [], []
    for sheet in sheets:
        for message, count in sheet.fixes.items():
            intake.fixes[(name, message[0].upper() + message[1:])] += count
        for note in sheet.notes:
            intake.problems.add(WARNING, note, file=name, sheet=sheet.name)
        template = intake.template_header(sheet)
        if template is not None:
            intake.read_template(sheet, template)
            layouts.append(TEMPLATE)
            used.append(sheet.name)
            continue
        grid = sheet.filled()
        header = find_table_header(grid, intake.aliases, intake.rules)
        if header is not None:
            intake.read_wide(sheet, grid, header)
            layouts.append(WIDE)
            used.append(sheet.name)
        elif any(not _blank(v) for row in sheet.rows for v in row):
            intake.problems.add(WARNING, "Trang này không có bảng số liệu nhận ra được (biểu mẫu có cột “Mã trường”, "
                                         "hoặc bảng có cột tên phường, xã và các cột chỉ tiêu); đã bỏ qua.",
                                file=name, sheet=sheet.name)
    if not used:
        intake.problems.add(ERROR, "Không tìm thấy bảng số liệu: tệp không theo biểu mẫu (cột “Mã trường” và "
                                   "“Số liệu”) và không có bảng với cột tên phường, xã và các cột chỉ tiêu "
                                   "(reference/header_aliases.csv).", file=name)
    manifest["layout"] = ", ".join(sorted(set(layouts)))
    manifest["sheets"] = ", ".join(used)


def load_submissions(year_dir: Path, year: int, fields: pd.DataFrame, communes: pd.DataFrame | None = None,
                     *, rules: dict | None = None, aliases: HeaderAliases | None = None,
                     cells: CellReader | None = None, workers: int | None = None) -> Submissions:
    """Read every submission file in ``year_dir`` (the declared annex folder excluded).

    ``communes`` (``helpers.reference.communes_of``) lets unit names be resolved where a row or
    file carries no code. ``workers`` processes read contiguous runs of files (default:
    :func:`helpers.ingest.reading_pool.read_workers`); the result is the same whatever their number.
    """
    from helpers.ingest import reading_pool  # (which reads the files with this module's Intake)

    paths, skipped = scan_year_folder(year_dir)
    setup = (year, fields, communes, rules or load_ingest_rules(), aliases or HeaderAliases(fields),
             cells or CellReader(), load_template_wording())
    workers = reading_pool.read_workers(len(paths)) if workers is None else workers
    frames, read_problems, fixes, manifests = reading_pool.combine(reading_pool.read_parts(paths, setup, workers))
    problems = ProblemLog()
    for name, reason in skipped:        # information: they are not submissions, and do not stop the year
        problems.add(INFO, f"Đã bỏ qua: {reason}.", file=name)
    problems.extend(read_problems)
    for (file, message), count in fixes.items():
        message = message[0].upper() + message[1:]
        whole_file = message.startswith(("Đã nhận", "Đã đọc tệp"))
        problems.add(INFO, f"{message}." if whole_file else f"{message}: {count} ô.", file=file)
    files = pd.DataFrame(manifests, columns=["file", "sha256", "layout", "sheets"])
    return Submissions(files=files, problems=problems, skipped=pd.DataFrame(skipped, columns=SKIPPED_COLUMNS),
                       **frames)


def declared_annex_path(year_dir: Path, year: int) -> Path:
    """Where a year's hand-made (declared) annex table is kept, if the office has one."""
    return Path(year_dir) / DECLARED_SUBDIR / f"declared_annex_{year}.csv"
