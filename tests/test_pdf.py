"""The PDF annex: A4, every label and value of the table in its text; no browser → skipped, said once.
A long-lived browser session (the DevTools fast path, helpers.publish.devtools_print) prints page
after page as one browser per page (--print-to-pdf) does, survives its browser dying, and leaves
nothing running."""

from __future__ import annotations

import os
import signal
import stat
import struct
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
from contexts import context
from running_processes import command_lines

from helpers.paths import PROJECT_ROOT
from helpers.processed import read_year_table
from helpers.publish import devtools_print, pdf
from helpers.publish.annex_table import build_annex, note_text, result_text, target_text
from helpers.reference import load_annex_wording, load_entity, load_groups, load_indicators
from helpers.run.batch import YearResult, print_summary

A4_POINTS = (595.28, 841.89)


def _collapse(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _pdf_text(path: Path) -> str:
    return _collapse(subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                                    check=True, text=True, encoding="utf-8").stdout)


def _page_size(path: Path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size:"))
    width, height = (float(v) for v in size.split(":")[1].split("pts")[0].split("x"))
    return width, height


def _page_count(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split(":")[1])


def _mentioning(text: str) -> list[list[str]]:
    """The running processes whose command line mentions ``text``."""
    return [arguments for arguments in command_lines() if any(text in part for part in arguments)]


def _is_a4(path: Path) -> bool:
    width, height = _page_size(path)
    return abs(width - A4_POINTS[0]) <= 1 and abs(height - A4_POINTS[1]) <= 1


def _page(path: Path, text: str) -> Path:
    """A small annex-like page: A4 and margins from @page, Vietnamese text, no script."""
    path.write_text('<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><style>'
                    "@page{size:A4;margin:18mm 15mm 18mm 20mm} body{font-family:serif}</style></head>"
                    f"<body><h1>{text}</h1><table><tr><td>Chỉ tiêu</td><td>97,29</td></tr></table></body></html>",
                    encoding="utf-8")
    return path


def _fake_browser(path: Path, body: str) -> Path:
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def _devtools_fake(handler: str) -> str:
    """The script of a fake browser speaking DevTools over its pipe: it reads NUL-ended JSON
    commands on descriptor 3 and passes each to ``handle(message)``, defined by ``handler``, which
    replies on descriptor 4 with ``answer`` (or ``event``)."""
    return f"#!{sys.executable}\n" + r"""import base64, json, os, sys

def send(reply):
    os.write(4, json.dumps(reply).encode() + b"\0")

def answer(message, result=None, **extra):
    send({"id": message["id"], "result": result or {}, **extra})

def event(method, tab, **params):
    send({"method": method, "sessionId": tab, "params": params})
""" + handler + r"""
received = b""
while True:
    chunk = os.read(3, 65536)
    if not chunk:
        sys.exit(0)
    received += chunk
    while b"\0" in received:
        raw, _, received = received.partition(b"\0")
        handle(json.loads(raw))
"""


# a "browser" that answers the session's first command on the DevTools pipe, then dies on the next one
DYING_BROWSER = _devtools_fake(r"""
with open(os.path.join(os.path.dirname(sys.argv[0]), "starts.txt"), "a") as starts:
    starts.write("start\n")

def handle(message):
    if message["method"] != "Browser.getVersion":
        sys.stderr.write("gone\n")
        sys.exit(5)
    answer(message, {"product": "Fake/1"})
""")

# a "browser" whose tabs load and print, but whose screenshots never come (a tab left in the background)
NO_FRAME_BROWSER = _devtools_fake(r"""
def handle(message):
    method, tab = message["method"], message.get("sessionId")
    if method == "Target.createTarget":
        answer(message, {"targetId": "T1"})
    elif method == "Target.attachToTarget":
        answer(message, {"sessionId": "S1"})
    elif method == "Page.navigate":
        answer(message, {"frameId": "F1", "loaderId": "L1"}, sessionId=tab)
        event("Page.lifecycleEvent", tab, frameId="F1", loaderId="L1", name="load")
    elif method == "Page.captureScreenshot":
        pass                                   # no frame: no answer
    elif method == "Page.printToPDF":
        answer(message, {"data": base64.b64encode(b"%PDF-1.4 fake").decode()}, sessionId=tab)
    else:
        answer(message, sessionId=tab) if tab else answer(message)
""")


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
    """The annex table of 2023 as the notebook builds it, as the texts a reader sees (what the PDF must show)."""
    ctx = context(2023)
    annex = build_annex(read_year_table(sample_build["processed"], 2023, "indicators"),
                        read_year_table(sample_build["processed"], 2023, "projection"), ctx)
    rows = list(annex.table.itertuples(index=False))
    return {"tt": [r.tt for r in rows], "target": [target_text(r) for r in rows],
            "result": [result_text(r) for r in rows], "note": [note_text(r, ctx) for r in rows]}


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
               wording["target_column"]["province"].format(target_year=2025, province=entity.province_word)]
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
    assert "Thị xã Hương Trà đạt chuẩn" not in text      # the draft text is the analysis report's


