"""Draft sentences for section 2a): the seed's wording from the numbers, nothing from missing data."""

from __future__ import annotations

import unicodedata

import pandas as pd
import pytest
from contexts import context

from helpers.compute.indicators import STATUS_MISSING
from helpers.processed import read_year_table
from helpers.publish.annex_table import build_annex, target_text
from helpers.publish.narrative import draft_report


@pytest.fixture(scope="module")
def inputs(sample_build):
    return {
        "indicators": read_year_table(sample_build["processed"], 2023, "indicators"),
        "projection": read_year_table(sample_build["processed"], 2023, "projection"),
    }


def _draft(indicators, projection, year=2023):
    return draft_report(indicators, projection, context(year))


def test_2023_draft_states_the_seed_figures(inputs):
    draft = _draft(inputs["indicators"], inputs["projection"])
    text = " ".join(draft.paragraphs)
    assert ("Năm 2023, tỉ lệ người trong độ tuổi 15-60 biết chữ mức độ 1 đạt 97,29 % (chỉ tiêu 99 %), "
            "thấp hơn chỉ tiêu 1,71 điểm phần trăm.") in text
    assert "đã mở 15 lớp xóa mù chữ cho 98 người của 9/9 phường, xã." in text
    assert "Có 25/26 đơn vị được công nhận “Đơn vị học tập” cấp xã (đạt 96 %)." in text
    assert "đạt 10,3 % (chỉ tiêu 12 %), thấp hơn chỉ tiêu 1,7 điểm phần trăm." in text
    assert unicodedata.is_normalized("NFC", text)
    for bad in ("2023.0", "nan", "None", "<NA>", "{", "}"):
        assert bad not in text, bad
    assert draft.paragraphs[0].startswith("Đối với công tác phổ cập giáo dục, xóa mù chữ:")
    assert any("chưa được đối chiếu với văn bản gốc" in note for note in draft.notes)


def test_standards_sentence_names_the_highest_level_met_only(inputs):
    first = _draft(inputs["indicators"], inputs["projection"]).paragraphs[0]
    assert ("Thị xã Hương Trà đạt chuẩn xóa mù chữ mức độ 2, phổ cập giáo dục mầm non cho trẻ em 5 tuổi, "
            "phổ cập giáo dục tiểu học mức độ 3, phổ cập giáo dục trung học cơ sở mức độ 3.") in first
    assert "tiểu học mức độ 2" not in first


def _without(indicators: pd.DataFrame, indicator_id: str) -> pd.DataFrame:
    district = (indicators["unit_code"] == "480") & (indicators["indicator_id"] == indicator_id)
    changed = indicators.copy()
    changed.loc[district, ["value", "numerator", "denominator"]] = pd.NA
    changed.loc[district, "status"] = STATUS_MISSING
    return changed


def test_no_sentence_when_its_data_is_missing(inputs):
    text = " ".join(_draft(_without(inputs["indicators"], "L.1"), inputs["projection"]).paragraphs)
    assert "biết chữ" not in text and "lớp xóa mù chữ" in text
    text = " ".join(_draft(_without(inputs["indicators"], "L.6"), inputs["projection"]).paragraphs)
    assert "lớp xóa mù chữ cho" not in text and "97,29 %" in text
    empty = inputs["indicators"].iloc[0:0]
    assert _draft(empty, inputs["projection"].iloc[0:0]).paragraphs == []


def test_html_has_the_draft_section(sample_build):
    html = (sample_build["output"] / "2023" / "analysis_2023.html").read_text(encoding="utf-8")
    assert "Nội dung gợi ý cho báo cáo" in html
    assert "đạt 97,29 % (chỉ tiêu 99 %)" in html


def test_draft_and_annex_row_cite_the_same_target(inputs):
    # one rule picks the target (helpers.compute.rules.select_targets): the seed's "chỉ tiêu 99%"
    # for literacy is the thị xã's own plan, used where the province plan has none, in both places
    annex = build_annex(inputs["indicators"], inputs["projection"], context(2023))
    l1 = next(annex.table[annex.table["row_id"] == "L.1"].itertuples(index=False))
    assert target_text(l1) == "99"
    assert any("dùng mục tiêu của" in note for note in annex.footnotes)
    text = " ".join(_draft(inputs["indicators"], inputs["projection"]).paragraphs)
    assert "97,29 % (chỉ tiêu 99 %)" in text
