"""Checks on one year's submissions: units, required fields, value consistency."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from helpers.problems import ERROR, WARNING, ProblemLog
from helpers.reference import Entity, units_valid_on
from helpers.text import fold


def reporting_date(year: int) -> dt.date:
    """The day a year's units are taken on (the end of the reporting year)."""
    return dt.date(int(year), 12, 31)


def communes_of(entity: Entity, units: pd.DataFrame, year: int) -> pd.DataFrame:
    """The communes (xã, phường, thị trấn) of the reporting entity valid in ``year``."""
    valid = units_valid_on(units, reporting_date(year))
    return valid[valid["parent_code"] == entity.code].reset_index(drop=True)


def resolve_unit_codes(files: pd.DataFrame, entity: Entity, units: pd.DataFrame, year: int,
                       problems: ProblemLog) -> pd.DataFrame:
    """Check each file's unit code against the communes valid in ``year``.

    Returns the manifest with a ``unit_status`` column (``ok`` or ``rejected``). An unknown code,
    a code of another district, or two files for one commune are errors; a unit name that does not
    match its code is a warning (the code decides).
    """
    communes = communes_of(entity, units, year).set_index("code")
    files = files.copy()
    status = []
    seen: dict[str, str] = {}
    for row in files.itertuples(index=False):
        code = row.unit_code or ""
        if not code:
            status.append("rejected")
            continue
        if code not in communes.index:
            problems.add(ERROR, f"Mã đơn vị {code} không phải là phường, xã của {entity.name} "
                                f"trong năm {year} (reference/units.csv).",
                         file=row.file, sheet=row.sheet or "", column="Mã đơn vị", value=code)
            status.append("rejected")
            continue
        if code in seen:
            problems.add(ERROR, f"{communes.loc[code, 'full_name']} ({code}) có hai tệp: "
                                f"{seen[code]} và {row.file}; hãy giữ lại một tệp.",
                         file=row.file, sheet=row.sheet or "", column="Mã đơn vị", value=code)
            status.append("rejected")
            continue
        seen[code] = row.file
        written = fold(row.unit_name or "")
        expected = {fold(communes.loc[code, "name"]), fold(communes.loc[code, "full_name"])}
        if written and written not in expected:
            problems.add(WARNING, f"Tên đơn vị “{row.unit_name}” không khớp với mã {code} "
                                  f"({communes.loc[code, 'full_name']}); đã dùng theo mã.",
                         file=row.file, sheet=row.sheet or "", column="Đơn vị", value=row.unit_name)
        status.append("ok")
    files["unit_status"] = status
    return files


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


def validate_values(values: pd.DataFrame, files: pd.DataFrame, fields: pd.DataFrame,
                    pairs: list[tuple[str, str]], communes: pd.DataFrame, entity: Entity, year: int,
                    problems: ProblemLog, rejects: pd.DataFrame | None = None) -> pd.DataFrame:
    """Keep the values of accepted files and check them. Returns the clean tidy table.

    A required field is reported missing only when its row was not already rejected (the
    rejection names the cell and the reason).
    """
    already = set() if rejects is None else set(zip(rejects["file"], rejects["field"], strict=True))
    ok_files = set(files.loc[files["unit_status"] == "ok", "file"])
    clean = values[values["file"].isin(ok_files)].reset_index(drop=True)
    labels = fields.set_index("field")["label"]
    required = fields.loc[fields["required"], "field"]

    for file_row in files[files["unit_status"] == "ok"].itertuples(index=False):
        mine = clean[clean["file"] == file_row.file]
        present = mine.dropna(subset=["value"])
        missing = [f for f in required
                   if f not in set(present["field"]) and (file_row.file, f) not in already]
        for field_id in missing:
            problems.add(ERROR, f"Thiếu số liệu bắt buộc “{labels[field_id]}” ({field_id}).",
                         file=file_row.file, sheet=file_row.sheet or "", column=field_id)
        by_field = present.set_index("field")
        for part, whole in pairs:
            if part in by_field.index and whole in by_field.index:
                a, b = by_field.loc[part], by_field.loc[whole]
                if a["value"] > b["value"]:
                    problems.add(ERROR, f"“{labels[part]}” ({a['value']}) lớn hơn “{labels[whole]}” "
                                        f"({b['value']}).",
                                 file=file_row.file, sheet=file_row.sheet or "", row=int(a["row"]),
                                 column=part, value=a["value"])

    reported = set(files.loc[files["unit_status"] == "ok", "unit_code"])
    missing_units = communes[~communes["code"].isin(reported)]
    for unit in missing_units.itertuples(index=False):
        problems.add(WARNING, f"Chưa có số liệu năm {year} của {unit.full_name} ({unit.code}).",
                     column="Đơn vị", value=unit.code)
    return clean