def test_official_annex_is_two_pages_numbered_and_without_caveats(pdf_2023):
    """What an official signs: the 2023 annex on at most two A4 pages, "Trang x/y", and none of the
    analyst's caveats (unverified thresholds, implausible values)."""
    pages = int(next(line for line in pdf_2023["info"].splitlines() if line.startswith("Pages:")).split()[1])
    assert pages <= 2
    assert all(f"Trang {n}/{pages}" in pdf_2023["text"] for n in range(1, pages + 1))
    for caveat in ("chưa được đối chiếu với văn bản gốc", "ngoài khoảng hợp lý", "đề nghị kiểm tra lại"):
        assert caveat not in pdf_2023["text"], caveat


def test_the_batch_prints_every_year_with_one_browser_per_two_workers(sample_build):
    """The workers ask the batch's print service; each of its browsers starts once (one browser
    on 2 cores prints every document of the four years: per year the annex, the analysis report
    and the feedback sheets, printed as one document and cut)."""
    years = sorted(sample_build["results"])
    assert all(sample_build["results"][y].pdf == "built" for y in years)
    [service] = sample_build["print_services"]
    jobs = min(os.cpu_count() or 1, len(years))
    assert len(service.sessions) == (jobs + 1) // 2
    assert service.session.starts == 1 and all(s.starts <= 1 for s in service.sessions)
    assert service.pages == 3 * len(years) == 12
    assert not any(s.running for s in service.sessions)


def test_the_session_prints_the_annex_as_one_browser_per_page_does(sample_build, pdf_2023, tmp_path):
    """The oracle of the DevTools fast path: the plain path, Chromium's own --print-to-pdf in a
    browser started for the page, prints the batch's 2023 annex with the same pages and text."""
    html = sample_build["output"] / "2023" / "annex_2023.html"
    plain = pdf.print_annex_pdf(html, tmp_path / "plain.pdf")          # no session: one browser for this page
    assert plain.status == "built", plain.summary
    assert _page_count(tmp_path / "plain.pdf") == _page_count(pdf_2023["path"]) > 1
    assert _pdf_text(tmp_path / "plain.pdf") == pdf_2023["text"]
    assert _is_a4(tmp_path / "plain.pdf")


def test_page_one_screenshot_is_written_for_review(sample_build):
    shot = sample_build["output"] / "2023" / "annex_2023_page1.png"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000


@pytest.mark.parametrize("in_session", [False, True], ids=["one-shot", "session"])
def test_without_a_browser_the_pdf_is_skipped_with_one_vietnamese_line(tmp_path, monkeypatch, in_session):
    monkeypatch.setattr(pdf, "find_browser", lambda *a, **k: None)
    html = tmp_path / "annex.html"
    html.write_text('<html lang="vi"><body>Phụ lục</body></html>', encoding="utf-8")
    session = pdf.BrowserSession() if in_session else None
    result = pdf.print_annex_pdf(html, tmp_path / "annex.pdf", screenshot_path=tmp_path / "page1.png",
                                 session=session)
    assert result.status == "skipped"
    assert result.summary == f"skipped: {result.reason}"
    assert "\n" not in result.reason and result.reason.startswith("Không tìm thấy trình duyệt")
    if sys.platform.startswith("linux"):
        assert "apt-get install chromium" in result.reason
    assert not (tmp_path / "annex.pdf").exists() and not (tmp_path / "page1.png").exists()


