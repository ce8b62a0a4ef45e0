"""Commune and district indicators on small inline data, against the real reference catalogue."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from contexts import context

from helpers.compute.fast_arrays import commune_standards, field_sum, unit_values
from helpers.compute.indicators import (
    STATUS_MET,
    STATUS_MISSING,
    STATUS_NO_TARGET,
    STATUS_NOT_APPLICABLE,
    STATUS_NOT_MET,
    compute_history,
    compute_indicators,
)
from helpers.numbers import format_number
from helpers.reference import load_fields

YEAR = 2023
DISTRICT = "480"


FIELDS = list(load_fields()["field"])


def commune_rows(code: str, year: int = YEAR, **overrides: int | None) -> list[dict]:
    """Tidy rows of one commune that meets every standard: every count is 100 (100 % everywhere).

    Overrides set a field; ``None`` leaves the field out (not reported).
    """
    counts = dict.fromkeys(FIELDS, 100)
    unknown = set(overrides) - set(counts)
    assert not unknown, f"unknown fields {unknown}"
    counts.update(overrides)
    return [{"year": year, "unit_code": code, "field": f, "value": v} for f, v in counts.items() if v is not None]


def values_of(units: dict[str, dict]) -> pd.DataFrame:
    rows = []
    for code, overrides in units.items():
        rows += commune_rows(code, **overrides)
    return pd.DataFrame(rows, columns=["year", "unit_code", "field", "value"])


def communes_of(codes, dbkk=()) -> pd.DataFrame:
    return pd.DataFrame({"code": list(codes), "full_name": [f"Xã {c}" for c in codes],
                         "dbkk": [c in dbkk for c in codes]})


def compute(values, communes, catalogue, rules, targets, *, target_level="province"):
    standards, criteria = rules
    ctx = context(YEAR, target_level, communes=communes, catalogue=catalogue, standards=standards,
                  criteria=criteria, targets=targets)
    assert ctx.entity.code == DISTRICT and ctx.target_year == 2025
    return compute_indicators(values, ctx)


def row(table: pd.DataFrame, indicator_id: str, unit: str = DISTRICT) -> pd.Series:
    hit = table[(table["indicator_id"] == indicator_id) & (table["unit_code"] == unit)]
    assert len(hit) == 1, (indicator_id, unit, len(hit))
    return hit.iloc[0]


def standards_met(values: pd.DataFrame, communes: pd.DataFrame, rules) -> pd.DataFrame:
    standards, criteria = rules
    wide = unit_values(values[values["year"] == YEAR], communes["code"])
    return commune_standards(wide, communes, standards, criteria)


# --------------------------------------------------------------------------- building blocks


def test_unit_values_and_field_sum_from_inline_csv():
    values = pd.read_csv(io.StringIO(
        "year,unit_code,field,value\n"
        "2023,A,households,10\n"
        "2023,A,learning_households,4\n"
        "2023,B,households,30\n"
        "2023,A,households,99\n"          # given twice: the first counts
        "2023,Z,households,5\n"           # not a unit asked for
    ), dtype={"unit_code": str})
    wide = unit_values(values, ["B", "A", "C"])
    assert list(wide.index) == ["B", "A", "C"] and wide.index.name == "unit_code"
    assert list(wide.columns) == ["households", "learning_households"]
    assert wide.loc["A", "households"] == 10
    assert pd.isna(wide.loc["B", "learning_households"])
    assert wide.loc["C"].isna().all()       # a unit that gave nothing is a row of NA
    total = field_sum(wide, "households + learning_households")
    assert total.loc["A"] == 14
    assert pd.isna(total.loc["B"])  # a missing part makes the sum missing, not 30
    # a field nobody reported is a column of NA, not a KeyError
    assert field_sum(wide, "clans").isna().all()


# --------------------------------------------------------------------------- a two-commune district
# Commune A is small and does well, B is large and does badly; neither has a university nor a
# community learning centre (zero denominators).

TWO_COMMUNES = {
    "A": {"info_competence": 90, "working_age_pop": 100,
          "learning_citizens_community": 30, "adults_in_learning_models": 100,
          "learning_citizens_staff": 10, "staff_in_learning_units": 20,
          "literacy_classes": 2, "literacy_learners": 25,
          "universities": 0, "universities_digital": 0, "cltc": 0, "cltc_it": 0},
    "B": {"info_competence": 10, "working_age_pop": 1000,
          "learning_citizens_community": 0, "adults_in_learning_models": 380,
          "learning_citizens_staff": 0, "staff_in_learning_units": 0,
          "literacy_classes": 0, "literacy_learners": 0,
          "universities": 0, "universities_digital": 0, "cltc": 0, "cltc_it": 0},
}


@pytest.fixture(scope="module")
def two_communes_province(catalogue, rules, targets):
    return compute(values_of(TWO_COMMUNES), communes_of("AB"), catalogue, rules, targets,
                   target_level="province")


@pytest.fixture(scope="module")
def two_communes_national(catalogue, rules, targets):
    return compute(values_of(TWO_COMMUNES), communes_of("AB"), catalogue, rules, targets,
                   target_level="national")


# --------------------------------------------------------------------------- (1) ratio of sums


def test_district_rate_is_ratio_of_sums_not_mean_of_rates(two_communes_province):
    table = two_communes_province
    communes = table[(table["indicator_id"] == "II.1") & (table["unit_code"] != DISTRICT)]
    expected_communes = pd.DataFrame({
        "unit_code": pd.array(["A", "B"], dtype="string"),
        "numerator": pd.array([90.0, 10.0], dtype="Float64"),
        "denominator": pd.array([100.0, 1000.0], dtype="Float64"),
        "value": pd.array([90.0, 1.0], dtype="Float64"),
    })
    pd.testing.assert_frame_equal(
        communes[["unit_code", "numerator", "denominator", "value"]].reset_index(drop=True), expected_communes)

    district = row(table, "II.1")
    assert district["numerator"] == 100
    assert district["denominator"] == 1100
    assert district["value"] == pytest.approx(100 * 100 / 1100)
    mean_of_rates = (90.0 + 1.0) / 2
    assert district["value"] != pytest.approx(mean_of_rates)
    # the province target (50 %) is compared with the pooled 9,09 %, not with the 45,5 % mean
    assert district["status"] == STATUS_NOT_MET
    assert format_number(district["value"], 0) == "9"


def test_district_rate_with_summed_fields(two_communes_province):
    # IV.1 = (learning_citizens_community + learning_citizens_staff) / (adults + staff)
    table = two_communes_province
    assert row(table, "IV.1", "A")["value"] == pytest.approx(100 * 40 / 120)
    district = row(table, "IV.1")
    assert (district["numerator"], district["denominator"]) == (40, 500)
    assert district["value"] == pytest.approx(8.0)


def test_count_and_units_with_indicators(two_communes_province):
    table = two_communes_province
    assert row(table, "L.5")["value"] == 2
    assert row(table, "L.6")["value"] == 25
    units_with = row(table, "L.7")
    assert (units_with["value"], units_with["denominator"]) == (1, 2)
    assert row(table, "L.7", "A")["value"] == 1
    assert row(table, "L.7", "B")["value"] == 0


def test_output_columns_and_one_row_per_unit_and_indicator(two_communes_province, catalogue):
    table = two_communes_province
    assert list(table.columns) == [
        "year", "unit_code", "indicator_id", "kind", "numerator", "denominator", "value",
        "target", "target_level", "target_plan", "target_verified", "status", "missing_units", "target_from"]
    assert len(table) == 3 * len(catalogue)
    assert not table.duplicated(["unit_code", "indicator_id"]).any()
    assert set(table["year"]) == {YEAR}
    assert "absent_units" not in table.attrs


# --------------------------------------------------------------------------- (2) zero denominators


def test_zero_denominator_not_applicable_vs_missing(two_communes_national):
    table = two_communes_national
    iii1 = row(table, "III.1")  # zero_denominator = not_applicable (no university in the district)
    assert iii1["status"] == STATUS_NOT_APPLICABLE
    assert iii1["value"] is pd.NA
    assert iii1["missing_units"] == ""
    iii3 = row(table, "III.3")  # zero_denominator = missing
    assert iii3["status"] == STATUS_MISSING
    assert iii3["value"] is pd.NA
    for unit in "AB":
        assert row(table, "III.1", unit)["status"] == STATUS_NOT_APPLICABLE
        assert row(table, "III.3", unit)["status"] == STATUS_MISSING
        assert row(table, "III.3", unit)["value"] is pd.NA
    assert format_number(iii1["value"], 0) == ""


@pytest.mark.parametrize("fixture", ["two_communes_province", "two_communes_national"])
def test_no_nan_anywhere(request, fixture):
    table = request.getfixturevalue(fixture)
    # no float NaN hides behind the nullable dtype (it would print as "NaN" instead of a blank)
    for column in ("numerator", "denominator", "value", "target"):
        assert str(table[column].dtype) == "Float64"
        data = table[column].array
        assert not (pd.isna(data) & ~data._mask).any(), column
    text = table[["status", "missing_units", "target_level", "target_plan"]]
    assert not text.isna().any().any()
    assert not text.apply(lambda col: col.str.lower().str.contains("nan")).any().any()


def test_zero_denominator_in_one_commune_only(catalogue, rules, targets):
    values = values_of({"A": {"universities": 0, "universities_digital": 0},
                        "B": {"universities": 2, "universities_digital": 1}})
    table = compute(values, communes_of("AB"), catalogue, rules, targets, target_level="national")
    assert row(table, "III.1", "A")["status"] == STATUS_NOT_APPLICABLE
    assert row(table, "III.1", "A")["value"] is pd.NA
    district = row(table, "III.1")
    assert district["value"] == pytest.approx(50.0)
    assert district["status"] == STATUS_NOT_MET  # national target 70 %


# --------------------------------------------------------------------------- (3) missing communes


@pytest.fixture(scope="module")
def with_missing(catalogue, rules, targets):
    # A reported everything, B all but cltc_it, C and D nothing at all
    values = values_of({"A": {}, "B": {"cltc_it": None}})
    return compute(values, communes_of("ABCD"), catalogue, rules, targets)


def test_absent_communes_make_district_missing(with_missing):
    table = with_missing
    assert table.attrs.get("absent_units") == ["C", "D"]
    for indicator_id in ("II.1", "IV.1", "I.1", "I.6", "L.5", "L.7"):
        district = row(table, indicator_id)
        assert district["status"] == STATUS_MISSING, indicator_id
        assert district["missing_units"] == "C;D", indicator_id
    assert row(table, "II.1")["value"] is pd.NA
    assert row(table, "I.1")["value"] == pytest.approx(50.0)  # share known, status still missing
    for unit in "CD":
        assert row(table, "II.1", unit)["status"] == STATUS_MISSING
        assert row(table, "I.1", unit)["status"] == STATUS_MISSING
    assert row(table, "II.1", "A")["status"] == STATUS_MET


def test_one_missing_field_names_that_commune_only_where_used(with_missing):
    table = with_missing
    assert row(table, "III.3")["missing_units"] == "B;C;D"  # cltc_it
    assert row(table, "III.3", "B")["status"] == STATUS_MISSING
    assert row(table, "III.2")["missing_units"] == "C;D"
    assert row(table, "III.2", "B")["status"] == STATUS_MET


# --------------------------------------------------------------------------- (4) ĐBKK communes


def test_dbkk_commune_uses_its_own_age_group(rules):
    # XMC1: normal 15-35 age group; ĐBKK communes 15-25 (threshold 90 % both)
    only_dbkk_rule_passes = {"lit1_15_35": 50, "pop_15_35": 100, "lit1_15_25": 95, "pop_15_25": 100}
    only_normal_rule_passes = {"lit1_15_35": 95, "pop_15_35": 100, "lit1_15_25": 50, "pop_15_25": 100}
    values = values_of({"N1": only_dbkk_rule_passes, "D1": only_dbkk_rule_passes,
                        "N2": only_normal_rule_passes, "D2": only_normal_rule_passes})
    met = standards_met(values, communes_of(["N1", "D1", "N2", "D2"], dbkk={"D1", "D2"}), rules)
    order = ["N1", "D1", "N2", "D2"]
    assert list(met.loc[order, "XMC1"]) == [False, True, True, False]
    # XMC2 does not require XMC1 (Nghị định 20/2014, Điều 21): its own criterion, met everywhere here
    assert list(met.loc[order, "XMC2"]) == [True, True, True, True]


def test_dbkk_commune_uses_its_own_threshold(rules):
    # PCMN5 criterion 1: 95 % normally, 90 % for ĐBKK communes
    values = values_of({"N": {"children_5_attending": 92}, "D": {"children_5_attending": 92},
                        "N_ok": {"children_5_attending": 95}, "D_low": {"children_5_attending": 89}})
    met = standards_met(values, communes_of(["N", "D", "N_ok", "D_low"], dbkk={"D", "D_low"}), rules)
    assert list(met.loc[["N", "D", "N_ok", "D_low"], "PCMN5"]) == [False, True, True, False]


def test_dbkk_flag_reaches_compute_indicators(catalogue, rules, targets):
    # XMC2 (I.1): normal lit2_15_60/pop_15_60 (80 %, fails), ĐBKK lit2_15_35/pop_15_35 (92 %, passes)
    counts = {"lit2_15_60": 80, "pop_15_60": 100, "lit2_15_35": 92, "pop_15_35": 100}
    values = values_of({"normal": counts, "special": counts})
    table = compute(values, communes_of(["normal", "special"], dbkk={"special"}), catalogue, rules, targets)
    assert row(table, "I.1", "normal")["status"] == STATUS_NOT_MET
    assert row(table, "I.1", "special")["status"] == STATUS_MET
    assert row(table, "I.1")["numerator"] == 1


# --------------------------------------------------------------------------- (5) district rule


@pytest.mark.parametrize(("meeting", "expected"), [(9, STATUS_MET), (8, STATUS_NOT_MET)])
def test_district_standard_share_boundary_at_90_percent(catalogue, rules, targets, meeting, expected):
    codes = [f"C{i:02d}" for i in range(10)]
    # PCMN5 (I.2), district_share 90: failing communes have 50 % of 5-year-olds in class
    units = {code: ({} if i < meeting else {"children_5_attending": 50}) for i, code in enumerate(codes)}
    table = compute(values_of(units), communes_of(codes), catalogue, rules, targets)
    district = row(table, "I.2")
    assert district["status"] == expected
    assert (district["numerator"], district["denominator"]) == (meeting, 10)
    assert district["value"] == pytest.approx(10.0 * meeting)
    assert district["missing_units"] == ""
    commune_rows_ = table[(table["indicator_id"] == "I.2") & (table["unit_code"] != DISTRICT)]
    assert (commune_rows_["status"] == STATUS_MET).sum() == meeting
    # the other standards are untouched by the PCMN5 failures
    assert row(table, "I.1")["status"] == STATUS_MET


def test_district_standard_with_100_percent_rule(catalogue, rules, targets):
    # PCTHCS3 (I.6) needs every commune (district_share 100); one of nine misses it
    codes = [f"C{i}" for i in range(9)]
    units = {code: {} for code in codes}
    units["C8"] = {"youth_15_18_studying": 60}
    table = compute(values_of(units), communes_of(codes), catalogue, rules, targets)
    assert row(table, "I.6")["numerator"] == 8
    assert row(table, "I.6")["status"] == STATUS_NOT_MET
    assert row(table, "I.5")["status"] == STATUS_MET  # PCTHCS2 does not look at who is studying


# --------------------------------------------------------------------------- (6) prerequisites


def test_failing_prerequisite_fails_the_higher_standard(rules):
    # PCTH1 criterion 2: 80 % of 11-14 year-olds completed primary; PCTH2 does not look at it
    values = values_of({"bad": {"children_11_14_primary": 50}, "good": {}})
    met = standards_met(values, communes_of(["bad", "good"]), rules)
    assert met.loc["bad", "PCTH1"] == False  # noqa: E712 - pandas boolean
    assert met.loc["bad", "PCTH2"] == False  # noqa: E712 - own criteria pass, PCTH1 fails
    assert met.loc["bad", "PCTH3"] == False  # noqa: E712 - through PCTH2
    assert met.loc["bad", "PCTHCS3"] == False  # noqa: E712 - PCTHCS1 requires PCTH1
    assert met.loc["bad", "XMC2"] == True  # noqa: E712 - unrelated chain
    assert met.loc["good"].all()


def test_prerequisite_on_the_district_row(catalogue, rules, targets):
    codes = [f"C{i}" for i in range(10)]
    units = {code: {} for code in codes}
    units["C0"] = units["C1"] = {"children_11_14_primary": 50}
    table = compute(values_of(units), communes_of(codes), catalogue, rules, targets)
    assert row(table, "I.3", "C0")["status"] == STATUS_NOT_MET  # PCTH2
    assert row(table, "I.3", "C2")["status"] == STATUS_MET
    assert row(table, "I.3")["numerator"] == 8
    assert row(table, "I.3")["status"] == STATUS_NOT_MET  # 8 of 10 < 90 %


def test_literacy_prerequisite_of_lower_secondary(rules):
    # PCTHCS1 requires XMC1: failing literacy level 1 fails every PCTHCS level
    values = values_of({"A": {"lit1_15_35": 10}})
    met = standards_met(values, communes_of(["A"]), rules)
    assert list(met.loc["A", ["XMC1", "XMC2", "PCTHCS1", "PCTHCS2", "PCTHCS3", "PCTH3"]]) == [
        False, True, False, False, False, True]


# --------------------------------------------------------------------------- (7) target status


@pytest.fixture(scope="module")
def near_targets(catalogue, rules, targets):
    # II.1: 0 decimals, province target 50; II.3a: 1 decimal, province target 12
    values = values_of({
        "P1": {"info_competence": 495, "working_age_pop": 1000,  # 49,5 → 50
               "university_plus": 1195, "pop_15_plus": 10000},  # 11,95 → 12,0
        "P2": {"info_competence": 494, "working_age_pop": 1000,  # 49,4 → 49
               "university_plus": 1194, "pop_15_plus": 10000},  # 11,94 → 11,9
        "P3": {"info_competence": 500, "working_age_pop": 1000,  # 50
               "university_plus": 1150, "pop_15_plus": 10000},  # 11,5
    })
    return compute(values, communes_of(["P1", "P2", "P3"]), catalogue, rules, targets)


@pytest.mark.parametrize(
    ("indicator_id", "unit", "value", "expected"),
    [
        ("II.1", "P1", 49.5, STATUS_NOT_MET),   # shown as 50, decided on 49,5
        ("II.1", "P2", 49.4, STATUS_NOT_MET),
        ("II.1", "P3", 50.0, STATUS_MET),
        ("II.1", DISTRICT, 100 * 1489 / 3000, STATUS_NOT_MET),  # 49,63 shown as 50
        ("II.3a", "P1", 11.95, STATUS_NOT_MET),  # shown as 12,0
        ("II.3a", "P2", 11.94, STATUS_NOT_MET),
        ("II.3a", "P3", 11.5, STATUS_NOT_MET),
        ("II.3a", DISTRICT, 100 * 3539 / 30000, STATUS_NOT_MET),  # 11,797 → 11,8
    ],
)
def test_target_status_decides_on_the_unrounded_value(near_targets, indicator_id, unit, value, expected):
    result = row(near_targets, indicator_id, unit)
    assert result["value"] == pytest.approx(value)
    assert result["status"] == expected


def test_target_metadata_follows_target_level(two_communes_province, two_communes_national):
    p, n = row(two_communes_province, "II.3"), row(two_communes_national, "II.3")
    assert (p["target"], p["target_level"], p["target_verified"]) == (23, "province", True)
    assert (n["target"], n["target_level"], n["target_verified"]) == (50, "national", False)
    assert n["target_plan"] == "QĐ 1373/QĐ-TTg"
    # no province target for L.1: the fallback level's (reference/target_levels.csv), said so
    l1 = row(two_communes_province, "L.1")
    assert (l1["target"], l1["target_level"], l1["target_from"]) == (99, "province", "district")
    assert row(two_communes_national, "L.1")["target"] is pd.NA      # national falls back to nothing
    # no target at any level: its own status, no level, never NaN
    l2 = row(two_communes_province, "L.2")
    assert l2["status"] == STATUS_NO_TARGET
    assert l2["target"] is pd.NA
    assert l2["target_level"] == "" and l2["target_from"] == ""


def test_other_years_are_ignored(catalogue, rules, targets):
    values = pd.concat([values_of({"A": {"info_competence": 10}}),
                        pd.DataFrame(commune_rows("A", year=2022, info_competence=99))], ignore_index=True)
    table = compute(values, communes_of("A"), catalogue, rules, targets)
    assert row(table, "II.1")["value"] == pytest.approx(10.0)


def test_history_is_the_district_rows_of_each_year_and_reuses_the_years_given(catalogue, rules, targets):
    standards, criteria = rules
    values = pd.concat([values_of({"A": {"info_competence": 10}, "B": {}}),
                        pd.DataFrame(commune_rows("A", year=2022, info_competence=40) + commune_rows("B", year=2022))],
                       ignore_index=True)
    ctx = context(YEAR, catalogue=catalogue, standards=standards, criteria=criteria, targets=targets)
    communes = {2022: communes_of("AB"), YEAR: communes_of("AB")}
    history = compute_history(values, ctx, communes_by_year=communes)
    assert list(history["year"].unique()) == [2022, YEAR] and (history["unit_code"] == DISTRICT).all()
    ii1 = history[history["indicator_id"] == "II.1"].set_index("year")["value"]
    assert ii1.to_dict() == pytest.approx({2022: 70.0, YEAR: 55.0})
    this_year = compute(values, communes_of("AB"), catalogue, rules, targets)
    reused = compute_history(values, ctx, communes_by_year=communes, computed=this_year)
    pd.testing.assert_frame_equal(reused, history)
    marked = this_year.assign(value=this_year["value"] + 1)          # the table given is the one used
    changed = compute_history(values, ctx, communes_by_year=communes, computed=marked)
    assert changed.loc[(changed["year"] == YEAR) & (changed["indicator_id"] == "II.1"), "value"].iloc[0] == 56.0
