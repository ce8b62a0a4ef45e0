"""make lab: JupyterLab rooted at the project, in Vietnamese, one kernel, no news pop-up (issue 15)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from helpers.run import lab


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, token: str) -> object:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A JupyterLab server started as make lab starts it, with its settings in a copy of the
    environment's prefix layout (the real .venv is not touched by the test)."""
    lab.write_lab_settings()                 # what make lab does before starting
    port, token = _free_port(), "xhht-test-token"
    env = dict(os.environ)
    command = lab.lab_command(port=port, extra=(f"--IdentityProvider.token={token}",))
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                _get(port, "/api/status", token)
                break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("JupyterLab did not start: " + process.stderr.read1().decode(errors="replace")[-800:])
        yield port, token
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_file_browser_is_rooted_at_the_project(server):
    port, token = server
    names = {item["name"] for item in _get(port, "/api/contents/", token)["content"]}
    assert {"notebooks", "data", "output", "reference"} <= names
    notebooks = {item["name"] for item in _get(port, "/api/contents/notebooks", token)["content"]}
    assert {"01_clean.ipynb", "02_indicators.ipynb", "03_annex.ipynb"} <= notebooks


def test_one_kernel_the_projects(server):
    port, token = server
    specs = _get(port, "/api/kernelspecs", token)
    assert list(specs["kernelspecs"]) == [lab.KERNEL] and specs["default"] == lab.KERNEL


def test_vietnamese_interface_and_no_news(server):
    port, token = server
    languages = _get(port, "/lab/api/translations", token)["data"]
    assert lab.LOCALE in languages, sorted(languages)
    translation = _get(port, "/lab/api/settings/@jupyterlab/translation-extension:plugin", token)
    assert translation["schema"]["properties"]["locale"]["default"] == lab.LOCALE
    notification = _get(port, "/lab/api/settings/@jupyterlab/apputils-extension:notification", token)
    assert notification["schema"]["properties"]["fetchNews"]["default"] == "false"


def test_lab_settings_live_in_the_environment_not_home():
    assert Path(sys.prefix) in lab.settings_path().parents
