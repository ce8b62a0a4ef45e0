"""Print the annex HTML to an A4 PDF (and a page-1 screenshot) with a browser on the machine.

Chromium on Debian/Ubuntu (``make setup`` installs it as root), Chrome or Edge on Windows and
macOS. The page size and margins come from the annex's CSS (``@page``); the browser adds no
header or footer and never touches the network or the user's profile. Without a browser the
result is "skipped" with one Vietnamese line saying how to install one: the HTML annex stands
on its own.

Two ways to print: one browser start per page (``--print-to-pdf``, any platform: the plain
path), or the fast path of :mod:`helpers.publish.devtools_print`, a
:class:`~helpers.publish.devtools_print.BrowserSession` that keeps one headless browser running
and drives it over the DevTools protocol (``--remote-debugging-pipe``, POSIX). The batch's
process keeps its sessions in a :class:`PrintService`, which prints year after year for every
worker process.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Listener
from pathlib import Path

from helpers.publish.devtools_print import STOP_SECONDS, BrowserSession, capture_in_session, dying_with_parent
from helpers.storage import write_bytes_atomically

log = logging.getLogger(__name__)

BROWSER_ENV = "XHHT_BROWSER"  # a browser executable chosen by the user (overrides the search)
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome",
                 "microsoft-edge", "microsoft-edge-stable", "msedge")
WINDOWS_PATHS = (  # under %PROGRAMFILES%, %PROGRAMFILES(X86)% or %LOCALAPPDATA%
    ("Google", "Chrome", "Application", "chrome.exe"),
    ("Microsoft", "Edge", "Application", "msedge.exe"),
    ("Chromium", "Application", "chrome.exe"),
)
WINDOWS_ROOTS = ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")
MACOS_PATHS = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
)
COMMON_FLAGS = (
    "--headless", "--disable-gpu", "--no-pdf-header-footer", "--generate-pdf-document-outline",
    "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps",
    "--no-first-run", "--no-default-browser-check", "--mute-audio", "--hide-scrollbars",
    "--run-all-compositor-stages-before-draw", "--virtual-time-budget=5000",
)
SCREENSHOT_WINDOW = "1000,1414"  # A4 proportions
TIMEOUT_SECONDS = 180
INSTALL_HINT = {
    "linux": "Không tìm thấy trình duyệt Chromium/Chrome để in PDF, bỏ qua PDF (HTML vẫn được lập); "
             "cài bằng: sudo apt-get install chromium",
    "win32": "Không tìm thấy Google Chrome hoặc Microsoft Edge để in PDF, bỏ qua PDF (HTML vẫn được lập); "
             "hãy cài Google Chrome hoặc Microsoft Edge",
    "darwin": "Không tìm thấy Google Chrome, Chromium hoặc Microsoft Edge để in PDF, bỏ qua PDF "
              "(HTML vẫn được lập); hãy cài Google Chrome",
}


@dataclass(frozen=True)
class PdfResult:
    """What happened to the PDF: built, skipped (no browser) or failed (the browser failed)."""

    status: str                       # built | skipped | failed
    reason: str = ""                  # one Vietnamese line when not built
    pdf: Path | None = None
    screenshot: Path | None = None
    browser: str = ""

    @property
    def summary(self) -> str:
        """"built", or "skipped: <reason>" / "failed: <reason>" (for the batch's summary)."""
        return self.status if self.status == "built" else f"{self.status}: {self.reason}"


def find_browser(environ: Mapping[str, str] | None = None, platform: str | None = None) -> Path | None:
    """The first Chromium-family browser found: ``$XHHT_BROWSER``, then the PATH, then the
    usual install folders of Windows and macOS."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    chosen = environ.get(BROWSER_ENV, "").strip()
    if chosen:
        found = shutil.which(chosen)
        return Path(found) if found else None
    for name in BROWSER_NAMES:
        found = shutil.which(name, path=environ.get("PATH"))
        if found:
            return Path(found)
    candidates: list[Path] = []
    if platform == "win32":
        candidates = [Path(environ[root], *parts) for root in WINDOWS_ROOTS if environ.get(root)
                      for parts in WINDOWS_PATHS]
    elif platform == "darwin":
        candidates = [Path(p) for p in MACOS_PATHS]
    return next((c for c in candidates if c.is_file()), None)


def install_hint(platform: str | None = None) -> str:
    """One Vietnamese line: no browser, PDF skipped, how to install one."""
    platform = sys.platform if platform is None else platform
    return INSTALL_HINT.get(platform, INSTALL_HINT["linux"])


def browser_command(browser: Path, profile_dir: Path, action: list[str], url: str) -> list[str]:
    """The command line printing or capturing ``url`` in a throw-away profile, offline-minded."""
    return [*launch_command(browser, profile_dir, COMMON_FLAGS), *action, url]


def launch_command(browser: Path, profile_dir: Path, flags: tuple[str, ...]) -> list[str]:
    """The browser with ``flags`` in the profile ``profile_dir`` (and ``--no-sandbox`` as root)."""
    command = [str(browser), *flags, f"--user-data-dir={profile_dir}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return command


def browser_environment(work_dir: Path) -> dict[str, str]:
    """The browser's environment: its configuration and cache folders inside ``work_dir`` (thrown
    away with it). Chromium on Linux keeps its crash reports under ``$XDG_CONFIG_HOME`` whatever
    its profile, and ``--crash-dumps-dir`` does not move them; without this a crashed print left
    dumps in the user's ``~/.config/chromium``."""
    return {**os.environ, "XDG_CONFIG_HOME": str(Path(work_dir) / "config"),
            "XDG_CACHE_HOME": str(Path(work_dir) / "cache")}


