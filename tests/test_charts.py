"""Charts: both charts for every rate indicator with data, hatched when below target, no missing
glyph (warnings are errors here), embedded in the HTML with Vietnamese alt text."""

from __future__ import annotations

import re
import warnings
from html.parser import HTMLParser

import pytest

from helpers import charts
from helpers.annex import load_annex_wording
from helpers.indicators import STATUS_NOT_MET
from helpers.processed import read_year_table
from helpers.reference import load_entity, load_indicators, load_units
from helpers.validation import communes_of

pytestmark = pytest.mark.filterwarnings("error")
PNG = b"\x89PNG\r\n\x1a\n"
VIETNAMESE = "Ắ Ằ Ẳ Ẵ Ặ ấ ầ ẩ ẫ ậ ế ề ể ễ ệ ố ồ ổ ỗ ộ ớ ờ ở ỡ ợ ứ ừ ử ữ ự ỳ ỷ ỹ ỵ đ Đ ư ơ"


@pytest.fixture(scope="module")
def inputs(sample_build):
    entity = load_entity()
    return {
        "entity": entity, "wording": load_annex_wording(), "catalogue": load_indicators(),
        "communes": communes_of(entity, load_units(), 2023),
        "indicators": read_year_table(sample_build["processed"], 2023, "indicators"),
        "history": read_year_table(sample_build["processed"], 2023, "history"),
    }


@pytest.fixture(scope="module")
def charts_2023(inputs):
    entity = inputs["entity"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return charts.rate_charts(inputs["indicators"], inputs["history"], inputs["catalogue"], inputs["communes"],
                                  inputs["wording"], year=2023, target_year=entity.target_year,
                                  district=entity.name, district_code=entity.code, units_noun=entity.units_noun)


def test_every_rate_indicator_with_data_has_both_charts(charts_2023, inputs):
    made, notes = charts_2023
    rates = inputs["catalogue"].query("kind == 'rate'")["id"]
    drawn = {(c.indicator_id, c.kind) for c in made}
    assert {i for i, _ in drawn} == set(rates) - {"III.1"}
    assert all((i, "communes") in drawn and (i, "trend") in drawn for i in set(rates) - {"III.1"})
    assert len(notes) == 1 and "Không áp dụng" in notes[0]
    assert all(c.png.startswith(PNG) for c in made)


def test_alt_texts_are_vietnamese_sentences_with_the_numbers(charts_2023):
    made, _ = charts_2023
    alt = {(c.indicator_id, c.kind): c.alt for c in made}
    communes = alt[("II.1", "communes")]
    assert communes.startswith("Biểu đồ thanh: Số người trong độ tuổi lao động được trang bị năng lực thông tin")
    assert "Mục tiêu 50 %." in communes and "Chưa đạt mục tiêu: Phường Tứ Hạ" in communes
    trend = alt[("L.1", "trend")]
    assert "2021: 96,80 %; 2022: 97,05 %; 2023: 97,29 %." in trend and "2025" in trend
    assert not any(re.search(r"\d\.\d", a) for a in alt.values())  # decimal commas only


def test_communes_below_target_are_hatched(inputs):
    entity = inputs["entity"]
    figure, _ = charts.commune_chart(inputs["indicators"], inputs["catalogue"], inputs["communes"], "III.3",
                                     inputs["wording"], year=2023, target_year=entity.target_year,
                                     units_noun=entity.units_noun)
    rows = inputs["indicators"].query("indicator_id == 'III.3' and year == 2023 and unit_code != '480'")
    below = int((rows["status"] == STATUS_NOT_MET).sum())
    bars = figure.axes[0].containers[0]
    assert 0 < below < len(bars)
    assert sum(1 for bar in bars if bar.get_hatch()) == below


def test_vietnamese_text_renders_without_missing_glyphs(inputs):
    catalogue = inputs["catalogue"].copy()
    catalogue.loc[catalogue["id"] == "II.1", "label"] = VIETNAMESE
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure, alt = charts.trend_chart(inputs["history"], catalogue, "II.1", inputs["wording"],
                                         target_year=2025, district="thị xã Hương Trà")
        assert charts.figure_png(figure).startswith(PNG)
    assert VIETNAMESE in alt


def test_html_embeds_the_charts_inline_with_alt_text(sample_build, charts_2023):
    html = (sample_build["output"] / "2023" / "annex_2023.html").read_text(encoding="utf-8")
    parser = _Images()
    parser.feed(html)
    assert len(parser.images) == len(charts_2023[0])
    assert all(src.startswith("data:image/png;base64,") for src, _ in parser.images)
    assert [alt for _, alt in parser.images] == [c.alt for c in charts_2023[0]]


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append((dict(attrs).get("src", ""), dict(attrs).get("alt", "")))
