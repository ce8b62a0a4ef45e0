"""Reconciling a hand-made (declared) annex with the recomputed indicators; annex footnotes."""

from __future__ import annotations

import pandas as pd
import pytest
from contexts import context

from helpers.compute.indicators import INDICATOR_COLUMNS, STATUS_MET, STATUS_NOT_MET, compute_indicators
from helpers.compute.projection import PROJECTION_COLUMNS, project_indicators
from helpers.processed import read_year_table
from helpers.publish import annex_table as annex
from helpers.publish.reconcile import reconcile_declared
from helpers.reference import load_fields
from helpers.storage import write_csv_atomically

YEAR = 2023
DISTRICT = "480"


def district_rows(*rows: dict) -> pd.DataFrame:
    """District rows of an indicator table, as compute_indicators lays them out."""
    defaults = {"year": YEAR, "unit_code": DISTRICT, "kind": "rate", "numerator": pd.NA,
                "denominator": pd.NA, "value": pd.NA, "target": pd.NA, "target_level": "province",
                "target_plan": "", "target_verified": True, "status": "", "missing_units": "", "target_from": ""}
    frame = pd.DataFrame([{**defaults, **r} for r in rows], columns=INDICATOR_COLUMNS)
    for column in ("numerator", "denominator", "value", "target"):
        frame[column] = pd.to_numeric(frame[column]).astype("Float64")
    return frame


def declared(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["indicator_id", "target", "result", "note"], dtype=str)


def no_projection() -> pd.DataFrame:
    return pd.DataFrame(columns=PROJECTION_COLUMNS)


def projection(indicator_id: str, projected: float | None, target: float, likely: bool | None) -> pd.DataFrame:
    return pd.DataFrame([{"indicator_id": indicator_id, "years_used": "2021,2022,2023", "projected": projected,
                          "target": target, "likely": likely}], columns=PROJECTION_COLUMNS)


def reconcile(dec, indicators, catalogue, proj=None) -> pd.DataFrame:
    return reconcile_declared(dec, indicators, no_projection() if proj is None else proj,
                              context(YEAR, catalogue=catalogue))


def flags_of(result: pd.DataFrame, indicator_id: str) -> str:
    hit = result[result["indicator_id"] == indicator_id]
    assert len(hit) == 1
    return hit.iloc[0]["flags"]


# --------------------------------------------------------------------------- (a) rounding


@pytest.mark.parametrize(
    ("declared_result", "flagged"),
    [("10,3", False), ("10", False), ("10,30", False), ("10,5", True), ("11", True), ("10,2", True)],
)
def test_a_declared_percent_against_recomputed(catalogue, declared_result, flagged):
    # II.1 (0 decimals): 10,299 % of 5 000 people (the (b) check is off above 1 000)
    indicators = district_rows({"indicator_id": "II.1", "numerator": 514.95, "denominator": 5000,
                                "value": 10.299, "target": 50, "status": STATUS_NOT_MET})
    result = reconcile(declared(("II.1", "50", declared_result, "")), indicators, catalogue)
    flags = flags_of(result, "II.1")
    assert ("(a)" in flags) is flagged, flags
    assert "(b)" not in flags
    assert result.iloc[0]["computed_result"] == "10"
    assert result.iloc[0]["declared_result"] == declared_result
    if flagged:
        assert declared_result in flags  # the message quotes the declared figure


# --------------------------------------------------------------------------- (b) whole units


def test_b_share_no_whole_number_of_units_can_give(catalogue):
    # III.1: 9 universities; 100 k / 9 is 66,7 or 77,8, never 70. The recomputed value is made equal
    # to the declared one so that only (b) can fire.
    indicators = district_rows({"indicator_id": "III.1", "numerator": 6.3, "denominator": 9, "value": 70.0,
                                "target": 70, "status": STATUS_MET})
    flags = flags_of(reconcile(declared(("III.1", "70", "70", "")), indicators, catalogue), "III.1")
    assert "(b)" in flags
    assert "9" in flags
    assert "(a)" not in flags


@pytest.mark.parametrize("declared_result", ["66,7", "67", "66,67"])
def test_b_share_a_whole_number_of_units_gives(catalogue, declared_result):
    indicators = district_rows({"indicator_id": "III.1", "numerator": 6, "denominator": 9, "value": 600 / 9,
                                "target": 70, "status": STATUS_NOT_MET})
    result = reconcile(declared(("III.1", "70", declared_result, "")), indicators, catalogue)
    assert flags_of(result, "III.1") == ""