@pytest.mark.parametrize("in_session", [False, True], ids=["one-shot", "session"])
def test_a_failing_browser_is_reported_not_raised(tmp_path, in_session):
    fake = _fake_browser(tmp_path / "chromium", "#!/bin/sh\necho 'kaboom' >&2\nexit 3\n")
    html = tmp_path / "annex.html"
    html.write_text("<html></html>", encoding="utf-8")
    session = pdf.BrowserSession(fake) if in_session else None
    result = pdf.print_annex_pdf(html, tmp_path / "annex.pdf", browser=fake, session=session)
    assert result.status == "failed" and "mã 3" in result.reason and "kaboom" in result.reason
    assert not (tmp_path / "annex.pdf").exists()
    if session is not None:
        assert session.starts == 1 and not session.running  # a browser that cannot start is not tried again


def test_one_session_prints_two_pages_each_with_its_own_text(tmp_path):
    first, second = _page(tmp_path / "a.html", "Phụ lục năm 2022"), _page(tmp_path / "b.html", "Báo cáo năm 2023")
    with pdf.BrowserSession() as session:
        results = [pdf.print_annex_pdf(html, html.with_suffix(".pdf"), session=session) for html in (first, second)]
        assert [r.status for r in results] == ["built", "built"], [r.summary for r in results]
        assert session.starts == 1 and session.running       # one browser printed both
        _page(first, "Phụ lục đã sửa")                        # the same file again, changed: no stale copy
        again = pdf.print_annex_pdf(first, tmp_path / "a-again.pdf", session=session)
    assert not session.running
    texts = [_pdf_text(path) for path in (tmp_path / "a.pdf", tmp_path / "b.pdf", tmp_path / "a-again.pdf")]
    assert "Phụ lục năm 2022" in texts[0] and "Báo cáo năm 2023" not in texts[0]
    assert "Báo cáo năm 2023" in texts[1] and "Phụ lục năm 2022" not in texts[1]
    assert again.status == "built" and "Phụ lục đã sửa" in texts[2] and "Phụ lục năm 2022" not in texts[2]
    assert all("Chỉ tiêu 97,29" in text for text in texts)
    assert all(_is_a4(path) for path in (tmp_path / "a.pdf", tmp_path / "b.pdf", tmp_path / "a-again.pdf"))


def test_a_session_prints_every_page_in_one_kept_tab(tmp_path, monkeypatch):
    """A tab opened just after another closed was sometimes left in the background, where no
    screenshot ever came: the session keeps one tab, with and without screenshots in turn."""
    pages = [_page(tmp_path / f"{name}.html", f"Phụ lục {name}") for name in ("một", "hai", "ba")]
    with pdf.BrowserSession() as session:
        methods = []
        call = session._call
        monkeypatch.setattr(session, "_call", lambda method, *a, **k: methods.append(method) or call(method, *a, **k))
        results = [pdf.print_annex_pdf(html, html.with_suffix(".pdf"), session=session,
                                       screenshot_path=html.with_suffix(".png") if shot else None)
                   for html, shot in zip(pages, (True, False, True), strict=True)]
    assert [r.status for r in results] == ["built"] * 3, [r.summary for r in results]
    assert methods.count("Target.createTarget") == 1 and "Target.closeTarget" not in methods
    assert session.starts == 1
    for html in pages:
        text = _pdf_text(html.with_suffix(".pdf"))
        assert html.stem in text and _is_a4(html.with_suffix(".pdf"))
        assert sum(f"Phụ lục {other.stem}" in text for other in pages) == 1      # no page left over
    assert [r.screenshot is not None for r in results] == [True, False, True]
    assert pages[2].with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_session_whose_browser_was_killed_starts_a_new_one(tmp_path):
    first, second = _page(tmp_path / "a.html", "Trước"), _page(tmp_path / "b.html", "Sau khi khởi động lại")
    with pdf.BrowserSession() as session:
        assert pdf.print_annex_pdf(first, tmp_path / "a.pdf", session=session).status == "built"
        killed = session.pid
        os.killpg(killed, signal.SIGKILL)                     # the browser and its helper processes
        result = pdf.print_annex_pdf(second, tmp_path / "b.pdf", session=session)
        assert result.status == "built", result.summary
        assert session.starts == 2 and session.pid != killed
    assert "Sau khi khởi động lại" in _pdf_text(tmp_path / "b.pdf") and _is_a4(tmp_path / "b.pdf")


