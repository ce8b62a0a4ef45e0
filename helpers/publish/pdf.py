"""Print the annex HTML to an A4 PDF (and a page-1 screenshot) with a browser on the machine.

Chromium on Debian/Ubuntu (``make setup`` installs it as root), Chrome or Edge on Windows and
macOS, driven by Playwright (the ``playwright`` package, pinned in requirements.txt, which carries
its own Node.js driver) through ``executable_path``: Playwright downloads no browser and
``playwright install`` is never needed. The page size and margins come from the annex's CSS
(``@page``); the PDF has no header or footer; the browser runs in a throw-away profile with its
background networking off. Without a browser the result is "skipped" with one Vietnamese line
saying how to install one: the HTML annex stands on its own.

A :class:`BrowserSession` keeps one headless browser running and prints page after page in one
tab; :func:`print_annex_pdf` without a session starts a browser for the page. The batch's process
keeps its sessions in a :class:`PrintService`, which prints year after year for every worker
process (:class:`PrintClient`). Playwright's driver and the browser stop with the session, and
with this process if it dies (the driver quits when its pipe from this process closes, and closes
the browser); Ctrl-C in the terminal does not stop a print half-way (the batch decides).
"""

from __future__ import annotations

import logging
import os
import queue
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Listener
from pathlib import Path

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
# Added to Playwright's own flags (which turn most of these off already): no GPU, no background
# networking, updates, sync, extensions or default apps, and no window or renderer put in the
# background (headless Chromium draws no frame for a background tab, and a screenshot of it would
# wait for ever: puppeteer/puppeteer#4431). --no-sandbox comes from ``sandboxed()``.
BROWSER_FLAGS = (
    "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--no-first-run", "--no-default-browser-check",
    "--mute-audio", "--hide-scrollbars", "--disable-backgrounding-occluded-windows", "--disable-renderer-backgrounding",
)
SCREENSHOT_SIZE = (1000, 1414)  # the page-1 screenshot, in CSS pixels (A4 proportions)
TIMEOUT_SECONDS = 180
SCREENSHOT_SECONDS = 20  # a screenshot (about 0.1 s) is given up after this; the PDF is still printed
# Page.pdf: paper size and margins from the annex's @page rule (A4 for a page without one), backgrounds
# printed, no header or footer, tagged (headings and tables for screen readers, as --print-to-pdf writes)
PDF_OPTIONS = {"format": "A4", "prefer_css_page_size": True, "print_background": True,
               "display_header_footer": False, "tagged": True}
STOP_SECONDS = 5
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


def sandboxed() -> bool:
    """Whether the browser keeps its sandbox: not as root, where Chromium refuses to start with it
    (Playwright then passes ``--no-sandbox``)."""
    return not (hasattr(os, "geteuid") and os.geteuid() == 0)


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


def _failure_reason(code: int | None, stderr: str) -> str:
    """"trình duyệt báo lỗi (mã N) <last line the browser wrote on stderr that is not start-up noise>"."""
    lines = stderr.strip().splitlines()
    last = [line for line in lines if not STARTUP_NOISE.search(line)][-1:] or lines[-1:] or [""]
    return f"trình duyệt báo lỗi{f' (mã {code})' if code is not None else ''} {last[0]}".strip()


def _first_line(exc: BaseException) -> str:
    """The first line of a Playwright error, without the name of the call ("Page.goto: ")."""
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return re.sub(r"^[A-Za-z]+\.[A-Za-z_]+: ", "", line)


def _is_timeout(exc: BaseException) -> bool:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    return isinstance(exc, PlaywrightTimeout)


def _launch_failure(exc: BaseException, timeout: float) -> str:
    """Why the browser did not start: from Playwright's log of the launch, the browser's exit code
    and the last line it wrote on stderr."""
    if _is_timeout(exc):
        return f"trình duyệt không trả lời sau {timeout:g} giây"
    text = str(exc)
    code = re.search(r"exitCode=(-?\d+)", text)
    stderr = "\n".join(re.findall(r"^\s*- \[pid=\d+\]\[err\] (.*)$", text, re.MULTILINE))
    if code is None and not stderr:
        return f"không chạy được trình duyệt ({_first_line(exc)})"
    return _failure_reason(int(code.group(1)) if code else None, stderr)


class BrowserError(Exception):
    """The browser of a session failed: the message is one Vietnamese line for the result.

    ``stopped`` says the browser process is gone (crashed, killed, or failed to start)."""

    def __init__(self, reason: str, *, stopped: bool = False):
        super().__init__(reason)
        self.stopped = stopped


