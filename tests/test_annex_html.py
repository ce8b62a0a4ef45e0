"""The 2023 HTML annex: the seed's wording, no code, nothing loaded from the network."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import pytest

from helpers.paths import PROJECT_ROOT
from helpers.publish.render import external_references
from helpers.reference import load_entity, load_groups, load_indicators

SEED_COLUMNS = [
    "TT", "Nội dung chỉ tiêu",
    "Mục tiêu theo kế hoạch thực hiện Đề án của tỉnh đến năm 2025 (tỷ lệ %)",
    "Kết quả thực hiện (tỷ lệ %)", "Ghi chú (ước thực hiện)",
]


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def annex_2023(sample_build):
    path = sample_build["output"] / "2023" / "annex_2023.html"
    html = path.read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(html)
    text = " ".join(" ".join(parser.text).split())
    return {"html": html, "tags": parser.tags, "text": text}


def test_html_is_vietnamese_and_nfc(annex_2023):
    assert re.search(r'<html[^>]*\blang="vi"', annex_2023["html"])
    assert unicodedata.is_normalized("NFC", annex_2023["text"])


def test_html_carries_the_seed_title_columns_and_labels(annex_2023):
    text = annex_2023["text"]
    entity = load_entity()
    assert entity.title == "BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC MỤC TIÊU CỦA ĐỀ ÁN"
    assert entity.title in text
    assert "(Kèm theo Báo cáo số /UBND-VX, ngày tháng 11 năm 2023 của UBND thị xã Hương Trà)" in text
    for column in SEED_COLUMNS:
        assert column in text, column
    main = load_indicators()
    main = main[main["group"].isin(["I", "II", "III", "IV"])]
    for label in main["label"]:
        assert label in text, label
    for label in load_groups()["label"][:4]:
        assert label in text, label


def test_html_shows_the_2023_results(annex_2023):
    text = annex_2023["text"]
    for value in ("10,3", "97,29", "66,7", "Không áp dụng"):
        assert value in text


def test_html_loads_nothing_from_the_network(annex_2023):
    assert external_references(annex_2023["html"]) == []
    assert "http://" not in annex_2023["html"] and "https://" not in annex_2023["html"]
    for tag, attrs in annex_2023["tags"]:
        assert tag not in ("script", "iframe", "object", "embed"), tag
        if tag == "link":
            assert attrs.get("rel") != "stylesheet" or not attrs.get("href"), attrs
        if tag == "img":
            assert attrs.get("src", "").startswith("data:"), attrs


def test_html_shows_no_code_and_no_parameters(annex_2023):
    classes = " ".join(attrs.get("class") or "" for _, attrs in annex_2023["tags"])
    assert "jp-InputArea" not in classes and "jp-InputPrompt" not in classes
    assert "jp-OutputArea" in classes
    for code in ("import ", "build_annex_table", "year: int", "processed_dir: str", "check_year("):
        assert code not in annex_2023["text"], code
    assert "Parameters" not in annex_2023["text"]


def test_external_reference_detector_finds_urls():
    assert external_references('<script src="https://cdn.example/require.js"></script>')
    assert external_references("<style>@import url(//fonts.example/x.css)</style>")
    assert external_references('<img src="http://example/x.png">')
    assert not external_references('<img src="data:image/png;base64,AAAA">')


def test_quality_section_carries_the_year_on_year_warnings(sample_build):
    """The indicator step's jump check (2024 against 2023's clean values) reaches the annex."""
    def text_of(year: int) -> str:
        parser = _Collector()
        parser.feed((sample_build["output"] / str(year) / f"analysis_{year}.html").read_text(encoding="utf-8"))
        return " ".join(" ".join(parser.text).split())

    jump = "của đơn vị 19996 thay đổi bất thường so với năm trước (0 → 209)"
    assert jump in text_of(2024)
    assert "thay đổi bất thường so với năm trước" not in text_of(2021)     # the first year has nothing to compare
    assert (sample_build["processed"] / "2024" / "jumps.csv").is_file()


def test_annex_exporter_gives_nbconverts_page_without_its_final_pass(sample_build):
    """AnnexExporter skips HTMLExporter's BeautifulSoup pass (alt placeholders, tabindex); the page
    is otherwise nbconvert's own, and every chart already has a Vietnamese alt text."""
    import nbformat
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    from helpers.publish.render import annex_exporter

    notebook = nbformat.read(sample_build["output"] / "2023" / "03_annex.ipynb", as_version=4)
    resources = {"metadata": {"name": "Phụ lục"}}
    ours, _ = annex_exporter().from_notebook_node(notebook, resources=dict(resources))
    assert annex_exporter() is annex_exporter()          # one exporter per process
    again, _ = annex_exporter().from_notebook_node(notebook, resources=dict(resources))
    assert again == ours

    reference = HTMLExporter(**{name: getattr(annex_exporter(), name) for name in (
        "extra_template_basedirs", "template_name", "exclude_input", "exclude_input_prompt",
        "exclude_output_prompt", "language_code")})
    reference.register_preprocessor(annex_exporter()._preprocessors[-1], enabled=True)
    theirs, _ = reference.from_notebook_node(notebook, resources=dict(resources))
    soup = BeautifulSoup(ours, features="html.parser")
    images = soup.select("img")
    assert len(images) >= 30 and all(img.get("alt", "").strip() for img in images)
    for element in soup.select(".jp-Notebook div.jp-OutputArea-output"):
        element.attrs["tabindex"] = "0"
    assert str(soup) == theirs
    assert "No description has been provided" not in ours


