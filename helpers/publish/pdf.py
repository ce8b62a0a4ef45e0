"""Print the annex HTML to an A4 PDF (and a page-1 screenshot) with a browser on the machine.

Chromium on Debian/Ubuntu (``make setup`` installs it as root), Chrome or Edge on Windows and
macOS. The page size and margins come from the annex's CSS (``@page``); the browser adds no
header or footer and never touches the network or the user's profile. Without a browser the
result is "skipped" with one Vietnamese line saying how to install one: the HTML annex stands
on its own.

Two ways to print: one browser start per page (``--print-to-pdf``, any platform), or a
:class:`BrowserSession` that keeps one headless browser running and drives it over the DevTools
protocol (``--remote-debugging-pipe``, POSIX). The batch's process keeps its sessions in a
:class:`PrintService`, which prints year after year for every worker process.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import os
import queue
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
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
COMMON_FLAGS = (
    "--headless", "--disable-gpu", "--no-pdf-header-footer", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps",
    "--no-first-run", "--no-default-browser-check", "--mute-audio", "--hide-scrollbars",
    "--run-all-compositor-stages-before-draw", "--virtual-time-budget=5000",
)
# no virtual time (the session waits for the load event); no --no-pdf-header-footer: it is --print-to-pdf's
# (Page.printToPDF says displayHeaderFooter=false), and with it Chromium 156 kills every DevTools tab's renderer
# A tab that headless Chromium considers in the background composites no frame, and a screenshot
# of it waits for one for ever (puppeteer/puppeteer#4431): the session prints in one kept tab
# (BrowserSession._printing_tab), brought to the front, and no window or renderer is backgrounded.
SESSION_FLAGS = (*(f for f in COMMON_FLAGS if not f.startswith("--virtual-time") and f != "--no-pdf-header-footer"),
                 "--disable-backgrounding-occluded-windows", "--disable-renderer-backgrounding",
                 "--remote-debugging-pipe")
SCREENSHOT_WINDOW = "1000,1414"  # A4 proportions
TIMEOUT_SECONDS = 180
SCREENSHOT_SECONDS = 20  # a session's screenshot (about 0.1 s) is given up after this; the PDF is still printed
# Page.printToPDF: paper size and margins from the annex's @page rule, backgrounds as --print-to-pdf prints them
PRINT_PARAMETERS = {"preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False}
# the browser reads DevTools commands on its file descriptor 3 and writes answers on 4; /bin/sh puts the
# pipes it gets as stdin and stdout there (Python's subprocess cannot choose a child's descriptor numbers)
PIPE_LAUNCHER = ("/bin/sh", "-c", 'exec "$@" 3<&0 4>&1 </dev/null >/dev/null', "sh")
TAB_GONE_EVENTS = ("Inspector.detached", "Inspector.targetCrashed", "Target.detachedFromTarget")
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


def browser_command(browser: Path, profile_dir: Path, action: list[str], url: str) -> list[str]:
    """The command line printing or capturing ``url`` in a throw-away profile, offline-minded."""
    return [*_launch(browser, profile_dir, COMMON_FLAGS), *action, url]


def session_command(browser: Path, profile_dir: Path) -> list[str]:
    """The command line of a browser waiting for DevTools commands on its pipe (no page, no virtual time)."""
    return _launch(browser, profile_dir, SESSION_FLAGS)


def _launch(browser: Path, profile_dir: Path, flags: tuple[str, ...]) -> list[str]:
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


def _failure_reason(code: int | None, stderr: str) -> str:
    """"trình duyệt báo lỗi (mã N) <last line the browser wrote on stderr that is not start-up noise>"."""
    lines = stderr.strip().splitlines()
    last = [line for line in lines if not STARTUP_NOISE.search(line)][-1:] or lines[-1:] or [""]
    return f"trình duyệt báo lỗi (mã {code}) {last[0]}".strip()


def _run(command: list[str], produced: Path) -> str:
    """Run the browser (its throw-away folders beside ``produced``); the empty string on success,
    else a short reason."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False,
                              env=browser_environment(Path(produced).parent))
    except subprocess.TimeoutExpired:
        return f"trình duyệt không trả lời sau {TIMEOUT_SECONDS} giây"
    except OSError as exc:
        return f"không chạy được trình duyệt ({exc})"
    if done.returncode != 0 or not produced.is_file() or produced.stat().st_size == 0:
        return _failure_reason(done.returncode, done.stderr or "")
    return ""


