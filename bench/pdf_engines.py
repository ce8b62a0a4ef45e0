"""Benchmark of the PDF printing: the DevTools client against Playwright (``make bench`` prints it;
``python bench/pdf_engines.py`` alone).

Side by side in one run, taking turns (a b, b a, a b …: the machine's speed drifts by up to ±30 %
from minute to minute):

1. One kept browser printing the real annex HTML to PDF + page-1 PNG, page after page:
   (a) the project's hand-written DevTools-over-pipe client (``helpers.publish.devtools_print``),
   (b) Playwright driving the same installed Chromium through ``executable_path``
   (``bench/playwright_session.py``; needs ``pip install playwright==1.65.2``, no browser
   download). The browser's start, the first page, the later pages (wall time, and CPU of this
   process and every process it started: browser, renderers, Playwright's Node driver) and the
   close are timed separately. (c) One browser started per page (``--print-to-pdf``, the plain
   path of ``helpers.publish.pdf.print_annex_pdf``) for scale.
2. ``python -m helpers.run.batch --force`` on the sample years in two copies of the project,
   (a) as it is, (b) with Playwright's session in place of the DevTools client.

    python bench/pdf_engines.py                  # both parts, 3 turns each
    python bench/pdf_engines.py --turns 5 --skip-batch --html output/2023/annex_2023.html
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
sys.path.insert(0, str(PROJECT))

LATER_PAGES = 4
COPIED = ("helpers", "notebooks", "reference", "requirements.txt", "pyproject.toml")
# appended to the (b) copy's devtools_print.py: helpers.publish.pdf then imports Playwright's session
SWAP = "\nfrom playwright_session import PlaywrightSession as BrowserSession  # noqa: E402, F811 (bench)\n"


def _playwright_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("playwright")
    except Exception:  # noqa: BLE001 - not installed
        return None


def _tree_cpu() -> float:
    """CPU seconds (user + system) of this process and every live process below it (Linux /proc)."""
    parents, cpu = {}, {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(stat.parent.name)
        parents[pid], cpu[pid] = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
    ours, added = {os.getpid()}, True
    while added:
        added = {pid for pid, parent in parents.items() if parent in ours and pid not in ours}
        ours |= added
    return sum(cpu.get(pid, 0.0) for pid in ours)


def _one_engine(make_session, html: Path, out: Path) -> dict:
    """Start a session, print ``html`` 1 + LATER_PAGES times (PDF + PNG), close; the times."""
    from helpers.publish.pdf import print_annex_pdf

    figures: dict = {}
    started, cpu = time.perf_counter(), _tree_cpu()
    session = make_session()
    session.start()
    figures["start"], figures["start_cpu"] = time.perf_counter() - started, _tree_cpu() - cpu
    times, cpus = [], []
    for page in range(1 + LATER_PAGES):
        started, cpu = time.perf_counter(), _tree_cpu()
        result = print_annex_pdf(html, out / f"{page}.pdf", screenshot_path=out / f"{page}.png", session=session)
        times.append(time.perf_counter() - started)
        cpus.append(_tree_cpu() - cpu)
        if result.status != "built" or result.screenshot is None:
            raise RuntimeError(result.summary)
    started = time.perf_counter()
    session.close()
    figures["close"] = time.perf_counter() - started
    figures["first"], figures["later"] = times[0], statistics.median(times[1:])
    figures["first_cpu"], figures["later_cpu"] = cpus[0], statistics.median(cpus[1:])
    return figures


def _one_shot(html: Path, out: Path) -> float:
    from helpers.publish.pdf import print_annex_pdf

    started = time.perf_counter()
    result = print_annex_pdf(html, out / "one-shot.pdf", screenshot_path=out / "one-shot.png")
    if result.status != "built":
        raise RuntimeError(result.summary)
    return time.perf_counter() - started


def _pdf_facts(pdf: Path) -> tuple[str, str]:
    """(page count, text) of a PDF, read back with poppler."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("Pages:")), "?")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True).stdout
    return pages, " ".join(text.split())


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def part_engines(html: Path, turns: int) -> None:
    from helpers.publish.devtools_print import BrowserSession

    engines = {"a": ("DevTools client", BrowserSession)}
    version = _playwright_version()
    if version:
        sys.path.insert(0, str(BENCH))
        from playwright_session import PlaywrightSession

        engines["b"] = (f"Playwright {version}", PlaywrightSession)
    print(f"PDF 1. {html.name} ({html.stat().st_size // 1024} KB) → PDF + page-1 PNG in one kept browser, "
          f"{turns} turns taking turns: start, first page, median of {LATER_PAGES} later pages, close")
    if not version:
        print("   (b) Playwright: not installed (pip install playwright==1.65.2 to measure it)")
    figures: dict[str, list[dict]] = {key: [] for key in engines}
    one_shot = []
    with tempfile.TemporaryDirectory(prefix="xhht-bench-pdf-") as work:
        work = Path(work)
        for turn in range(turns):
            for key in (sorted(engines) if turn % 2 == 0 else sorted(engines, reverse=True)):
                label, make = engines[key]
                out = work / f"{key}{turn}"
                out.mkdir()
                done = _one_engine(make, html, out)
                figures[key].append(done)
                print(f"   turn {turn + 1} ({key}) {label:<17} start {done['start']:.2f} s "
                      f"(CPU {done['start_cpu']:.2f}), first page {done['first']:.2f} s "
                      f"(CPU {done['first_cpu']:.2f}), later pages {done['later']:.2f} s "
                      f"(CPU {done['later_cpu']:.2f}), close {done['close']:.2f} s")
            one_shot.append(_one_shot(html, work))
        for key, (label, _) in engines.items():
            rows = figures[key]
            print(f"   ({key}) {label:<17} median start {_spread([r['start'] for r in rows])}, first page "
                  f"{_spread([r['first'] for r in rows])}, later page {_spread([r['later'] for r in rows])}, "
                  f"CPU per later page {_spread([r['later_cpu'] for r in rows])}")
        if "b" in figures:
            def ratio(name: str) -> float:
                return (statistics.median(r[name] for r in figures["b"])
                        / statistics.median(r[name] for r in figures["a"]))

            print(f"   (b)/(a) of the medians: later page {ratio('later'):.2f} (CPU {ratio('later_cpu'):.2f}), "
                  f"start {ratio('start'):.2f}, first page {ratio('first'):.2f}")
            same = [_pdf_facts(work / f"{key}0" / "0.pdf") for key in ("a", "b")] + [_pdf_facts(work / "one-shot.pdf")]
            print(f"   the PDFs: {', '.join(f'{pages} pages' for pages, _ in same)}; same text: "
                  f"{'yes' if len({text for _, text in same}) == 1 else 'no'} ((a), (b), (c))")
        print(f"   (c) one browser per page (--print-to-pdf, print_annex_pdf without a session): {_spread(one_shot)}")


