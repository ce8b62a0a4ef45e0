"""Charts: both charts for every rate indicator with data, as SVG with real text, hatched and
coloured when below target, no missing glyph (warnings are errors here), the same bytes however
they are drawn, embedded in the HTML with Vietnamese alt text."""

from __future__ import annotations

import base64
import io
import re
import subprocess
import warnings
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from contexts import context
from matplotlib.colors import to_hex
from matplotlib.patches import PathPatch, Rectangle
from PIL import Image

from helpers.compute.indicators import STATUS_NOT_MET
from helpers.processed import read_year_table
from helpers.publish import charts
from helpers.publish.render import external_references
from helpers.reference import communes_of, load_annex_wording, load_entity, load_indicators, load_units

pytestmark = pytest.mark.filterwarnings("error")
SVG = "{http://www.w3.org/2000/svg}"
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
        assert entity.code == context(2023).entity.code
        return charts.rate_charts(inputs["indicators"], inputs["history"], context(2023))


def test_every_rate_indicator_with_data_has_both_charts(charts_2023, inputs):
    made, notes = charts_2023
    rates = inputs["catalogue"].query("kind == 'rate'")["id"]
    drawn = {(c.indicator_id, c.kind) for c in made}
    assert {i for i, _ in drawn} == set(rates) - {"III.1"}
    assert all((i, "communes") in drawn and (i, "trend") in drawn for i in set(rates) - {"III.1"})
    assert len(notes) == 1 and "Không áp dụng" in notes[0]
    assert all(c.mime == "image/svg+xml" and ET.fromstring(c.image).tag == f"{SVG}svg" for c in made)


def test_chart_words_are_text_in_the_svg(charts_2023, inputs):
    """Titles, axis words, legend and values stay text (searchable in the HTML and the PDF)."""
    made, _ = charts_2023
    words = inputs["wording"]["charts"]
    svg = {(c.indicator_id, c.kind): _texts(c.image) for c in made}
    communes = " ".join(svg[("II.1", "communes")])
    assert "Số người trong độ tuổi lao động được trang bị năng lực thông tin" in communes
    assert "năm 2023" in communes and words["value_axis"] in communes and "Phường Tứ Hạ" in communes
    assert "Mục tiêu năm 2025: 50 %" in communes and words["met"] in communes and words["not_met"] in communes
    trend = svg[("L.1", "trend")]
    assert {"96,80", "97,05", "97,29", words["year_axis"]} <= set(trend)
    assert any(t.startswith("Ước tính đến năm 2025 (") for t in trend)
    assert not any(re.fullmatch(r"[\d.]*\d\.\d+", t) for texts in svg.values() for t in texts)  # decimal commas


def test_svg_loads_nothing_and_carries_no_date(charts_2023):
    made, _ = charts_2023
    for chart in made:
        text = chart.image.decode("utf-8")
        assert not external_references(text)
        assert all(ref.startswith(("#", "data:image/png;base64,")) for ref in re.findall(r'href="([^"]*)"', text))
        assert "dc:date" not in text and "matplotlib.org" not in text


def test_the_same_chart_gives_the_same_bytes(charts_2023, inputs):
    """A chart drawn again, alone in a new figure or in a figure reused from another indicator,
    is the same document as in the year's run (a reused figure keeps nothing of its last chart)."""
    entity = inputs["entity"]
    made = {(c.indicator_id, c.kind): c.image for c in charts_2023[0]}
    args = (inputs["indicators"], inputs["catalogue"], inputs["communes"])
    kwargs = {"year": 2023, "target_year": 2025, "units_noun": entity.units_noun}
    alone, _ = charts.commune_chart(*args, "III.3", inputs["wording"], **kwargs)
    assert charts.figure_svg(alone) == made[("III.3", "communes")]
    reused, _ = charts.commune_chart(*args, "L.1", inputs["wording"], **kwargs, figure=alone)
    assert reused is alone and charts.figure_svg(reused) == made[("L.1", "communes")]
    history = inputs["history"].query(f"unit_code == '{entity.code}' and year <= 2023")
    trend_kwargs = {"target_year": 2025, "district": entity.name}
    trend, _ = charts.trend_chart(history, inputs["catalogue"], "II.1", inputs["wording"], **trend_kwargs)
    again, _ = charts.trend_chart(history, inputs["catalogue"], "II.1", inputs["wording"], **trend_kwargs,
                                  figure=charts.trend_chart(history, inputs["catalogue"], "L.1", inputs["wording"],
                                                            **trend_kwargs)[0])
    assert charts.figure_svg(trend) == charts.figure_svg(again) == made[("II.1", "trend")]