class BrowserError(Exception):
    """The browser of a session failed: the message is one Vietnamese line for the result.

    ``stopped`` says the browser process is gone (crashed, killed, or failed to start)."""

    def __init__(self, reason: str, *, stopped: bool = False):
        super().__init__(reason)
        self.stopped = stopped


class BrowserSession:
    """One headless browser kept running to print page after page over the DevTools protocol.

    ``start()`` launches it (a throw-away profile, the offline-minded flags,
    ``--remote-debugging-pipe``); ``capture()`` prints one page, always in the same tab (see
    :meth:`_printing_tab`); ``close()`` (or leaving a ``with`` block) stops it. Every wait has a
    deadline: a browser that does not answer in ``timeout`` seconds is stopped and the call raises
    :class:`BrowserError`, as it does when the browser died or refused a command. The browser
    chosen is ``browser`` or :func:`find_browser`'s (None: no browser).
    POSIX only (``supported``): elsewhere :func:`print_annex_pdf` starts one browser per page.
    """

    supported = os.name == "posix"

    def __init__(self, browser: Path | None = None, *, timeout: float = TIMEOUT_SECONDS):
        self.browser = Path(browser) if browser is not None else find_browser()
        self.timeout = timeout
        self.starts = 0                                   # how many times a browser was launched
        self._process: subprocess.Popen | None = None
        self._work: tempfile.TemporaryDirectory | None = None
        self._to_browser = self._from_browser = -1
        self._received = bytearray()
        self._events: list[dict] = []
        self._tab: str | None = None                      # the DevTools session of the page being printed
        self._kept_tab: str | None = None                 # the DevTools session of the tab every page is printed in
        self._ids = itertools.count(1)

    def __enter__(self) -> BrowserSession:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def running(self) -> bool:
        """Whether the browser process is alive (it may still fail to answer)."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Launch the browser (stopping any earlier one) and check that it answers on the pipe."""
        if self.browser is None:
            raise BrowserError(install_hint(), stopped=True)
        self.close()
        self._work = tempfile.TemporaryDirectory(prefix="xhht-browser-", ignore_cleanup_errors=True)
        work = Path(self._work.name)
        command_end, self._to_browser = os.pipe()
        self._from_browser, answer_end = os.pipe()
        os.set_blocking(self._to_browser, False)
        try:
            with open(work / "stderr.log", "wb") as stderr:
                # its own session: Ctrl-C in the terminal does not stop a print half-way (the batch decides);
                # the browser still quits when this process dies, as its pipe closes
                self._process = subprocess.Popen([*PIPE_LAUNCHER, *session_command(self.browser, work / "profile")],
                                                 stdin=command_end, stdout=answer_end, stderr=stderr,
                                                 start_new_session=True, env=browser_environment(work))
        except OSError as exc:
            self.close()
            raise BrowserError(f"không chạy được trình duyệt ({exc})", stopped=True) from exc
        finally:
            os.close(command_end)
            os.close(answer_end)
        self.starts += 1
        try:
            self._call("Browser.getVersion", deadline=time.monotonic() + self.timeout)
        except BrowserError:
            self.close()
            raise

    def capture(self, url: str, *, screenshot: bool = True) -> tuple[bytes, bytes | None]:
        """The PDF of ``url`` and, if asked, a PNG of its first screen (``SCREENSHOT_WINDOW``).

        Loads the page in the browser's printing tab, waits for its load event, prints. On any
        failure the browser is stopped (the next ``start()`` gets a fresh one) and
        :class:`BrowserError` raised.
        """
        deadline = time.monotonic() + self.timeout
        try:
            self._events.clear()
            tab = self._tab = self._printing_tab(deadline)
            if screenshot:
                width, height = (int(v) for v in SCREENSHOT_WINDOW.split(","))
                self._call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                           "deviceScaleFactor": 1, "mobile": False}, tab=tab, deadline=deadline)
            else:
                self._call("Emulation.clearDeviceMetricsOverride", tab=tab, deadline=deadline)
            navigation = self._call("Page.navigate", {"url": url}, tab=tab, deadline=deadline)
            if navigation.get("errorText"):
                raise BrowserError(f"trình duyệt không mở được trang ({navigation['errorText']})")
            # the tab's previous page (or its first about:blank) also reported "load": wait for this navigation's
            self._wait_for_event(tab, "Page.lifecycleEvent", deadline, name="load",
                                 loaderId=navigation.get("loaderId"), frameId=navigation.get("frameId"))
            shot = self._screenshot(tab, deadline) if screenshot else None
            printed = base64.b64decode(self._call("Page.printToPDF", PRINT_PARAMETERS, tab=tab,
                                                  deadline=deadline)["data"])
        except BrowserError:
            self.close()
            raise
        except (KeyError, ValueError, TypeError) as exc:  # an answer without the expected fields
            self.close()
            raise BrowserError(f"trình duyệt trả lời không đúng ({type(exc).__name__}: {exc})") from exc
        finally:
            self._tab = None
        return printed, shot

    def _printing_tab(self, deadline: float) -> str:
        """The DevTools session of the tab every page is printed in, opened on the first page.

        One tab, kept: a tab opened just after another was closed was sometimes left in the
        background, where headless Chromium draws no frame, so its screenshot never came (5 small
        pages in 200, two browsers printing while both cores were busy, each stalled until
        SCREENSHOT_SECONDS; none in 280 with one kept tab, which was also faster). A tab in a new
        window of its own did not stall either, but cost about 0.3 s more per annex.
        """
        if self._kept_tab is None:
            target = self._call("Target.createTarget", {"url": "about:blank"}, deadline=deadline)["targetId"]
            tab = self._call("Target.attachToTarget", {"targetId": target, "flatten": True},
                             deadline=deadline)["sessionId"]
            for method, params in (("Page.enable", {}), ("Page.setLifecycleEventsEnabled", {"enabled": True})):
                self._call(method, params, tab=tab, deadline=deadline)
            self._kept_tab = tab
        return self._kept_tab

    def _screenshot(self, tab: str, deadline: float) -> bytes | None:
        """A PNG of the tab's first screen, or None (with a warning) if no frame comes in
        SCREENSHOT_SECONDS: the screenshot is a preview, the PDF matters."""
        self._call("Page.bringToFront", tab=tab, deadline=deadline)
        try:
            answer = self._call("Page.captureScreenshot", {"format": "png"}, tab=tab,
                                deadline=min(deadline, time.monotonic() + SCREENSHOT_SECONDS))
        except BrowserError as exc:
            if exc.stopped or time.monotonic() >= deadline:
                raise
            log.warning("PDF: trang 1 không chụp được sau %s giây; vẫn in PDF", SCREENSHOT_SECONDS)
            return None
        return base64.b64decode(answer["data"])

    def close(self) -> None:
        """Stop the browser (and its helper processes) and delete its profile. Safe to call twice."""
        for fd in (self._to_browser, self._from_browser):
            if fd >= 0:
                os.close(fd)
        self._to_browser = self._from_browser = -1
        self._received.clear()
        self._kept_tab = None
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            self._signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self._signal_group(process, signal.SIGKILL)
                process.wait(timeout=STOP_SECONDS)
        if self._work is not None:
            self._work.cleanup()
            self._work = None

    @staticmethod
    def _signal_group(process: subprocess.Popen, signum: int) -> None:
        try:
            os.killpg(process.pid, signum)  # the browser leads its own process group (start_new_session)
        except ProcessLookupError:
            pass

    def _call(self, method: str, params: dict | None = None, *, tab: str | None = None,
              deadline: float) -> dict:
        """Send one command and return its result; events read meanwhile are kept for _wait_for_event."""
        ident = next(self._ids)
        message = {"id": ident, "method": method, "params": params or {}}
        if tab is not None:
            message["sessionId"] = tab
        self._send(json.dumps(message).encode() + b"\0", deadline)
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == ident:
                if "error" in answer:
                    raise BrowserError(f"trình duyệt báo lỗi ({method}: {answer['error'].get('message', '')})")
                return answer.get("result", {})
            self._keep_event(answer)

    def _wait_for_event(self, tab: str, method: str, deadline: float, **wanted) -> dict:
        """The first event ``method`` of ``tab`` whose parameters hold ``wanted`` (read earlier or now)."""
        def matches(event: dict) -> bool:
            params = event.get("params", {})
            return (event.get("method") == method and event.get("sessionId") == tab
                    and all(params.get(k) == v for k, v in wanted.items()))

        while True:
            found = next((e for e in self._events if matches(e)), None)
            self._events.clear()
            if found is not None:
                return found
            self._keep_event(self._receive(deadline))

    def _keep_event(self, message: dict) -> None:
        """Keep an event for _wait_for_event; fail at once when the page being printed is gone
        (its renderer crashed or it was closed) rather than wait for an answer that cannot come."""
        if "method" not in message:
            return
        params = message.get("params", {})
        if (self._tab is not None and message["method"] in TAB_GONE_EVENTS
                and self._tab in (message.get("sessionId"), params.get("sessionId"))):
            raise BrowserError(f"trình duyệt đóng trang giữa chừng ({params.get('reason', message['method'])})")
        self._events.append(message)

    def _send(self, data: bytes, deadline: float) -> None:
        if self._to_browser < 0:
            raise BrowserError("trình duyệt chưa chạy", stopped=True)
        view = memoryview(data)
        while view:
            self._wait_ready([], [self._to_browser], deadline)
            try:
                view = view[os.write(self._to_browser, view):]
            except BlockingIOError:
                continue
            except OSError as exc:  # BrokenPipeError: the browser is gone
                raise self._stopped() from exc

    def _receive(self, deadline: float) -> dict:
        """The next message from the browser (JSON ended by a NUL byte)."""
        if self._from_browser < 0:
            raise BrowserError("trình duyệt chưa chạy", stopped=True)
        end = self._received.find(b"\0")
        while end < 0:
            self._wait_ready([self._from_browser], [], deadline)
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise self._stopped()
            searched = len(self._received)
            self._received += chunk
            end = self._received.find(b"\0", searched)
        message = json.loads(self._received[:end])
        del self._received[:end + 1]
        return message

    def _wait_ready(self, readers: list[int], writers: list[int], deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining > 0:
            ready = select.select(readers, writers, [], remaining)
            if ready[0] or ready[1]:
                return
        raise BrowserError(f"trình duyệt không trả lời sau {self.timeout:g} giây")

    def _stopped(self) -> BrowserError:
        """The browser closed its pipe: its exit code and last line on stderr, when it has them."""
        code = None
        if self._process is not None:
            try:
                code = self._process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        stderr = ""
        if self._work is not None:
            log_path = Path(self._work.name) / "stderr.log"
            stderr = log_path.read_text(encoding="utf-8", errors="replace") if log_path.is_file() else ""
        return BrowserError(_failure_reason(code, stderr), stopped=True)


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
    captured = _capture_in_session(session, Path(html_path).resolve().as_uri(), screenshot_path is not None)
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
    its first page cost about 2 s of CPU more than a later page (fonts, the renderer, the PDF
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
