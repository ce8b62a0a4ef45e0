"""The Playwright engine that ``bench/pdf_engines.py`` measures against the DevTools client.

A drop-in for :class:`helpers.publish.devtools_print.BrowserSession` (``start``, ``capture``,
``close``, ``running``, ``starts``): Playwright's sync API (the ``playwright`` package, not a
project requirement: ``pip install playwright==1.65.2``) drives the installed Chromium through
``executable_path`` (no browser download, ``playwright install`` never needed), with the
project's flags, a throw-away profile, ``--no-sandbox`` as root, and the same PDF (A4 from
``@page``, backgrounds, no header or footer, tagged) and page-1 PNG. Playwright's objects stay in
the thread that created them, so the session runs them in a thread of its own (the batch's
print service calls a session from several threads).
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PDF_OPTIONS = {"format": "A4", "prefer_css_page_size": True, "print_background": True,
               "display_header_footer": False, "tagged": True}


class PlaywrightSession:
    supported = True

    def __init__(self, browser: Path | None = None, *, timeout: float | None = None):
        from helpers.publish import pdf

        self.browser = Path(browser) if browser is not None else pdf.find_browser()
        self.timeout = pdf.TIMEOUT_SECONDS if timeout is None else timeout
        self.starts = 0
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright")
        self._playwright = self._context = self._page = None
        self._work: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> PlaywrightSession:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def running(self) -> bool:
        context = self._context
        return context is not None and context.browser is not None and context.browser.is_connected()

    def start(self) -> None:
        self._thread.submit(self._start).result()

    def capture(self, url: str, *, screenshot: bool = True) -> tuple[bytes, bytes | None]:
        return self._thread.submit(self._capture, url, screenshot).result()

    def close(self) -> None:
        self._thread.submit(self._close).result()

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        from helpers.publish import pdf
        from helpers.publish.devtools_print import BrowserError, session_flags

        self._close()
        self._work = tempfile.TemporaryDirectory(prefix="xhht-browser-", ignore_cleanup_errors=True)
        work = Path(self._work.name)
        self.starts += 1
        width, height = (int(v) for v in pdf.SCREENSHOT_WINDOW.split(","))
        flags = [f for f in session_flags() if f not in ("--headless", "--remote-debugging-pipe")]  # Playwright's own
        try:
            self._playwright = sync_playwright().start()
            self._context = self._playwright.chromium.launch_persistent_context(
                work / "profile", executable_path=self.browser, headless=True, args=flags,
                chromium_sandbox=not (hasattr(os, "geteuid") and os.geteuid() == 0),
                env=pdf.browser_environment(work), handle_sigint=False, timeout=self.timeout * 1000,
                viewport={"width": width, "height": height}, device_scale_factor=1)
            self._page = self._context.pages[0] if self._context.pages else self._context.new_page()
        except Exception as exc:
            self._close()
            raise BrowserError(str(exc).splitlines()[0], stopped=True) from exc

    def _capture(self, url: str, screenshot: bool) -> tuple[bytes, bytes | None]:
        from helpers.publish.devtools_print import BrowserError

        try:
            self._page.goto(url, wait_until="load", timeout=self.timeout * 1000)
            shot = self._page.screenshot(type="png") if screenshot else None
            return self._page.pdf(**PDF_OPTIONS), shot
        except Exception as exc:
            stopped = not self.running
            self._close()
            raise BrowserError(str(exc).splitlines()[0], stopped=stopped) from exc

    def _close(self) -> None:
        context, driver = self._context, self._playwright
        self._context = self._playwright = self._page = None
        for stop in (context.close if context else None, driver.stop if driver else None):
            if stop is not None:
                try:
                    stop()
                except Exception:  # noqa: BLE001, S110 - already gone
                    pass
        if self._work is not None:
            self._work.cleanup()
            self._work = None
