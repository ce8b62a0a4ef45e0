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


def unit_values(values: pd.DataFrame, unit_codes: pd.Series | list[str]) -> pd.DataFrame:
    """One year's values as a table: one row per unit of ``unit_codes``, in that order (index
    ``unit_code``), one column per field given (in order of appearance), NA where a unit gave no
    value; when a value is given twice the first counts.

    Values are placed in a units × fields grid by position, without ``pivot_table``, which spends
    most of its time grouping the unit and field strings (several times longer for 10,000 communes).
    """
    index = pd.Index(unit_codes, name="unit_code")
    units = index.unique()
    row = units.get_indexer(values["unit_code"])                    # -1: a unit not in ``unit_codes``
    column, fields = pd.factorize(values["field"].to_numpy())        # -1: no field
    given = (row >= 0) & (column >= 0) & values["value"].notna().to_numpy()
    cell = np.where(given, row * len(fields) + column, -1)
    first = given & ~pd.Index(cell).duplicated()
    grid = np.full((len(units), len(fields)), np.nan)
    grid.flat[cell[first]] = values["value"].to_numpy(dtype=float, na_value=np.nan)[first]
    return pd.DataFrame(grid[units.get_indexer(index)], index=index, columns=fields, dtype="Float64")


def field_sum(wide: pd.DataFrame, expression: str) -> pd.Series:
    """Evaluate a numerator/denominator expression ("a" or "a+b") row by row (NA where a part is NA
    or a field is not in ``wide``)."""
    numbers, columns = _field_numbers(wide)
    return pd.Series(_sum_of(numbers, columns, expression), index=wide.index, dtype="Float64")


def _field_numbers(wide: pd.DataFrame) -> tuple[np.ndarray, dict[str, int]]:
    """``wide`` as float numbers (NaN where :func:`unit_values` has NA) and its column positions:
    the per-commune arithmetic below is done on these, several times faster than on nullable
    columns at 10,000 communes, with the same results (NaN stands for NA throughout)."""
    return wide.to_numpy(dtype=float, na_value=np.nan), {f: i for i, f in enumerate(wide.columns)}


def _sum_of(numbers: np.ndarray, columns: dict[str, int], expression: str) -> np.ndarray:
    """The expression ("a" or "a+b") summed row by row over :func:`_field_numbers` (NaN where a part is)."""
    total = None
    for part in (p.strip() for p in expression.split("+")):
        if not part:
            continue
        column = numbers[:, columns[part]] if part in columns else np.full(len(numbers), np.nan)
        total = column if total is None else total + column
    return total


