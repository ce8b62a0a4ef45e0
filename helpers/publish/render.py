"""Render an executed annex notebook as one self-contained HTML file."""

from __future__ import annotations

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


def render_annex_html(executed_notebook: Path, html_path: Path, title: str) -> Path:
    """Write the annex HTML next to the executed notebook, atomically."""
    notebook = nbformat.read(executed_notebook, as_version=4)
    return write_text_atomically(html_path, notebook_to_html(notebook, title))