def test_each_indicator_row_names_its_indicator_id(annex_2023):
    """Three hops: an annex cell → its row of reference/indicators.csv (data-indicator) → the
    function that computes it (reference/indicators.csv names it)."""
    rows = {attrs["data-indicator"] for tag, attrs in annex_2023["tags"] if tag == "tr" and "data-indicator" in attrs}
    assert rows == set(load_indicators()["id"])
    comment = (PROJECT_ROOT / "reference" / "indicators.csv").read_text(encoding="utf-8")
    assert "helpers.compute.indicators.compute_indicators" in comment


def test_style_sheet_is_emitted_once(annex_2023):
    assert annex_2023["html"].count(".annex{font-family") == 1


def test_quality_section_is_quality_csv(sample_build):
    """The annex's data-quality list is exactly quality.csv (the clean step's problems and the jumps)."""
    import pandas as pd

    for year in (2023, 2024):
        quality = pd.read_csv(sample_build["processed"] / str(year) / "quality.csv", encoding="utf-8-sig")
        html = (sample_build["output"] / str(year) / f"analysis_{year}.html").read_text(encoding="utf-8")
        section = html[html.index("Chất lượng số liệu"):html.index("Nguồn gốc số liệu")]
        parser = _Collector()
        parser.feed(section)
        cells = [t.strip() for t in parser.text if t.strip()]
        assert len(quality) > 0
        for severity, text in zip(quality["severity"], quality["text"], strict=True):
            assert severity in cells and text in cells, text
        assert sum(cells.count(s) for s in ("Lỗi", "Cảnh báo", "Thông tin")) == len(quality)


def test_analysis_report_holds_the_analysts_sections(sample_build):
    """analysis_<year>.html: caveats, the per-commune matrix, charts, draft text, reconciliation,
    quality and provenance; annex_<year>.html: none of them."""
    from helpers.reference import load_annex_wording

    wording = load_annex_wording()
    analysis = (sample_build["output"] / "2023" / "analysis_2023.html").read_text(encoding="utf-8")
    annex = (sample_build["output"] / "2023" / "annex_2023.html").read_text(encoding="utf-8")
    sections = [wording["analysis"]["caveats"], wording["levels"]["district"]["matrix"], wording["charts"]["section"],
                wording["narrative"]["section"], wording["sections"]["reconciliation"],
                wording["sections"]["quality"], wording["sections"]["provenance"]]
    for title in sections:
        assert f"<h2>{title}</h2>" in analysis, title
        assert f"<h2>{title}</h2>" not in annex, title
    assert analysis.count('<table class="matrix">') == 1 and analysis.count("<figure") >= 20
    assert "BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC MỤC TIÊU CỦA ĐỀ ÁN" in annex