class BrowserSession:
    """One headless browser kept running to print page after page, driven by Playwright.

    ``start()`` launches it (a throw-away profile and folders, the flags above); ``capture()``
    prints one page, always in the same tab; ``close()`` (or leaving a ``with`` block) stops the
    browser and Playwright's driver. Every call has a deadline: a browser that does not answer in
    ``timeout`` seconds is killed and the call raises :class:`BrowserError`, as it does when the
    browser died or failed. Playwright's sync API works only in the thread that started it: the
    session runs it in a thread of its own, so any thread (and a notebook, whose thread runs an
    event loop) may call the session, one call at a time. The browser chosen is ``browser`` or
    :func:`find_browser`'s (None: no browser).
    """

    def __init__(self, browser: Path | None = None, *, timeout: float = TIMEOUT_SECONDS):
        self.browser = Path(browser) if browser is not None else find_browser()
        self.timeout = timeout
        self.starts = 0                     # how many times a browser was launched
        self.pid: int | None = None         # the browser's main process while it runs
        self._thread: ThreadPoolExecutor | None = None
        self._playwright = self._context = self._page = None
        self._work: tempfile.TemporaryDirectory | None = None
        self._timed_out = False

    def __enter__(self) -> BrowserSession:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def running(self) -> bool:
        """Whether the browser is running and connected (as Playwright last saw it)."""
        context = self._context
        return context is not None and context.browser is not None and context.browser.is_connected()

    @property
    def work_dir(self) -> Path | None:
        """The throw-away folder of the running browser (its profile, configuration and cache)."""
        return Path(self._work.name) if self._work is not None else None

    def start(self) -> None:
        """Launch the browser (stopping any earlier one)."""
        if self.browser is None:
            raise BrowserError(install_hint(), stopped=True)
        self._in_thread(self._start)

    def capture(self, url: str, *, screenshot: bool = True) -> tuple[bytes, bytes | None]:
        """The PDF of ``url`` and, if asked, a PNG of its first screen (``SCREENSHOT_SIZE``).

        Loads the page in the browser's tab, waits for its load event, prints. On any failure the
        browser is stopped (the next ``start()`` gets a fresh one) and :class:`BrowserError` raised.
        """
        return self._in_thread(self._capture, url, screenshot)

    def close(self) -> None:
        """Stop the browser and Playwright's driver, delete the profile. Safe to call twice."""
        if self._thread is not None:
            self._in_thread(self._close)
            self._thread.shutdown()
            self._thread = None

    def _in_thread(self, function: Callable, *args):
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="browser-session")
        return self._thread.submit(function, *args).result()

    def _start(self) -> None:
        self._close()
        self._work = tempfile.TemporaryDirectory(prefix="xhht-browser-", ignore_cleanup_errors=True)
        work = Path(self._work.name)
        self.starts += 1
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            self._close()
            raise BrowserError("thiếu gói playwright để in PDF; cài bằng: pip install -r requirements.txt",
                               stopped=True) from exc
        try:
            self._playwright = sync_playwright().start()
            width, height = SCREENSHOT_SIZE
            # handle_sigint=False: Ctrl-C in the terminal leaves the browser to the batch (the driver ignores it)
            self._context = self._playwright.chromium.launch_persistent_context(
                work / "profile", executable_path=self.browser, headless=True, args=list(BROWSER_FLAGS),
                chromium_sandbox=sandboxed(), env=browser_environment(work), handle_sigint=False,
                timeout=self.timeout * 1000, viewport={"width": width, "height": height}, device_scale_factor=1)
            self._page = self._context.pages[0] if self._context.pages else self._context.new_page()
            devtools = self._context.browser.new_browser_cdp_session()
            processes = devtools.send("SystemInfo.getProcessInfo")["processInfo"]
            devtools.detach()
            self.pid = next(p["id"] for p in processes if p["type"] == "browser")
        except Exception as exc:  # noqa: BLE001 - every failure to start becomes the result's reason
            self._close()
            raise BrowserError(_launch_failure(exc, self.timeout), stopped=True) from exc

    def _capture(self, url: str, screenshot: bool) -> tuple[bytes, bytes | None]:
        if self._page is None:
            raise BrowserError("trình duyệt chưa chạy", stopped=True)
        deadline = time.monotonic() + self.timeout
        self._timed_out = False
        watchdog = threading.Timer(self.timeout, self._kill, args=(self.pid, True))  # Page.pdf has no timeout
        watchdog.daemon = True
        watchdog.start()
        try:
            self._page.goto(url, wait_until="load", timeout=self.timeout * 1000)
            shot = self._screenshot(deadline) if screenshot else None
            printed = self._page.pdf(**PDF_OPTIONS)
        except Exception as exc:  # noqa: BLE001 - every failure becomes the result's reason
            watchdog.cancel()
            stopped = not self.running
            if self._timed_out or _is_timeout(exc):
                reason, stopped = f"trình duyệt không trả lời sau {self.timeout:g} giây", False
            elif stopped:
                reason = f"trình duyệt dừng giữa chừng ({_first_line(exc)})"
            elif "net::" in str(exc):
                reason = f"trình duyệt không mở được trang ({_first_line(exc)})"
            else:
                reason = f"trình duyệt báo lỗi ({_first_line(exc)})"
            self._close()
            raise BrowserError(reason, stopped=stopped) from exc
        finally:
            watchdog.cancel()
        return printed, shot

    def _screenshot(self, deadline: float) -> bytes | None:
        """A PNG of the tab's first screen, or None (with a warning) if none comes in
        SCREENSHOT_SECONDS: the screenshot is a preview, the PDF matters."""
        seconds = min(SCREENSHOT_SECONDS, max(0.001, deadline - time.monotonic()))
        try:
            return self._page.screenshot(type="png", timeout=seconds * 1000)
        except Exception as exc:
            if not _is_timeout(exc) or not self.running or time.monotonic() >= deadline:
                raise
            log.warning("PDF: trang 1 không chụp được sau %s giây; vẫn in PDF", SCREENSHOT_SECONDS)
            return None

    def _kill(self, pid: int | None, timed_out: bool = False) -> None:
        """Kill the browser (from the watchdog's thread: the session's own is waiting for it)."""
        self._timed_out = self._timed_out or timed_out
        if pid is None:
            return
        try:
            if hasattr(os, "killpg"):
                os.killpg(pid, signal.SIGKILL)   # Playwright starts the browser leading its own process group
            else:
                os.kill(pid, signal.SIGTERM)     # Windows: terminates the process
        except (ProcessLookupError, PermissionError):
            pass

    def _close(self) -> None:
        context, driver = self._context, self._playwright
        self._context = self._playwright = self._page = None
        # a browser that does not quit when asked is killed
        watchdog = threading.Timer(STOP_SECONDS, self._kill, args=(self.pid,))
        watchdog.daemon = True
        watchdog.start()
        self.pid = None
        try:
            for stop in (context.close if context is not None else None, driver.stop if driver is not None else None):
                if stop is not None:
                    try:
                        stop()
                    except Exception:  # noqa: BLE001 - the browser or the driver is already gone
                        pass
        finally:
            watchdog.cancel()
        if self._work is not None:
            self._work.cleanup()
            self._work = None