def test_a_trend_chart_draws_the_reform_only_when_its_years_span_it(inputs, charts_2023):
    """The reform of 1/7/2025 (reference/units_vietnam.csv) is a labelled vertical rule between 2024
    and 2025 on a chart with years on both sides; the 2023 charts (2021-2023) have none."""
    from helpers.compute.series import reform_dates

    breaks = reform_dates(load_units())
    assert [(x, str(day)) for x, day in charts.reform_rules([2021, 2024, 2025], breaks)] == [(2024.5, "2025-07-01")]
    assert charts.reform_rules([2021, 2024], breaks) == [] and charts.reform_rules([2025, 2026], breaks) == []
    assert charts.reform_rules([2021, 2026], breaks) != []
    assert (charts.reform_day(breaks[0]), charts.years_text([2024, 2021, 2022, 2023, 2026])) == (
        "01/7/2025", "2021-2024, 2026")
    history, words = inputs["history"].query("unit_code == '480'"), inputs["wording"]["charts"]
    figure, alt = charts.trend_chart(history, inputs["catalogue"], "L.1", inputs["wording"], target_year=2025,
                                     district="thị xã Hương Trà", breaks=breaks)
    label = words["reform"].format(date="01/7/2025")
    assert not [line for line in figure.axes[0].lines if line.get_label() == label] and label not in alt
    shifted = history.assign(year=history["year"] + 2)              # the same values as 2023-2025
    figure, alt = charts.trend_chart(shifted, inputs["catalogue"], "L.1", inputs["wording"], target_year=2030,
                                     district="thị xã Hương Trà", breaks=breaks)
    rules = [line for line in figure.axes[0].lines if line.get_label() == label]
    assert len(rules) == 1 and list(rules[0].get_xdata()) == [2024.5, 2024.5]
    assert words["reform_alt"].format(before=2024, after=2025, reform=label) in alt
    assert all(label not in c.alt for c in charts_2023[0])


def test_alt_texts_are_vietnamese_sentences_with_the_numbers(charts_2023):
    made, _ = charts_2023
    alt = {(c.indicator_id, c.kind): c.alt for c in made}
    communes = alt[("II.1", "communes")]
    assert communes.startswith("Biểu đồ thanh: Số người trong độ tuổi lao động được trang bị năng lực thông tin")
    assert "Mục tiêu 50 %." in communes and "Chưa đạt mục tiêu: Phường Tứ Hạ" in communes
    trend = alt[("L.1", "trend")]
    assert "2021: 96,80 %; 2022: 97,05 %; 2023: 97,29 %." in trend and "2025" in trend
    assert not any(re.search(r"\d\.\d", a) for a in alt.values())  # decimal commas only


def test_communes_below_target_are_hatched_and_coloured(inputs, charts_2023):
    entity = inputs["entity"]
    figure, _ = charts.commune_chart(inputs["indicators"], inputs["catalogue"], inputs["communes"], "III.3",
                                     inputs["wording"], year=2023, target_year=2025,
                                     units_noun=entity.units_noun)
    rows = inputs["indicators"].query("indicator_id == 'III.3' and year == 2023 and unit_code != '480'")
    below = int((rows["status"] == STATUS_NOT_MET).sum())
    bars = figure.axes[0].containers[0]
    assert 0 < below < len(bars)
    hatched = [bar for bar in bars if bar.get_hatch()]
    assert len(hatched) == below and all(bar.get_rasterized() for bar in hatched)
    assert all(to_hex(bar.get_facecolor()) == charts.COLOUR_NOT_MET for bar in hatched)
    assert not any(bar.get_rasterized() for bar in bars if not bar.get_hatch())
    # the legend's key for "not met": orange, with the hatch as lines clipped to it
    legend = figure.axes[0].get_legend()
    lines = legend.findobj(lambda a: type(a) is PathPatch)
    keys = [r for r in legend.findobj(Rectangle) if to_hex(r.get_facecolor()) == charts.COLOUR_NOT_MET]
    assert len(keys) == 1 and not keys[0].get_hatch()  # no SVG pattern for the key either
    assert len(lines) == 1 and len(lines[0].get_path().vertices) > 0 and lines[0].get_clip_box() is not None


