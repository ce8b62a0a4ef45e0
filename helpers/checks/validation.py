"""Checks on one year's submissions: units, duplicates, required fields, value consistency,
totals; the per-file accounting of every row read; and jumps from last year's clean values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.checks.problems import ERROR, INFO, WARNING, ProblemLog
from helpers.ingest.submissions import (
    ACCEPTED,
    DATA,
    HEADING,
    LAYOUT_LABELS,
    ROW_REJECTED,
    TEMPLATE,
    TOTAL,
    VALUE_COLUMNS,
    Submissions,
)
from helpers.paths import REFERENCE_DIR
from helpers.reference import Entity, read_reference_csv, units_valid_on
from helpers.text import fold

OK, REJECTED, DUPLICATE = "ok", "rejected", "duplicate"
SUMMARY_COLUMNS = [
    "file", "sha256", "layout", "sheets", "rows_read", "rows_accepted", "rows_rejected", "rows_total",
    "rows_heading", "cells_rejected",
]


def reporting_date(year: int) -> dt.date:
    """The day a year's units are taken on (the end of the reporting year)."""
    return dt.date(int(year), 12, 31)


def communes_of(entity: Entity, units: pd.DataFrame, year: int) -> pd.DataFrame:
    """The communes (xã, phường, thị trấn) of the reporting entity valid in ``year``."""
    valid = units_valid_on(units, reporting_date(year))
    return valid[valid["parent_code"] == entity.code].reset_index(drop=True)


def _place(record) -> str:
    """Where a commune's data was read: "tệp a.xlsx" or "tệp b.xlsx, trang T, dòng 7"."""
    if record.layout == TEMPLATE:
        return f"tệp {record.file}"
    return f"tệp {record.file}, trang {record.sheet}, dòng {record.row}"


def _record_values(values: pd.DataFrame, record: int) -> dict[str, object]:
    mine = values[values["record"] == record]
    return {f: (None if pd.isna(v) else int(v)) for f, v in zip(mine["field"], mine["value"], strict=True)}


