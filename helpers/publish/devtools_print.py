"""A fast path behind :func:`helpers.publish.pdf.print_annex_pdf`: one headless Chromium kept
running and driven over its DevTools pipe by this hand-written client, to print the annex page
after page (the batch's :class:`helpers.publish.pdf.PrintService` keeps these sessions).

Why not a library: Playwright (its Python package, with its Node.js driver) drives the same system
Chromium through ``executable_path`` without downloading a browser, and printed the same PDFs
(same pages, same text, tagged). Measured against this client on the real annex, taking turns
(``bench/pdf_engines.py``): every page costs more CPU with it (its navigation instruments each
page, and the PDF comes back as a stream through its driver), every browser start more time, and
the batch of the sample years was no faster. The batch keeps both cores busy, so CPU is what it
waits for; Playwright would also add a large package (the driver) to every install.

The plain equivalent is one browser started per page (``chromium --print-to-pdf``: what
:func:`helpers.publish.pdf.print_annex_pdf` does without a session, and on Windows and macOS);
the tests print the same page both ways and compare them (same page count, same text).

The protocol as used here: commands are NUL-ended JSON written on the browser's descriptor 3,
answers and events come back on descriptor 4 (``--remote-debugging-pipe``); every page is printed
in one kept tab (:meth:`BrowserSession._printing_tab`); every wait has a deadline.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger("helpers.publish.pdf")

# The session's flags are helpers.publish.pdf.COMMON_FLAGS but two (see session_command), and these.
# A tab that headless Chromium considers in the background composites no frame, and a screenshot
# of it waits for ever (puppeteer/puppeteer#4431): the session prints in one kept tab
# (BrowserSession._printing_tab), brought to the front, and no window or renderer is backgrounded.
SESSION_ONLY_FLAGS = ("--disable-backgrounding-occluded-windows", "--disable-renderer-backgrounding",
                      "--remote-debugging-pipe")
SCREENSHOT_SECONDS = 20  # a session's screenshot is given up after this; the PDF is still printed
# Page.printToPDF: paper size and margins from the annex's @page rule, backgrounds as --print-to-pdf prints them,
# bookmarks from the headings as --generate-pdf-document-outline makes them
PRINT_PARAMETERS = {"preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False,
                    "generateDocumentOutline": True}
# the browser reads DevTools commands on its file descriptor 3 and writes answers on 4; /bin/sh puts the
# pipes it gets as stdin and stdout there (Python's subprocess cannot choose a child's descriptor numbers)
PIPE_LAUNCHER = ("/bin/sh", "-c", 'exec "$@" 3<&0 4>&1 </dev/null >/dev/null', "sh")
TAB_GONE_EVENTS = ("Inspector.detached", "Inspector.targetCrashed", "Target.detachedFromTarget")
STOP_SECONDS = 5
PR_SET_PDEATHSIG = 1     # prctl(2): the signal this process gets when the thread that started it ends


def die_with_parent(signum: int = signal.SIGKILL, *, parent: int | None = None) -> bool:
    """Have Linux send ``signum`` to this process when its parent dies (``prctl(PR_SET_PDEATHSIG)``);
    if the parent (``parent``: the process id expected, by default the current parent) died
    already, send it now. False where the system has no such thing (not Linux).

    The batch's worker processes call it first thing, and start their kernels and browsers with
    :func:`dying_with_parent`: a batch killed outright (SIGKILL, the out-of-memory killer) then
    leaves none of them running, nor writing into ``output/``.
    """
    preexec = dying_with_parent(signum, parent=os.getppid() if parent is None else parent)
    if preexec is None:
        return False
    preexec()
    return True


def dying_with_parent(signum: int = signal.SIGKILL, *, parent: int | None = None):
    """A ``subprocess.Popen`` ``preexec_fn`` making the child die with this process (see
    :func:`die_with_parent`), or None off Linux. Linux sends the signal when the *thread* that
    started the child ends: start it from a thread that lasts as long as this process
    (:func:`popen_dying_with_parent` does). The C function is looked up here, before the fork."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid() if parent is None else parent

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
        if os.getppid() != parent:        # the parent died before the line above: nobody will signal
            os.kill(os.getpid(), signum)

    return preexec


_LAUNCHER: list = []             # the thread that starts the browsers when asked from a passing thread
_LAUNCHER_LOCK = threading.Lock()


