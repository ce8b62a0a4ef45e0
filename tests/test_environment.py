"""The project's own files: pins agree, notebooks are committed clean, Makefile is usable."""

from __future__ import annotations

import json
import re
import subprocess

import nbformat
import pytest

from helpers.paths import NOTEBOOKS_DIR, PROJECT_ROOT


def _pip_pins() -> dict[str, str]:
    pins = {}
    for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def _conda_pins() -> dict[str, str]:
    pins = {}
    for line in (PROJECT_ROOT / "environment.yml").read_text().splitlines():
        match = re.match(r"^\s*-\s+([A-Za-z0-9_.-]+)\s*(==|=)\s*([^\s#]+)", line)
        if match and match.group(1) != "python":
            pins[match.group(1).lower()] = match.group(3)
    return pins


def test_every_requirement_is_pinned():
    for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", line), line


def test_environment_yml_matches_requirements():
    assert _conda_pins() == _pip_pins()


def test_environment_yml_uses_python_311_from_conda_forge():
    text = (PROJECT_ROOT / "environment.yml").read_text()
    assert "- conda-forge" in text
    assert re.search(r"^\s*- python=3\.11\s*$", text, re.MULTILINE)


@pytest.mark.parametrize("path", sorted(NOTEBOOKS_DIR.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: {cell.source[:40]}"


@pytest.mark.parametrize("path", sorted(NOTEBOOKS_DIR.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_have_one_parameters_cell_and_no_functions(path):
    notebook = nbformat.read(path, as_version=4)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for line in tagged[0].source.splitlines():
        assert re.fullmatch(r'\w+: (int|str|float|bool) = .+  # .+', line), line
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not re.search(r"^\s*(def|class|lambda)\b", cell.source, re.MULTILINE), cell.source[:60]
    assert notebook.metadata["kernelspec"]["name"] == "xhht"


def test_notebook_json_is_valid_nbformat():
    for path in NOTEBOOKS_DIR.glob("*.ipynb"):
        nbformat.validate(nbformat.read(path, as_version=4))
        json.loads(path.read_text())


def test_make_without_target_lists_targets():
    result = subprocess.run(["make", "-s", "-C", str(PROJECT_ROOT)], capture_output=True, text=True, check=True)
    for target in ("annex", "test", "lab", "setup"):
        assert re.search(rf"make {target}\s+\S", result.stdout), result.stdout


def test_ci_runs_the_readme_test_command():
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "make test" in ci
    assert "make test" in readme and "make annex" in readme


@pytest.mark.parametrize("path", sorted(NOTEBOOKS_DIR.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_code_has_no_vietnamese_literals(path):
    """Labels an official reads come from reference/, not from strings typed in a notebook."""
    import ast
    import io
    import tokenize

    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        ast.parse(cell.source)
        for token in tokenize.generate_tokens(io.StringIO(cell.source).readline):
            if token.type == tokenize.STRING:
                assert token.string.isascii(), f"{path.name}: {token.string}"