def _percent(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """100 × numerator / denominator, NaN where the denominator is 0 or missing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator == 0, np.nan, 100 * numerator / denominator)


def _kleene_and(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``a & b`` of two boolean columns given as (value, known): False wins over unknown."""
    (a_value, a_known), (b_value, b_known) = a, b
    return a_value & b_value, (a_known & b_known) | (a_known & ~a_value) | (b_known & ~b_value)


def commune_standards(wide: pd.DataFrame, communes: pd.DataFrame, standards: pd.DataFrame,
                      criteria: pd.DataFrame) -> pd.DataFrame:
    """Whether each commune meets each standard (True/False, NA when a count is missing)."""
    dbkk = wide.index.get_level_values("unit_code").map(communes.set_index("code")["dbkk"]).fillna(False)
    dbkk = np.asarray(dbkk, dtype=bool)
    numbers, columns = _field_numbers(wide)
    criteria_of = {}
    for crit in criteria.itertuples(index=False):
        criteria_of.setdefault(crit.standard, []).append(crit)
    # each rate once: criteria and their ĐBKK variants share most numerators and denominators
    used = [crit for standard in standards["standard"] for crit in criteria_of.get(standard, [])]
    pairs = {(c.numerator, c.denominator) for c in used} | {(c.numerator_dbkk, c.denominator_dbkk) for c in used}
    percent = {(num, den): _percent(_sum_of(numbers, columns, num), _sum_of(numbers, columns, den))
               for num, den in pairs}
    met = {}
    everyone = np.ones(len(wide), dtype=bool)
    for standard in standards["standard"]:
        result = (everyone, everyone)
        for crit in criteria_of.get(standard, []):
            rate = np.where(dbkk, percent[crit.numerator_dbkk, crit.denominator_dbkk],
                            percent[crit.numerator, crit.denominator])
            with np.errstate(invalid="ignore"):
                reached = rate >= np.where(dbkk, float(crit.threshold_dbkk), float(crit.threshold))
            result = _kleene_and(result, (reached, ~np.isnan(rate)))
        met[standard] = result
    # prerequisites, in file order (a standard only requires standards listed before it)
    for row in standards.itertuples(index=False):
        for required in filter(None, (row.requires or "").split("+")):
            met[row.standard] = _kleene_and(met[row.standard], met[required])
    return pd.DataFrame({standard: pd.arrays.BooleanArray(value & known, ~known)
                         for standard, (value, known) in met.items()}, index=wide.index)


def _status(value, target, decimals: int, direction: str = "higher") -> str:
    """Đạt when the value, rounded as shown, is on the right side of the target."""
    if pd.isna(target):
        return STATUS_NO_TARGET
    shown, goal = round_half_up(value, decimals), round_half_up(target, decimals)
    met = shown <= goal if direction == "lower" else shown >= goal
    return STATUS_MET if met else STATUS_NOT_MET


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


def _commune_rows(pieces: list[dict], codes: np.ndarray) -> pd.DataFrame:
    """The commune rows of all indicators, typed as :func:`_typed` types the district rows.

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
        "status": stacked("status", object), "missing_units": "",
    }, index=rows)


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """The columns of the indicator table, in order and with their types (empty numbers as NA)."""
    table = table.reindex(columns=INDICATOR_COLUMNS, fill_value=pd.NA)
    table["target_verified"] = table["target_verified"].astype("boolean")
    table["unit_code"] = table["unit_code"].astype("string")
    for column in ("numerator", "denominator", "value", "target"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("Float64")
    table["year"] = table["year"].astype("Int64")
    table[["status", "missing_units", "target_level", "target_plan"]] = table[
        ["status", "missing_units", "target_level", "target_plan"]].fillna("")
    return table


def compute_indicators(values: pd.DataFrame, communes: pd.DataFrame, indicators: pd.DataFrame,
                       standards: pd.DataFrame, criteria: pd.DataFrame, targets: pd.DataFrame,
                       *, year: int, district_code: str, target_level: str,
                       target_year: int, district_only: bool = False) -> pd.DataFrame:
    """The tidy indicator table of one year: one row per commune and per district, per indicator.

    ``values`` holds the clean values of the year; ``communes`` the communes expected that year.
    With ``district_only`` the communes' rows are left out (the same district rows, for trends).
    """
    values = values.loc[values["year"] == year, ["unit_code", "field", "value"]]
    expected = communes["code"].tolist()
    wide = unit_values(values, communes["code"])
    reported = pd.Index(expected).isin(values["unit_code"])
    absent = [c for c, seen in zip(expected, reported, strict=True) if not seen]
    chosen = targets[(targets["level"] == target_level) & (targets["target_year"] == target_year)]
    chosen = chosen.drop_duplicates("indicator_id").set_index("indicator_id")
    met = commune_standards(wide, communes, standards, criteria)
    rules = standards.set_index("standard")
    numbers, columns = _field_numbers(wide)

    codes = wide.index.to_numpy(dtype=object)
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
                pieces.append({
                    **base, "numerator": np.where(known_mask, ok, np.nan), "denominator": 1.0, "value": np.nan,
                    "status": _choose(~known_mask, STATUS_MISSING, _choose(ok, STATUS_MET, STATUS_NOT_MET))})
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
            counts = _sum_of(numbers, columns, ind["numerator"])
            present = ~np.isnan(counts)
            if not district_only:
                pieces.append({
                    **base, "numerator": counts, "denominator": np.nan,
                    "value": counts if ind["kind"] == "count" else (np.nan_to_num(counts) > 0).astype(float),
                    "status": _choose(~present, STATUS_MISSING, "")})
            missing = list(codes[~present])
            total = np.nansum(counts) if ind["kind"] == "count" else float((np.nan_to_num(counts) > 0).sum())
            district_rows.append({
                **base, "unit_code": district_code, "numerator": total,
                "denominator": float(len(expected)) if ind["kind"] == "units_with" else pd.NA,
                "value": total, "status": STATUS_MISSING if missing else "",
                "missing_units": ";".join(missing), **target_meta})
            continue
        numerators = _sum_of(numbers, columns, ind["numerator"])
        denominators = _sum_of(numbers, columns, ind["denominator"])
        percents = _percent(numerators, denominators)
        incomplete = np.isnan(numerators) | np.isnan(denominators)
        if not district_only:
            zero = ~incomplete & (denominators == 0)
            zero_status = STATUS_NOT_APPLICABLE if ind["zero_denominator"] == "not_applicable" else STATUS_MISSING
            statuses = _choose(incomplete, STATUS_MISSING,
                               _choose(zero, zero_status, _statuses(percents, target, decimals)))
            pieces.append({
                **base, "numerator": numerators, "denominator": denominators, "value": percents, "status": statuses,
                "target": np.nan if pd.isna(target) else float(target)})
        missing = list(codes[incomplete])
        num, den = np.nansum(numerators), np.nansum(denominators)
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

    table = _typed(pd.DataFrame(district_rows))
    if pieces:
        # each indicator's communes followed by its district row
        position = {ind_id: 2 * i for i, ind_id in enumerate(indicators["id"])}
        rank = np.array([position[ind_id] for ind_id in indicators["id"]])
        at_district = codes == district_code
        key = np.concatenate([np.repeat(rank, len(codes)) + np.tile(at_district, len(rank)), rank + 1])
        table = pd.concat([_commune_rows(pieces, codes), table], ignore_index=True)
        table = table.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)
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
    for year, communes in sorted(communes_by_year.items()):
        table = (computed or {}).get(year)
        if table is None:
            table = compute_indicators(values, communes, indicators, standards, criteria, targets, year=year,
                                       district_code=district_code, target_level=target_level,
                                       target_year=target_year, district_only=True)
        frames.append(table[table["unit_code"] == district_code])
    if not frames:
        return pd.DataFrame(columns=INDICATOR_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def target_level_of(indicators: pd.DataFrame) -> str:
    """The target level an indicator table was computed against."""
    levels = indicators.loc[indicators["target_level"].fillna("") != "", "target_level"].unique()
    return str(levels[0]) if len(levels) else "province"
