"""Counts that moved implausibly from last year's clean values (``reference/ingest.toml`` [jumps]):
warnings, never rejections. Run by the indicator step, which reads the clean values of both years."""

from __future__ import annotations

import pandas as pd

from helpers.checks.problems import WARNING, ProblemLog
from helpers.reference import ReportingYear


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
                     file=row.file, sheet=row.sheet, row=int(row.row), column=labels[row.field], value=row.value)
    return flagged[columns].reset_index(drop=True)


def year_on_year_jumps(values: pd.DataFrame, ctx: ReportingYear) -> pd.DataFrame:
    """The jump check of the reporting year against the year before, within the clean values of
    several years, as a problems table (warnings; empty when last year's clean values are not there)."""
    year, fields, rules, problems = ctx.year, ctx.ref.fields, ctx.ref.ingest, ProblemLog()
    last_year = values.loc[values["year"] == year - 1, ["unit_code", "field", "value"]]   # what the check reads
    check_year_jumps(values[values["year"] == year], last_year, fields, rules, problems)
    return problems.frame()
