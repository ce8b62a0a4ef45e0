"""The straight-line projection of district rates to the target year."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.compute.projection import PROJECTION_COLUMNS, project_indicators, project_to_target_year


def series(values: dict[int, float | None]) -> pd.Series:
    return pd.Series(list(values.values()), index=list(values), dtype="Float64")


def test_exact_line_is_extended():
    assert project_to_target_year(series({2021: 30, 2022: 36, 2023: 42}), 2025) == pytest.approx(54.0)


def test_least_squares_line_through_scattered_points():
    # points 10, 14, 12: slope 1, intercept through the mean (2022, 12) → 2025: 15
    assert project_to_target_year(series({2021: 10, 2022: 14, 2023: 12}), 2025) == pytest.approx(15.0)


def test_unsorted_index_gives_same_line():
    s = pd.Series([42.0, 30.0, 36.0], index=[2023, 2021, 2022])
    assert project_to_target_year(s, 2025) == pytest.approx(54.0)


def test_projection_is_capped_at_100():
    assert project_to_target_year(series({2021: 80, 2022: 90, 2023: 100}), 2025) == 100.0


def test_projection_is_capped_at_0():
    assert project_to_target_year(series({2021: 30, 2022: 20, 2023: 10}), 2025) == 0.0


def test_missing_years_are_skipped():
    assert project_to_target_year(series({2021: 30, 2022: None, 2023: 42}), 2025) == pytest.approx(54.0)


@pytest.mark.parametrize("values", [{}, {2023: 40}, {2021: None, 2022: None, 2023: 40}])
def test_fewer_than_two_points_give_none(values):
    assert project_to_target_year(series(values), 2025) is None


def test_result_is_a_plain_float():
    result = project_to_target_year(series({2022: 10, 2023: 20}), 2024)
    assert type(result) is float
    assert result == pytest.approx(30.0)


@pytest.fixture
def history() -> pd.DataFrame:
    rows = [
        # year, indicator_id, kind, value, target
        (2021, "II.1", "rate", 30.0, 50.0),
        (2022, "II.1", "rate", 36.0, 50.0),
        (2023, "II.1", "rate", 42.0, 50.0),
        (2021, "II.2", "rate", 50.0, 60.0),
        (2022, "II.2", "rate", None, 60.0),
        (2023, "II.2", "rate", 52.0, 60.0),
        (2023, "III.3", "rate", 70.0, 80.0),
        (2021, "L.1", "rate", 90.0, None),
        (2023, "L.1", "rate", 94.0, None),
        (2021, "I.1", "standard", 100.0, 100.0),
        (2023, "I.1", "standard", 100.0, 100.0),
        (2023, "L.5", "count", 3.0, None),
        (2021, "IV.1", "rate", 10.0, 30.0),  # target changed: the latest year's counts
        (2023, "IV.1", "rate", 20.0, 40.0),
    ]
    frame = pd.DataFrame(rows, columns=["year", "indicator_id", "kind", "value", "target"])
    frame["year"] = frame["year"].astype("Int64")
    frame["value"] = frame["value"].astype("Float64")
    frame["target"] = frame["target"].astype("Float64")
    # rows arrive unsorted (as after a concat of years)
    return frame.sample(frac=1, random_state=3).reset_index(drop=True)


def test_project_indicators(history):
    result = project_indicators(history, 2025).set_index("indicator_id")
    assert list(result.reset_index().columns) == PROJECTION_COLUMNS
    # only rate indicators
    assert set(result.index) == {"II.1", "II.2", "III.3", "L.1", "IV.1"}

    assert result.loc["II.1", "years_used"] == "2021,2022,2023"
    assert result.loc["II.1", "projected"] == pytest.approx(54.0)
    assert result.loc["II.1", "target"] == 50
    assert result.loc["II.1", "likely"] is True

    assert result.loc["II.2", "years_used"] == "2021,2023"  # the missing year is not used
    assert result.loc["II.2", "projected"] == pytest.approx(54.0)
    assert result.loc["II.2", "likely"] is False

    assert result.loc["III.3", "years_used"] == "2023"
    assert pd.isna(result.loc["III.3", "projected"])
    assert result.loc["III.3", "likely"] is None

    assert result.loc["L.1", "projected"] == pytest.approx(98.0)
    assert result.loc["L.1", "likely"] is None  # no target

    assert result.loc["IV.1", "target"] == 40
    assert result.loc["IV.1", "projected"] == pytest.approx(30.0)
    assert result.loc["IV.1", "likely"] is False


def test_project_indicators_without_rates():
    history = pd.DataFrame({"year": [2023], "indicator_id": ["I.1"], "kind": ["standard"],
                            "value": [100.0], "target": [100.0]})
    result = project_indicators(history, 2025)
    assert result.empty
    assert list(result.columns) == PROJECTION_COLUMNS


def test_projection_landing_exactly_on_target_is_likely():
    history = pd.DataFrame({"year": [2022, 2023], "indicator_id": ["II.2", "II.2"], "kind": ["rate", "rate"],
                            "value": [30.0, 40.0], "target": [60.0, 60.0]})
    result = project_indicators(history, 2025).iloc[0]
    assert result["projected"] == pytest.approx(60.0)
    assert result["likely"] == True  # noqa: E712 - a numpy bool when the column is all bool


def test_lower_is_better_indicator_is_likely_when_projection_falls_below_target():
    history = pd.DataFrame({
        "year": [2021, 2022, 2023], "indicator_id": ["X"] * 3, "kind": ["rate"] * 3,
        "value": [30.0, 25.0, 20.0], "target": [12.0] * 3,
    })
    higher = project_indicators(history, 2025)
    lower = project_indicators(history, 2025, pd.Series({"X": "lower"}))
    assert higher.loc[0, "projected"] == pytest.approx(10.0)
    assert (bool(higher.loc[0, "likely"]), bool(lower.loc[0, "likely"])) == (False, True)


def test_years_without_rows_are_left_out_of_the_fit():
    """A commune entity formed with part of a split unit has no rows before 2025
    (helpers.compute.series.not_comparable_years): the line is fitted on the years it has."""
    history = pd.DataFrame({"year": [2025, 2026], "indicator_id": ["II.1", "II.1"], "kind": ["rate", "rate"],
                            "value": [40.0, 44.0], "target": [60.0, 60.0]}).astype({"year": "Int64"})
    result = project_indicators(history, 2030).iloc[0]
    assert result["years_used"] == "2025,2026"
    assert result["projected"] == pytest.approx(60.0) and bool(result["likely"])


def test_an_empty_history_gives_an_empty_projection():
    history = pd.DataFrame(columns=["year", "unit_code", "indicator_id", "kind", "value", "target"])
    result = project_indicators(history, 2030)
    assert result.empty and list(result.columns) == PROJECTION_COLUMNS