def _capture_in_session(session: BrowserSession, url: str, screenshot: bool) -> tuple[bytes, bytes | None] | str:
    """The page printed by the session's browser, started if it is not running, and started once
    more if it was running but died during this print; else the reason it failed."""
    while True:
        was_running = session.running
        try:
            if not was_running:
                session.start()
            return session.capture(url, screenshot=screenshot)
        except BrowserError as exc:
            if not (was_running and exc.stopped):
                return str(exc)
            log.warning("PDF: %s; khởi động lại trình duyệt", exc)


def print_annex_pdf(html_path: Path, pdf_path: Path, *, screenshot_path: Path | None = None,
                    browser: Path | None = None, session: BrowserSession | None = None) -> PdfResult:
    """Print ``html_path`` to ``pdf_path`` (A4 from the page's CSS), and capture page 1 as PNG.

    With ``session`` the page is printed by that session's long-running browser (started if need
    be; ``browser`` is then not used); without, one browser (``browser`` or the one found) is
    started for this page and stopped after it. Never raises for a missing or failing browser:
    the result says what happened. The files are written whole or not at all.
    """
    own = session is None
    if own:
        session = BrowserSession(browser)
    if session.browser is None:
        reason = install_hint()
        log.warning(reason)
        return PdfResult("skipped", reason)
    try:
        captured = _capture_in_session(session, Path(html_path).resolve().as_uri(), screenshot_path is not None)
    finally:
        if own:
            session.close()
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
    browser is busy). The browsers start with the first page that needs them.

    A browser's start and its first page cost about 2 s of CPU more than a later page (fonts, the
    renderer, the PDF compositor), and Playwright's driver some more: paid once per browser, not
    once per worker process; the batch keeps one browser for every two workers. The requests come
    over an authenticated local connection (``multiprocessing.connection``: a Unix socket, a named
    pipe on Windows) and are served by threads of this process. Use it as a context manager, or
    call ``close()``: it stops the browsers.
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