def test_hatching_is_drawn_into_the_svg_without_patterns(charts_2023, inputs):
    """A commune chart embeds an image (the hatched bars) exactly when some commune is below target;
    no chart has an SVG pattern (Chromium prints those blurred)."""
    rows = inputs["indicators"].query("year == 2023 and unit_code in @codes",
                                      local_dict={"codes": list(inputs["communes"]["code"])})
    below = set(rows.loc[rows["status"] == STATUS_NOT_MET, "indicator_id"])
    made, _ = charts_2023
    assert not any(b"<pattern" in c.image for c in made)
    communes = {c.indicator_id: ET.fromstring(c.image) for c in made if c.kind == "communes"}
    with_images = {i for i, svg in communes.items() if svg.find(f".//{SVG}image") is not None}
    assert with_images == below & set(communes) and len(with_images) >= 2
    # II.1: every commune below target, at about 40 %: the image is orange bars with dark hatch lines
    image = communes["II.1"].find(f".//{SVG}image")
    data = image.get("{http://www.w3.org/1999/xlink}href") or image.get("href")
    pixels = Image.open(io.BytesIO(base64.b64decode(data.split(",", 1)[1]))).convert("RGBA")
    counts = {f"#{r:02x}{g:02x}{b:02x}": n for n, (r, g, b, a) in pixels.getcolors(1 << 20) if a == 255}
    assert counts.get(charts.COLOUR_NOT_MET, 0) > 1000 and counts.get("#222222", 0) > 1000


def test_vietnamese_text_renders_without_missing_glyphs(inputs):
    catalogue = inputs["catalogue"].copy()
    catalogue.loc[catalogue["id"] == "II.1", "label"] = VIETNAMESE
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure, alt = charts.trend_chart(inputs["history"], catalogue, "II.1", inputs["wording"],
                                         target_year=2025, district="thị xã Hương Trà")
        svg = charts.figure_svg(figure)
    assert VIETNAMESE in alt and VIETNAMESE in " ".join(_texts(svg))
    assert "font-family: 'DejaVu Sans', sans-serif" in svg.decode("utf-8")
    # the check has teeth: a letter DejaVu Sans lacks is reported while the SVG is written
    catalogue.loc[catalogue["id"] == "II.1", "label"] = "中"
    figure, _ = charts.trend_chart(inputs["history"], catalogue, "II.1", inputs["wording"], target_year=2025,
                                   district="thị xã Hương Trà")
    with pytest.warns(UserWarning, match="missing from font"):
        charts.figure_svg(figure)


def test_html_embeds_the_charts_inline_with_alt_text(sample_build, charts_2023):
    html = (sample_build["output"] / "2023" / "analysis_2023.html").read_text(encoding="utf-8")
    parser = _Images()
    parser.feed(html)
    assert len(parser.images) == len(charts_2023[0])
    prefix = "data:image/svg+xml;base64,"
    assert all(src.startswith(prefix) for src, _ in parser.images)
    assert [base64.b64decode(src.removeprefix(prefix)) for src, _ in parser.images] == [
        c.image for c in charts_2023[0]]
    assert [alt for _, alt in parser.images] == [c.alt for c in charts_2023[0]]


def test_pdf_carries_the_chart_words_as_text(sample_build, charts_2023, inputs):
    """Chart titles are text in the printed analysis report too (found by search, copied, read aloud)."""
    path = sample_build["output"] / "2023" / "analysis_2023.pdf"
    if not path.exists():
        pytest.skip("no browser on this machine: no PDF")
    text = " ".join(subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
                                   text=True, encoding="utf-8").stdout.split())
    words, labels = inputs["wording"]["charts"], inputs["catalogue"].set_index("id")["label"]
    titles = [words["commune_title" if c.kind == "communes" else "trend_title"].format(
        label=labels[c.indicator_id], year=2023) for c in charts_2023[0]]
    one_line = [t for t in titles if len(t) <= charts.TITLE_WIDTH]  # longer titles are wrapped
    assert len(one_line) >= 10 and all(title in text for title in one_line)


def _texts(svg: bytes) -> list[str]:
    """The text of every ``<text>`` element of an SVG document."""
    return ["".join(node.itertext()) for node in ET.fromstring(svg).iter(f"{SVG}text")]


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append((dict(attrs).get("src", ""), dict(attrs).get("alt", "")))