def test_b_half_up_share_is_a_whole_number_of_units(catalogue):
    # 1 unit of 8 is 12,5 %, declared "13" as officials round (half up); no (a), so no (b) either
    indicators = district_rows({"indicator_id": "III.1", "numerator": 1, "denominator": 8, "value": 12.5,
                                "target": 70, "status": STATUS_NOT_MET})
    assert flags_of(reconcile(declared(("III.1", "70", "13", "")), indicators, catalogue), "III.1") == ""


# --------------------------------------------------------------------------- (c) "Đạt" below target


@pytest.fixture
def below_target():
    return district_rows({"indicator_id": "II.1", "numerator": 400, "denominator": 5000, "value": 40.0,
                          "target": 50, "status": STATUS_NOT_MET})


def test_c_met_declared_below_target_without_projection(catalogue, below_target):
    flags = flags_of(reconcile(declared(("II.1", "50", "40", "Đạt")), below_target, catalogue), "II.1")
    assert "(c)" in flags
    assert "(a)" not in flags


def test_c_met_declared_below_target_and_projection_short(catalogue, below_target):
    proj = projection("II.1", 45.0, 50, False)
    flags = flags_of(reconcile(declared(("II.1", "50", "40", "Đạt")), below_target, catalogue, proj), "II.1")
    assert "(c)" in flags


def test_c_met_declared_below_target_but_projection_reaches_it(catalogue, below_target):
    proj = projection("II.1", 55.0, 50, True)
    flags = flags_of(reconcile(declared(("II.1", "50", "40", "Đạt")), below_target, catalogue, proj), "II.1")
    assert flags == ""


def test_c_not_flagged_without_met_note_or_at_target(catalogue, below_target):
    flags = flags_of(reconcile(declared(("II.1", "50", "40", "")), below_target, catalogue), "II.1")
    assert flags == ""
    at_target = district_rows({"indicator_id": "II.1", "numerator": 2500, "denominator": 5000, "value": 50.0,
                               "target": 50, "status": STATUS_MET})
    assert flags_of(reconcile(declared(("II.1", "50", "50", "Đạt")), at_target, catalogue), "II.1") == ""


def test_c_projection_unknown_after_csv_round_trip(catalogue, below_target, tmp_path):
    # the annex notebook reads projection.csv; with one year of data "likely" is empty there
    write_csv_atomically(projection("II.1", None, 50, None), tmp_path / str(YEAR) / "projection.csv")
    proj = read_year_table(tmp_path, YEAR, "projection")
    flags = flags_of(reconcile(declared(("II.1", "50", "40", "Đạt")), below_target, catalogue, proj), "II.1")
    assert "(c)" in flags


def test_c_uses_the_same_rounding_as_the_status(catalogue):
    indicators = district_rows({"indicator_id": "II.1", "numerator": 2480, "denominator": 5000, "value": 49.6,
                                "target": 50, "status": STATUS_MET})
    proj = projection("II.1", 49.0, 50, False)
    flags = flags_of(reconcile(declared(("II.1", "50", "50", "Đạt")), indicators, catalogue, proj), "II.1")
    assert flags == ""


# --------------------------------------------------------------------------- (d) plausibility


@pytest.mark.parametrize(("value", "flagged"), [(71.0, True), (60.0, False), (50.0, False)])
def test_d_value_outside_plausible_range(catalogue, value, flagged):
    # II.3 plausible range 0-60 %
    indicators = district_rows({"indicator_id": "II.3", "numerator": value * 50, "denominator": 5000,
                                "value": value, "target": 23, "status": STATUS_MET})
    flags = flags_of(reconcile(declared(("II.3", "23", "", "")), indicators, catalogue), "II.3")
    assert ("(d)" in flags) is flagged


# --------------------------------------------------------------------------- standards and layout


def test_standard_status_compared_as_text(catalogue):
    indicators = district_rows(
        {"indicator_id": "I.1", "kind": "standard", "numerator": 8, "denominator": 9, "value": 800 / 9,
         "target": 100, "status": STATUS_NOT_MET},
        {"indicator_id": "I.2", "kind": "standard", "numerator": 9, "denominator": 9, "value": 100.0,
         "target": 100, "status": STATUS_MET},
    )
    result = reconcile(declared(("I.1", "100", "Đạt", ""), ("I.2", "100", "Đạt", "")), indicators, catalogue)
    assert "Chưa đạt" in flags_of(result, "I.1")
    assert flags_of(result, "I.2") == ""
    assert list(result["computed_result"]) == [STATUS_NOT_MET, STATUS_MET]


