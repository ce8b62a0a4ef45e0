"""Which commune each record is: its GSO code checked against the entity's communes valid in
the reporting year, written names compared with the code, the same commune sent twice, and the
forms of units that ended at the 2025 reform (what they mean: :mod:`helpers.checks.mergers`)."""

from __future__ import annotations

import pandas as pd

from helpers.checks.mergers import (
    AcceptedRecord,
    FormerRecord,
    Reform,
    settle_former_records,
    warn_namesakes,
)
from helpers.checks.problems import ERROR, INFO, WARNING, ProblemLog
from helpers.ingest.submissions import TEMPLATE
from helpers.reference import ReportingYear, successor_start, unit_label, units_label
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
    commune of another province. A form of a unit that ended at the reform (its old code, or a
    reused code with the old unit's name) is decided with the other old units of its successor
    (:mod:`helpers.checks.mergers`): added up onto the successor (accepted) or rejected with an
    error; either way its ``unit_code`` is then the successor's and ``former_code`` the old unit's
    (empty for every other record). A record accepted as a new unit that kept the code and name of
    one of its several old units gets a warning when its sheet (its file, for a template form) also
    holds records of old units: it may be the old unit's figures. Also returns the problems found.
    """
    entity, year, problems = ctx.entity, ctx.year, ProblemLog()
    communes = ctx.communes
    reform = Reform(ctx)
    country = reform.current            # the communes of the country valid on 31/12 of the year
    province = set(country.loc[country.index.isin(communes["code"]), "province_code"])
    outside: dict[tuple[str, str], list[str]] = {}
    full_names = dict(zip(communes["code"].tolist(), communes["full_name"].tolist(), strict=True))
    short_names = dict(zip(communes["code"].tolist(), communes["name"].tolist(), strict=True))
    records = records.copy()
    status = [OK if s == "ok" else REJECTED for s in records["status"].tolist()]
    reasons = records["reason"].tolist()
    codes = records["unit_code"].tolist()
    former_codes = [""] * len(records)
    pending: list[FormerRecord] = []     # forms of old units that went whole into one of the entity's
    old_units: list[tuple[str, str, pd.Series]] = []    # (file, sheet, old unit) of each record of an ended unit
    # plain lists, not itertuples: iterating the text columns of a DataFrame goes cell by cell
    lines = zip(*(records[c].tolist() for c in ("file", "sheet", "row", "layout", "unit_name", "unit_code", "method")),
                strict=True)
    for i, (file, sheet, row, layout, unit_name, unit_code, method) in enumerate(lines):
        if status[i] != OK:
            continue
        code = unit_code or ""
        column = "Mã đơn vị"
        where = dict(file=file, sheet=sheet or "", row=None if layout == TEMPLATE else row)
        old = reform.former_unit(code, unit_name, method)
        successors = reform.successors(old) if old is not None else None
        if old is not None:
            old_units.append((file, sheet or "", old))
        if successors is not None and len(successors):
            former_codes[i] = code
            ours = successors[successors["code"].isin(full_names)]
            listed = units_label(successors)
            if ours.empty:
                reasons[i] = (f"{old['full_name']} (mã {code}), nay thuộc {listed}, không thuộc {entity.name}: "
                              "không tính vào phụ lục này.")
                status[i] = REJECTED
                near = bool(set(successors["province_code"]) & province) or not province
                outside.setdefault((file, sheet or "", near), []).append(f"{old['full_name']} ({code}, nay thuộc "
                                                                         f"{listed})")
            elif bool(old.get("split", False)) or len(successors) > 1:
                reasons[i] = (f"{old['full_name']} (mã {code}) đã được chia cho {listed} từ "
                              f"{successor_start(old)}: số liệu của đơn vị "
                              f"cũ không cộng được vào một đơn vị mới; số liệu năm {year} phải do các đơn vị mới gửi "
                              "(mã, tên của đơn vị kế thừa).")
                problems.add(ERROR, reasons[i], **where, column=column, value=code)
                status[i] = REJECTED
            else:
                pending.append(FormerRecord(i, old, where, code))
                if method == "code" and unit_name and not reform.written_as(old, unit_name):
                    problems.add(WARNING, f"Tên đơn vị “{unit_name}” không khớp với mã {code} ({old['full_name']}, "
                                          f"đơn vị trước {successor_start(old)}); đã dùng theo mã.",
                                 **where, column="Đơn vị", value=unit_name)
            continue
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
            problems.add(ERROR, reasons[i], **where, column=column, value=code)
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
    # an old unit's form and its successor's own are two units even under one reused code
    olds = {r.index: r.unit for r in pending}
    keys = [None if s != OK else (f"{c}@{olds[i]['valid_to']:%Y-%m-%d}" if i in olds else c)
            for i, (c, s) in enumerate(zip(records["unit_code"].tolist(), status, strict=True))]
    ok_codes = pd.Series(keys, index=records.index, dtype=object)
    repeated = ok_codes.notna() & ok_codes.duplicated(keep=False)
    for key, group in records[repeated].groupby(ok_codes[repeated], sort=True):
        rows = list(group.itertuples(index=False))
        first = rows[0]
        code = first.unit_code
        name = unit_label(olds[int(first.record)]) if "@" in key else f"{full_names[code]} ({code})"
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
    if pending:
        own: dict[str, list[str]] = {}      # the places of the forms a unit of the year sent itself
        for r in records.itertuples(index=False):
            if status[int(r.record)] == OK and int(r.record) not in olds:
                own.setdefault(r.unit_code, []).append(_place(r))
        fields = ctx.ref.fields.set_index("field")["label"]
        institutions = [fields[f] for f in ctx.ref.ingest.get("mergers", {}).get("institution_fields", [])
                        if f in fields.index]
        decided = settle_former_records([r for r in pending if status[r.index] == OK], own, reform, communes,
                                        problems, institutions)
        for i, (accepted, reason) in decided.items():
            # the unit of the year the form is for (its feedback sheet shows it), accepted or not
            codes[i], reasons[i] = str(olds[i]["successor_code"]), reason
            if not accepted:
                status[i] = REJECTED
    # a new unit that kept the code and name of one of its old units, among rows of old units
    accepted = [AcceptedRecord(code, file, sheet or "", layout == TEMPLATE,
                               dict(file=file, sheet=sheet or "", row=None if layout == TEMPLATE else row),
                               *(("Mã đơn vị", code) if method == "code" else ("Đơn vị", unit_name)))
                for code, former, state, file, sheet, row, layout, method, unit_name
                in zip(codes, former_codes, status, *(records[c].tolist() for c in
                       ("file", "sheet", "row", "layout", "method", "unit_name")), strict=True)
                if state == OK and not former]
    warn_namesakes(accepted, old_units, reform, problems)
    records["unit_code"] = codes
    records["former_code"] = former_codes
    records["unit_status"] = status
    records["reason"] = reasons
    return records, problems.frame()
