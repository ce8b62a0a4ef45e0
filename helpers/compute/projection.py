"""Estimate whether a target will be reached: a least-squares line through the years available."""

from __future__ import annotations

import numpy as np
import pandas as pd

PRECISION = 9  # decimals kept from the fit: beyond them is floating-point noise
PROJECTION_COLUMNS = ["indicator_id", "years_used", "projected", "target", "likely"]


def project_to_target_year(series: pd.Series, target_year: int) -> float | None:
    """Projected value for ``target_year`` from a year-indexed series of district values (%).

    A straight line fitted by least squares, capped to 0-100 %. ``None`` with fewer than two years.
    """
    points = series.dropna()
    if len(points) < 2:
        return None
    years = np.asarray(points.index, dtype=float)
    centre = years.mean()  # centred years keep the fit exact for values on a straight line
    slope, intercept = np.polyfit(years - centre, np.asarray(points, dtype=float), 1)
    projected = round(float(slope * (target_year - centre) + intercept), PRECISION)
    return min(100.0, max(0.0, projected))


def projection_years(projection: pd.DataFrame) -> list[int]:
    """The years the projections were fitted on (the ``years_used`` column, "2021,2022,…")."""
    return sorted({int(y) for used in projection["years_used"] for y in str(used).split(",") if y})


def project_indicators(history: pd.DataFrame, target_year: int,
                       directions: pd.Series | None = None) -> pd.DataFrame:
    """Projection for every rate indicator of ``history`` (district rows of several years).

    ``history`` has columns year, indicator_id, kind, value, target; ``directions`` maps an
    indicator id to "higher" (default) or "lower" (the target is reached from above).
    """
    rows = []
    for indicator_id, group in history[history["kind"] == "rate"].groupby("indicator_id", sort=False):
        series = group.set_index("year")["value"].astype("Float64").sort_index()
        projected = project_to_target_year(series, target_year)
        target = group.sort_values("year")["target"].iloc[-1]
        lower = directions is not None and directions.get(indicator_id) == "lower"
        if projected is None or pd.isna(target):
            likely = None
        else:
            likely = bool(projected <= target) if lower else bool(projected >= target)
        used = ",".join(str(int(y)) for y in series.dropna().index)
        rows.append({"indicator_id": indicator_id, "years_used": used, "projected": projected,
                     "target": target, "likely": likely})
    return pd.DataFrame(rows, columns=PROJECTION_COLUMNS)