def _project_copy(target: Path, playwright: bool) -> Path:
    for name in COPIED:
        source = PROJECT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    if playwright:
        with open(target / "helpers" / "publish" / "devtools_print.py", "a", encoding="utf-8") as module:
            module.write(SWAP)
    return target


def _batch(tree: Path, raw: Path, out: Path, env: dict) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "helpers.run.batch", "--no-progress", "--force", "--raw-dir", str(raw),
                           "--processed-dir", str(out / "processed"), "--output-dir", str(out / "output")],
                          cwd=tree, env={**env, "PYTHONPATH": os.pathsep.join([str(tree), str(BENCH)])},
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    pdfs = sorted((out / "output").glob("*/annex_*.pdf"))
    state = f"{len(pdfs)} PDFs" + (f"; exit {done.returncode}: {done.stdout[-300:]}" if done.returncode else "")
    return seconds, state


def part_batch(turns: int, env: dict, keep: Path) -> Path | None:
    """The batch in two project copies; returns an annex HTML it built (copied into ``keep``)."""
    from helpers.paths import RAW_DIR

    version = _playwright_version()
    with tempfile.TemporaryDirectory(prefix="xhht-bench-batch-") as work:
        work = Path(work)
        raw = work / "raw"
        shutil.copytree(RAW_DIR, raw, ignore=shutil.ignore_patterns("README.md"))
        trees = {"a": _project_copy(work / "devtools", False)}
        labels = {"a": "DevTools client"}
        if version:
            trees["b"], labels["b"] = _project_copy(work / "playwright", True), f"Playwright {version}"
        years = sorted(p.name for p in raw.iterdir() if p.is_dir())
        print(f"PDF 2. python -m helpers.run.batch --force, {len(years)} sample years, {os.cpu_count()} cores, "
              f"two copies of the project differing only in the print engine, {turns} turns taking turns")
        if not version:
            print("   (b) Playwright: not installed (pip install playwright==1.65.2 to measure it)")
        times: dict[str, list[float]] = {key: [] for key in trees}
        html = None
        for turn in range(turns):
            for key in (sorted(trees) if turn % 2 == 0 else sorted(trees, reverse=True)):
                out = work / f"out-{key}{turn}"
                seconds, state = _batch(trees[key], raw, out, env)
                times[key].append(seconds)
                print(f"   turn {turn + 1} ({key}) {labels[key]:<17} {seconds:6.1f} s  ({state})")
                built = sorted((out / "output").glob("*/annex_*.html"))
                if html is None and built:
                    html = Path(shutil.copy2(built[-1], keep / built[-1].name))
                shutil.rmtree(out, ignore_errors=True)
        for key in trees:
            print(f"   ({key}) {labels[key]:<17} median {_spread(times[key])}")
        if "b" in times:
            print(f"   (b)/(a): {statistics.median(times['b']) / statistics.median(times['a']):.2f} (of the medians)")
    return html


def run(turns: int = 3, env: dict | None = None, html: Path | None = None, batch: bool = True) -> None:
    """Both parts (``make bench`` prints them after its own)."""
    from helpers.publish.pdf import find_browser

    env = dict(os.environ) if env is None else env
    if find_browser() is None:
        print("PDF: no Chromium found, nothing to measure")
        return
    with tempfile.TemporaryDirectory(prefix="xhht-bench-annex-") as keep:
        built = part_batch(turns, env, Path(keep)) if batch else None
        html = html or built
        if html is None:
            print("PDF 1.: no annex HTML (pass --html, or let part 2 build one)")
            return
        part_engines(Path(html), turns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=3, help="turns of each engine (they alternate)")
    parser.add_argument("--html", type=Path, help="the annex HTML to print (default: one the batch part builds)")
    parser.add_argument("--skip-batch", action="store_true", help="only part 1 (needs --html)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xhht-bench-home-") as home:
        env = dict(os.environ)
        for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                     "MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
            env[name] = str(Path(home) / name.lower())
        print(f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        run(max(1, args.turns), env, args.html, not args.skip_batch)


if __name__ == "__main__":
    main()
