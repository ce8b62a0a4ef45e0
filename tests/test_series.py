"""Series across the reform of the units (1/7/2025): earlier years' values put onto the later
units (helpers.compute.series), the year-on-year check across the break, the entity's history and
projection, and the trend chart's rule at the break."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools

import openpyxl
import pandas as pd
import pytest
from matplotlib.lines import Line2D

from helpers.checks.clean import clean_year
from helpers.checks.jumps import check_year_jumps, year_on_year_jumps
from helpers.checks.problems import INFO, WARNING, ProblemLog
from helpers.compute.indicators import compute_history, compute_indicators, compute_year, project_year
from helpers.compute.series import not_comparable_years, onto_units, reform_dates, successions
from helpers.ingest.read import read_submissions
from helpers.paths import RAW_DIR
from helpers.publish import charts
from helpers.reference import Reference, load_fields

YEARS = range(2021, 2027)
# Nghị quyết 1314/NQ-UBTVQH15 (domain brief §4): the new units of the former thị xã Hương Trà and
# the sample files of the communes that merged whole into each (written here, not read from the unit list)
HUONG_TRA_MERGERS = {
    "19996": ["19996_tu_ha.xlsx", "20008_huong_van.xlsx", "20011_huong_van.xlsx"],        # Phường Hương Trà
    "20017": ["20005_huong_toan.xlsx", "20017_huong_xuan.xlsx", "20020_huong_chu.xlsx"],  # Phường Kim Trà
    "20035": ["20026_huong_binh.xlsx", "20035_binh_tien.xlsx", "20041_binh_thanh.xlsx"],  # Xã Bình Điền
}
REFORM = dt.date(2025, 7, 1)


@functools.cache
def hue() -> Reference:
    return Reference.load(entity="hue")


@functools.cache
def clean_values(year: int) -> pd.DataFrame:
    """The clean values of a sample year of Huế, through the steps of 01_clean."""
    ctx = hue().for_year(year)
    return clean_year(read_submissions(RAW_DIR / str(year), ctx), ctx).values


@pytest.fixture(scope="module")
def values() -> pd.DataFrame:
    return pd.concat([clean_values(y) for y in YEARS], ignore_index=True)


def _counts_read_with_openpyxl(path) -> dict[str, int]:
    """A data-entry workbook's counts (column “Mã trường” → column “Số liệu”), read cell by cell."""
    fields = set(load_fields()["field"])
    sheet = openpyxl.load_workbook(path, data_only=True, read_only=True)["Số liệu"]
    return {row[1]: row[4] for row in sheet.iter_rows(values_only=True)
            if len(row) > 4 and row[1] in fields and isinstance(row[4], int) and not isinstance(row[4], bool)}


# --- (a) the done-when -------------------------------------------------------------------

def test_2024_figures_put_onto_the_new_units_are_the_sums_of_their_predecessors_counts():
    """Phường Hương Trà, Phường Kim Trà and Xã Bình Điền: their 2024 figures are the sums of the
    counts typed in their predecessors' nine workbooks, read here without the workbook's reader."""
    moved, not_comparable = onto_units(clean_values(2024), hue(), 2025)
    assert not_comparable == []
    assert sorted(moved["unit_code"].unique()) == sorted(hue().communes(2025)["code"])   # the 40 new units
    assert (moved["year"] == 2024).all()
    for code, files in HUONG_TRA_MERGERS.items():
        typed = [_counts_read_with_openpyxl(RAW_DIR / "2024" / name) for name in files]
        given_by_all = set.intersection(*(set(t) for t in typed))
        expected = {field: sum(t[field] for t in typed) for field in given_by_all}
        got = moved[moved["unit_code"] == code].set_index("field")["value"]
        assert len(expected) >= 40 and got.to_dict() == expected, code
        assert got.index.is_unique
        files_named = moved.loc[moved["unit_code"] == code, "file"].iloc[0]
        assert sorted(files_named.split("; ")) == sorted(files)
    # the unit list says the same mergers (the expected sums above do not come from it)
    went = successions(hue().units, 2024, 2025)
    for code, files in HUONG_TRA_MERGERS.items():
        assert sorted(went.loc[went["unit_code"] == code, "code"]) == sorted(f[:5] for f in files)


