"""Counts that moved implausibly from last year's clean values (``reference/ingest.toml`` [jumps]):
warnings, never rejections. Run by the indicator step, which reads the clean values of both years.

Across the reform of the units (1/7/2025) a unit is compared with what its predecessors counted
last year (:func:`helpers.compute.series.onto_units`), not with the former unit that had its code;
a unit that received part of a split unit is not compared (one information line says so)."""

from __future__ import annotations

import pandas as pd

from helpers.checks.problems import INFO, WARNING, ProblemLog
from helpers.compute.series import onto_units, successions
from helpers.reference import ReportingYear, reporting_date, units_valid_on


def check_year_jumps(clean: pd.DataFrame, previous: pd.DataFrame | None, fields: pd.DataFrame, rules: dict,
                     problems: ProblemLog, sources: dict[str, str] | None = None) -> pd.DataFrame:
    """Flag counts that moved implausibly from last year (``reference/ingest.toml`` [jumps]).

    ``clean`` and ``previous`` are tidy clean values (``values.csv``) of this year and of last
    year, the latter on this year's units. ``sources`` adds to the message of a unit where last
    year's count came from (unit_code → words). Returns the flagged rows (unit_code, field,
    previous, value); nothing is rejected.
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
    sources = sources or {}
    for row in flagged.itertuples(index=False):
        source = f"; {sources[row.unit_code]}" if row.unit_code in sources else ""
        problems.add(WARNING, f"“{labels[row.field]}” của đơn vị {row.unit_code} thay đổi bất thường so với "
                              f"năm trước ({row.previous} → {row.value}{source}); hãy kiểm tra lại.",
                     file=row.file, sheet=row.sheet, row=int(row.row), column=labels[row.field], value=row.value)
    return flagged[columns].reset_index(drop=True)


def year_on_year_jumps(values: pd.DataFrame, ctx: ReportingYear) -> pd.DataFrame:
    """The jump check of the reporting year against the year before, within the clean values of
    several years, as a problems table (warnings; empty when last year's clean values are not there).

    Last year's values are first put onto this year's units (a merged unit: its predecessors' sum);
    a unit that received part of a split unit gets one information line instead of the check."""
    year, fields, rules, problems = ctx.year, ctx.ref.fields, ctx.ref.ingest, ProblemLog()
    this = values[values["year"] == year]
    last_year = values.loc[values["year"] == year - 1, ["year", "unit_code", "field", "value"]]  # what the check reads
    if this.empty or last_year.empty:
        return problems.frame()
    previous, not_comparable = onto_units(last_year, ctx.ref, year)
    reported = {str(code) for code in this["unit_code"].unique()}
    not_comparable = [code for code in not_comparable if code in reported]
    if not_comparable:
        _say_not_comparable(this, not_comparable, ctx, problems)
        this = this[~this["unit_code"].isin(not_comparable)]
    check_year_jumps(this, previous, fields, rules, problems, sources=_summed_units(ctx, reported))
    return problems.frame()


def _names(ctx: ReportingYear, year: int) -> pd.Series:
    """The full names of the units valid on 31/12 of ``year``, by code."""
    valid = units_valid_on(ctx.ref.units, reporting_date(year))
    return valid.drop_duplicates("code").set_index("code")["full_name"]


def _say_not_comparable(this: pd.DataFrame, codes: list[str], ctx: ReportingYear, problems: ProblemLog) -> None:
    """One information line per unit of ``codes``, at the first row read of its file this year."""
    names, words = _names(ctx, ctx.year), ctx.ref.wording["series"]["not_comparable"]
    first = this.drop_duplicates("unit_code").set_index("unit_code")
    for code in codes:
        place = first.loc[code]
        problems.add(INFO, words.format(unit=names.get(code, code), code=code),
                     file=place.get("file", ""), sheet=place.get("sheet", ""))


def _summed_units(ctx: ReportingYear, reported: set[str]) -> dict[str, str]:
    """For each unit of ``reported`` formed of several units since last year, the words naming them
    (``[series] previous_sum`` of ``reference/annex.toml``)."""
    went = successions(ctx.ref.units, ctx.year - 1, ctx.year)
    went = went[went["unit_code"].isin(reported) & ~went["split"]]
    several = went[went["unit_code"].duplicated(keep=False)]
    if several.empty:
        return {}
    names, words = _names(ctx, ctx.year - 1), ctx.ref.wording["series"]["previous_sum"]
    return {code: words.format(units=", ".join(f"{names.get(c, c)} ({c})" for c in group["code"]))
            for code, group in several.groupby("unit_code", sort=False)}
