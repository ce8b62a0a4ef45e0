"""The indicators written the plain, slow way: the oracle of ``helpers/compute/fast_arrays.py``.

One commune, one field and one criterion at a time, in plain Python (``None`` for a missing
number), so that each rule reads as it is stated:

- a commune's value of a field is the first value it gave for it (a row without a value gives
  none); units that are not communes of the year are ignored, and a commune that gave nothing
  has every field missing;
- "a+b" is missing when any part is; a rate is 100 × numerator / denominator, missing when the
  denominator is 0 or missing;
- a commune meets a standard when it reaches every criterion of the standard and of every
  standard it requires (ĐBKK communes with their own fields and thresholds), in three-valued
  logic: one criterion not reached makes it False, else one that cannot be told makes it
  unknown (``None``), else True;
- the entity's rate is Σnumerator / Σdenominator over its communes (missing when any commune's
  is); its standard is decided on the share of communes meeting it; its count is the sum of the
  known counts; ``units_with`` counts the communes whose count is above 0.

Only the rules themselves come from :mod:`helpers.compute.rules` (which target, status, share
rule, prerequisite chain); none of the arithmetic of :mod:`helpers.compute.fast_arrays` is used.
"""

from __future__ import annotations

import pandas as pd

from helpers.compute.indicators import INDICATOR_COLUMNS
from helpers.compute.rules import (
    STATUS_MET,
    STATUS_MISSING,
    STATUS_NOT_APPLICABLE,
    STATUS_NOT_MET,
    share_status,
    standard_chain,
    status_of,
)
from helpers.reference import ReportingYear


def missing(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and x != x)


def first_values(values: pd.DataFrame, year: int, codes: list[str]) -> dict[tuple[str, str], float]:
    """{(commune, field): the first value given for it in ``year``}, row by row."""
    cells: dict[tuple[str, str], float] = {}
    for row in values.to_dict("records"):
        if int(row["year"]) != year or row["unit_code"] not in codes or missing(row["value"]):
            continue
        key = (row["unit_code"], row["field"])
        if key not in cells:
            cells[key] = float(row["value"])
    return cells


def expression_sum(cells: dict, code: str, expression: str) -> float | None:
    """"a" or "a+b" for one commune: None when any part is missing."""
    total = None
    for part in expression.split("+"):
        part = part.strip()
        if not part:
            continue
        value = cells.get((code, part))
        if value is None:
            return None
        total = value if total is None else total + value
    return total


