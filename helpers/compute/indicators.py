"""Commune and entity indicators from the clean tidy values, compared with targets.

Entity rates are ratios of sums (Σnumerator / Σdenominator), never means of commune rates. A
standard is checked commune by commune; the entity meets it when the share of its communes that
meet it reaches the rule of ``reference/standards.csv``. Targets, statuses and the prerequisite
chain follow :mod:`helpers.compute.rules`; the per-commune arithmetic runs on float arrays
(:mod:`helpers.compute.fast_arrays`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.compute.fast_arrays import commune_standards, field_numbers, percent, sum_of, unit_values
from helpers.compute.projection import PROJECTION_COLUMNS, project_indicators
from helpers.compute.rules import (
    STATUS_MET,
    STATUS_MISSING,
    STATUS_NO_TARGET,
    STATUS_NOT_APPLICABLE,
    STATUS_NOT_MET,
    projects,
    share_status,
    status_of,
    statuses_of,
)
from helpers.reference import ReportingYear

__all__ = ["STATUS_MET", "STATUS_MISSING", "STATUS_NO_TARGET", "STATUS_NOT_APPLICABLE", "STATUS_NOT_MET",
           "INDICATOR_COLUMNS", "IndicatorTables", "compute_indicators", "compute_history", "compute_year"]

INDICATOR_COLUMNS = [
    "year", "unit_code", "indicator_id", "kind", "numerator", "denominator", "value",
    "target", "target_level", "target_plan", "target_verified", "status", "missing_units", "target_from",
]


def _choose(condition: np.ndarray, when_true, when_false) -> np.ndarray:
    return np.where(condition, np.asarray(when_true, dtype=object), np.asarray(when_false, dtype=object))


def _commune_rows(pieces: list[dict], codes: np.ndarray) -> pd.DataFrame:
    """The commune rows of all indicators, typed as :func:`_typed` types the entity rows.

    ``pieces`` holds, per indicator, its year, indicator_id, kind, numerator, denominator, value,
    target (NaN: no number) and status, each an array with one item per commune or one scalar.
    """
    def stacked(column: str, dtype) -> np.ndarray:
        return np.concatenate([np.broadcast_to(np.asarray(piece.get(column, np.nan), dtype=dtype), len(codes))
                               for piece in pieces])

    rows = pd.RangeIndex(len(codes) * len(pieces))
    return pd.DataFrame({
        "year": pd.array(stacked("year", "int64"), dtype="Int64"),
        "unit_code": pd.array(np.tile(codes, len(pieces)), dtype="string"),
        "indicator_id": stacked("indicator_id", object), "kind": stacked("kind", object),
        **{column: pd.array(stacked(column, float), dtype="Float64")
           for column in ("numerator", "denominator", "value", "target")},
        "target_level": "", "target_plan": "", "target_verified": pd.Series(pd.NA, index=rows, dtype="boolean"),
        "status": stacked("status", object), "missing_units": "", "target_from": "",
    }, index=rows)


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """The columns of the indicator table, in order and with their types (empty numbers as NA)."""
    table = table.reindex(columns=INDICATOR_COLUMNS, fill_value=pd.NA)
    table["target_verified"] = table["target_verified"].astype("boolean")
    table["unit_code"] = table["unit_code"].astype("string")
    for column in ("numerator", "denominator", "value", "target"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("Float64")
    table["year"] = table["year"].astype("Int64")
    texts = ["status", "missing_units", "target_level", "target_plan", "target_from"]
    table[texts] = table[texts].fillna("")
    return table


def _standard_status(rule: str, met: int, unknown: int, total: int, district_share: float, target) -> str:
    """Whether the entity meets a standard, by its level's rule (``reference/standard_levels.csv``):
    a district by the decree's share of communes; a province by the share of its communes against
    its plan's target (none: "Chưa có mục tiêu"); a commune by its own verdict."""
    if rule == "plan_target":
        if pd.isna(target):
            return STATUS_NO_TARGET if total and not unknown else STATUS_MISSING
        return share_status(met, unknown, total, float(target))
    if rule == "own":
        return STATUS_MISSING if unknown or not total else (STATUS_MET if met == total else STATUS_NOT_MET)
    return share_status(met, unknown, total, district_share)


