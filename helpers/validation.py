"""Checks on one year's submissions: units, duplicates, required fields, value consistency,
totals; the per-file accounting of every row read; and jumps from last year's clean values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from helpers.paths import REFERENCE_DIR
from helpers.problems import ERROR, INFO, WARNING, ProblemLog
from helpers.reference import Entity, read_reference_csv, units_valid_on
from helpers.submissions import (
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
    communes = communes_of(entity, units, year).set_index("code")
    full_names = communes["full_name"].to_dict()
    expected_names = {code: {fold(name), fold(full)} for code, name, full in
                      zip(communes.index, communes["name"], communes["full_name"], strict=True)}
    records = records.copy()
    status = [OK if s == "ok" else REJECTED for s in records["status"]]
    reasons = list(records["reason"])
    for i, row in enumerate(records.itertuples(index=False)):
        if status[i] != OK:
            continue
        code = row.unit_code or ""
        column = "Mã đơn vị"
        if code not in full_names:
            reasons[i] = (f"Mã đơn vị {code} không phải là phường, xã của {entity.name} trong năm {year} "
                          "(reference/units.csv).")
            problems.add(ERROR, reasons[i], file=row.file, sheet=row.sheet or "",
                         row=None if row.layout == TEMPLATE else row.row, column=column, value=code)
            status[i] = REJECTED
            continue
        written = fold(row.unit_name or "")
        if row.method == "code" and written and written not in expected_names[code]:
            problems.add(WARNING, f"Tên đơn vị “{row.unit_name}” không khớp với mã {code} "
                                  f"({full_names[code]}); đã dùng theo mã.",
                         file=row.file, sheet=row.sheet or "", row=None if row.layout == TEMPLATE else row.row,
                         column="Đơn vị", value=row.unit_name)
    values = values if values is not None else pd.DataFrame(columns=["record", "field", "value"])
    ok_codes = pd.Series([c if s == OK else None for c, s in zip(records["unit_code"], status, strict=True)],
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
    code_of = dict(zip(ok["record"], ok["unit_code"], strict=True))
    clean = values[values["record"].isin(set(code_of))].copy()
    clean["unit_code"] = clean["record"].map(code_of).astype("string")
    labels = fields.set_index("field")["label"]
    required = list(fields.loc[fields["required"], "field"])
    checks = [(p, w, "pair") for p, w in pairs]
    if bounds is not None:
        checks += [(p, w, k) for p, w, k in zip(bounds["part"], bounds["whole"], bounds["kind"], strict=True)]

    # One wide table (record × field) so every check is a column operation, not a loop over
    # communes: the cost stays linear in the number of communes.
    present = clean.dropna(subset=["value"]).drop_duplicates(["record", "field"])
    wide = present.pivot(index="record", columns="field", values="value").reindex(ok["record"])
    source_rows = present.pivot(index="record", columns="field", values="row").reindex(ok["record"])
    info = ok.set_index("record")
    rejected_cells = {
        (r.file, r.sheet, r.field) if layout == TEMPLATE else (r.file, r.sheet, r.row, r.field)
        for r, layout in zip(
            rejects.itertuples(index=False),
            rejects["file"].map(dict(zip(ok["file"], ok["layout"], strict=True))).fillna(TEMPLATE),
            strict=True)
    }

    have = wide.reindex(columns=required).notna()
    for record, field_id in zip(*((~have).to_numpy().nonzero()), strict=True):
        record, field_id = have.index[record], have.columns[field_id]
        r = info.loc[record]
        key = (r.file, r.sheet, field_id) if r.layout == TEMPLATE else (r.file, r.sheet, r.row, field_id)
        if key in rejected_cells:
            continue
        unit = f"{r.unit_code}" if r.layout == TEMPLATE else f"{r.unit_name} ({r.unit_code})"
        problems.add(ERROR, f"Thiếu số liệu bắt buộc “{labels[field_id]}” ({field_id}) của đơn vị {unit}.",
                     file=r.file, sheet=r.sheet or "", row=None if r.layout == TEMPLATE else r.row,
                     column=field_id)

    for part, whole, kind in checks:
        if part not in wide.columns or whole not in wide.columns:
            continue
        too_big = (wide[part] > wide[whole]).fillna(False)
        for record in wide.index[too_big.to_numpy(dtype=bool)]:
            r = info.loc[record]
            a, b = wide.loc[record, part], wide.loc[record, whole]
            what = "Nhóm tuổi " if kind == "age_group" else ""
            problems.add(ERROR, f"{what}“{labels[part]}” ({a}) lớn hơn “{labels[whole]}” ({b}).",
                         file=r.file, sheet=r.sheet or "", row=int(source_rows.loc[record, part]),
                         column=part, value=a)

    reported = set(ok["unit_code"])
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
    check_year_jumps(values[values["year"] == year], values[values["year"] == year - 1], fields, rules, problems)
    return problems.frame()


def summarise_files(submissions: Submissions, records: pd.DataFrame, problems: ProblemLog) -> pd.DataFrame:
    """One line per file: rows read = accepted + rejected + total rows + heading rows.

    A data row is accepted when its unit was accepted (a rejected cell of it is listed in the
    rejects table); rows of a rejected or duplicate unit count as rejected.
    """
    rows = submissions.rows.copy()
    unit_status = pd.Series(list(records["unit_status"]), index=records["record"].astype("int64"), dtype=object)
    demoted = rows["record"].map(unit_status).fillna(OK)
    rows.loc[(rows["kind"] == DATA) & (demoted != OK), "status"] = ROW_REJECTED
    manifests = submissions.files
    # one pass over all rows (a filter per file would grow with the square of the file count)
    counts = (rows.groupby(["file", "status"]).size().unstack(fill_value=0)
              .reindex(index=manifests["file"], columns=[ACCEPTED, ROW_REJECTED, TOTAL, HEADING], fill_value=0))
    read = rows.groupby("file").size().reindex(manifests["file"], fill_value=0)
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
    for line in summary.itertuples(index=False):
        layout = ", ".join(LAYOUT_LABELS.get(x, x) for x in str(line.layout).split(", ") if x) or "không rõ"
        problems.add(INFO, f"Đã đọc {line.rows_read} dòng số liệu ({layout}): nhận {line.rows_accepted}, "
                           f"loại {line.rows_rejected}, dòng tổng {line.rows_total}; "
                           f"bỏ qua {line.rows_heading} dòng tiêu đề/ghi chú; {line.cells_rejected} ô bị loại.",
                     file=line.file)
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
