"""Print the annex HTML to an A4 PDF (and a page-1 screenshot) with a browser on the machine.

Chromium on Debian/Ubuntu (``make setup`` installs it as root), Chrome or Edge on Windows and
macOS. The page size and margins come from the annex's CSS (``@page``); the browser adds no
header or footer and never touches the network or the user's profile. Without a browser the
result is "skipped" with one Vietnamese line saying how to install one: the HTML annex stands
on its own.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
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
    flags = [str(browser), *COMMON_FLAGS, f"--user-data-dir={profile_dir}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return [*flags, *action, url]


def _run(command: list[str], produced: Path) -> str:
    """Run the browser; the empty string on success, else a short reason."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return f"trình duyệt không trả lời sau {TIMEOUT_SECONDS} giây"
    except OSError as exc:
        return f"không chạy được trình duyệt ({exc})"
    if done.returncode != 0 or not produced.is_file() or produced.stat().st_size == 0:
        last = (done.stderr or "").strip().splitlines()[-1:] or [""]
        return f"trình duyệt báo lỗi (mã {done.returncode}) {last[0]}".strip()
    return ""


def print_annex_pdf(html_path: Path, pdf_path: Path, *, screenshot_path: Path | None = None,
                    browser: Path | None = None) -> PdfResult:
    """Print ``html_path`` to ``pdf_path`` (A4 from the page's CSS), and capture page 1 as PNG.

    Never raises for a missing or failing browser: the result says what happened.
    """
    browser = browser or find_browser()
    if browser is None:
        reason = install_hint()
        log.warning(reason)
        return PdfResult("skipped", reason)
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