def compute_indicators(values: pd.DataFrame, ctx: ReportingYear, *, year: int | None = None,
                       communes: pd.DataFrame | None = None, entity_only: bool = False) -> pd.DataFrame:
    """The tidy indicator table of one year: one row per commune and for the entity, per indicator.

    ``values`` holds clean values (``values.csv`` of one or more years); ``year`` defaults to the
    context's, ``communes`` to the entity's communes valid that year. With ``entity_only`` the
    communes' rows are left out (the same entity rows, for trends); a commune entity has only its
    own rows (its code is its commune's).
    """
    ref = ctx.ref
    entity_only = entity_only or ref.entity.level == "commune"
    year = ctx.year if year is None else int(year)
    if communes is None:
        communes = ctx.communes if year == ctx.year else ref.communes(year)
    entity_code = ref.entity.code
    values = values.loc[values["year"] == year, ["unit_code", "field", "value"]]
    expected = communes["code"].tolist()
    wide = unit_values(values, communes["code"])
    reported = pd.Index(expected).isin(values["unit_code"])
    absent = [c for c, seen in zip(expected, reported, strict=True) if not seen]
    chosen = ctx.targets
    met = commune_standards(wide, communes, ref.standards, ref.criteria)
    rules = ref.standards.set_index("standard")
    rule = ref.standard_rule["rule"]
    numbers, columns = field_numbers(wide)

    codes = wide.index.to_numpy(dtype=object)
    pieces, entity_rows = [], []
    for ind in ref.catalogue.to_dict("records"):
        target = chosen["value"].get(ind["id"], pd.NA)
        direction = ind["direction"]
        target_meta = {
            "target": target,
            "target_level": ctx.target_level if pd.notna(target) else "",
            "target_from": chosen["level"].get(ind["id"], ""),
            "target_plan": chosen["plan"].get(ind["id"], ""),
            "target_verified": bool(chosen["verified"].get(ind["id"], True)),
        }
        base = {"year": year, "indicator_id": ind["id"], "kind": ind["kind"]}
        if ind["kind"] == "standard":
            unit_met = met[ind["standard"]]
            known_mask = unit_met.notna().to_numpy()
            ok = unit_met.fillna(False).astype(bool).to_numpy()
            if not entity_only:
                pieces.append({
                    **base, "numerator": np.where(known_mask, ok, np.nan), "denominator": 1.0, "value": np.nan,
                    "status": _choose(~known_mask, STATUS_MISSING, _choose(ok, STATUS_MET, STATUS_NOT_MET))})
            missing = list(codes[~known_mask])
            met_count = int(ok[known_mask].sum())
            share = 100 * met_count / len(expected) if expected else pd.NA
            entity_rows.append({
                **base, "unit_code": entity_code, "numerator": float(met_count),
                "denominator": float(len(expected)), "value": share,
                "status": _standard_status(rule, met_count, len(missing), len(expected),
                                           float(rules.loc[ind["standard"], "district_share"]), target),
                "missing_units": ";".join(missing), **target_meta})
            continue
        if ind["kind"] in ("count", "units_with"):
            counts = sum_of(numbers, columns, ind["numerator"])
            present = ~np.isnan(counts)
            if not entity_only:
                pieces.append({
                    **base, "numerator": counts, "denominator": np.nan,
                    "value": counts if ind["kind"] == "count" else (np.nan_to_num(counts) > 0).astype(float),
                    "status": _choose(~present, STATUS_MISSING, "")})
            missing = list(codes[~present])
            total = np.nansum(counts) if ind["kind"] == "count" else float((np.nan_to_num(counts) > 0).sum())
            entity_rows.append({
                **base, "unit_code": entity_code, "numerator": total,
                "denominator": float(len(expected)) if ind["kind"] == "units_with" else pd.NA,
                "value": total, "status": STATUS_MISSING if missing else "",
                "missing_units": ";".join(missing), **target_meta})
            continue
        numerators = sum_of(numbers, columns, ind["numerator"])
        denominators = sum_of(numbers, columns, ind["denominator"])
        percents = percent(numerators, denominators)
        incomplete = np.isnan(numerators) | np.isnan(denominators)
        zero_status = STATUS_NOT_APPLICABLE if ind["zero_denominator"] == "not_applicable" else STATUS_MISSING
        if not entity_only:
            zero = ~incomplete & (denominators == 0)
            statuses = _choose(incomplete, STATUS_MISSING,
                               _choose(zero, zero_status, statuses_of(percents, target, direction)))
            pieces.append({
                **base, "numerator": numerators, "denominator": denominators, "value": percents, "status": statuses,
                "target": np.nan if pd.isna(target) else float(target)})
        missing = list(codes[incomplete])
        num, den = np.nansum(numerators), np.nansum(denominators)
        value = 100 * num / den if den and not missing else pd.NA
        if missing:
            status = STATUS_MISSING
        elif den == 0:
            status = zero_status
        else:
            status = status_of(value, target, direction)
        entity_rows.append({
            **base, "unit_code": entity_code, "numerator": num if not missing else pd.NA,
            "denominator": den if not missing else pd.NA, "value": value, "status": status,
            "missing_units": ";".join(missing), **target_meta})

    table = _typed(pd.DataFrame(entity_rows))
    if pieces:
        # each indicator's communes followed by the entity's row
        position = {ind_id: 2 * i for i, ind_id in enumerate(ref.catalogue["id"])}
        rank = np.array([position[ind_id] for ind_id in ref.catalogue["id"]])
        at_entity = codes == entity_code
        key = np.concatenate([np.repeat(rank, len(codes)) + np.tile(at_entity, len(rank)), rank + 1])
        table = pd.concat([_commune_rows(pieces, codes), table], ignore_index=True)
        table = table.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)
    if absent:
        table.attrs["absent_units"] = absent
    return table