def test_a_browser_dying_during_a_print_is_started_once_more_then_reported(tmp_path):
    fake = _fake_browser(tmp_path / "dying-browser", DYING_BROWSER)
    with pdf.BrowserSession(fake, timeout=60) as session:
        session.start()
        result = pdf.print_annex_pdf(_page(tmp_path / "a.html", "Phụ lục"), tmp_path / "a.pdf",
                                     screenshot_path=tmp_path / "page1.png", session=session)
        assert result.status == "failed" and "mã 5" in result.reason and "gone" in result.reason, result.summary
        assert session.starts == 2 and not session.running
    assert (tmp_path / "starts.txt").read_text().splitlines() == ["start", "start"]
    assert not (tmp_path / "a.pdf").exists() and not (tmp_path / "page1.png").exists()


def test_a_browser_that_never_answers_is_stopped_after_the_timeout(tmp_path):
    pid_file = tmp_path / "pid"
    fake = _fake_browser(tmp_path / "silent-browser", f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 600\n")
    with pdf.BrowserSession(fake, timeout=1) as session:
        result = pdf.print_annex_pdf(_page(tmp_path / "a.html", "Phụ lục"), tmp_path / "a.pdf", session=session)
        assert result.status == "failed" and result.reason == "trình duyệt không trả lời sau 1 giây"
        assert not session.running
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)                 # stopped, not left behind
    assert not (tmp_path / "a.pdf").exists()


@pytest.mark.parametrize("in_session", [False, True], ids=["one-shot", "session"])
def test_the_screenshot_is_a_png_of_the_window_size(tmp_path, in_session):
    with pdf.BrowserSession() as session:
        result = pdf.print_annex_pdf(_page(tmp_path / "a.html", "Phụ lục"), tmp_path / "a.pdf",
                                     screenshot_path=tmp_path / "page1.png", session=session if in_session else None)
    assert result.status == "built" and result.screenshot == tmp_path / "page1.png", result.summary
    data = result.screenshot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == tuple(int(v) for v in pdf.SCREENSHOT_WINDOW.split(","))


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
    session = devtools_print.session_command(tmp_path / "chromium", tmp_path / "profile")
    assert "--remote-debugging-pipe" in session and f"--user-data-dir={tmp_path / 'profile'}" in session
    assert not any(flag.startswith("--virtual-time") for flag in session)  # the session waits for "load"
    assert "--no-pdf-header-footer" not in session  # with it Chromium 156 kills the DevTools tabs' renderers


def test_batch_summary_says_when_the_pdf_was_skipped(capsys):
    reason = pdf.install_hint("linux")
    print_summary([YearResult(year=2023, pdf=f"skipped: {reason}")], 1.0)
    out = capsys.readouterr().out
    assert f"PDF: {reason}" in out


def _ask_service(arguments: tuple, html: str, pdf_path: str, shot: str) -> str:
    """In another process: print one page through the service (what a batch worker does)."""
    result = pdf.PrintClient(*arguments).print_annex_pdf(Path(html), Path(pdf_path), screenshot_path=Path(shot))
    return result.summary