def test_a_field_missing_in_one_predecessor_is_missing_for_the_new_unit():
    values = clean_values(2024)
    gone = (values["unit_code"] == "20008") & (values["field"] == "pop_total")   # Hương Vân, one field
    moved, _ = onto_units(values[~gone], hue(), 2025)
    fields = set(moved.loc[moved["unit_code"] == "19996", "field"])
    assert "pop_total" not in fields and len(fields) == values["field"].nunique() - 1
    kim_tra = moved[moved["unit_code"] == "20017"]
    assert "pop_total" in set(kim_tra["field"])                  # the other new units keep it


# --- (e) a GSO code reused by the reform ---------------------------------------------------------

def test_a_value_of_2024_with_code_19996_is_tu_ha_s_not_phuong_huong_tra_s():
    values = clean_values(2024)
    tu_ha = values[values["unit_code"] == "19996"]
    # alone, Tứ Hạ's figures are not Phường Hương Trà's: its two other predecessors are missing
    alone, _ = onto_units(tu_ha, hue(), 2025)
    assert "19996" not in set(alone["unit_code"]) and alone.empty
    # with them, the sum, which is not Tứ Hạ's
    moved, _ = onto_units(values, hue(), 2025)
    population = moved[(moved["unit_code"] == "19996") & (moved["field"] == "pop_total")]["value"].iloc[0]
    tu_ha_population = tu_ha.loc[tu_ha["field"] == "pop_total", "value"].iloc[0]
    assert population > tu_ha_population * 2
    # put onto the units of 2024, Tứ Hạ stays itself
    same, _ = onto_units(tu_ha, hue(), 2024)
    pd.testing.assert_frame_equal(same, tu_ha.reset_index(drop=True))
    # 2025 values with 19996 are Phường Hương Trà's and stay; a 2025 value of a former code
    # (20008, Hương Vân, ended 30/6/2025) belongs to no unit of 2025
    this_year = clean_values(2025)
    ghost = this_year[this_year["unit_code"] == "19996"].assign(unit_code="20008")
    kept, _ = onto_units(pd.concat([this_year, ghost], ignore_index=True), hue(), 2025)
    pd.testing.assert_frame_equal(kept, this_year.reset_index(drop=True))


# --- (b) a split unit ----------------------------------------------------------------------------

def _synthetic(rows: dict[str, dict[str, int]], year: int) -> pd.DataFrame:
    frame = pd.DataFrame([(year, code, field, n, "", f"{code}.xlsx", "Số liệu", 9 + i)
                          for code, counts in rows.items() for i, (field, n) in enumerate(counts.items())],
                         columns=["year", "unit_code", "field", "value", "note", "file", "sheet", "row"])
    return frame.astype({"year": "Int64", "value": "Int64", "unit_code": "string", "row": "Int64"})


def test_a_unit_that_received_part_of_a_split_unit_is_not_comparable():
    """Hà Nội: Phường Ngọc Hà (00016) was divided between the new Phường Ba Đình (00004) and Phường
    Ngọc Hà (00008); Xã Minh Trí (00382) is Minh Trí, Minh Phú and Tân Dân merged whole."""
    units = hue().units
    ngoc_ha = units[(units["code"] == "00016") & units["valid_to"].notna()].iloc[0]
    assert ngoc_ha["split"] and ngoc_ha["successor_code"] == "00004+00008"
    counts = {"00004": 100, "00013": 200, "00016": 300, "00382": 10, "00397": 20, "00415": 30}
    values = _synthetic({code: {"pop_total": n, "literacy_classes": 1} for code, n in counts.items()}, 2024)
    moved, not_comparable = onto_units(values, hue(), 2025)
    assert not_comparable == ["00004", "00008"]
    assert set(moved["unit_code"]) == {"00382"}
    assert moved.set_index("field")["value"].to_dict() == {"pop_total": 60, "literacy_classes": 3}
    # onto the units of 2024 (before the split) every unit is itself, Ngọc Hà too
    same, none = onto_units(values, hue(), 2024)
    pd.testing.assert_frame_equal(same, values)
    assert none == []


def test_the_jump_check_says_a_not_comparable_unit_is_not_compared():
    last = _synthetic({"00004": {"pop_total": 100}, "00013": {"pop_total": 200}, "00016": {"pop_total": 300},
                       "00382": {"pop_total": 1000}, "00397": {"pop_total": 2000}, "00415": {"pop_total": 3000}},
                      2024)
    this = _synthetic({"00004": {"pop_total": 5000}, "00382": {"pop_total": 13000}}, 2025)   # both "jumped"
    problems = year_on_year_jumps(pd.concat([last, this], ignore_index=True), hue().for_year(2025))
    info = problems[problems["severity"] == INFO]
    assert len(info) == 1 and info["file"].iloc[0] == "00004.xlsx"
    assert "Phường Ba Đình (00004): không so sánh được với năm trước (đơn vị nhận một phần của đơn vị bị " \
           "chia tách)" in info["message"].iloc[0]
    warning = problems[problems["severity"] == WARNING]
    assert len(warning) == 1 and "đơn vị 00382" in warning["message"].iloc[0]
    assert "(6000 → 13000; năm trước là tổng của Xã Minh Trí (00382), Xã Minh Phú (00397), " \
           "Xã Tân Dân (00415))" in warning["message"].iloc[0]