def test_unknown_or_uncomputed_rows_are_skipped(catalogue):
    indicators = district_rows({"indicator_id": "II.1", "numerator": 1, "denominator": 10, "value": 10.0,
                                "target": 50, "status": STATUS_NOT_MET})
    other_year = district_rows({"indicator_id": "II.2", "numerator": 1, "denominator": 10, "value": 10.0})
    other_year["year"] = pd.array([YEAR - 1], dtype="Int64")
    result = reconcile(declared(("II.1", "50", "10", ""), ("XX.9", "", "5", ""), ("II.2", "", "10", "")),
                       pd.concat([indicators, other_year], ignore_index=True), catalogue)
    assert list(result["indicator_id"]) == ["II.1"]
    assert list(result.columns) == ["indicator_id", "label", "declared_target", "declared_result",
                                    "declared_note", "computed_result", "flags"]


# --------------------------------------------------------------------------- unverified figures


def test_unverified_standards_chain(rules):
    standards, criteria = rules
    assert annex.unverified_standards("PCTHCS3", standards, criteria) == ["PCTHCS2"]
    assert annex.unverified_standards("XMC2", standards, criteria) == []
    assert annex.unverified_standards("PCTH3", standards, criteria) == ["PCTH3"]
    assert annex.unverified_standards("PCTH2", standards, criteria) == []


def test_unverified_standards_follows_criteria_and_order(rules):
    standards, criteria = rules
    criteria = criteria.copy()
    criteria.loc[criteria["standard"] == "XMC1", "verified"] = False
    # XMC1 is a prerequisite of PCTHCS1, so of PCTHCS3; results in file order
    assert annex.unverified_standards("PCTHCS3", standards, criteria) == ["XMC1", "PCTHCS2"]
    assert annex.unverified_standards("XMC2", standards, criteria) == []     # XMC2 does not require XMC1


@pytest.fixture(scope="module")
def computed_2023(catalogue, rules):
    """Indicators of nine all-passing communes, computed against national and province targets."""
    fields = list(load_fields()["field"])
    codes = [f"C{i}" for i in range(9)]
    values = pd.DataFrame([{"year": YEAR, "unit_code": c, "field": f, "value": 100} for c in codes for f in fields])
    communes = pd.DataFrame({"code": codes, "full_name": [f"Xã {c}" for c in codes], "dbkk": False})
    standards, criteria = rules
    tables = {level: compute_indicators(values, context(YEAR, level, communes=communes, catalogue=catalogue,
                                                        standards=standards, criteria=criteria))
              for level in ("national", "province")}
    return tables, communes


def build(computed_2023, catalogue, rules, level: str) -> pd.DataFrame:
    tables, communes = computed_2023
    indicators = tables[level]
    history = indicators[indicators["unit_code"] == DISTRICT]
    standards, criteria = rules
    ctx = context(YEAR, level, communes=communes, catalogue=catalogue, standards=standards, criteria=criteria)
    assert ctx.entity.code == DISTRICT
    return annex.build_annex(indicators, project_indicators(history, 2025), ctx)


def footnote_kinds(built, row_id: str) -> dict[str, str]:
    """The official footnotes of a row and its caveats for the analyst, by kind."""
    hit = built.table[built.table["row_id"] == row_id]
    assert len(hit) == 1
    caveats = built.caveats[built.caveats["indicator_id"] == row_id]
    return {**dict(hit.iloc[0]["footnotes"]), **dict(zip(caveats["kind"], caveats["text"], strict=True))}


def test_caveats_stay_out_of_the_official_annex(computed_2023, catalogue, rules):
    built = build(computed_2023, catalogue, rules, "national")
    official = [kind for notes in built.table["footnotes"] for kind, _ in notes]
    assert set(official) <= set(annex.OFFICIAL_FOOTNOTES)
    assert {"target", "standard"} <= set(built.caveats["kind"])
    assert not any("chưa được đối chiếu" in text for text in built.footnotes)


def test_unverified_target_is_footnoted(computed_2023, catalogue, rules):
    table = build(computed_2023, catalogue, rules, "national")
    i1 = footnote_kinds(table, "I.1")  # national target 70, verified = false
    assert "target" in i1
    assert "QĐ 1373/QĐ-TTg (30/7/2021) theo bản sao thứ cấp" in i1["target"]
    assert "target" in footnote_kinds(table, "II.1")
    assert "target" not in footnote_kinds(table, "L.8")  # QĐ 387, verified = true
    assert "target" not in footnote_kinds(table, "I.3")  # no national target for I.3
    assert annex.target_text(next(table.table[table.table["row_id"] == "I.1"].itertuples())) == "70"


