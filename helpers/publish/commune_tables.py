"""The per-commune tables of the analysis part: each rate's counts by commune, and what each
commune lacks to reach the target."""

from __future__ import annotations

import math

import pandas as pd

from helpers.compute.rules import STATUS_MET
from helpers.numbers import format_number
from helpers.reference import ReportingYear


def ranked_commune_rates(indicators: pd.DataFrame, ctx: ReportingYear) -> pd.DataFrame:
    """The commune rows of every rate indicator of ``year``: indicators in catalogue order, communes
    best first (missing values last)."""
    catalogue, year = ctx.ref.catalogue, ctx.year
    codes = set(ctx.communes["code"])
    rates = catalogue.loc[catalogue["kind"] == "rate", "id"].tolist()
    rows = indicators[(indicators["year"] == year) & indicators["indicator_id"].isin(rates)
                      & indicators["unit_code"].isin(codes)].copy()
    rows["order"] = rows["indicator_id"].map({k: i for i, k in enumerate(rates)})
    rows = rows.sort_values(["order", "value"], ascending=[True, False], na_position="last")
    return rows.drop(columns="order")


def commune_table(indicators: pd.DataFrame, ctx: ReportingYear) -> pd.DataFrame:
    """Per-commune counts behind each rate indicator, communes ranked by value, formatted."""
    names = ctx.communes.set_index("code")["full_name"]
    rates = ctx.ref.catalogue[ctx.ref.catalogue["kind"] == "rate"].set_index("id")
    rows = ranked_commune_rates(indicators, ctx)
    out = pd.DataFrame({
        "indicator": rows["indicator_id"] + " " + rows["indicator_id"].map(rates["label"]),
        "unit": rows["unit_code"].map(names) + " (" + rows["unit_code"] + ")",
        "numerator": rows["numerator"].map(lambda v: format_number(v, 0)),
        "denominator": rows["denominator"].map(lambda v: format_number(v, 0)),
        "value": [format_number(v, int(rates.loc[i, "decimals"])) if pd.notna(v) else ""
                  for i, v in zip(rows["indicator_id"], rows["value"], strict=True)],
        "status": rows["status"],
        "shortfall": [format_number(n, 0) if pd.notna(n) and n > 0 else ""
                      for n in shortfall_to_target(rows, ctx.ref.directions).tolist()],
    })
    return out.reset_index(drop=True)


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
