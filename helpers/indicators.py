"""Commune and district indicators from the clean tidy values, compared with targets.

District rates are ratios of sums (Σnumerator / Σdenominator), never means of commune rates.
A district standard is met when the share of its communes that meet it reaches the district
rule of Nghị định 20/2014 (``reference/standards.csv``).
"""

from __future__ import annotations

import pandas as pd

from helpers.numbers import round_half_up

STATUS_MET = "Đạt"
STATUS_NOT_MET = "Chưa đạt"
STATUS_NOT_APPLICABLE = "Không áp dụng"
STATUS_MISSING = "Thiếu số liệu"
STATUS_NO_TARGET = "Chưa có mục tiêu"

INDICATOR_COLUMNS = [
    "year", "unit_code", "indicator_id", "kind", "numerator", "denominator", "value",
    "target", "target_level", "target_plan", "target_verified", "status", "missing_units",
]


def wide_values(values: pd.DataFrame) -> pd.DataFrame:
    """One row per (year, unit_code), one column per field."""
    wide = values.pivot_table(index=["year", "unit_code"], columns="field", values="value",
                              aggfunc="first")
    wide.columns.name = None
    return wide.astype("Float64")


def field_sum(wide: pd.DataFrame, expression: str) -> pd.Series:
    """Evaluate a numerator/denominator expression ("a" or "a+b") row by row."""
    parts = [p.strip() for p in expression.split("+") if p.strip()]
    total = None
    for part in parts:
        column = wide[part] if part in wide.columns else pd.Series(pd.NA, index=wide.index, dtype="Float64")
        total = column if total is None else total + column
    return total


def _rates(wide: pd.DataFrame, indicator: pd.Series) -> pd.DataFrame:
    num = field_sum(wide, indicator["numerator"])
    den = field_sum(wide, indicator["denominator"])
    value = (100 * num / den.where(den != 0)).astype("Float64")
    return pd.DataFrame({"numerator": num, "denominator": den, "value": value})


def commune_standards(wide: pd.DataFrame, communes: pd.DataFrame, standards: pd.DataFrame,
                      criteria: pd.DataFrame) -> pd.DataFrame:
    """Whether each commune meets each standard (True/False, NA when a count is missing)."""
    dbkk = wide.index.get_level_values("unit_code").map(communes.set_index("code")["dbkk"]).fillna(False)
    dbkk = pd.Series(dbkk.astype(bool), index=wide.index)
    met = {}
    for standard in standards["standard"]:
        result = pd.Series(True, index=wide.index, dtype="boolean")
        for crit in criteria[criteria["standard"] == standard].itertuples(index=False):
            normal = 100 * field_sum(wide, crit.numerator) / field_sum(wide, crit.denominator).where(
                field_sum(wide, crit.denominator) != 0)
            special = 100 * field_sum(wide, crit.numerator_dbkk) / field_sum(wide, crit.denominator_dbkk).where(
                field_sum(wide, crit.denominator_dbkk) != 0)
            ok = (normal >= crit.threshold).where(~dbkk, special >= crit.threshold_dbkk)
            result = result & ok.astype("boolean")
        met[standard] = result
    # prerequisites, in file order (a standard only requires standards listed before it)
    for row in standards.itertuples(index=False):
        for required in filter(None, (row.requires or "").split("+")):
            met[row.standard] = met[row.standard] & met[required]
    return pd.DataFrame(met, index=wide.index)


def _status(value, target, decimals: int, direction: str = "higher") -> str:
    """Đạt when the value, rounded as shown, is on the right side of the target."""
    if pd.isna(target):
        return STATUS_NO_TARGET
    shown, goal = round_half_up(value, decimals), round_half_up(target, decimals)
    met = shown <= goal if direction == "lower" else shown >= goal
    return STATUS_MET if met else STATUS_NOT_MET