# --- (c) the year-on-year check from 2024 to 2025 ------------------------------------------------

def test_the_jump_check_compares_a_new_unit_with_its_predecessors_sum():
    values = pd.concat([clean_values(2024), clean_values(2025)], ignore_index=True)
    ctx = hue().for_year(2025)
    assert year_on_year_jumps(values, ctx).empty                   # no merged unit flagged, nothing said
    # the check has teeth: by code alone, most of the 40 units would have "jumped"
    by_code = check_year_jumps(clean_values(2025), clean_values(2024), ctx.ref.fields, ctx.ref.ingest, ProblemLog())
    assert by_code.loc[by_code["field"] == "pop_total", "unit_code"].nunique() >= 30
    # a unit whose 2025 population was typed doubled is flagged, and only it
    doubled = values.copy()
    where = (doubled["year"] == 2025) & (doubled["unit_code"] == "20017") & (doubled["field"] == "pop_total")
    doubled.loc[where, "value"] = doubled.loc[where, "value"] * 2
    problems = year_on_year_jumps(doubled, ctx)
    assert problems["severity"].tolist() == [WARNING] and problems["column"].tolist() == ["Tổng dân số"]
    message = problems["message"].iloc[0]
    assert "đơn vị 20017" in message and "tổng của Xã Hương Toàn (20005), Phường Hương Xuân (20017), " \
                                         "Phường Hương Chữ (20020)" in message
    assert problems["file"].iloc[0] == "20017_kim_tra.xlsx"       # where the 2025 count was read


# --- the entity's history across the break -------------------------------------------------------

def test_the_province_history_adds_up_its_communes_of_each_year(values):
    ctx = hue().for_year(2026)
    tables = compute_year(values, ctx)
    assert tables.jumps.empty
    history = tables.history
    assert sorted(history["year"].unique()) == list(YEARS) and (history["unit_code"] == "46").all()
    learners = history[history["indicator_id"] == "L.6"].set_index("year")["value"]
    for year in YEARS:
        communes = hue().communes(year)["code"]
        assert len(communes) == (133 if year <= 2024 else 40)
        typed = values[(values["year"] == year) & (values["field"] == "literacy_learners")
                       & values["unit_code"].isin(communes)]
        assert learners[year] == typed["value"].sum()
    # a rate in every year, and the projection fitted on all six
    population_rate = history[history["indicator_id"] == "II.1"].set_index("year")["value"]
    assert population_rate.notna().all()
    assert set(tables.projection["years_used"]) == {",".join(str(y) for y in YEARS)}


def test_the_commune_entity_s_years_before_the_reform_are_its_three_predecessors(values):
    """Phường Hương Trà 2021-2024 (Tứ Hạ + Hương Văn + Hương Vân, by communes_of) is what the series
    module gives for those years on 19996 of 2025."""
    ref = Reference.load(entity="phuong_huong_tra")
    ctx = ref.for_year(2026)
    history = compute_history(values, ctx)
    assert sorted(history["year"].unique()) == list(YEARS) and (history["unit_code"] == "19996").all()
    unit = ref.communes(2025)
    for year in range(2021, 2025):
        assert sorted(ref.communes(year)["code"]) == ["19996", "20008", "20011"]
        moved, _ = onto_units(values[values["year"] == year], ref, 2025)
        again = compute_indicators(moved, ctx, year=year, communes=unit, entity_only=True)
        numbers = ["numerator", "denominator", "value"]
        mine = history[(history["year"] == year) & history["kind"].isin(["rate", "count"])]
        pd.testing.assert_frame_equal(mine[["indicator_id", *numbers]].reset_index(drop=True),
                                      again.loc[again["kind"].isin(["rate", "count"]),
                                                ["indicator_id", *numbers]].reset_index(drop=True))
        learners = values[(values["year"] == year) & (values["field"] == "literacy_learners")
                          & values["unit_code"].isin(["19996", "20008", "20011"])]["value"].sum()
        assert history[(history["year"] == year) & (history["indicator_id"] == "L.6")]["value"].iloc[0] == learners


