"""Render the executed annex notebook as two self-contained HTML documents: the official annex
(cells tagged ``official``: what an official signs) and the analysis report (cells tagged
``analysis``: everything an analyst checks first)."""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import TagRemovePreprocessor

from helpers.storage import write_text_atomically

TEMPLATES = Path(__file__).parent / "nbconvert_templates"
REMOVED_TAGS = {"parameters", "injected-parameters", "notebook-only"}
OFFICIAL, ANALYSIS = "official", "analysis"   # the cell tags of 03_annex's two documents
EXTERNAL_URL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|@import|url\(\s*["']?(?:https?:)?//""",
                          re.IGNORECASE)


class AnnexExporter(HTMLExporter):
    """nbconvert's HTML exporter without its final pass over the page.

    ``HTMLExporter.from_notebook_node`` ends by parsing the whole page again with BeautifulSoup to
    give an English placeholder alt text to images that have none and ``tabindex`` to the cells
    of an interactive notebook. The annex has no code cells, and its charts carry Vietnamese alt
    text (``helpers.publish.charts``); the pass was most of a conversion's time, and its output is
    otherwise the same page (tests/test_annex_html.py compares them).
    """

    def from_notebook_node(self, nb, resources=None, **kw):
        # the filters HTMLExporter registers before rendering, as it does
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name", None))
        highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        resources = self._init_resources(resources)
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


@functools.cache
def annex_exporter() -> HTMLExporter:
    """The exporter that hides code, prompts and helper cells, with ``<html lang="vi">``; one per
    process (a new one compiles its Jinja templates again for every annex)."""
    exporter = AnnexExporter(extra_template_basedirs=[str(TEMPLATES)], template_name="annex")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.language_code = "vi"
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags=REMOVED_TAGS, enabled=True), enabled=True)
    return exporter


STYLE_BLOCK = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.DOTALL | re.IGNORECASE)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def _strip_css_comments(html_text: str) -> str:
    """Drop comments inside <style> blocks (JupyterLab's theme cites web pages there)."""
    return STYLE_BLOCK.sub(lambda m: m.group(1) + CSS_COMMENT.sub("", m.group(2)) + m.group(3), html_text)


def notebook_to_html(notebook: nbformat.NotebookNode, title: str) -> str:
    """The annex HTML of an executed notebook."""
    body, _ = annex_exporter().from_notebook_node(notebook, resources={"metadata": {"name": title}})
    return _strip_css_comments(body)


def external_references(html_text: str) -> list[str]:
    """Places where the HTML would load something from the network (should be empty)."""
    return [m.group(0) for m in EXTERNAL_URL.finditer(html_text)]


def document_of(notebook: nbformat.NotebookNode, document: str) -> nbformat.NotebookNode:
    """The notebook with only the cells of ``document`` (``official`` or ``analysis``) among the
    tagged ones; untagged cells (parameters, imports, loading) are kept and hidden as usual."""
    other = ANALYSIS if document == OFFICIAL else OFFICIAL
    kept = copy.copy(notebook)
    kept.cells = [c for c in notebook.cells if other not in c.get("metadata", {}).get("tags", [])]
    return kept


def render_documents(executed_notebook: Path, annex_path: Path, analysis_path: Path, *, annex_title: str,
                     analysis_title: str) -> tuple[Path, Path]:
    """Write the annex and the analysis report of an executed 03_annex notebook, atomically."""
    notebook = nbformat.read(executed_notebook, as_version=4)
    write_text_atomically(annex_path, notebook_to_html(document_of(notebook, OFFICIAL), annex_title))
    write_text_atomically(analysis_path, notebook_to_html(document_of(notebook, ANALYSIS), analysis_title))
    return annex_path, analysis_path


def analysis_path_of(annex_path: Path) -> Path:
    """Where the analysis report of an annex goes: ``analysis_<year>.html`` beside ``annex_<year>.html``."""
    return Path(annex_path).with_name(Path(annex_path).name.replace("annex_", "analysis_", 1))


def render_annex_html(executed_notebook: Path, html_path: Path, title: str) -> Path:
    """Write the official annex of an executed notebook, and its analysis report beside it
    (:func:`analysis_path_of`), atomically; returns the annex's path."""
    render_documents(executed_notebook, html_path, analysis_path_of(html_path), annex_title=title,
                     analysis_title=title.replace("Phụ lục", "Báo cáo phân tích", 1))
    return Path(html_path)