def compute_indicators(values: pd.DataFrame, communes: pd.DataFrame, indicators: pd.DataFrame,
                       standards: pd.DataFrame, criteria: pd.DataFrame, targets: pd.DataFrame,
                       *, year: int, district_code: str, target_level: str,
                       target_year: int) -> pd.DataFrame:
    """The tidy indicator table of one year: one row per commune and per district, per indicator.

    ``values`` holds the clean values of the year; ``communes`` the communes expected that year.
    """
    values = values[values["year"] == year]
    wide = wide_values(values) if len(values) else pd.DataFrame(
        index=pd.MultiIndex.from_tuples([], names=["year", "unit_code"]))
    expected = list(communes["code"])
    wide = wide.reindex(pd.MultiIndex.from_product([[year], expected], names=["year", "unit_code"]))
    reported = set(values["unit_code"])
    absent = [c for c in expected if c not in reported]
    chosen = targets[(targets["level"] == target_level) & (targets["target_year"] == target_year)]
    chosen = chosen.drop_duplicates("indicator_id").set_index("indicator_id")
    met = commune_standards(wide, communes, standards, criteria)
    rules = standards.set_index("standard")

    rows = []
    for ind in indicators.to_dict("records"):
        target = chosen["value"].get(ind["id"], pd.NA)
        target_meta = {
            "target": target,
            "target_level": target_level if pd.notna(target) else "",
            "target_plan": chosen["plan"].get(ind["id"], ""),
            "target_verified": bool(chosen["verified"].get(ind["id"], True)),
        }
        decimals = int(ind["decimals"])
        base = {"year": year, "indicator_id": ind["id"], "kind": ind["kind"]}
        if ind["kind"] == "standard":
            unit_met = met[ind["standard"]]
            for (_, code), ok in unit_met.items():
                status = STATUS_MISSING if pd.isna(ok) else (STATUS_MET if ok else STATUS_NOT_MET)
                rows.append({**base, "unit_code": code, "numerator": float(bool(ok)) if pd.notna(ok) else pd.NA,
                             "denominator": 1.0, "value": pd.NA, "status": status, "missing_units": ""})
            known = unit_met.dropna()
            missing = [code for (_, code), ok in unit_met.items() if pd.isna(ok)]
            share = 100 * known.sum() / len(expected) if expected else pd.NA
            if missing or not expected:
                status = STATUS_MISSING
            else:
                status = STATUS_MET if share >= rules.loc[ind["standard"], "district_share"] else STATUS_NOT_MET
            rows.append({**base, "unit_code": district_code, "numerator": float(known.sum()),
                         "denominator": float(len(expected)), "value": share, "status": status,
                         "missing_units": ";".join(missing), **target_meta})
            continue
        if ind["kind"] in ("count", "units_with"):
            num = field_sum(wide, ind["numerator"])
            for (_, code), v in num.items():
                rows.append({**base, "unit_code": code, "numerator": v, "denominator": pd.NA,
                             "value": v if ind["kind"] == "count" else float(pd.notna(v) and v > 0),
                             "status": STATUS_MISSING if pd.isna(v) else "", "missing_units": ""})
            missing = [code for (_, code), v in num.items() if pd.isna(v)]
            total = num.sum() if ind["kind"] == "count" else float((num > 0).sum())
            rows.append({**base, "unit_code": district_code, "numerator": total,
                         "denominator": float(len(expected)) if ind["kind"] == "units_with" else pd.NA,
                         "value": total, "status": STATUS_MISSING if missing else "",
                         "missing_units": ";".join(missing), **target_meta})
            continue
        rates = _rates(wide, ind)
        for (_, code), r in rates.iterrows():
            if pd.isna(r["numerator"]) or pd.isna(r["denominator"]):
                status = STATUS_MISSING
            elif r["denominator"] == 0:
                status = STATUS_NOT_APPLICABLE if ind["zero_denominator"] == "not_applicable" else STATUS_MISSING
            else:
                status = _status(r["value"], target, decimals, ind["direction"])
            rows.append({**base, "unit_code": code, **r.to_dict(), "status": status, "missing_units": "",
                         "target": target})
        missing = [code for (_, code), r in rates.iterrows()
                   if pd.isna(r["numerator"]) or pd.isna(r["denominator"])]
        num, den = rates["numerator"].sum(), rates["denominator"].sum()
        value = 100 * num / den if den and not missing else pd.NA
        if missing:
            status = STATUS_MISSING
        elif den == 0:
            status = STATUS_NOT_APPLICABLE if ind["zero_denominator"] == "not_applicable" else STATUS_MISSING
        else:
            status = _status(value, target, decimals, ind["direction"])
        rows.append({**base, "unit_code": district_code, "numerator": num if not missing else pd.NA,
                     "denominator": den if not missing else pd.NA, "value": value, "status": status,
                     "missing_units": ";".join(missing), **target_meta})

    table = pd.DataFrame(rows)
    for column in INDICATOR_COLUMNS:
        if column not in table.columns:
            table[column] = pd.NA
    table = table[INDICATOR_COLUMNS]
    table["target_verified"] = table["target_verified"].astype("boolean")
    table["unit_code"] = table["unit_code"].astype("string")
    for column in ("numerator", "denominator", "value", "target"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("Float64")
    table["year"] = table["year"].astype("Int64")
    table[["status", "missing_units", "target_level", "target_plan"]] = table[
        ["status", "missing_units", "target_level", "target_plan"]].fillna("")
    if absent:
        table.attrs["absent_units"] = absent
    return table


def compute_history(values: pd.DataFrame, communes_by_year: dict[int, pd.DataFrame],
                    indicators: pd.DataFrame, standards: pd.DataFrame, criteria: pd.DataFrame,
                    targets: pd.DataFrame, *, district_code: str, target_level: str,
                    target_year: int) -> pd.DataFrame:
    """District rows of :func:`compute_indicators` for every year in ``communes_by_year``."""
    frames = []
    for year, communes in sorted(communes_by_year.items()):
        table = compute_indicators(values, communes, indicators, standards, criteria, targets,
                                   year=year, district_code=district_code, target_level=target_level,
                                   target_year=target_year)
        frames.append(table[table["unit_code"] == district_code])
    if not frames:
        return pd.DataFrame(columns=INDICATOR_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def target_level_of(indicators: pd.DataFrame) -> str:
    """The target level an indicator table was computed against."""
    levels = indicators.loc[indicators["target_level"].fillna("") != "", "target_level"].unique()
    return str(levels[0]) if len(levels) else "province"