def resolve_unit_codes(records: pd.DataFrame, entity: Entity, units: pd.DataFrame, year: int,
                       problems: ProblemLog, values: pd.DataFrame | None = None) -> pd.DataFrame:
    """Check each record's unit (code or resolved name) against the communes valid in ``year``.

    Returns the records with ``unit_status``: ``ok``, ``rejected`` or ``duplicate`` (the same
    commune again with identical values: a warning, used once). An unknown code, a code of another
    district, or the same commune twice with different values are errors; a written name that does
    not match its code is a warning (the code decides).
    """
    communes = communes_of(entity, units, year)
    full_names = dict(zip(communes["code"].tolist(), communes["full_name"].tolist(), strict=True))
    short_names = dict(zip(communes["code"].tolist(), communes["name"].tolist(), strict=True))
    records = records.copy()
    status = [OK if s == "ok" else REJECTED for s in records["status"].tolist()]
    reasons = records["reason"].tolist()
    # plain lists, not itertuples: iterating the text columns of a DataFrame goes cell by cell
    lines = zip(*(records[c].tolist() for c in ("file", "sheet", "row", "layout", "unit_name", "unit_code", "method")),
                strict=True)
    for i, (file, sheet, row, layout, unit_name, unit_code, method) in enumerate(lines):
        if status[i] != OK:
            continue
        code = unit_code or ""
        column = "Mã đơn vị"
        if code not in full_names:
            reasons[i] = (f"Mã đơn vị {code} không phải là phường, xã của {entity.name} trong năm {year} "
                          "(reference/units.csv).")
            problems.add(ERROR, reasons[i], file=file, sheet=sheet or "",
                         row=None if layout == TEMPLATE else row, column=column, value=code)
            status[i] = REJECTED
            continue
        # a name written exactly as in the reference matches; only another spelling is folded
        if method != "code" or not unit_name or unit_name in (short_names[code], full_names[code]):
            continue
        written = fold(unit_name)
        if written and written not in {fold(short_names[code]), fold(full_names[code])}:
            problems.add(WARNING, f"Tên đơn vị “{unit_name}” không khớp với mã {code} "
                                  f"({full_names[code]}); đã dùng theo mã.",
                         file=file, sheet=sheet or "", row=None if layout == TEMPLATE else row,
                         column="Đơn vị", value=unit_name)
    values = values if values is not None else pd.DataFrame(columns=["record", "field", "value"])
    ok_codes = pd.Series([c if s == OK else None for c, s in zip(records["unit_code"].tolist(), status, strict=True)],
                         index=records.index, dtype=object)
    repeated = ok_codes.notna() & ok_codes.duplicated(keep=False)
    for code, group in records[repeated].groupby(ok_codes[repeated], sort=True):
        rows = list(group.itertuples(index=False))
        first = rows[0]
        name = f"{full_names[code]} ({code})"
        first_values = _record_values(values, first.record)
        conflicting = [r for r in rows[1:] if _record_values(values, r.record) != first_values]
        if conflicting:
            places = "; ".join(_place(r) for r in rows)
            reason = f"{name} có {len(rows)} bộ số liệu khác nhau ({places}); hãy giữ lại một."
            for r in rows:
                status[int(r.record)], reasons[int(r.record)] = REJECTED, reason
            problems.add(ERROR, reason, file=rows[1].file, sheet=rows[1].sheet or "",
                         row=None if rows[1].layout == TEMPLATE else rows[1].row, column="Đơn vị", value=code)
            continue
        for r in rows[1:]:
            reason = f"{name} xuất hiện hai lần với số liệu giống nhau ({_place(first)}; {_place(r)}); đã dùng một lần."
            status[int(r.record)], reasons[int(r.record)] = DUPLICATE, reason
            problems.add(WARNING, reason, file=r.file, sheet=r.sheet or "",
                         row=None if r.layout == TEMPLATE else r.row, column="Đơn vị", value=code)
    records["unit_status"] = status
    records["reason"] = reasons
    return records


def field_pairs(indicators: pd.DataFrame, criteria: pd.DataFrame) -> list[tuple[str, str]]:
    """(part, whole) field pairs where the part can never exceed the whole."""
    pairs = set()
    for num, den in zip(indicators["numerator"], indicators["denominator"], strict=True):
        if num and den and "+" not in num and "+" not in den:
            pairs.add((num, den))
    for suffix in ("", "_dbkk"):
        for num, den in zip(criteria["numerator" + suffix], criteria["denominator" + suffix], strict=True):
            pairs.add((num, den))
    return sorted(pairs)


