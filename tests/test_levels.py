"""The reporting entity at each level (issue 13 points 1, 5, 6): a province (thành phố Huế) and a
commune (Phường Hương Trà) built from the bundled submissions through the real steps, read as
their annexes show them."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.checks.clean import clean_year
from helpers.compute.indicators import compute_year
from helpers.ingest.read import read_submissions
from helpers.paths import RAW_DIR
from helpers.processed import load_clean_history, save_clean_year
from helpers.publish.annex_table import build_annex, note_text, result_text, target_text
from helpers.publish.narrative import draft_report
from helpers.reference import Reference


def _build(folder, entity: str, years: list[int]) -> dict:
    """Clean every year into ``folder`` (the history), then compute and build the last year's annex."""
    ref = Reference.load(entity=entity)
    for year in years:
        ctx = ref.for_year(year)
        clean = clean_year(read_submissions(RAW_DIR / str(year), ctx), ctx)
        assert not (clean.problems["severity"] == "error").any(), clean.problems["message"].tolist()
        save_clean_year(folder, clean)
    built = {}
    for year in years:
        ctx = ref.for_year(year)
        tables = compute_year(load_clean_history(folder, ctx), ctx)
        built[year] = (ctx, tables, build_annex(tables.indicators, tables.projection, ctx))
    return built


@pytest.fixture(scope="module")
def hue(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("hue"), "hue", [2023, 2024, 2025, 2026])


@pytest.fixture(scope="module")
def commune(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("phuong"), "phuong_huong_tra", [2023, 2024, 2025])


def _row(annex, indicator_id: str):
    return next(r for r in annex.table.itertuples(index=False) if r.row_id == indicator_id)


def test_a_province_reports_the_share_of_its_communes_meeting_each_standard(hue):
    ctx, tables, annex = hue[2025]
    assert len(ctx.communes) == 40
    i6 = _row(annex, "I.6")
    assert i6.label == "Tỷ lệ xã, phường đạt chuẩn phổ cập giáo dục trung học cơ sở mức độ 3"
    # one A Lưới commune misses PCTHCS3 in the sample's 2025 (helpers/samples/hue_sample.py)
    communes = tables.indicators[(tables.indicators["indicator_id"] == "I.6")
                                 & (tables.indicators["unit_code"] != "46")]
    met = int((communes["status"] == "Đạt").sum())
    assert (met, len(communes)) == (39, 40)
    assert (int(i6.met), int(i6.total)) == (met, 40)
    assert result_text(i6) == "97,5"
    assert note_text(i6, ctx) == "39/40 xã, phường đạt chuẩn"
    # no province target for a share of communes: blank, with an official footnote
    assert target_text(i6) == ""
    assert any("về tỷ lệ xã, phường đạt chuẩn này" in text for text in annex.footnotes)
    # the province rule has no legal text yet: the analyst is told, the official annex is not
    assert (annex.caveats["kind"] == "standard_level").any()
    assert not any("chưa có văn bản xác nhận" in text for text in annex.footnotes)


def test_a_province_2025_is_the_phase_review_and_2026_compares_with_2030(hue):
    ctx25, tables25, annex25 = hue[2025]
    assert ctx25.target_year == 2025 and tables25.projection.empty
    iv1 = _row(annex25, "IV.1")
    assert iv1.status == "Chưa đạt" and note_text(iv1, ctx25) == "Chưa đạt mục tiêu năm 2025"
    ctx26, tables26, annex26 = hue[2026]
    assert ctx26.target_year == 2030 and not tables26.projection.empty
    assert "đến năm 2030" in annex26.target_header


def test_a_province_series_runs_from_its_old_communes_to_its_new_ones(hue):
    _, tables, _ = hue[2026]
    history = tables.history[tables.history["indicator_id"] == "II.1"].set_index("year")
    assert list(history.index) == [2023, 2024, 2025, 2026]
    # each year is Σ numerators / Σ denominators of that year's communes: 133 before, 40 after
    ctx24, tables24, _ = hue[2024]
    communes24 = tables24.indicators[(tables24.indicators["indicator_id"] == "II.1")
                                     & (tables24.indicators["unit_code"] != "46")]
    assert len(communes24) == 133
    expected = 100 * communes24["numerator"].sum() / communes24["denominator"].sum()
    assert history.loc[2024, "value"] == pytest.approx(float(expected))


