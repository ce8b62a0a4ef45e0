"""The per-commune tables: each rate's rows ranked by commune, the matrix of the analysis report,
and what each commune lacks to reach the target."""

from __future__ import annotations

import math

import pandas as pd

from helpers.compute.rules import STATUS_MET, STATUS_MISSING, STATUS_NOT_APPLICABLE, STATUS_NOT_MET
from helpers.numbers import format_number
from helpers.reference import ReportingYear


def ranked_commune_rates(indicators: pd.DataFrame, ctx: ReportingYear) -> pd.DataFrame:
    """The commune rows of every rate indicator of ``year``: indicators in catalogue order, communes
    best first (missing values last)."""
    catalogue, year = ctx.ref.catalogue, ctx.year
    codes = set() if ctx.entity.level == "commune" else set(ctx.communes["code"])   # its rows are its own
    rates = catalogue.loc[catalogue["kind"] == "rate", "id"].tolist()
    rows = indicators[(indicators["year"] == year) & indicators["indicator_id"].isin(rates)
                      & indicators["unit_code"].isin(codes)].copy()
    rows["order"] = rows["indicator_id"].map({k: i for i, k in enumerate(rates)})
    rows = rows.sort_values(["order", "value"], ascending=[True, False], na_position="last")
    return rows.drop(columns="order")


def shortfall_to_target(rows: pd.DataFrame, directions: pd.Series | None = None) -> pd.Series:
    """How many more people (or units) a commune needs to reach the target rate; for an indicator
    whose target is reached from above (``direction`` lower), how many fewer.

    The communes with a shortfall are the ones that keep the entity from its target; the entity's
    own shortfall is the sum of what it would take. NA where there is no target.
    """
    lower = rows["indicator_id"].map(directions).eq("lower").to_numpy() if directions is not None \
        else False
    needed = (rows["target"] / 100 * rows["denominator"] - rows["numerator"]).astype("Float64")
    needed = needed.where(~pd.Series(lower, index=rows.index), -needed)
    whole = needed.apply(lambda v: pd.NA if pd.isna(v) else max(0, math.ceil(round(float(v), 9))))
    # a rate on the right side of its target (decided on the exact value) lacks nothing
    return whole.astype("Int64").mask(rows["status"] == STATUS_MET, 0)


def commune_matrix(indicators: pd.DataFrame, ctx: ReportingYear) -> pd.DataFrame:
    """Communes as rows, rate indicators as columns (their ids), the value rounded as shown; the
    entity's row last. ``attrs["cells"]`` holds per row each cell's text and whether it is below
    its target (status "Chưa đạt"), for the HTML and Excel to mark."""
    catalogue = ctx.ref.catalogue
    rates = catalogue[catalogue["kind"] == "rate"].set_index("id")
    names = ctx.communes.set_index("code")["full_name"]
    year_rows = indicators[(indicators["year"] == ctx.year) & indicators["indicator_id"].isin(rates.index)]
    analysis = ctx.ref.wording["analysis"]
    words = {STATUS_NOT_APPLICABLE: analysis["matrix_not_applicable"], STATUS_MISSING: analysis["matrix_missing"]}
    entity_name = ctx.entity.name[:1].upper() + ctx.entity.name[1:]
    # a commune entity's code is a commune's (before the reform, the predecessor that had it): its
    # only rows are the entity's, named as the entity
    communes = [] if ctx.entity.level == "commune" else list(ctx.communes["code"])
    records, cells = [], []
    for code in [*communes, ctx.entity.code]:
        mine = year_rows[year_rows["unit_code"] == code].set_index("indicator_id")
        if mine.empty:
            continue
        unit = entity_name if code == ctx.entity.code else names.get(code, code)
        record, shown = {"unit_code": code, "unit": unit}, {"unit": unit}
        for indicator_id in rates.index:
            value = mine["value"].get(indicator_id, pd.NA)
            status = mine["status"].get(indicator_id, "")
            decimals = int(rates.loc[indicator_id, "decimals"])
            record[indicator_id] = value
            text = format_number(value, decimals) if pd.notna(value) else words.get(status, status)
            shown[indicator_id] = (text, status == STATUS_NOT_MET)
        records.append(record)
        cells.append(shown)
    matrix = pd.DataFrame(records, columns=["unit_code", "unit", *rates.index])
    matrix.attrs["cells"] = cells
    return matrix
