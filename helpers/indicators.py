"""Commune and district indicators from the clean tidy values, compared with targets.

District rates are ratios of sums (Σnumerator / Σdenominator), never means of commune rates.
A district standard is met when the share of its communes that meet it reaches the district
rule of Nghị định 20/2014 (``reference/standards.csv``).
"""

from __future__ import annotations

import numpy as np
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


def _percent(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """100 × numerator / denominator, NA where the denominator is 0 or missing."""
    return 100 * numerator / denominator.where(denominator != 0)


def _rates(wide: pd.DataFrame, indicator: pd.Series) -> pd.DataFrame:
    num = field_sum(wide, indicator["numerator"])
    den = field_sum(wide, indicator["denominator"])
    return pd.DataFrame({"numerator": num, "denominator": den, "value": _percent(num, den).astype("Float64")})


def commune_standards(wide: pd.DataFrame, communes: pd.DataFrame, standards: pd.DataFrame,
                      criteria: pd.DataFrame) -> pd.DataFrame:
    """Whether each commune meets each standard (True/False, NA when a count is missing)."""
    dbkk = wide.index.get_level_values("unit_code").map(communes.set_index("code")["dbkk"]).fillna(False)
    dbkk = pd.Series(dbkk.astype(bool), index=wide.index)
    met = {}
    for standard in standards["standard"]:
        result = pd.Series(True, index=wide.index, dtype="boolean")
        for crit in criteria[criteria["standard"] == standard].itertuples(index=False):
            normal = _percent(field_sum(wide, crit.numerator), field_sum(wide, crit.denominator))
            special = _percent(field_sum(wide, crit.numerator_dbkk), field_sum(wide, crit.denominator_dbkk))
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


def _objects(numbers: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Floats where ``present``, ``pd.NA`` elsewhere, as an object array (as the row dicts held)."""
    out = numbers.astype(object)
    out[~present] = pd.NA
    return out


def _choose(condition: np.ndarray, when_true, when_false) -> np.ndarray:
    return np.where(condition, np.asarray(when_true, dtype=object), np.asarray(when_false, dtype=object))


def _statuses(values: np.ndarray, target, decimals: int) -> np.ndarray:
    """:func:`_status` for many values: equal to it value by value (rounding half up is monotone, so
    only values just below the target need the exact decimal comparison)."""
    if pd.isna(target):
        return np.full(len(values), STATUS_NO_TARGET, dtype=object)
    met = values >= float(target)
    close = ~met & (values >= float(target) - 1)
    for i in np.flatnonzero(close):
        met[i] = _status(values[i], target, decimals) == STATUS_MET
    return np.where(met, STATUS_MET, STATUS_NOT_MET).astype(object)


def _commune_rows(base: dict, codes: pd.Series, columns: dict) -> pd.DataFrame:
    frame = pd.DataFrame({**{k: [v] * len(codes) for k, v in base.items()}, "unit_code": codes.to_numpy()})
    for name, column in columns.items():
        frame[name] = column if isinstance(column, np.ndarray) else [column] * len(codes)
    return frame


def compute_indicators(values: pd.DataFrame, communes: pd.DataFrame, indicators: pd.DataFrame,
                       standards: pd.DataFrame, criteria: pd.DataFrame, targets: pd.DataFrame,
                       *, year: int, district_code: str, target_level: str,
                       target_year: int, district_only: bool = False) -> pd.DataFrame:
    """The tidy indicator table of one year: one row per commune and per district, per indicator.

    ``values`` holds the clean values of the year; ``communes`` the communes expected that year.
    With ``district_only`` the communes' rows are left out (the same district rows, for trends).
    """
    values = values[values["year"] == year]
    wide = wide_values(values) if len(values) else pd.DataFrame(
        index=pd.MultiIndex.from_tuples([], names=["year", "unit_code"]))
    expected = list(communes["code"])
    wide = wide.reindex(pd.MultiIndex.from_product([[year], expected], names=["year", "unit_code"]))
    wide.index = wide.index.droplevel("year")      # one year: arithmetic on a flat index is much cheaper
    reported = set(values["unit_code"].unique())
    absent = [c for c in expected if c not in reported]
    chosen = targets[(targets["level"] == target_level) & (targets["target_year"] == target_year)]
    chosen = chosen.drop_duplicates("indicator_id").set_index("indicator_id")
    met = commune_standards(wide, communes, standards, criteria)
    rules = standards.set_index("standard")

    codes = pd.Series(list(wide.index), dtype=object)
    pieces, district_rows = [], []
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
            known_mask = unit_met.notna().to_numpy()
            ok = unit_met.fillna(False).astype(bool).to_numpy()
            if not district_only:
                pieces.append(_commune_rows(base, codes, {
                    "numerator": _objects(ok.astype(float), known_mask), "denominator": 1.0, "value": pd.NA,
                    "status": _choose(~known_mask, STATUS_MISSING, _choose(ok, STATUS_MET, STATUS_NOT_MET)),
                    "missing_units": ""}))
            known = unit_met.dropna()
            missing = list(codes[~known_mask])
            share = 100 * known.sum() / len(expected) if expected else pd.NA
            if missing:
                status = STATUS_MISSING
            else:
                status = STATUS_MET if share >= rules.loc[ind["standard"], "district_share"] else STATUS_NOT_MET
            district_rows.append({
                **base, "unit_code": district_code, "numerator": float(known.sum()),
                "denominator": float(len(expected)), "value": share, "status": status,
                "missing_units": ";".join(missing), **target_meta})
            continue
        if ind["kind"] in ("count", "units_with"):
            num = field_sum(wide, ind["numerator"])
            present = num.notna().to_numpy()
            numbers = num.astype(float).to_numpy(na_value=np.nan)
            if not district_only:
                value = (_objects(numbers, present) if ind["kind"] == "count"
                         else _objects((np.nan_to_num(numbers) > 0).astype(float), np.ones(len(numbers), bool)))
                pieces.append(_commune_rows(base, codes, {
                    "numerator": _objects(numbers, present), "denominator": pd.NA, "value": value,
                    "status": _choose(~present, STATUS_MISSING, ""), "missing_units": ""}))
            missing = list(codes[~present])
            total = num.sum() if ind["kind"] == "count" else float((num > 0).sum())
            district_rows.append({
                **base, "unit_code": district_code, "numerator": total,
                "denominator": float(len(expected)) if ind["kind"] == "units_with" else pd.NA,
                "value": total, "status": STATUS_MISSING if missing else "",
                "missing_units": ";".join(missing), **target_meta})
            continue
        rates = _rates(wide, ind)
        numerators = rates["numerator"].astype(float).to_numpy(na_value=np.nan)
        denominators = rates["denominator"].astype(float).to_numpy(na_value=np.nan)
        values = rates["value"].astype(float).to_numpy(na_value=np.nan)
        incomplete = np.isnan(numerators) | np.isnan(denominators)
        if not district_only:
            zero = ~incomplete & (denominators == 0)
            zero_status = STATUS_NOT_APPLICABLE if ind["zero_denominator"] == "not_applicable" else STATUS_MISSING
            statuses = _choose(incomplete, STATUS_MISSING,
                               _choose(zero, zero_status, _statuses(values, target, decimals)))
            pieces.append(_commune_rows(base, codes, {
                "numerator": _objects(numerators, ~np.isnan(numerators)),
                "denominator": _objects(denominators, ~np.isnan(denominators)),
                "value": _objects(values, ~np.isnan(values)), "status": statuses, "missing_units": "",
                "target": target}))
        missing = list(codes[incomplete])
        num, den = rates["numerator"].sum(), rates["denominator"].sum()
        value = 100 * num / den if den and not missing else pd.NA
        if missing:
            status = STATUS_MISSING
        elif den == 0:
            status = STATUS_NOT_APPLICABLE if ind["zero_denominator"] == "not_applicable" else STATUS_MISSING
        else:
            status = _status(value, target, decimals)
        district_rows.append({
            **base, "unit_code": district_code, "numerator": num if not missing else pd.NA,
            "denominator": den if not missing else pd.NA, "value": value, "status": status,
            "missing_units": ";".join(missing), **target_meta})

    # one frame for the district rows; then each indicator's communes followed by its district row
    table = pd.concat([*pieces, pd.DataFrame(district_rows)], ignore_index=True) if district_rows else pd.DataFrame()
    if len(table) and pieces:
        position = {ind_id: 2 * i for i, ind_id in enumerate(indicators["id"])}
        key = table["indicator_id"].map(position).to_numpy() + (table["unit_code"] == district_code).to_numpy()
        table = table.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)
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
                    target_year: int, computed: dict[int, pd.DataFrame] | None = None) -> pd.DataFrame:
    """District rows of :func:`compute_indicators` for every year in ``communes_by_year``.

    ``computed`` holds tables already computed with the same arguments (the reporting year's),
    which are not computed again.
    """
    frames = []
    by_year = dict(tuple(values.groupby("year", sort=False))) if len(values) else {}
    for year, communes in sorted(communes_by_year.items()):
        table = (computed or {}).get(year)
        if table is None:
            table = compute_indicators(by_year.get(year, values.iloc[:0]), communes, indicators, standards,
                                       criteria, targets, year=year, district_code=district_code,
                                       target_level=target_level, target_year=target_year, district_only=True)
        frames.append(table[table["unit_code"] == district_code])
    if not frames:
        return pd.DataFrame(columns=INDICATOR_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def target_level_of(indicators: pd.DataFrame) -> str:
    """The target level an indicator table was computed against."""
    levels = indicators.loc[indicators["target_level"].fillna("") != "", "target_level"].unique()
    return str(levels[0]) if len(levels) else "province"
