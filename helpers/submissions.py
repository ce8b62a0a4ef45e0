"""Read the communes' data-entry workbooks of one year into a tidy table.

Every field row of every workbook ends up either accepted (a row of the tidy table) or rejected
(a problem naming file, sheet, row and column). Nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from helpers.numbers import NotACount, parse_count
from helpers.paths import DECLARED_SUBDIR
from helpers.problems import ERROR, ProblemLog
from helpers.reference import nfc
from helpers.template import load_template_wording
from helpers.text import label_key

SUBMISSION_SUFFIXES = (".xlsx",)
VALUE_COLUMNS = ["year", "unit_code", "field", "value", "note", "file", "sheet", "row"]
REJECT_COLUMNS = ["file", "sheet", "row", "column", "field", "value", "reason"]
FILE_COLUMNS = [
    "file", "sha256", "sheet", "unit_code", "unit_name", "year_in_file",
    "rows_read", "rows_accepted", "rows_rejected", "rows_heading",
]


@dataclass
class Submissions:
    """What was read from one year's folder."""

    values: pd.DataFrame
    files: pd.DataFrame
    rejects: pd.DataFrame
    problems: ProblemLog = field(default_factory=ProblemLog)


def list_submission_files(year_dir: Path) -> list[Path]:
    """Data-entry workbooks of a year folder (Excel lock files ``~$…`` excluded)."""
    return sorted(
        path for path in Path(year_dir).iterdir()
        if path.is_file() and path.suffix.lower() in SUBMISSION_SUFFIXES and not path.name.startswith("~$")
    )