def popen_dying_with_parent(command: list[str], **kwargs) -> subprocess.Popen:
    """``subprocess.Popen(command, **kwargs)``, the child dying with this process (Linux).

    The print service starts its browsers from the threads serving its clients, which end with
    their connection; the browser is then started from one kept thread of this process instead, so
    that its parent-death signal comes when this process dies, not when a connection closes."""
    preexec = dying_with_parent()
    if preexec is None:
        return subprocess.Popen(command, **kwargs)
    if threading.current_thread() is threading.main_thread():
        return subprocess.Popen(command, preexec_fn=preexec, **kwargs)
    from concurrent.futures import ThreadPoolExecutor

    with _LAUNCHER_LOCK:
        if not _LAUNCHER:
            _LAUNCHER.append(ThreadPoolExecutor(1, thread_name_prefix="browser-launcher"))
    return _LAUNCHER[0].submit(subprocess.Popen, command, preexec_fn=preexec, **kwargs).result()


def _pdf():
    """helpers.publish.pdf, which imports this module (so it is looked up when first needed)."""
    from helpers.publish import pdf

    return pdf


def session_flags() -> tuple[str, ...]:
    """The one-shot flags without virtual time (the session waits for the load event) and without
    --no-pdf-header-footer (--print-to-pdf's; Page.printToPDF says displayHeaderFooter=false, and
    with the flag Chromium 156 kills every DevTools tab's renderer), plus SESSION_ONLY_FLAGS."""
    common = _pdf().COMMON_FLAGS
    return (*(f for f in common if not f.startswith("--virtual-time") and f != "--no-pdf-header-footer"),
            *SESSION_ONLY_FLAGS)


def session_command(browser: Path, profile_dir: Path) -> list[str]:
    """The command line of a browser waiting for DevTools commands on its pipe (no page, no virtual time)."""
    return _pdf().launch_command(browser, profile_dir, session_flags())


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
    chosen is ``browser`` or :func:`helpers.publish.pdf.find_browser`'s (None: no browser). POSIX
    only (``supported``): elsewhere :func:`helpers.publish.pdf.print_annex_pdf` starts one browser
    per page.
    """

    supported = os.name == "posix"

    def __init__(self, browser: Path | None = None, *, timeout: float | None = None):
        self.browser = Path(browser) if browser is not None else _pdf().find_browser()
        self.timeout = _pdf().TIMEOUT_SECONDS if timeout is None else timeout
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
            raise BrowserError(_pdf().install_hint(), stopped=True)
        self.close()
        self._work = tempfile.TemporaryDirectory(prefix="xhht-browser-", ignore_cleanup_errors=True)
        work = Path(self._work.name)
        command_end, self._to_browser = os.pipe()
        self._from_browser, answer_end = os.pipe()
        os.set_blocking(self._to_browser, False)
        try:
            with open(work / "stderr.log", "wb") as stderr:
                # its own session: Ctrl-C in the terminal does not stop a print half-way (the batch decides);
                # the browser still quits when this process dies: its pipe closes, and on Linux it is
                # killed (parent-death signal) even if it does not read the pipe at that moment
                self._process = popen_dying_with_parent(
                    [*PIPE_LAUNCHER, *session_command(self.browser, work / "profile")], stdin=command_end,
                    stdout=answer_end, stderr=stderr, start_new_session=True, env=_pdf().browser_environment(work))
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
        """The PDF of ``url`` and, if asked, a PNG of its first screen
        (``helpers.publish.pdf.SCREENSHOT_WINDOW``).

        Loads the page in the browser's printing tab, waits for its load event, prints. On any
        failure the browser is stopped (the next ``start()`` gets a fresh one) and
        :class:`BrowserError` raised.
        """
        deadline = time.monotonic() + self.timeout
        try:
            self._events.clear()
            tab = self._tab = self._printing_tab(deadline)
            if screenshot:
                width, height = (int(v) for v in _pdf().SCREENSHOT_WINDOW.split(","))
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
        background, where headless Chromium draws no frame, so its screenshot never came (while
        two browsers printed on busy cores); one kept tab never stalled, and was faster. A tab in a
        new window of its own did not stall either, but was slower.
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
        return BrowserError(_pdf().failure_reason(code, stderr), stopped=True)


def capture_in_session(session: BrowserSession, url: str, screenshot: bool) -> tuple[bytes, bytes | None] | str:
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