def test_a_province_before_the_reform_is_worded_with_its_caveat(hue):
    _, _, annex = hue[2024]
    assert (annex.caveats["kind"] == "units").any()
    assert "Tỷ lệ của thành phố Huế tính bằng tổng tử số" in " ".join(annex.closing_notes())
    paragraph = draft_report(hue[2025][1].indicators, hue[2025][1].projection, hue[2025][0]).paragraphs[0]
    assert "39/40 xã, phường (97,5 %) đạt chuẩn phổ cập giáo dục trung học cơ sở mức độ 3" in paragraph


def test_a_commune_reports_its_own_verdict(commune):
    ctx, tables, annex = commune[2025]
    assert list(ctx.communes["code"]) == ["19996"]
    assert ctx.communes["full_name"].item() == "Phường Hương Trà"
    i1 = _row(annex, "I.1")
    assert i1.label == "Phường Hương Trà đạt chuẩn xóa mù chữ mức độ 2"
    assert result_text(i1) in ("Đạt", "Chưa đạt") and note_text(i1, ctx) == ""
    assert "L.7" not in set(annex.table["row_id"])        # a count of communes: not a commune's row
    # its code is its commune's: one row per indicator, no commune rows beside the entity's
    assert not tables.indicators.duplicated(["year", "unit_code", "indicator_id"]).any()
    assert not any("tổng tử số chia tổng mẫu số" in line for line in annex.closing_notes())


def test_a_commune_before_the_reform_adds_up_the_units_that_merged_into_it(commune, hue):
    ctx, tables, annex = commune[2024]
    assert sorted(ctx.communes["full_name"]) == ["Phường Hương Vân", "Phường Hương Văn", "Phường Tứ Hạ"]
    assert any("nay hợp thành phường Hương Trà" in line for line in annex.closing_notes())
    # not the thị xã's own plan (its "chỉ tiêu 99%"): the commune's plans are its own and the city's
    assert pd.isna(tables.indicators.set_index("indicator_id").loc["L.1", "target"])
    # its 2024 rate is Σ numerators / Σ denominators of the three, as the city's commune rows have them
    mine = tables.indicators.set_index("indicator_id").loc["II.1"]
    city = hue[2024][1].indicators
    three = city[(city["indicator_id"] == "II.1") & city["unit_code"].isin(["19996", "20008", "20011"])]
    assert len(three) == 3
    assert float(mine["numerator"]) == float(three["numerator"].sum())
    assert float(mine["denominator"]) == float(three["denominator"].sum())


def test_a_commune_entitys_matrix_row_is_its_own_not_the_former_unit_with_its_code(commune):
    """Before the reform the code 19996 was Phường Tứ Hạ's: the entity's row (the three units'
    sum) is named as the entity, and Tứ Hạ's feedback sheet does not show the sum as its own."""
    from helpers.publish.commune_tables import commune_matrix, ranked_commune_rates

    ctx, tables, _ = commune[2024]
    matrix = commune_matrix(tables.indicators, ctx)
    assert list(matrix["unit"]) == ["Phường Hương Trà"]
    assert ranked_commune_rates(tables.indicators, ctx).empty
    ctx25, tables25, _ = commune[2025]
    assert list(commune_matrix(tables25.indicators, ctx25)["unit"]) == ["Phường Hương Trà"]
    from helpers.publish.feedback import commune_feedback

    clean = clean_year(read_submissions(RAW_DIR / "2024", ctx), ctx)
    sheets = {s.name: s for s in commune_feedback(ctx, records=clean.records, problems=clean.problems,
                                                  indicators=tables.indicators)}
    assert sorted(sheets) == ["Phường Hương Vân", "Phường Hương Văn", "Phường Tứ Hạ"]
    assert all(s.indicators.empty for s in sheets.values())
    assert all(len(s.received) == 1 for s in sheets.values())          # each its own form, received


def test_a_commune_entitys_feedback_compares_with_the_targets_only(commune):
    """Its result is its own: no "kết quả chung" column repeating the same figures."""
    from helpers.publish.feedback import commune_feedback, feedback_workbook, render_feedback

    ctx, tables, _ = commune[2025]
    clean = clean_year(read_submissions(RAW_DIR / "2025", ctx), ctx)
    sheets = commune_feedback(ctx, records=clean.records, problems=clean.problems, indicators=tables.indicators)
    assert [s.code for s in sheets] == ["19996"] and len(sheets[0].indicators) > 0
    page = render_feedback(sheets, ctx)
    assert "Kết quả các chỉ tiêu của đơn vị so với mục tiêu" in page and "Kết quả chung" not in page
    book = feedback_workbook(sheets, ctx)
    texts = {c.value for row in book.worksheets[0].iter_rows() for c in row if isinstance(c.value, str)}
    assert not any(t.startswith("Kết quả chung") for t in texts)