def test_a_print_service_prints_for_other_processes_with_one_browser(tmp_path):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pages = [_page(tmp_path / f"{year}.html", f"Phụ lục năm {year}") for year in (2021, 2022, 2023, 2024)]
    with pdf.PrintService() as service:
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as workers:
            summaries = list(workers.map(_ask_service, [service.client_arguments] * 4, [str(p) for p in pages],
                                         [str(p.with_suffix(".pdf")) for p in pages],
                                         [str(p.with_suffix(".png")) for p in pages]))
        assert summaries == ["built"] * 4
        assert service.session.starts == 1 and service.pages == 4      # one browser printed for both processes
    assert not service.session.running                                  # stopped with the service
    for year, page in zip((2021, 2022, 2023, 2024), pages, strict=True):
        text = _pdf_text(page.with_suffix(".pdf"))
        assert f"Phụ lục năm {year}" in text and _is_a4(page.with_suffix(".pdf"))
        assert all(f"năm {other}" not in text for other in (2021, 2022, 2023, 2024) if other != year)
        assert page.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_print_client_without_its_service_reports_failure_in_vietnamese(tmp_path):
    service = pdf.PrintService(pdf.BrowserSession(tmp_path / "no-browser-needed"))
    arguments = service.client_arguments
    service.close()
    result = pdf.PrintClient(*arguments).print_annex_pdf(_page(tmp_path / "a.html", "Phụ lục"), tmp_path / "a.pdf")
    assert result.status == "failed" and result.reason.startswith("không liên lạc được với tiến trình in PDF")
    assert not (tmp_path / "a.pdf").exists()


def test_a_print_service_refuses_a_client_without_its_key(tmp_path):
    with pdf.PrintService() as service:
        stranger = pdf.PrintClient(service.address, b"not the key")
        result = stranger.print_annex_pdf(_page(tmp_path / "a.html", "Phụ lục"), tmp_path / "a.pdf")
        assert result.status == "failed" and not (tmp_path / "a.pdf").exists()
        assert service.pages == 0 and service.session.starts == 0
        # the service still serves its own clients
        own = pdf.PrintClient(*service.client_arguments)
        assert own.print_annex_pdf(tmp_path / "a.html", tmp_path / "a.pdf").status == "built"
        assert service.pages == 1 and "Phụ lục" in _pdf_text(tmp_path / "a.pdf")


