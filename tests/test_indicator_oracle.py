"""The float-array indicators (``helpers/compute/fast_arrays.py``) against the plain oracle
(``tests/indicator_oracle.py``) on random data sets: gaps, zeros, small and large counts, values
given twice, units that are not communes, communes absent altogether, ĐBKK communes, every
target level and either direction."""

from __future__ import annotations

import pandas as pd
from contexts import context, reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from indicator_oracle import oracle_history, oracle_indicators, oracle_standards

from helpers.compute.fast_arrays import commune_standards, unit_values
from helpers.compute.indicators import compute_history, compute_indicators

YEAR = 2023
REF = reference()
RATES = sorted(REF.catalogue.loc[REF.catalogue["kind"] == "rate", "id"])


def _fields() -> list[str]:
    expressions = list(REF.catalogue["numerator"].dropna()) + list(REF.catalogue["denominator"].dropna())
    for column in ("numerator", "denominator", "numerator_dbkk", "denominator_dbkk"):
        expressions += list(REF.criteria[column])
    return sorted({part.strip() for e in expressions for part in str(e).split("+") if part.strip()})


FIELDS = _fields()

# a count: missing, 0, near the thresholds of 100, small, or large
NUMBERS = st.one_of(st.none(), st.just(0), st.sampled_from([80, 85, 89, 90, 94, 95, 98, 99, 100, 101]),
                    st.integers(1, 12), st.integers(10**6, 10**9))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def communes_st(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 8))
    codes = [f"C{i}" for i in range(n)]
    dbkk = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return pd.DataFrame({"code": codes, "full_name": [f"Xã {c}" for c in codes], "dbkk": dbkk})


@st.composite
def year_rows(draw, year: int, codes: list[str]) -> list[dict]:
    """One year's tidy rows: per commune a base count for every field of a random subset (or of
    all) with a few fields set apart; some communes absent; a missing count either left out or
    given as a row without a value; then values given twice and rows of units that are not communes."""
    every_field = draw(st.integers(0, 3)) > 0
    fields = FIELDS if every_field else draw(st.lists(st.sampled_from(FIELDS), min_size=1, unique=True))
    rows = []
    for code in codes:
        if draw(st.integers(0, 7)) == 0:          # absent altogether
            continue
        base = 100 if draw(st.booleans()) else draw(NUMBERS)
        overrides = draw(st.dictionaries(st.sampled_from(FIELDS), NUMBERS, max_size=6))
        na_rows = draw(st.booleans())
        for f in fields:
            value = overrides.get(f, base)
            if value is not None or na_rows:
                rows.append({"year": year, "unit_code": code, "field": f, "value": value})
        rows += [{"year": year, "unit_code": code, "field": f, "value": v}
                 for f, v in overrides.items() if f not in fields and (v is not None or na_rows)]
    extras = draw(st.lists(st.tuples(st.sampled_from([*codes, "X1", "X2"]), st.sampled_from(FIELDS), NUMBERS,
                                     st.integers(0, 10**6)), max_size=8))
    for code, f, value, where in extras:           # inserted anywhere: a commune's second value or an outsider's
        rows.insert(where % (len(rows) + 1), {"year": year, "unit_code": code, "field": f, "value": value})
    return rows


def values_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["year", "unit_code", "field", "value"])
    return frame.astype({"year": "int64", "unit_code": "string", "field": "string", "value": "Int64"})


@st.composite
def contexts_st(draw, communes: pd.DataFrame):
    level = draw(st.sampled_from(["province", "national", "district"]))
    lower = draw(st.sets(st.sampled_from(RATES), max_size=4))
    catalogue = REF.catalogue.copy()
    catalogue.loc[catalogue["id"].isin(lower), "direction"] = "lower"
    return context(YEAR, level, communes=communes, catalogue=catalogue)


@st.composite
def one_year(draw):
    communes = draw(communes_st())
    rows = draw(year_rows(YEAR, list(communes["code"])))
    rows += draw(year_rows(YEAR - 1, list(communes["code"])))        # another year: never counted
    return values_frame(rows), communes, draw(contexts_st(communes))


def assert_same(fast: pd.DataFrame, oracle: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(fast.reset_index(drop=True), oracle.reset_index(drop=True),
                                  check_dtype=False, check_exact=False, rtol=1e-12, atol=0)


@SETTINGS
@given(one_year())
def test_indicators_equal_the_oracle(case):
    values, communes, ctx = case
    assert_same(compute_indicators(values, ctx), oracle_indicators(values, ctx))


@SETTINGS
@given(one_year())
def test_commune_standards_equal_the_oracle(case):
    values, communes, ctx = case
    wide = unit_values(values[values["year"] == YEAR], communes["code"])
    fast = commune_standards(wide, communes, ctx.ref.standards, ctx.ref.criteria)
    pd.testing.assert_frame_equal(fast, oracle_standards(values, communes, ctx.ref.standards, ctx.ref.criteria, YEAR),
                                  check_dtype=False, check_index_type=False)


@st.composite
def several_years(draw):
    years = list(range(YEAR - draw(st.integers(1, 2)), YEAR + 1))
    communes_by_year, rows = {}, []
    for year in years:
        communes = draw(communes_st())
        communes_by_year[year] = communes
        rows += draw(year_rows(year, list(communes["code"])))
    ctx = draw(contexts_st(communes_by_year[YEAR]))
    return values_frame(rows), communes_by_year, ctx


@settings(SETTINGS, max_examples=60)
@given(several_years())
def test_history_equals_the_oracle(case):
    values, communes_by_year, ctx = case
    assert_same(compute_history(values, ctx, communes_by_year=communes_by_year),
                oracle_history(values, ctx, communes_by_year))


def test_oracle_catches_unknown_and_false():
    """The oracle's own three-valued AND: a criterion not reached fails the standard even when
    another cannot be told (PCMN5: 5-year-olds in class 50 %, completion unknown)."""
    communes = pd.DataFrame({"code": ["A"], "full_name": ["Xã A"], "dbkk": [False]})
    values = values_frame([
        {"year": YEAR, "unit_code": "A", "field": "children_5", "value": 100},
        {"year": YEAR, "unit_code": "A", "field": "children_5_attending", "value": 50},
    ])
    met = oracle_standards(values, communes, REF.standards, REF.criteria, YEAR)
    assert met.loc["A", "PCMN5"] == False  # noqa: E712 - pandas boolean
    assert pd.isna(met.loc["A", "XMC1"])