def compute_history(values: pd.DataFrame, ctx: ReportingYear, *, computed: pd.DataFrame | None = None,
                    communes_by_year: dict[int, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The entity's rows of :func:`compute_indicators` for every year of ``values`` from the
    entity's first year up to the reporting year, each year with the communes it had then (for a
    province, its communes before the 2025 reform and after: a series that adds up the same land).

    ``computed`` is the reporting year's table, already computed (not computed again);
    ``communes_by_year`` overrides the communes of each year (default: those valid that year). An
    earlier year without communes has no rows: nothing to add up (a commune entity formed with a
    part of a split unit, :func:`helpers.compute.series.not_comparable_years`), not zero.
    """
    entity_code = ctx.entity.code
    if communes_by_year is None:
        present = {int(y) for y in values["year"].dropna().unique()}
        communes_by_year = {y: ctx.ref.communes(y) for y in ctx.years if y in present}
    frames = []
    for year, communes in sorted(communes_by_year.items()):
        if communes.empty and year != ctx.year:
            continue
        table = computed if computed is not None and year == ctx.year else None
        if table is None:
            table = compute_indicators(values, ctx, year=year, communes=communes, entity_only=True)
        frames.append(table[table["unit_code"] == entity_code])
    if not frames:
        return pd.DataFrame(columns=INDICATOR_COLUMNS)
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class IndicatorTables:
    """What the indicator step gives: the year-on-year warnings, the indicators of the year, the
    entity's history and the projection to the target year (empty once that year is reached)."""

    jumps: pd.DataFrame
    indicators: pd.DataFrame
    history: pd.DataFrame
    projection: pd.DataFrame


def project_year(history: pd.DataFrame, ctx: ReportingYear) -> pd.DataFrame:
    """The projection of the entity's rates to the target year, or an empty table once the
    reporting year has reached it (:func:`helpers.compute.rules.projects`)."""
    if not projects(ctx.year, ctx.target_year):
        return pd.DataFrame(columns=PROJECTION_COLUMNS)
    return project_indicators(history, ctx.target_year, ctx.ref.directions)


def compute_year(values: pd.DataFrame, ctx: ReportingYear) -> IndicatorTables:
    """The indicator step of one reporting year (``notebooks/02_indicators.ipynb``): from the
    clean values of this and earlier years to the tables ``data/processed/<year>/`` keeps."""
    from helpers.checks.jumps import year_on_year_jumps

    indicators = compute_indicators(values, ctx)
    history = compute_history(values, ctx, computed=indicators)
    return IndicatorTables(jumps=year_on_year_jumps(values, ctx), indicators=indicators, history=history,
                           projection=project_year(history, ctx))


def target_level_of(indicators: pd.DataFrame) -> str:
    """The target level an indicator table was computed against."""
    levels = indicators.loc[indicators["target_level"].fillna("") != "", "target_level"].unique()
    return str(levels[0]) if len(levels) else "province"