def test_verified_targets_are_not_footnoted(computed_2023, catalogue, rules):
    table = build(computed_2023, catalogue, rules, "province")
    for row_id in ("I.1", "II.1", "IV.1"):
        assert "target" not in footnote_kinds(table, row_id), row_id


def test_unverified_standard_is_footnoted(computed_2023, catalogue, rules):
    table = build(computed_2023, catalogue, rules, "province")
    i6 = footnote_kinds(table, "I.6")  # PCTHCS3 ← PCTHCS2 (unverified)
    assert "Chuẩn phổ cập giáo dục trung học cơ sở mức độ 2" in i6["standard"]
    assert "standard" not in footnote_kinds(table, "I.1")  # XMC2 ← XMC1, all verified
    assert any("mức độ 2" in text for text in table.caveats["text"])
    assert all(mark <= len(table.footnotes) for marks in table.table["marks"] for mark in marks)


# --------------------------------------------------------------------------- the declared figures as written


@pytest.mark.parametrize(("written", "expected"), [
    ("10,3", "10.3"), ("60,08%", "60.08"), ("60,08 %", "60.08"), ("12.5", "12.5"), ("60.08", "60.08"),
    ("1.234,5", "1234.5"), ("2.345.678", "2345678"), ("42", "42"), ("100%", "100"),
    ("Đạt", None), ("", None), ("-", None), ("24/26", None),
])
def test_declared_figures_are_read_the_vietnamese_way(written, expected):
    from decimal import Decimal

    from helpers.publish.reconcile import parse_declared_number

    got = parse_declared_number(written)
    assert got == (None if expected is None else Decimal(expected)), written


@pytest.mark.parametrize("written", ["12.500", "1.234", "60.080 %"])
def test_a_dot_before_three_digits_reads_two_ways(written):
    from helpers.publish.reconcile import AmbiguousNumber, parse_declared_number

    with pytest.raises(AmbiguousNumber):
        parse_declared_number(written)


def test_a_figure_that_reads_two_ways_is_flagged_not_guessed(catalogue):
    indicators = district_rows({"indicator_id": "II.3a", "numerator": 1250, "denominator": 10000, "value": 12.5,
                                "target": 12, "status": STATUS_MET})
    flags = flags_of(reconcile(declared(("II.3a", "12", "12.500", "")), indicators, catalogue), "II.3a")
    assert "(e)" in flags and "12,500" in flags


def test_a_percent_signed_declared_rate_is_compared(catalogue):
    # a commune table's printed 60,08 % beside counts that give 72,12 %
    indicators = district_rows({"indicator_id": "II.1", "numerator": 3606, "denominator": 5000, "value": 72.12,
                                "target": 50, "status": STATUS_MET})
    flags = flags_of(reconcile(declared(("II.1", "50", "60,08%", "")), indicators, catalogue), "II.1")
    assert "(a) Tỷ lệ đã báo cáo 60,08 % khác tỷ lệ tính lại từ số liệu 72,12 %." in flags


def test_met_below_its_own_declared_target_is_flagged(catalogue):
    # the office declared 42 % against its 50 % target and wrote "Đạt"; recomputed it is 52 %
    indicators = district_rows({"indicator_id": "II.1", "numerator": 2600, "denominator": 5000, "value": 52.0,
                                "target": 50, "status": STATUS_MET})
    flags = flags_of(reconcile(declared(("II.1", "50", "42", "Đạt")), indicators, catalogue), "II.1")
    assert "(c) Ghi “Đạt” trong khi kết quả thấp hơn mục tiêu" in flags


@pytest.mark.parametrize("note", ["Chưa đạt", "không đạt", "Khó đạt"])
def test_not_met_when_reached_is_flagged(catalogue, note):
    indicators = district_rows({"indicator_id": "II.1", "numerator": 3000, "denominator": 5000, "value": 60.0,
                                "target": 50, "status": STATUS_MET})
    flags = flags_of(reconcile(declared(("II.1", "50", "60", note)), indicators, catalogue), "II.1")
    assert f"(c) Ghi “{note}” trong khi kết quả đã đạt mục tiêu." in flags


def test_unknown_remark_and_other_target_are_flagged(catalogue, below_target):
    flags = flags_of(reconcile(declared(("II.1", "45", "40", "Tốt")), below_target, catalogue), "II.1")
    assert "(f) Ghi chú “Tốt”" in flags
    assert "(g) Mục tiêu đã báo cáo 45 % khác mục tiêu theo kế hoạch 50 %." in flags
