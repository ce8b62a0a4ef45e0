"""Which commune each record is: its GSO code checked against the entity's communes valid in
the reporting year, written names compared with the code, the same commune sent twice."""

from __future__ import annotations

import pandas as pd

from helpers.checks.problems import ERROR, INFO, WARNING, ProblemLog
from helpers.ingest.submissions import TEMPLATE
from helpers.reference import ReportingYear, reporting_date, units_valid_on
from helpers.text import fold

OK, REJECTED, DUPLICATE = "ok", "rejected", "duplicate"


def _place(record) -> str:
    """Where a commune's data was read: "tệp a.xlsx" or "tệp b.xlsx, trang T, dòng 7"."""
    if record.layout == TEMPLATE:
        return f"tệp {record.file}"
    return f"tệp {record.file}, trang {record.sheet}, dòng {record.row}"


def _record_values(values: pd.DataFrame, record: int) -> dict[str, object]:
    mine = values[values["record"] == record]
    return {f: (None if pd.isna(v) else int(v)) for f, v in zip(mine["field"], mine["value"], strict=True)}


def resolve_unit_codes(records: pd.DataFrame, values: pd.DataFrame | None,
                       ctx: ReportingYear) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check each record's unit (code or resolved name) against the communes valid in ``year``.

    Returns the records with ``unit_status``: ``ok``, ``rejected`` or ``duplicate`` (the same
    commune again with identical values: a warning, used once). An unknown code, a unit that had
    ended, or the same commune twice with different values are errors; a written name that does not
    match its code is a warning (the code decides). A commune of the country that the entity does
    not add up (a year's folder holds what every commune sent; a thị xã reads only its own) is set
    aside with its reason, one line per file: a note for the entity's province, a warning for a
    commune of another province. Also returns the problems found.
    """
    entity, year, problems = ctx.entity, ctx.year, ProblemLog()
    communes = ctx.communes
    country = units_valid_on(ctx.ref.units, reporting_date(year))
    country = country[country["level"] == "commune"].drop_duplicates("code").set_index("code")
    province = set(country.loc[country.index.isin(communes["code"]), "province_code"])
    outside: dict[tuple[str, str], list[str]] = {}
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
        if code not in full_names and code in country.index:
            unit = country.loc[code]
            reasons[i] = f"{unit['full_name']} (mã {code}) không thuộc {entity.name}: không tính vào phụ lục này."
            status[i] = REJECTED
            near = unit["province_code"] in province or not province
            outside.setdefault((file, sheet or "", near), []).append(f"{unit['full_name']} ({code})")
            continue
        if code not in full_names:
            ended = ctx.ref.successors_of(code, year)
            if ended is not None and len(ended.successors):
                reasons[i] = (f"{ended.unit['full_name']} (mã {code}) đã nhập vào {ended.names} từ {ended.start}: "
                              f"số liệu năm {year} phải ghi theo đơn vị mới (mã, tên của đơn vị kế thừa).")
            else:
                reasons[i] = (f"Mã đơn vị {code} không phải là mã phường, xã nào còn hiệu lực ngày 31/12/{year} "
                              f"(reference/units_vietnam.csv), nên không xác định được đơn vị của {entity.name}.")
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
    for (file, sheet, near), names in outside.items():
        problems.add(INFO if near else WARNING,
                     f"{len(names)} đơn vị không thuộc {entity.name}, không tính vào phụ lục này"
                     + ("" if near else " (đơn vị của tỉnh, thành phố khác: kiểm tra lại mã)") + ": "
                     + ", ".join(names) + ".", file=file, sheet=sheet, column="Mã đơn vị")
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
    return records, problems.frame()