def load_field_bounds(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Age groups and parts that cannot exceed another field (``reference/field_bounds.csv``)."""
    return read_reference_csv(Path(reference_dir) / "field_bounds.csv")


def validate_values(values: pd.DataFrame, records: pd.DataFrame, fields: pd.DataFrame,
                    pairs: list[tuple[str, str]], communes: pd.DataFrame, entity: Entity, year: int,
                    problems: ProblemLog, rejects: pd.DataFrame | None = None,
                    bounds: pd.DataFrame | None = None) -> pd.DataFrame:
    """Keep the values of accepted records and check them. Returns the clean tidy table.

    A required field is reported missing only when its cell was not already rejected (the
    rejection names the cell and the reason).
    """
    rejects = rejects if rejects is not None else pd.DataFrame(columns=["file", "sheet", "row", "field"])
    ok = records[records["unit_status"] == OK]
    unit = pd.Index(ok["record"]).get_indexer(values["record"])  # each value's line of ``ok``; -1: not accepted
    clean = values[unit >= 0]
    unit = unit[unit >= 0]
    clean["unit_code"] = pd.Series(ok["unit_code"].to_numpy(dtype=object)[unit], index=clean.index, dtype="string")
    labels = fields.set_index("field")["label"]
    required = list(fields.loc[fields["required"], "field"])
    checks = [(p, w, "pair") for p, w in pairs]
    if bounds is not None:
        checks += [(p, w, k) for p, w, k in zip(bounds["part"], bounds["whole"], bounds["kind"], strict=True)]

    # One wide table (record × field) so every check is a column operation, not a loop over
    # communes: the cost stays linear in the number of communes. It holds where each record's
    # value of each field is in ``clean`` (-1: none); a value given twice counts once, the first.
    # (numpy, not DataFrame.pivot: that took 0.3 s at 10,000 communes)
    field_of, field_ids = pd.factorize(clean["field"].to_numpy(dtype=object))
    present = np.flatnonzero(clean["value"].notna().to_numpy() & (field_of >= 0))
    cell = unit[present] * len(field_ids) + field_of[present]
    present = present[~pd.Index(cell).duplicated()]
    wide = np.full((len(ok), len(field_ids)), -1)
    wide[unit[present], field_of[present]] = present
    column_of = {field_ids[j]: j for j in np.unique(field_of[present])}  # the fields with a value
    numbers = clean["value"].to_numpy(dtype="int64", na_value=0)
    rejected_cells = {
        (r.file, r.sheet, r.field) if layout == TEMPLATE else (r.file, r.sheet, r.row, r.field)
        for r, layout in zip(
            rejects.itertuples(index=False),
            rejects["file"].map(dict(zip(ok["file"].tolist(), ok["layout"].tolist(), strict=True))).fillna(TEMPLATE),
            strict=True)
    }

    have = np.zeros((len(ok), len(required)), dtype=bool)
    for k, field_id in enumerate(required):
        if field_id in column_of:
            have[:, k] = wide[:, column_of[field_id]] >= 0
    for line, k in zip(*(~have).nonzero(), strict=True):
        r, field_id = ok.iloc[line], required[k]
        key = (r.file, r.sheet, field_id) if r.layout == TEMPLATE else (r.file, r.sheet, r.row, field_id)
        if key in rejected_cells:
            continue
        unit = f"{r.unit_code}" if r.layout == TEMPLATE else f"{r.unit_name} ({r.unit_code})"
        problems.add(ERROR, f"Thiếu số liệu bắt buộc “{labels[field_id]}” ({field_id}) của đơn vị {unit}.",
                     file=r.file, sheet=r.sheet or "", row=None if r.layout == TEMPLATE else r.row,
                     column=field_id)

    for part, whole, kind in checks:
        if part not in column_of or whole not in column_of:
            continue
        at_part, at_whole = wide[:, column_of[part]], wide[:, column_of[whole]]
        too_big = (at_part >= 0) & (at_whole >= 0) & (numbers[at_part] > numbers[at_whole])
        for line in np.flatnonzero(too_big):
            r = ok.iloc[line]
            a, b = clean["value"].iloc[at_part[line]], clean["value"].iloc[at_whole[line]]
            what = "Nhóm tuổi " if kind == "age_group" else ""
            problems.add(ERROR, f"{what}“{labels[part]}” ({a}) lớn hơn “{labels[whole]}” ({b}).",
                         file=r.file, sheet=r.sheet or "", row=int(clean["row"].iloc[at_part[line]]),
                         column=part, value=a)

    reported = set(ok["unit_code"].tolist())
    for unit in communes[~communes["code"].isin(reported)].itertuples(index=False):
        problems.add(WARNING, f"Chưa có số liệu năm {year} của {unit.full_name} ({unit.code}).",
                     column="Đơn vị", value=unit.code)
    return clean[VALUE_COLUMNS].reset_index(drop=True)


def check_totals(values: pd.DataFrame, totals: pd.DataFrame, records: pd.DataFrame, fields: pd.DataFrame,
                 problems: ProblemLog) -> None:
    """Compare each total row with the sum of the communes of its sheet (a warning when different)."""
    if totals.empty:
        return
    labels = fields.set_index("field")["label"]
    used = records[records["unit_status"].isin([OK, DUPLICATE])]
    for (file, sheet), group in totals.groupby(["file", "sheet"], sort=False):
        mine = used[(used["file"] == file) & (used["sheet"] == sheet)]
        cells = values[values["record"].isin(set(mine["record"]))]
        for total in group.itertuples(index=False):
            field_cells = cells[cells["field"] == total.field]
            if field_cells.empty or field_cells["value"].isna().any():
                continue
            summed = int(field_cells["value"].sum())
            if summed != int(total.value):
                problems.add(WARNING, f"Dòng tổng ghi “{labels[total.field]}” là {int(total.value)}, nhưng tổng "
                                      f"{len(field_cells)} phường, xã trong trang là {summed}; phụ lục dùng số của "
                                      "từng phường, xã.", file=file, sheet=sheet, row=int(total.row),
                             column=total.note, value=int(total.value))


def check_year_jumps(clean: pd.DataFrame, previous: pd.DataFrame | None, fields: pd.DataFrame, rules: dict,
                     problems: ProblemLog) -> pd.DataFrame:
    """Flag counts that moved implausibly from last year (``reference/ingest.toml`` [jumps]).

    ``clean`` and ``previous`` are tidy clean values (``values.csv``) of this year and of last
    year. Returns the flagged rows (unit_code, field, previous, value); nothing is rejected.
    """
    columns = ["unit_code", "field", "previous", "value"]
    if previous is None or previous.empty or clean.empty:
        return pd.DataFrame(columns=columns)
    ratio, min_change = float(rules["jumps"]["ratio"]), float(rules["jumps"]["min_change"])
    last = previous[["unit_code", "field", "value"]].rename(columns={"value": "previous"})
    both = clean.merge(last, on=["unit_code", "field"], how="inner").dropna(subset=["value", "previous"])
    now, before = both["value"].astype("float64"), both["previous"].astype("float64")
    moved = (now - before).abs() >= min_change
    jumped = ((before == 0) & (now > 0)) | ((before > 0) & ((now > before * ratio) | (now * ratio < before)))
    flagged = both[moved & jumped].astype({"value": "int64", "previous": "int64"})
    labels = fields.set_index("field")["label"]
    for row in flagged.itertuples(index=False):
        problems.add(WARNING, f"“{labels[row.field]}” của đơn vị {row.unit_code} thay đổi bất thường so với "
                              f"năm trước ({row.previous} → {row.value}); hãy kiểm tra lại.",
                     file=row.file, sheet=row.sheet, row=int(row.row), column=row.field, value=row.value)
    return flagged[columns].reset_index(drop=True)


def year_on_year_jumps(values: pd.DataFrame, year: int, fields: pd.DataFrame, rules: dict) -> pd.DataFrame:
    """The jump check of ``year`` against ``year - 1`` within the clean values of several years,
    as a problems table (warnings; empty when last year's clean values are not there)."""
    problems = ProblemLog()
    last_year = values.loc[values["year"] == year - 1, ["unit_code", "field", "value"]]   # what the check reads
    check_year_jumps(values[values["year"] == year], last_year, fields, rules, problems)
    return problems.frame()


def summarise_files(submissions: Submissions, records: pd.DataFrame, problems: ProblemLog) -> pd.DataFrame:
    """One line per file: rows read = accepted + rejected + total rows + heading rows.

    A data row is accepted when its unit was accepted (a rejected cell of it is listed in the
    rejects table); rows of a rejected or duplicate unit count as rejected.
    """
    rows = submissions.rows
    manifests = submissions.files
    statuses = [ACCEPTED, ROW_REJECTED, TOTAL, HEADING]
    # one pass over all rows (a filter per file would grow with the square of the file count), in
    # numpy: at 10,000 communes a pandas groupby of the 530,000 rows by file name and status took 0.4 s
    status = pd.Index(statuses).get_indexer(rows["status"])
    status[status < 0] = len(statuses)  # another status: read, not counted
    # a data row of a rejected or duplicate unit is rejected; a row without a record (-1) keeps its status
    unit = pd.Index(records["record"]).get_indexer(rows["record"])
    unit_rejected = np.append(records["unit_status"].fillna(OK).to_numpy(dtype=object) != OK, False)
    of_rejected_unit = np.flatnonzero(unit_rejected[unit])
    data = rows["kind"].iloc[of_rejected_unit].eq(DATA).to_numpy(dtype=bool, na_value=False)
    status[of_rejected_unit[data]] = statuses.index(ROW_REJECTED)
    file_of, file_names = pd.factorize(rows["file"])
    file_of, status = file_of[file_of >= 0], status[file_of >= 0]  # a row without a file name: not counted
    table = np.bincount(file_of * (len(statuses) + 1) + status, minlength=len(file_names) * (len(statuses) + 1))
    table = table.reshape(len(file_names), len(statuses) + 1)
    counts = pd.DataFrame(table[:, :-1], index=file_names, columns=statuses).reindex(manifests["file"], fill_value=0)
    read = pd.Series(table.sum(axis=1), index=file_names).reindex(manifests["file"], fill_value=0)
    cells = submissions.rejects.groupby("file").size().reindex(manifests["file"], fill_value=0)
    summary = pd.DataFrame({
        "file": manifests["file"].to_numpy(), "sha256": manifests["sha256"].to_numpy(),
        "layout": manifests["layout"].to_numpy(), "sheets": manifests["sheets"].to_numpy(),
        # rows read = data rows (communes and totals); titles, column numbers and signatures
        # are counted apart as heading rows, so rows read = accepted + rejected + total rows
        "rows_read": (read - counts[HEADING]).to_numpy(), "rows_accepted": counts[ACCEPTED].to_numpy(),
        "rows_rejected": counts[ROW_REJECTED].to_numpy(), "rows_total": counts[TOTAL].to_numpy(),
        "rows_heading": counts[HEADING].to_numpy(), "cells_rejected": cells.to_numpy(),
    }, columns=SUMMARY_COLUMNS)
    layout_labels = {}  # the wording of each distinct layout ("template", "template, wide" …)
    # plain lists, not itertuples: iterating the text columns of a DataFrame goes cell by cell
    lines = zip(*(summary[c].tolist() for c in ("file", "layout", *SUMMARY_COLUMNS[4:])), strict=True)
    for name, layout, n_read, n_accepted, n_rejected, n_total, n_heading, n_cells in lines:
        if layout not in layout_labels:
            layout_labels[layout] = (", ".join(LAYOUT_LABELS.get(x, x) for x in str(layout).split(", ") if x)
                                     or "không rõ")
        problems.add(INFO, f"Đã đọc {n_read} dòng số liệu ({layout_labels[layout]}): nhận {n_accepted}, "
                           f"loại {n_rejected}, dòng tổng {n_total}; "
                           f"bỏ qua {n_heading} dòng tiêu đề/ghi chú; {n_cells} ô bị loại.",
                     file=name)
    return summary


def rejected_rows(submissions: Submissions, records: pd.DataFrame) -> pd.DataFrame:
    """The rejects table: every rejected cell, plus the rows of units that were rejected as a whole."""
    extra = []
    bad = records[records["unit_status"] != OK]
    for record in bad.itertuples(index=False):
        extra.append({"file": record.file, "sheet": record.sheet, "row": record.row, "column": "Đơn vị",
                      "field": "", "value": record.unit_name or record.unit_code, "reason": record.reason})
    table = pd.concat([submissions.rejects, pd.DataFrame(extra, columns=submissions.rejects.columns)],
                      ignore_index=True)
    return table.astype({"row": "Int64", "value": "string"})
