"""The PDF annex: A4, every label and value of the table in its text; no browser → skipped, said once."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import unicodedata

import pytest

from helpers import pdf
from helpers.annex import build_annex_table, load_annex_wording
from helpers.batch import YearResult, print_summary
from helpers.indicators import target_level_of
from helpers.processed import read_year_table
from helpers.reference import (
    load_entity,
    load_groups,
    load_indicators,
    load_standards,
    load_targets,
    load_units,
)
from helpers.validation import communes_of

A4_POINTS = (595.28, 841.89)


def _collapse(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@pytest.fixture(scope="module")
def pdf_2023(sample_build):
    path = sample_build["output"] / "2023" / "annex_2023.pdf"
    assert sample_build["results"][2023].pdf == "built", sample_build["results"][2023].pdf
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
                          text=True, encoding="utf-8").stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    return {"path": path, "text": _collapse(text), "info": info}


@pytest.fixture(scope="module")
def table_2023(sample_build):
    """The annex table of 2023 as the notebook builds it (what the PDF must show)."""
    entity, wording = load_entity(), load_annex_wording()
    standards, criteria = load_standards()
    indicators = read_year_table(sample_build["processed"], 2023, "indicators")
    projection = read_year_table(sample_build["processed"], 2023, "projection")
    return build_annex_table(indicators, load_indicators(), load_groups(), projection, standards, criteria,
                             load_targets(), entity, wording, year=2023, target_level=target_level_of(indicators),
                             communes=communes_of(entity, load_units(), 2023))


def test_pdf_is_a4(pdf_2023):
    size = next(line for line in pdf_2023["info"].splitlines() if line.startswith("Page size:"))
    width, height = (float(v) for v in size.split(":")[1].split("pts")[0].split("x"))
    assert abs(width - A4_POINTS[0]) <= 1 and abs(height - A4_POINTS[1]) <= 1, size


def test_pdf_text_carries_every_label_and_value_of_the_table(pdf_2023, table_2023):
    text = pdf_2023["text"]
    wording, entity = load_annex_wording(), load_entity()
    assert entity.title in text
    assert _collapse(entity.attachment_line(2023)) in text
    columns = wording["columns"]
    headers = [columns["tt"], columns["label"], columns["result"], columns["note"],
               wording["target_column"]["province"].format(target_year=entity.target_year)]
    for header in headers:
        assert _collapse(header) in text, header
    main = load_indicators()
    for label in main.loc[main["group"].isin(["I", "II", "III", "IV"]), "label"]:
        assert _collapse(label) in text, label
    for label in load_groups()["label"][:4]:
        assert _collapse(label) in text, label
    shown = [v for column in ("tt", "target", "result", "note") for v in table_2023[column] if v]
    assert {"10,3", "97,29", "66,7", "Đạt", "Không áp dụng", "Khó đạt (ước năm 2025: 11,5 %)"} <= set(shown)
    for value in shown:
        assert _collapse(value) in text, value
    assert "Thị xã Hương Trà đạt chuẩn" in text and "97,29 % (chỉ tiêu 99 %)" in text


def test_page_one_screenshot_is_written_for_review(sample_build):
    shot = sample_build["output"] / "2023" / "annex_2023_page1.png"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000


def test_without_a_browser_the_pdf_is_skipped_with_one_vietnamese_line(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "find_browser", lambda *a, **k: None)
    html = tmp_path / "annex.html"
    html.write_text('<html lang="vi"><body>Phụ lục</body></html>', encoding="utf-8")
    result = pdf.print_annex_pdf(html, tmp_path / "annex.pdf", screenshot_path=tmp_path / "page1.png")
    assert result.status == "skipped"
    assert result.summary == f"skipped: {result.reason}"
    assert "\n" not in result.reason and result.reason.startswith("Không tìm thấy trình duyệt")
    if sys.platform.startswith("linux"):
        assert "apt-get install chromium" in result.reason
    assert not (tmp_path / "annex.pdf").exists() and not (tmp_path / "page1.png").exists()


def test_a_failing_browser_is_reported_not_raised(tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'kaboom' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    html = tmp_path / "annex.html"
    html.write_text("<html></html>", encoding="utf-8")
    result = pdf.print_annex_pdf(html, tmp_path / "annex.pdf", browser=fake)
    assert result.status == "failed" and "mã 3" in result.reason and "kaboom" in result.reason
    assert not (tmp_path / "annex.pdf").exists()


def test_find_browser_looks_in_windows_install_folders_and_honours_the_override(tmp_path):
    chrome = tmp_path / "Google" / "Chrome" / "Application" / "chrome.exe"
    chrome.parent.mkdir(parents=True)
    chrome.write_bytes(b"")
    environ = {"PATH": str(tmp_path / "empty"), "PROGRAMFILES": str(tmp_path)}
    assert pdf.find_browser(environ, platform="win32") == chrome
    assert pdf.find_browser(environ, platform="linux") is None
    fake = tmp_path / "my-browser"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert pdf.find_browser({**environ, pdf.BROWSER_ENV: str(fake)}, platform="linux") == fake


def test_browser_command_is_headless_offline_and_without_header_footer(tmp_path):
    command = pdf.browser_command(tmp_path / "chromium", tmp_path / "profile", ["--print-to-pdf=x.pdf"],
                                  "file:///x.html")
    for flag in ("--headless", "--no-pdf-header-footer", "--disable-background-networking",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        assert flag in command
    assert ("--no-sandbox" in command) == (hasattr(os, "geteuid") and os.geteuid() == 0)


def test_batch_summary_says_when_the_pdf_was_skipped(capsys):
    reason = pdf.install_hint("linux")
    print_summary([YearResult(year=2023, pdf=f"skipped: {reason}")], 1.0)
    out = capsys.readouterr().out
    assert f"PDF: {reason}" in out