@pytest.fixture(scope="module")
def ba_dinh(values) -> dict:
    """Phường Ba Đình (Hà Nội, 00004) as a commune entity: it received parts of split wards, so it
    has no comparable years before 2025. Its 2025-2026 figures are a Huế unit's, re-coded."""
    ref = hue()
    entity = dataclasses.replace(ref.entity, level="commune", code="00004", name="phường Ba Đình")
    ref = dataclasses.replace(ref, entity=entity)
    own = values[(values["year"] >= 2025) & (values["unit_code"] == "20017")].assign(unit_code="00004")
    old = values[values["year"] <= 2024].assign(unit_code=lambda v: v["unit_code"].where(
        v["unit_code"] != "19996", "00016"))                   # Ngọc Hà, which was split, among them
    return {"ref": ref, "values": pd.concat([old, own], ignore_index=True).astype(values.dtypes.to_dict())}


def test_a_commune_formed_with_part_of_a_split_unit_has_no_earlier_years(ba_dinh):
    ref, values = ba_dinh["ref"], ba_dinh["values"]
    assert not_comparable_years(ref, YEARS) == [2021, 2022, 2023, 2024]
    assert not_comparable_years(hue(), YEARS) == []
    assert not_comparable_years(Reference.load(entity="phuong_huong_tra"), YEARS) == []
    assert all(ref.communes(y).empty for y in range(2021, 2025))
    ctx = ref.for_year(2026)
    history = compute_history(values, ctx)
    assert sorted(history["year"].unique()) == [2025, 2026]          # no zeros for 2021-2024
    projection = project_year(history, ctx)
    assert set(projection["years_used"]) <= {"2025,2026", ""} and projection["projected"].notna().any()
    figure, alt = charts.trend_chart(history, ref.catalogue, "II.1", ref.wording, target_year=2030,
                                     district=ref.entity.name, breaks=reform_dates(ref.units),
                                     not_comparable=not_comparable_years(ref, ctx.years))
    note = ref.wording["charts"]["not_comparable"].format(years="2021-2024")
    texts = [t.get_text().replace("\n", " ") for t in figure.axes[0].texts]
    assert note in texts and note in alt and "không so sánh được" in note
    assert figure.axes[0].get_xlim()[0] < 2021                        # the years are on the axis, empty
    assert _reform_rules(figure) == [ref.wording["charts"]["reform"].format(date="01/7/2025")]


# --- (d) the trend chart's rule at the break -----------------------------------------------------

def _reform_rules(figure) -> list[str]:
    """The labels of the vertical lines at x = 2024.5 (between the reporting years 2024 and 2025)."""
    return [line.get_label() for line in figure.axes[0].lines
            if isinstance(line, Line2D) and list(line.get_xdata()) == [2024.5, 2024.5]]


def test_a_trend_chart_across_the_reform_draws_its_rule(values):
    ref = hue()
    assert reform_dates(ref.units) == [REFORM]
    ctx = ref.for_year(2026)
    tables = compute_year(values, ctx)
    label = ref.wording["charts"]["reform"].format(date="01/7/2025")
    assert label == "Sắp xếp đơn vị hành chính 01/7/2025"
    kwargs = {"target_year": 2030, "district": ref.entity.name, "breaks": reform_dates(ref.units)}
    figure, alt = charts.trend_chart(tables.history, ref.catalogue, "II.1", ref.wording, **kwargs)
    assert _reform_rules(figure) == [label]
    assert label in [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert ref.wording["charts"]["reform_alt"].format(before=2024, after=2025, reform=label) in alt
    # the same figure reused for years that do not span the reform: no rule, no words about it
    before = tables.history[tables.history["year"] <= 2024]
    again, alt_before = charts.trend_chart(before, ref.catalogue, "II.1", ref.wording, **kwargs, figure=figure)
    assert again is figure and _reform_rules(again) == [] and label not in alt_before
    after = tables.history[tables.history["year"] >= 2025]
    assert _reform_rules(charts.trend_chart(after, ref.catalogue, "II.1", ref.wording, **kwargs)[0]) == []
    # the annex's charts: every trend chart of 2026 says it
    made, _ = charts.rate_charts(tables.indicators, tables.history, ctx)
    trends = [c for c in made if c.kind == "trend"]
    assert trends and all(label in c.alt and label.encode() in c.image for c in trends)