def rate(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return 100 * numerator / denominator


def and3(answers: list[bool | None]) -> bool | None:
    """Three-valued AND, the naive way: any False wins, then any unknown, else True."""
    if any(a is False for a in answers):
        return False
    if any(a is None for a in answers):
        return None
    return True


def criterion_reached(cells: dict, code: str, dbkk: bool, crit: dict) -> bool | None:
    suffix = "_dbkk" if dbkk else ""
    r = rate(expression_sum(cells, code, crit["numerator" + suffix]),
             expression_sum(cells, code, crit["denominator" + suffix]))
    return None if r is None else r >= float(crit["threshold" + suffix])


def standards_met(cells: dict, communes: pd.DataFrame, standards: pd.DataFrame,
                  criteria: pd.DataFrame) -> dict[str, dict[str, bool | None]]:
    """{commune: {standard: True / False / None}}."""
    crits = criteria.to_dict("records")
    chains = {standard: standard_chain(standard, standards) for standard in standards["standard"]}
    met = {}
    for code, dbkk in zip(communes["code"], communes["dbkk"], strict=True):
        met[code] = {}
        for standard, chain in chains.items():
            answers = [criterion_reached(cells, code, bool(dbkk), c) for c in crits if c["standard"] in chain]
            met[code][standard] = and3(answers)
    return met


def oracle_standards(values: pd.DataFrame, communes: pd.DataFrame, standards: pd.DataFrame,
                     criteria: pd.DataFrame, year: int) -> pd.DataFrame:
    """Like :func:`helpers.compute.fast_arrays.commune_standards`: communes × standards, boolean with NA."""
    codes = list(communes["code"])
    met = standards_met(first_values(values, year, codes), communes, standards, criteria)
    return pd.DataFrame({s: pd.array([met[c][s] for c in codes], dtype="boolean") for s in standards["standard"]},
                        index=pd.Index(codes, name="unit_code"))


def oracle_indicators(values: pd.DataFrame, ctx: ReportingYear, *, year: int | None = None,
                      communes: pd.DataFrame | None = None, entity_only: bool = False) -> pd.DataFrame:
    """What :func:`helpers.compute.indicators.compute_indicators` should give, row by row: per
    indicator (catalogue order) its communes (list order), then the entity."""
    ref = ctx.ref
    year = ctx.year if year is None else int(year)
    if communes is None:
        communes = ctx.communes if year == ctx.year else ref.communes(year)
    codes = list(communes["code"])
    entity = ref.entity.code
    cells = first_values(values, year, codes)
    met = standards_met(cells, communes, ref.standards, ref.criteria)
    chosen = ctx.targets
    shares = dict(zip(ref.standards["standard"], ref.standards["district_share"], strict=True))

    rows = []
    for ind in ref.catalogue.to_dict("records"):
        iid, kind, direction = ind["id"], ind["kind"], ind["direction"]
        target = chosen["value"].get(iid, None)
        target = None if missing(target) else float(target)
        entity_meta = {
            "target": target, "target_level": ctx.target_level if target is not None else "",
            "target_from": chosen["level"].get(iid, ""), "target_plan": chosen["plan"].get(iid, ""),
            "target_verified": bool(chosen["verified"].get(iid, True)),
        }
        base = {"year": year, "indicator_id": iid, "kind": kind}
        commune_rows = []

        if kind == "standard":
            known_met, unknown = 0, []
            for code in codes:
                answer = met[code][ind["standard"]]
                if answer is None:
                    unknown.append(code)
                    status, numerator = STATUS_MISSING, None
                else:
                    known_met += answer
                    status, numerator = (STATUS_MET if answer else STATUS_NOT_MET), float(answer)
                commune_rows.append({**base, "unit_code": code, "numerator": numerator, "denominator": 1.0,
                                     "value": None, "status": status})
            entity_row = {
                **base, "unit_code": entity, "numerator": float(known_met), "denominator": float(len(codes)),
                "value": 100 * known_met / len(codes) if codes else None,
                "status": share_status(known_met, len(unknown), len(codes), float(shares[ind["standard"]])),
                "missing_units": ";".join(unknown), **entity_meta}

        elif kind in ("count", "units_with"):
            total, unknown = 0.0, []
            for code in codes:
                count = expression_sum(cells, code, ind["numerator"])
                if count is None:
                    unknown.append(code)
                if kind == "count":
                    value = count
                    total += 0.0 if count is None else count
                else:
                    value = 1.0 if count is not None and count > 0 else 0.0     # a missing count: no class
                    total += value
                commune_rows.append({**base, "unit_code": code, "numerator": count, "denominator": None,
                                     "value": value, "status": STATUS_MISSING if count is None else ""})
            entity_row = {
                **base, "unit_code": entity, "numerator": total,
                "denominator": float(len(codes)) if kind == "units_with" else None, "value": total,
                "status": STATUS_MISSING if unknown else "", "missing_units": ";".join(unknown), **entity_meta}

        else:
            zero_status = STATUS_NOT_APPLICABLE if ind["zero_denominator"] == "not_applicable" else STATUS_MISSING
            sum_num, sum_den, unknown = 0.0, 0.0, []
            for code in codes:
                num = expression_sum(cells, code, ind["numerator"])
                den = expression_sum(cells, code, ind["denominator"])
                if num is None or den is None:
                    unknown.append(code)
                    status = STATUS_MISSING
                elif den == 0:
                    status = zero_status
                else:
                    status = status_of(rate(num, den), target, direction)
                if num is not None:
                    sum_num += num
                if den is not None:
                    sum_den += den
                commune_rows.append({**base, "unit_code": code, "numerator": num, "denominator": den,
                                     "value": rate(num, den), "status": status, "target": target})
            if unknown:
                numerator = denominator = value = None
                status = STATUS_MISSING
            else:
                numerator, denominator, value = sum_num, sum_den, rate(sum_num, sum_den)
                status = zero_status if sum_den == 0 else status_of(value, target, direction)
            entity_row = {**base, "unit_code": entity, "numerator": numerator, "denominator": denominator,
                          "value": value, "status": status, "missing_units": ";".join(unknown), **entity_meta}

        if not entity_only:
            rows += commune_rows
        rows.append(entity_row)
    return typed(rows)


def oracle_history(values: pd.DataFrame, ctx: ReportingYear, communes_by_year: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """The entity's rows of :func:`oracle_indicators` for each year of ``communes_by_year``."""
    return pd.concat([oracle_indicators(values, ctx, year=year, communes=communes, entity_only=True)
                      for year, communes in sorted(communes_by_year.items())], ignore_index=True)


def typed(rows: list[dict]) -> pd.DataFrame:
    """The rows in the columns and types of the indicator table (blanks: "" for texts, NA else)."""
    table = pd.DataFrame(rows).reindex(columns=INDICATOR_COLUMNS)
    for column in ("numerator", "denominator", "value", "target"):
        table[column] = pd.array([None if missing(x) else float(x) for x in table[column]], dtype="Float64")
    table["year"] = table["year"].astype("Int64")
    table["unit_code"] = table["unit_code"].astype("string")
    table["target_verified"] = pd.array([None if missing(x) else bool(x) for x in table["target_verified"]],
                                        dtype="boolean")
    for column in ("status", "missing_units", "target_level", "target_plan", "target_from"):
        table[column] = [("" if missing(x) else str(x)) for x in table[column]]
    return table
