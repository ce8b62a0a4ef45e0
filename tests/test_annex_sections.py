"""Sections below the annex table: per-commune counts and what each commune lacks."""

from __future__ import annotations

import io

import pandas as pd

from helpers.publish.commune_tables import shortfall_to_target

ROWS = """\
year,unit_code,indicator_id,numerator,denominator,value,target,status
2023,A,II.1,40,100,40.0,50,Chưa đạt
2023,B,II.1,60,100,60.0,50,Đạt
2023,C,II.1,480,1000,48.0,50,Chưa đạt
2023,D,II.1,499,1000,49.9,50,Chưa đạt
2023,A,II.2,10,20,50.0,,Chưa có mục tiêu
"""


def _rows() -> pd.DataFrame:
    rows = pd.read_csv(io.StringIO(ROWS), dtype={"unit_code": "string"})
    rows["status"] = rows["status"].fillna("")
    return rows.astype({"numerator": "Float64", "denominator": "Float64", "value": "Float64", "target": "Float64"})


def test_shortfall_is_the_whole_number_of_people_missing():
    shortfall = shortfall_to_target(_rows())
    expected = pd.Series([10, 0, 20, 1, pd.NA], dtype="Int64", name=None)
    pd.testing.assert_series_equal(shortfall.reset_index(drop=True), expected, check_names=False)