# Lines Chromium writes on every start on a machine without a desktop session (no D-Bus, no
# UPower): never the reason a print failed, so the reason is taken from the lines before them.
STARTUP_NOISE = re.compile(r"dbus/|org\.freedesktop|Failed to connect to the bus", re.IGNORECASE)


def failure_reason(code: int | None, stderr: str) -> str:
    """"trình duyệt báo lỗi (mã N) <last line the browser wrote on stderr that is not start-up noise>"."""
    lines = stderr.strip().splitlines()
    last = [line for line in lines if not STARTUP_NOISE.search(line)][-1:] or lines[-1:] or [""]
    return f"trình duyệt báo lỗi (mã {code}) {last[0]}".strip()


def _run(command: list[str], produced: Path) -> str:
    """Run the browser (its throw-away folders beside ``produced``); the empty string on success,
    else a short reason."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False,
                              env=browser_environment(Path(produced).parent),
                              preexec_fn=dying_with_parent())     # a killed batch leaves no browser (Linux)
    except subprocess.TimeoutExpired:
        return f"trình duyệt không trả lời sau {TIMEOUT_SECONDS} giây"
    except OSError as exc:
        return f"không chạy được trình duyệt ({exc})"
    if done.returncode != 0 or not produced.is_file() or produced.stat().st_size == 0:
        return failure_reason(done.returncode, done.stderr or "")
    return ""


def print_annex_pdf(html_path: Path, pdf_path: Path, *, screenshot_path: Path | None = None,
                    browser: Path | None = None, session: BrowserSession | None = None) -> PdfResult:
    """Print ``html_path`` to ``pdf_path`` (A4 from the page's CSS), and capture page 1 as PNG.

    With ``session`` the page is printed by that session's long-running browser (started if need
    be; ``browser`` is then not used); without, one browser (``browser`` or the one found) is
    started for this page. Never raises for a missing or failing browser: the result says what
    happened. The files are written whole or not at all.
    """
    if session is not None:
        browser = session.browser
    browser = browser or find_browser()
    if browser is None:
        reason = install_hint()
        log.warning(reason)
        return PdfResult("skipped", reason)
    if session is not None and session.supported:
        return _print_in_session(session, html_path, pdf_path, screenshot_path)
    url = Path(html_path).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="xhht-browser-") as work:
        work_dir = Path(work)
        printed, captured = work_dir / "annex.pdf", work_dir / "page1.png"
        # one browser start does both: the PDF, and the screenshot of the page's first screen
        action = [f"--print-to-pdf={printed}"]
        if screenshot_path is not None:
            action += [f"--screenshot={captured}", f"--window-size={SCREENSHOT_WINDOW}"]
        error = _run(browser_command(browser, work_dir / "profile", action, url), printed)
        if error:
            log.warning("PDF: %s", error)
            return PdfResult("failed", error, browser=str(browser))
        write_bytes_atomically(pdf_path, printed.read_bytes())
        shot = None
        if screenshot_path is not None and captured.is_file():
            shot = write_bytes_atomically(screenshot_path, captured.read_bytes())
    return PdfResult("built", pdf=Path(pdf_path), screenshot=shot, browser=str(browser))


def _print_in_session(session: BrowserSession, html_path: Path, pdf_path: Path,
                      screenshot_path: Path | None) -> PdfResult:
    captured = capture_in_session(session, Path(html_path).resolve().as_uri(), screenshot_path is not None)
    if isinstance(captured, str):
        log.warning("PDF: %s", captured)
        return PdfResult("failed", captured, browser=str(session.browser))
    printed, shot = captured
    write_bytes_atomically(pdf_path, printed)
    shot_path = write_bytes_atomically(screenshot_path, shot) if screenshot_path is not None and shot else None
    return PdfResult("built", pdf=Path(pdf_path), screenshot=shot_path, browser=str(session.browser))


class PrintService:
    """Browsers for several processes: this process keeps ``browsers`` browser sessions
    (:class:`BrowserSession`) and prints the pages that other processes (:class:`PrintClient`) ask
    for, each page on a free browser (a browser prints one page at a time; a page waits while every
    browser is busy).

    The batch's worker processes each used to keep a browser of their own. A browser's start and
    its first page cost several times the CPU of a later page (fonts, the renderer, the PDF
    compositor), paid once per browser; the batch keeps one browser for every two workers. The
    requests come over an authenticated local connection (``multiprocessing.connection``: a Unix
    socket, a named pipe on Windows) and are served by threads of this process. Use it as a
    context manager, or call ``close()``: it stops the browsers.
    """

    def __init__(self, session: BrowserSession | None = None, *, browsers: int = 1):
        first = session if session is not None else BrowserSession()
        self.sessions = [first, *(BrowserSession(first.browser, timeout=first.timeout)
                                  for _ in range(max(1, browsers) - 1))]
        self._free: queue.SimpleQueue = queue.SimpleQueue()
        for each in self.sessions:
            self._free.put(each)
        self.authkey = os.urandom(32)
        self._listener = Listener(authkey=self.authkey)
        self.address = self._listener.address
        self.pages = 0
        self._count = threading.Lock()
        self._closed = False
        self._accepting = threading.Thread(target=self._accept, name="print-service", daemon=True)
        self._accepting.start()

    @property
    def session(self) -> BrowserSession:
        """The first browser (the only one by default)."""
        return self.sessions[0]

    @property
    def client_arguments(self) -> tuple:
        """What a :class:`PrintClient` in another process needs (picklable)."""
        return (self.address, self.authkey)

    def __enter__(self) -> PrintService:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                connection = self._listener.accept()
            except (OSError, EOFError, AuthenticationError):   # a client without the key, or close()'s wake-up
                continue
            if self._closed:
                connection.close()
                break
            threading.Thread(target=self._serve, args=(connection,), name="print-request", daemon=True).start()

    def _serve(self, connection) -> None:
        with connection:
            while True:
                try:
                    html_path, pdf_path, screenshot_path = connection.recv()
                except (EOFError, OSError):
                    return
                session = self._free.get()       # waits while every browser is printing
                try:
                    result = print_annex_pdf(html_path, pdf_path, screenshot_path=screenshot_path, session=session)
                except Exception as exc:  # noqa: BLE001 - the asking process gets the reason
                    result = PdfResult("failed", f"lỗi khi in PDF ({type(exc).__name__}: {exc})")
                finally:
                    self._free.put(session)
                with self._count:
                    self.pages += 1
                try:
                    connection.send(result)
                except (OSError, ValueError):
                    return

    def close(self) -> None:
        """Stop accepting requests and stop the browsers. Safe to call twice."""
        if not self._closed:
            self._closed = True
            try:            # wake the accepting thread up (a connection that does not authenticate)
                Client(self.address).close()
            except OSError:
                pass
            self._accepting.join(timeout=STOP_SECONDS)
            self._listener.close()
        for session in self.sessions:     # the batch closes the service once no worker is left
            session.close()


class PrintClient:
    """Asks a :class:`PrintService` of another process to print a page (see there)."""

    def __init__(self, address, authkey: bytes):
        self.address, self.authkey = address, authkey
        self._connection = None

    def print_annex_pdf(self, html_path: Path, pdf_path: Path, *, screenshot_path: Path | None = None) -> PdfResult:
        """As :func:`print_annex_pdf`, printed by the service's browser; "failed" with a reason if
        the service cannot be reached."""
        try:
            if self._connection is None:
                self._connection = Client(self.address, authkey=self.authkey)
            self._connection.send((Path(html_path), Path(pdf_path),
                                   Path(screenshot_path) if screenshot_path is not None else None))
            return self._connection.recv()
        except (OSError, EOFError, AuthenticationError) as exc:
            self.close()
            return PdfResult("failed", f"không liên lạc được với tiến trình in PDF ({type(exc).__name__})")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
