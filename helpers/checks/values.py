"""The values of the accepted records: required fields present, parts never above their whole
(``reference/field_bounds.csv`` and the indicators' own numerator/denominator pairs), communes
without data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.checks.problems import ERROR, WARNING, ProblemLog
from helpers.checks.units import OK
from helpers.ingest.submissions import TEMPLATE, VALUE_COLUMNS
from helpers.numbers import format_as_written, format_number
from helpers.reference import Reference, ReportingYear


def field_pairs(ref: Reference) -> list[tuple[str, str]]:
    """(part, whole) field pairs where the part can never exceed the whole: every indicator's and
    standard criterion's numerator and denominator when both are single fields."""
    indicators, criteria = ref.catalogue, ref.criteria
    pairs = set()
    for num, den in zip(indicators["numerator"], indicators["denominator"], strict=True):
        if num and den and "+" not in num and "+" not in den:
            pairs.add((num, den))
    for suffix in ("", "_dbkk"):
        for num, den in zip(criteria["numerator" + suffix], criteria["denominator" + suffix], strict=True):
            pairs.add((num, den))
    return sorted(pairs)


def validate_values(values: pd.DataFrame, records: pd.DataFrame, rejects: pd.DataFrame | None,
                    ctx: ReportingYear) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the values of accepted records and check them. Returns the clean tidy table and the
    problems found.

    A required field is reported missing only when its cell was not already rejected (the
    rejection names the cell and the reason).
    """
    fields, communes, year, bounds = ctx.ref.fields, ctx.communes, ctx.year, ctx.ref.bounds
    pairs, problems = field_pairs(ctx.ref), ProblemLog()
    rejects = rejects if rejects is not None else pd.DataFrame(columns=["file", "sheet", "row", "field"])
    ok = records[records["unit_status"] == OK]
    unit = pd.Index(ok["record"]).get_indexer(values["record"])  # each value's line of ``ok``; -1: not accepted
    clean = values[unit >= 0]
    unit = unit[unit >= 0]
    clean["unit_code"] = pd.Series(ok["unit_code"].to_numpy(dtype=object)[unit], index=clean.index, dtype="string")
    labels = fields.set_index("field")["label"]
    required = list(fields.loc[fields["required"], "field"])
    # (part, whole, kind, reason): the reference file's rules first (they say why), then the
    # indicators' own numerator/denominator pairs not already among them
    checks = list(zip(bounds["part"], bounds["whole"], bounds["kind"], bounds["reason"], strict=True))
    listed = {(p, w) for p, w, _, _ in checks}
    checks += [(p, w, "pair", "tử số của một chỉ tiêu không lớn hơn mẫu số") for p, w in pairs if (p, w) not in listed]

    # One wide table (record × field) so every check is a column operation, not a loop over
    # communes: the cost stays linear in the number of communes. It holds where each record's
    # value of each field is in ``clean`` (-1: none); a value given twice counts once, the first.
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
        problems.add(ERROR, f"Thiếu số liệu bắt buộc “{labels[field_id]}” của đơn vị {unit}.",
                     file=r.file, sheet=r.sheet or "", row=None if r.layout == TEMPLATE else r.row,
                     column=labels[field_id])

    breached: set[tuple[int, str]] = set()   # (line, field) already reported as an error
    for part, whole, kind, reason in checks:
        if part not in column_of or whole not in column_of:
            continue
        at_part, at_whole = wide[:, column_of[part]], wide[:, column_of[whole]]
        too_big = (at_part >= 0) & (at_whole >= 0) & (numbers[at_part] > numbers[at_whole])
        for line in np.flatnonzero(too_big):
            r = ok.iloc[line]
            breached.update({(line, part), (line, whole)})
            a, b = clean["value"].iloc[at_part[line]], clean["value"].iloc[at_whole[line]]
            what = "Nhóm tuổi " if kind == "age_group" else ""
            problems.add(ERROR, f"{what}“{labels[part]}” ({a}) lớn hơn “{labels[whole]}” ({b}): {reason}.",
                         file=r.file, sheet=r.sheet or "", row=int(clean["row"].iloc[at_part[line]]),
                         column=labels[part], value=a)

    for rule in ctx.ref.ratios.itertuples(index=False):
        if rule.numerator not in column_of or rule.denominator not in column_of:
            continue
        at_num, at_den = wide[:, column_of[rule.numerator]], wide[:, column_of[rule.denominator]]
        given = (at_num >= 0) & (at_den >= 0)
        num, den = numbers[at_num].astype(float), numbers[at_den].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
        # a zero is often "not counted" rather than a count: the range is checked on two positive counts
        outside = given & (den > 0) & (num > 0) & ((ratio < float(rule.min)) | (ratio > float(rule.max)))
        severity = ERROR if rule.severity == "error" else WARNING
        for line in np.flatnonzero(outside):
            if (line, rule.numerator) in breached or (line, rule.denominator) in breached:
                continue   # the error on these fields says it already
            r = ok.iloc[line]
            a, b = clean["value"].iloc[at_num[line]], clean["value"].iloc[at_den[line]]
            problems.add(severity, (
                f"{rule.reason[:1].upper()}{rule.reason[1:]} là {format_number(ratio[line], 2)} "
                f"(“{labels[rule.numerator]}” {a} / “{labels[rule.denominator]}” {b}), ngoài khoảng hợp lý "
                f"{format_as_written(rule.min)}-{format_as_written(rule.max)}; hãy kiểm tra lại số liệu."),
                file=r.file, sheet=r.sheet or "", row=int(clean["row"].iloc[at_den[line]]),
                column=labels[rule.denominator], value=b)

    reported = set(ok["unit_code"].tolist())
    for unit in communes[~communes["code"].isin(reported)].itertuples(index=False):
        problems.add(WARNING, f"Chưa có số liệu năm {year} của {unit.full_name} ({unit.code}).",
                     column="Đơn vị", value=unit.code)
    return clean[VALUE_COLUMNS].reset_index(drop=True), problems.frame()