def test_a_screenshot_that_never_comes_is_given_up_and_the_pdf_still_printed(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(devtools_print, "SCREENSHOT_SECONDS", 0.5)
    fake = _fake_browser(tmp_path / "no-frame-browser", NO_FRAME_BROWSER)
    with pdf.BrowserSession(fake, timeout=30) as session:
        result = pdf.print_annex_pdf(_page(tmp_path / "a.html", "Phụ lục"), tmp_path / "a.pdf",
                                     screenshot_path=tmp_path / "page1.png", session=session)
        assert result.status == "built" and result.screenshot is None, result.summary
        assert (tmp_path / "a.pdf").read_bytes() == b"%PDF-1.4 fake" and not (tmp_path / "page1.png").exists()
        assert session.running and session.starts == 1            # the browser is kept for the next page
    assert "trang 1 không chụp được sau 0.5 giây; vẫn in PDF" in caplog.text


def test_a_print_service_with_two_browsers_uses_both(tmp_path):
    """Pages go to a free browser (the first, then the one that waited longest): both print."""
    import threading

    pages = [_page(tmp_path / f"{n}.html", f"Trang {n}") for n in range(4)]
    with pdf.PrintService(browsers=2) as service:
        clients = [pdf.PrintClient(*service.client_arguments) for _ in range(2)]
        results: dict[int, pdf.PdfResult] = {}

        def ask(client, numbers):
            for n in numbers:
                results[n] = client.print_annex_pdf(pages[n], pages[n].with_suffix(".pdf"))

        threads = [threading.Thread(target=ask, args=(client, numbers))
                   for client, numbers in zip(clients, ([0, 1], [2, 3]), strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert sorted(results) == [0, 1, 2, 3] and all(r.status == "built" for r in results.values())
        assert [s.starts for s in service.sessions] == [1, 1] and service.pages == 4
    assert not any(s.running for s in service.sessions)
    for n, page in enumerate(pages):
        assert f"Trang {n}" in _pdf_text(page.with_suffix(".pdf"))


def _crash_handler_databases() -> list[str]:
    """The --database of every Chromium crash handler running now."""
    return [a.split("=", 1)[1] for arguments in command_lines() if "crashpad" in arguments[0]
            for a in arguments if a.startswith("--database=")]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_browser_keeps_its_crash_reports_in_its_throw_away_folder(tmp_path):
    """Chromium keeps crash reports under $XDG_CONFIG_HOME, not in its profile: the session points
    it inside its own temporary folder, so a crashed print leaves nothing in the user's home."""
    environment = pdf.browser_environment(tmp_path)
    assert environment["XDG_CONFIG_HOME"] == str(tmp_path / "config") and environment["PATH"] == os.environ["PATH"]
    with pdf.BrowserSession() as session:
        session.start()
        work = session._work.name
        ours = [d for d in _crash_handler_databases() if d.startswith(work)]
        assert ours and all(d.startswith(str(Path(work) / "config")) for d in ours), _crash_handler_databases()
        assert _mentioning(work)                       # the browser, its helpers and its crash handler
    assert not Path(work).exists()
    assert _mentioning(work) == []                     # closed: none of them is left running


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_browser_stops_when_the_process_that_started_it_dies(tmp_path):
    """A batch killed outright leaves no browser behind: the browser runs in a session of its own
    (Ctrl-C does not reach it) and quits when its DevTools pipe from the dead process closes."""
    code = ("import sys, time\n"
            "from pathlib import Path\n"
            "from helpers.publish import pdf\n"
            "session = pdf.BrowserSession()\n"
            "result = pdf.print_annex_pdf(Path(sys.argv[1]), Path(sys.argv[2]), session=session)\n"
            "print(result.status, session._work.name, flush=True)\n"
            "time.sleep(600)\n")
    page = _page(tmp_path / "a.html", "Phụ lục")
    holder = subprocess.Popen([sys.executable, "-c", code, str(page), str(tmp_path / "a.pdf")], cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        status, work = holder.stdout.readline().split()
        assert status == "built" and _mentioning(work)
    finally:
        holder.kill()
        holder.communicate()
    deadline = time.monotonic() + 30
    while _mentioning(work) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _mentioning(work) == []


def test_a_failure_reason_skips_chromiums_dbus_noise():
    """The reason names what went wrong, not the D-Bus lines Chromium prints on every start here."""
    stderr = (
        "[1:1:1129/002139.9:ERROR:dbus/bus.cc:405] Failed to connect to the bus: Could not parse server address\n"
        "[1:2:1129/002140.1:FATAL:pdf_printer.cc:88] Không ghi được tệp PDF: hết chỗ trên đĩa\n"
        "[1:1:1129/002140.2:ERROR:dbus/object_proxy.cc:572] Failed to call method: org.freedesktop.DBus.NameHasOwner\n"
        "[1:3:1129/002140.3:ERROR:dbus/bus.cc:405] Failed to connect to the bus: Failed to connect to socket\n")
    reason = pdf.failure_reason(5, stderr)
    assert reason == ("trình duyệt báo lỗi (mã 5) [1:2:1129/002140.1:FATAL:pdf_printer.cc:88] "
                      "Không ghi được tệp PDF: hết chỗ trên đĩa")
    only_noise = "[1:1:1129/002139.9:ERROR:dbus/bus.cc:405] Failed to connect to the bus\n"
    assert pdf.failure_reason(1, only_noise).endswith("Failed to connect to the bus")   # nothing better to say
    assert pdf.failure_reason(1, "") == "trình duyệt báo lỗi (mã 1)"
