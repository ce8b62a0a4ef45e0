"""Render an executed annex notebook as one self-contained HTML file."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from helpers.storage import write_text_atomically

TEMPLATES = Path(__file__).parent / "nbconvert_templates"
REMOVED_TAGS = {"parameters", "injected-parameters", "notebook-only"}
EXTERNAL_URL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|@import|url\(\s*["']?(?:https?:)?//""",
                          re.IGNORECASE)


def annex_exporter() -> HTMLExporter:
    """An HTMLExporter that hides code, prompts and helper cells, with ``<html lang="vi">``."""
    exporter = HTMLExporter(extra_template_basedirs=[str(TEMPLATES)], template_name="annex")
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