def sha256_of(path: Path) -> str:
    """Content hash of a file (recorded so the annex names exactly the data it used)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _value_right_of(rows: list[tuple], row_index: int, col_index: int) -> object:
    for value in rows[row_index][col_index + 1:]:
        if value is not None and str(value).strip() != "":
            return value
    return None


def read_submission(path: Path, year: int, fields: pd.DataFrame, wording: dict | None = None,
                    problems: ProblemLog | None = None,
                    rejects: list[dict] | None = None) -> tuple[pd.DataFrame, dict]:
    """Read one data-entry workbook. Returns its accepted field rows and its manifest line;
    rejected field rows are appended to ``rejects`` and reported in ``problems``."""
    wording = wording or load_template_wording()
    problems = problems if problems is not None else ProblemLog()
    rejects = rejects if rejects is not None else []
    labels = {key: label_key(text) for key, text in wording["labels"].items()}
    columns = {key: label_key(text) for key, text in wording["columns"].items()}
    known_fields = set(fields["field"])
    name = Path(path).name
    manifest = dict.fromkeys(FILE_COLUMNS)
    manifest.update(file=name, sha256=sha256_of(path), rows_read=0, rows_accepted=0,
                    rows_rejected=0, rows_heading=0)

    try:
        book = load_workbook(path, data_only=True, read_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported, not raised
        problems.add(ERROR, f"Không đọc được tệp Excel ({type(exc).__name__}).", file=name)
        return pd.DataFrame(columns=VALUE_COLUMNS), manifest
    sheet_name = wording["template"]["sheet"]
    if sheet_name not in book.sheetnames:
        sheet_name = book.sheetnames[0]
    sheet = book[sheet_name]
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    book.close()
    manifest["sheet"] = sheet_name

    header_row = None
    header_cols: dict[str, int] = {}
    found: dict[str, object] = {}
    for r, row in enumerate(rows):
        keys = [label_key(v) for v in row]
        for c, key in enumerate(keys):
            for what, label in labels.items():
                if key == label and what not in found:
                    found[what] = _value_right_of(rows, r, c)
        if columns["field"] in keys and columns["value"] in keys:
            header_row = r
            header_cols = {what: keys.index(label) for what, label in columns.items() if label in keys}
            break

    unit_code = found.get("unit_code")
    unit_code = nfc(str(unit_code)).strip() if unit_code is not None else ""
    if unit_code.endswith(".0"):
        unit_code = unit_code[:-2]
    manifest["unit_code"] = unit_code
    manifest["unit_name"] = nfc(str(found.get("unit_name") or "")).strip()
    year_cell = found.get("year")
    manifest["year_in_file"] = year_cell

    where = dict(file=name, sheet=sheet_name)
    fatal = False
    if header_row is None:
        problems.add(ERROR, f"Không tìm thấy dòng tiêu đề có cột “{wording['columns']['field']}” "
                            f"và “{wording['columns']['value']}”: tệp không theo biểu mẫu.", **where)
        return pd.DataFrame(columns=VALUE_COLUMNS), manifest
    if not unit_code:
        problems.add(ERROR, f"Thiếu “{wording['labels']['unit_code']}”.", **where,
                     column=wording["labels"]["unit_code"])
        fatal = True
    try:
        year_in_file = parse_count(year_cell)
    except NotACount:
        year_in_file = None
    if year_in_file is None:
        problems.add(ERROR, f"Thiếu hoặc sai “{wording['labels']['year']}”.", **where,
                     column=wording["labels"]["year"], value=year_cell)
        fatal = True
    elif year_in_file != year:
        problems.add(ERROR, f"Tệp ghi năm báo cáo {year_in_file}, nhưng nằm trong thư mục năm {year}.",
                     **where, column=wording["labels"]["year"], value=year_cell)
        fatal = True

    field_col, value_col = header_cols["field"], header_cols["value"]
    note_col = header_cols.get("note")
    accepted = []
    for r in range(header_row + 1, len(rows)):
        row = rows[r]
        if all(v is None or str(v).strip() == "" for v in row):
            continue
        excel_row = r + 1
        manifest["rows_read"] += 1
        code = row[field_col] if field_col < len(row) else None
        code = nfc(str(code)).strip() if code is not None else ""
        if not code:
            manifest["rows_heading"] += 1
            continue
        raw = row[value_col] if value_col < len(row) else None
        note = row[note_col] if note_col is not None and note_col < len(row) else None
        cell_where = dict(**where, row=excel_row, column=wording["columns"]["value"], value=raw)
        if code not in known_fields:
            reason = f"Mã trường “{code}” không có trong danh mục (reference/fields.csv)."
            problems.add(ERROR, reason, **dict(cell_where, column=wording["columns"]["field"], value=code))
            rejects.append({**cell_where, "field": code, "reason": reason})
            manifest["rows_rejected"] += 1
            continue
        try:
            value = parse_count(raw)
        except NotACount as exc:
            reason = f"Trường {code}: {exc}."
            problems.add(ERROR, reason, **cell_where)
            rejects.append({**cell_where, "field": code, "reason": reason})
            manifest["rows_rejected"] += 1
            continue
        manifest["rows_accepted"] += 1
        accepted.append({
            "year": year, "unit_code": unit_code, "field": code,
            "value": value, "note": nfc(str(note)).strip() if note is not None else "",
            "file": name, "sheet": sheet_name, "row": excel_row,
        })
    values = pd.DataFrame(accepted, columns=VALUE_COLUMNS)
    if fatal:
        values = values.iloc[0:0]
    return values, manifest


def load_submissions(year_dir: Path, year: int, fields: pd.DataFrame) -> Submissions:
    """Read every data-entry workbook in ``year_dir`` (the declared annex folder excluded)."""
    problems = ProblemLog()
    wording = load_template_wording()
    frames, manifests, rejects = [], [], []
    for path in list_submission_files(year_dir):
        values, manifest = read_submission(path, year, fields, wording, problems, rejects)
        frames.append(values)
        manifests.append(manifest)
    values = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=VALUE_COLUMNS)
    values = values.astype({"year": "Int64", "value": "Int64", "row": "Int64", "unit_code": "string"})
    files = pd.DataFrame(manifests, columns=FILE_COLUMNS)
    rejected = pd.DataFrame(rejects, columns=REJECT_COLUMNS).astype({"value": "string"})
    return Submissions(values=values, files=files, rejects=rejected, problems=problems)


def declared_annex_path(year_dir: Path, year: int) -> Path:
    """Where a year's hand-made (declared) annex table is kept, if the office has one."""
    return Path(year_dir) / DECLARED_SUBDIR / f"declared_annex_{year}.csv"
