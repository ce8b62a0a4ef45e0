"""Build the annex of every reporting year: the notebooks through papermill, then the HTML, the
Excel copy and the PDF.

Two phases, each running years in parallel processes: first ``01_clean`` for every year, then
``02_indicators`` and ``03_annex`` (which read earlier years' clean data for trends and the
year-on-year jump check). Each process keeps one Jupyter kernel warm across the years it builds
(``_warm_kernel``); headless browsers kept by the batch's own process (one for every two
workers) print every year's PDF (``helpers.publish.pdf.PrintService``). Each year's outputs are written
to a staging folder and moved into ``output/<year>/`` only when the whole year succeeded, so a
failure never replaces a good annex. One year's failure never stops the others; the command
exits non-zero when any year failed.

Incremental: ``output/run.json`` (helpers.run.run_record) keeps, per year and step, the content
hashes of what the step read; a step runs again only when one of them changed (``--force``
runs everything). Ctrl-C stops the run; finished steps are recorded, unfinished ones leave the
previous outputs in place and run again next time.

    python -m helpers.run.batch                 # every year found under data/raw/
    python -m helpers.run.batch --years 2023    # one year
    python -m helpers.run.batch --force         # rebuild everything
"""

from __future__ import annotations

import argparse
import functools
import logging
import multiprocessing
import multiprocessing.util
import os
import shutil
import signal
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from helpers.paths import NOTEBOOKS_DIR, OUTPUT_DIR, PROCESSED_DIR, RAW_DIR, resolve_project_path
from helpers.run import run_record
from helpers.run.run_record import ANNEX_STEP, CLEAN_OUTPUTS, CLEAN_STEP, INDICATOR_OUTPUTS

log = logging.getLogger(__name__)

KERNEL_NAME = "xhht"
CLEAN_NOTEBOOK = "01_clean.ipynb"
LATER_NOTEBOOKS = ("02_indicators.ipynb", "03_annex.ipynb")
ANNEX_NOTEBOOK = "03_annex.ipynb"
FAILED_SUBDIR = "failed"
STAGING_SUBDIR = ".staging"
# The parameters each notebook declares (papermill only warns about unknown names).
NOTEBOOK_PARAMETERS = {
    "01_clean.ipynb": ("year", "raw_dir", "processed_dir"),
    "02_indicators.ipynb": ("year", "processed_dir", "target_level"),
    "03_annex.ipynb": ("year", "raw_dir", "processed_dir"),
}


@dataclass
class YearResult:
    """What happened to one year."""

    year: int
    status: str = "built"              # built | unchanged (nothing to re-run) | failed
    steps: dict[str, str] = field(default_factory=dict)  # clean/annex → built | unchanged | failed | skipped
    changed: list[str] = field(default_factory=list)     # the inputs whose change made a step re-run
    outputs: list[str] = field(default_factory=list)
    notebook: str = ""                 # the notebook that failed
    cell: int | None = None            # its execution count
    message: str = ""                  # the analyst's message (Vietnamese), may span lines
    seconds: float = 0.0
    pdf: str = ""                      # built | skipped: <reason> | failed: <reason> (helpers.publish.pdf)

    @property
    def headline(self) -> str:
        """One readable line naming the year, notebook and cell."""
        if self.status == "unchanged":
            return f"Năm {self.year}: không có thay đổi, giữ phụ lục đã lập."
        if self.status != "failed":
            return f"Năm {self.year}: đã lập phụ lục ({self.seconds:.1f} giây)."
        where = f" · {self.notebook}" if self.notebook else ""
        where += f" · ô {self.cell}" if self.cell is not None else ""
        first = self.message.splitlines()[0] if self.message else "lỗi không rõ"
        return f"Năm {self.year}{where}: {first}"


def discover_years(raw_dir: Path = RAW_DIR) -> list[int]:
    """Year folders (four digits) under the raw data folder, in order."""
    raw_dir = resolve_project_path(raw_dir)
    if not raw_dir.is_dir():
        return []
    return sorted(int(p.name) for p in raw_dir.iterdir() if p.is_dir() and p.name.isdigit() and len(p.name) == 4)


# One kernel per process, kept warm across notebooks: starting a kernel and importing pandas,
# matplotlib and helpers/ in it costs more than most notebooks take to run. Before each notebook
# the kernel's namespace and execution counter are reset, so a notebook never sees another's
# variables and a failing cell keeps its own number.
_KERNELS: dict[str, object] = {}
KERNEL_START_ATTEMPTS = 2
RESET_CODE = """get_ipython().reset(new_session=True)
import sys as _sys
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
del _sys"""


@functools.cache
def _reused_kernel_manager_class() -> type:
    from jupyter_client import AsyncKernelManager
    from jupyter_client.asynchronous import AsyncKernelClient

    class ConnectedClient(AsyncKernelClient):
        """A client that stays connected to its warm kernel across notebooks.

        jupyter_client's ``wait_for_ready`` ends by waiting until IOPub has been silent for 0.2 s;
        papermill calls it for every notebook, and so did the reset before it. Once this client
        has seen the kernel ready, its channels stay open, so later calls return at once (a dead
        kernel is still noticed: :func:`_warm_kernel` checks ``is_alive`` before each notebook).
        """

        ready = False

        def start_channels(self, *args, **kwargs) -> None:
            if not self.channels_running:      # papermill starts them again for each notebook
                super().start_channels(*args, **kwargs)

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            if not self.ready:
                await super().wait_for_ready(timeout=timeout)
                self.ready = True

    class ReusedKernelManager(AsyncKernelManager):
        """Gives papermill the same connected client for every notebook run on this kernel."""

        connected = None

        def client(self, **kwargs):
            if self.connected is None:
                self.connected = ConnectedClient(parent=self, **{
                    **self.get_connection_info(session=True), **kwargs})
                self.connected.start_channels()
            return self.connected

        def close_clients(self) -> None:
            if self.connected is not None:
                self.connected.stop_channels()
                self.connected = None

    return ReusedKernelManager


def _warm_kernel(kernel_name: str):
    """This process's kernel (started on first use, restarted if it died), reset for a new notebook."""
    from jupyter_core.utils import run_sync

    for attempt in range(KERNEL_START_ATTEMPTS):
        km = _KERNELS.get(kernel_name)
        if km is None or not run_sync(km.is_alive)():
            if km is not None:
                km.close_clients()
                run_sync(km.cleanup_resources)()
            if not _KERNELS:
                multiprocessing.util.Finalize(None, _stop_kernels, exitpriority=10)
            km = _reused_kernel_manager_class()(kernel_name=kernel_name)
            run_sync(km.start_kernel)(cwd=str(NOTEBOOKS_DIR))
            _KERNELS[kernel_name] = km
        kc = km.client()
        try:
            run_sync(kc.wait_for_ready)(timeout=120)
            run_sync(kc.execute_interactive)(RESET_CODE, store_history=False, timeout=120,
                                             output_hook=lambda msg: None)
            return km
        except RuntimeError:  # "Kernel died before replying to kernel_info": seen under heavy load
            if attempt + 1 == KERNEL_START_ATTEMPTS:
                raise
            log.warning("Kernel %s stopped while starting; starting it again", kernel_name)
            km.close_clients()
            run_sync(km.shutdown_kernel)(now=True)
            _KERNELS.pop(kernel_name, None)
    raise AssertionError("unreachable")


def _init_worker(printer: tuple | None = None) -> None:
    """Workers ignore Ctrl-C (the parent decides how to stop, see build_annexes), print their PDFs
    with the batch's browsers (``printer``: :attr:`helpers.publish.pdf.PrintService.client_arguments`), and
    skip the IRI syntax checker of jsonschema.

    papermill and nbconvert import nbformat, whose jsonschema imports ``rfc3987_syntax`` when it is
    installed (jupyterlab's dependencies install it); that module compiles some thirty Earley
    grammars at import, 1-2 s of CPU on this project's 2-core machines (python-jsonschema/jsonschema
    issue 1428). No notebook schema uses the "iri" format, and jsonschema treats the module as
    optional: marking it absent in the worker processes changes nothing but the start-up time.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.modules.setdefault("rfc3987_syntax", None)
    if printer is not None:
        from helpers.publish.pdf import PrintClient

        _PRINTER[:] = [PrintClient(*printer)]


def _stop_kernels() -> None:
    from jupyter_core.utils import run_sync

    for km in _KERNELS.values():
        try:
            km.close_clients()
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - best effort at exit; an orphan kernel stops with its parent
            pass
    _KERNELS.clear()


# The PDF printer of this worker process: a client of the batch's browsers (helpers.publish.pdf.PrintService, set
# by _init_worker); without one, each page is printed by a browser started for it (helpers.publish.pdf.print_annex_pdf).
_PRINTER: list = []


def _print_pdf(html_path: Path, pdf_path: Path, screenshot_path: Path):
    from helpers.publish.pdf import print_annex_pdf

    if _PRINTER:
        return _PRINTER[0].print_annex_pdf(html_path, pdf_path, screenshot_path=screenshot_path)
    return print_annex_pdf(html_path, pdf_path, screenshot_path=screenshot_path)


def _execute(notebook: str, staging: Path, parameters: dict, kernel_name: str) -> None:
    import papermill

    wanted = {k: v for k, v in parameters.items() if k in NOTEBOOK_PARAMETERS[notebook]}
    km = _warm_kernel(kernel_name)
    papermill.execute_notebook(
        str(NOTEBOOKS_DIR / notebook), str(staging / notebook), parameters=wanted,
        kernel_name=kernel_name, cwd=str(NOTEBOOKS_DIR), progress_bar=False, log_output=False,
        report_mode=True, km=km, request_save_on_cell_execute=False,   # written once, at the end
    )


def _redirect_stderr(path: Path) -> int:
    """Send this process's stderr (and its kernels') to ``path``: ipykernel's start-up and
    shutdown chatter is noise, while real errors reach the year's result."""
    sys.stderr.flush()
    saved = os.dup(2)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(handle, 2)
    os.close(handle)
    return saved


def _restore_stderr(saved: int) -> None:
    sys.stderr.flush()
    os.dup2(saved, 2)
    os.close(saved)


def _fail(result: YearResult, notebook: str, exc: Exception, staging: Path, out_dir: Path) -> YearResult:
    from papermill.exceptions import PapermillExecutionError

    result.status = "failed"
    result.notebook = notebook
    if isinstance(exc, PapermillExecutionError):
        result.cell = exc.exec_count
        result.message = exc.evalue if exc.ename == "WorkbookError" else f"{exc.ename}: {exc.evalue}"
    else:
        result.message = f"{type(exc).__name__}: {exc}"
    executed = staging / notebook
    if executed.exists():
        failed_dir = out_dir / FAILED_SUBDIR
        failed_dir.mkdir(parents=True, exist_ok=True)
        os.replace(executed, failed_dir / notebook)
        result.outputs.append(str(failed_dir / notebook))
    return result


def run_steps(year: int, notebooks: tuple[str, ...], *, raw_dir: Path, processed_dir: Path,
              output_dir: Path, target_level: str, kernel_name: str, render: bool) -> YearResult:
    """Run ``notebooks`` for one year in a staging folder; promote the outputs if all succeed."""
    logging.getLogger("papermill").setLevel(logging.WARNING)
    started = time.perf_counter()
    result = YearResult(year=year)
    out_dir = Path(output_dir) / str(year)
    staging = Path(output_dir) / STAGING_SUBDIR / f"{year}-{os.getpid()}-{notebooks[0].split('_')[0]}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    log_path = staging.with_suffix(".log")
    saved_stderr = _redirect_stderr(log_path)
    parameters = {"year": year, "raw_dir": str(raw_dir), "processed_dir": str(processed_dir),
                  "target_level": target_level}
    try:
        for notebook in notebooks:
            try:
                _execute(notebook, staging, parameters, kernel_name)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a year result
                return _fail(result, notebook, exc, staging, out_dir)
        if render:
            from helpers.publish.excel import export_year_workbook
            from helpers.publish.render import render_annex_html
            from helpers.reference import load_entity

            entity = load_entity()
            title = f"Phụ lục năm {year} - {entity.issuing_body_short}"
            render_annex_html(staging / ANNEX_NOTEBOOK, staging / f"annex_{year}.html", title)
            # the Excel copy is written while the browser prints (this process only waits for it then)
            with ThreadPoolExecutor(max_workers=1) as excel:
                workbook = excel.submit(export_year_workbook, processed_dir, year, staging / f"annex_{year}.xlsx")
                result.pdf = _print_pdf(staging / f"annex_{year}.html", staging / f"annex_{year}.pdf",
                                        staging / f"annex_{year}_page1.png").summary
                workbook.result()
        out_dir.mkdir(parents=True, exist_ok=True)
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # Ctrl-C waits for the moves
        try:
            for produced in sorted(staging.iterdir()):
                os.replace(produced, out_dir / produced.name)
                result.outputs.append(str(out_dir / produced.name))
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        for notebook in notebooks:
            (out_dir / FAILED_SUBDIR / notebook).unlink(missing_ok=True)
        if (out_dir / FAILED_SUBDIR).is_dir() and not any((out_dir / FAILED_SUBDIR).iterdir()):
            (out_dir / FAILED_SUBDIR).rmdir()
        return result
    finally:
        _restore_stderr(saved_stderr)
        shutil.rmtree(staging, ignore_errors=True)
        log_path.unlink(missing_ok=True)
        result.seconds = time.perf_counter() - started


STEP_NOTEBOOKS = {CLEAN_STEP: (CLEAN_NOTEBOOK,), ANNEX_STEP: LATER_NOTEBOOKS}
STEP_LABELS = {CLEAN_STEP: "làm sạch", ANNEX_STEP: "chỉ tiêu và phụ lục"}
STILL_FAILED = "still-failed"      # a step that failed before and whose inputs did not change
# YearResult fields the batch itself fills; any other field (set inside run_steps) is copied as is.
_MERGED_FIELDS = {"year", "status", "steps", "changed", "outputs", "notebook", "cell", "message", "seconds"}


def _step_parameters(step: str, year: int, common: dict) -> dict:
    """The parameters a step depends on (the clean step does not see the target level)."""
    names = ("raw_dir", "processed_dir", "kernel_name") + (("target_level",) if step == ANNEX_STEP else ())
    return {"year": year, **{name: str(common[name]) for name in names}}


def _step_inputs(step: str, year: int, common: dict, code: str, reference: dict[str, str]) -> dict[str, str]:
    parameters = _step_parameters(step, year, common)
    if step == CLEAN_STEP:
        return run_record.clean_inputs(year, common["raw_dir"], STEP_NOTEBOOKS[step], parameters,
                                       code=code, reference=reference)
    return run_record.annex_inputs(year, common["raw_dir"], common["processed_dir"], STEP_NOTEBOOKS[step],
                                   parameters, code=code, reference=reference)


def _step_outputs(step: str, year: int, result: YearResult, processed_dir: Path) -> list[Path]:
    names = CLEAN_OUTPUTS if step == CLEAN_STEP else INDICATOR_OUTPUTS
    return [Path(o) for o in result.outputs] + [Path(processed_dir) / str(year) / name for name in names]


def _restore(result: YearResult, step: str, entry: dict) -> None:
    """Fill a year's result from the recorded run of a step that need not run again."""
    if entry["status"] == "failed":
        result.steps[step] = STILL_FAILED
        result.status, result.notebook, result.cell = "failed", entry["notebook"], entry["cell"]
        result.message = entry["message"]
        return
    result.steps[step] = "unchanged"
    result.outputs += [p for p in entry["outputs"] if not p.endswith(".csv")]
    for name, value in entry.get("extra", {}).items():
        if name not in _MERGED_FIELDS and hasattr(result, name):
            setattr(result, name, value)


def _merge(result: YearResult, step: str, done: YearResult, changed: list[str] | None) -> None:
    """Add the result of one step that ran to the year's result."""
    result.steps[step] = done.status
    result.outputs += done.outputs
    result.seconds += done.seconds
    result.changed += changed if changed is not None else ["(lần đầu)"]
    for name, value in vars(done).items():
        if name not in _MERGED_FIELDS:
            setattr(result, name, value)
    if done.status == "failed":
        result.status, result.notebook, result.cell, result.message = "failed", done.notebook, done.cell, done.message
    elif result.status == "unchanged":
        result.status = "built"


def build_annexes(years: list[int] | None = None, *, raw_dir: Path = RAW_DIR,
                  processed_dir: Path = PROCESSED_DIR, output_dir: Path = OUTPUT_DIR,
                  target_level: str = "province", jobs: int | None = None,
                  kernel_name: str = KERNEL_NAME, force: bool = False,
                  progress: bool = False) -> list[YearResult]:
    """Build the annex of each year (default: every year folder under ``raw_dir``).

    A step whose inputs (content hashes, see :mod:`helpers.run.run_record`) are those recorded in
    ``output_dir/run.json`` by an earlier run is not run again; ``force=True`` runs every step.
    ``progress=True`` shows a progress bar over years × steps on stderr.
    """
    from tqdm import tqdm

    raw_dir, processed_dir, output_dir = (resolve_project_path(p) for p in (raw_dir, processed_dir, output_dir))
    years = sorted(years) if years else discover_years(raw_dir)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(years) or 1))
    common = dict(raw_dir=raw_dir, processed_dir=processed_dir, output_dir=output_dir,
                  target_level=target_level, kernel_name=kernel_name)
    record_path = output_dir / run_record.RECORD_NAME
    record = run_record.load_run_record(record_path)
    shutil.rmtree(output_dir / STAGING_SUBDIR, ignore_errors=True)   # left by a run that was killed
    code, reference = run_record.code_fingerprint(), run_record.reference_digests()
    results = {year: YearResult(year=year, status="unchanged") for year in years}
    run_started = time.time()
    bar = tqdm(total=len(years) * len(STEP_NOTEBOOKS), desc="Lập phụ lục", unit="bước",
               disable=not progress, leave=False, file=sys.stderr)
    pool: ProcessPoolExecutor | None = None
    printer = None
    try:
        for step, notebooks in STEP_NOTEBOOKS.items():
            todo: dict[int, tuple[dict, dict | None]] = {}
            for year in years:
                result = results[year]
                if result.steps.get(CLEAN_STEP) in ("failed", STILL_FAILED):
                    result.steps[step] = "skipped"
                    bar.update(1)
                    continue
                inputs = _step_inputs(step, year, common, code, reference)
                entry = run_record.step_entry(record, year, step)
                if not force and run_record.is_up_to_date(entry, inputs):
                    _restore(result, step, entry)
                    bar.update(1)
                else:
                    todo[year] = (inputs, entry)
            if not todo:
                continue
            if pool is None:
                printer = printer or _print_service(jobs)
                pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_init_worker,
                                           initargs=(printer.client_arguments if printer else None,))
            bar.set_postfix_str(STEP_LABELS[step])
            queue, running = list(todo), {}
            # at most `jobs` steps in flight, so that Ctrl-C only waits for the ones running
            while queue or running:
                while queue and len(running) < jobs:
                    year = queue.pop(0)
                    running[pool.submit(run_steps, year, notebooks, render=step == ANNEX_STEP, **common)] = year
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    year = running.pop(future)
                    inputs, entry = todo[year]
                    try:
                        done = future.result()
                    except Exception as exc:  # noqa: BLE001 - a worker that died fails its year only
                        done = YearResult(year=year, status="failed", notebook=notebooks[0],
                                          message=f"{type(exc).__name__}: {exc}")
                        inputs = {}     # not the step's fault: run it again next time
                    if done.status == "failed" and "KeyboardInterrupt" in done.message:
                        inputs = {}     # stopped by Ctrl-C: run it again next time
                    changed = run_record.changed_inputs(entry["inputs"], inputs) if entry else None
                    if force:
                        changed = ["--force"]
                    elif entry and not changed:
                        changed = ["(kết quả cũ bị thiếu hoặc đã bị sửa)"]
                    _merge(results[year], step, done, changed)
                    outputs = _step_outputs(step, year, done, processed_dir) if done.status == "built" else []
                    run_record.set_step_entry(record, year, step, run_record.new_entry(
                        done.status, time.time() - done.seconds, done.seconds, inputs, entry, outputs=outputs,
                        notebook=done.notebook, cell=done.cell, message=done.message,
                        extra={k: v for k, v in vars(done).items() if k not in _MERGED_FIELDS}))
                    bar.update(1)
            run_record.save_run_record(record_path, record)
            if getattr(pool, "_broken", False):
                pool.shutdown(wait=False)
                pool = None
    except KeyboardInterrupt:
        # Ctrl-C: nothing new starts; the steps running now finish in their staging folders (their
        # outputs are complete, but unrecorded: they run again next time). A second Ctrl-C stops at once.
        if pool is not None:
            log.warning("Đang dừng: chờ các bước đang chạy kết thúc (nhấn Ctrl-C lần nữa để dừng ngay)…")
            try:
                pool.shutdown(wait=True, cancel_futures=True)
            except KeyboardInterrupt:
                pool.shutdown(wait=False, cancel_futures=True)
            pool = None
        raise
    finally:
        bar.close()
        record["last_run"] = {
            "started": run_record.iso_time(run_started),
            "seconds": round(time.time() - run_started, 3), "years": years, "force": force, "jobs": jobs,
            "results": {str(r.year): r.status for r in results.values()},
        }
        run_record.save_run_record(record_path, record)
        if pool is not None:
            pool.shutdown()
        if printer is not None:      # after the pool: the steps still running may print
            printer.close()
    return [results[y] for y in years]


def _print_service(jobs: int = 1):
    """The batch's browsers, printing for every worker (:class:`helpers.publish.pdf.PrintService`): one
    for every two workers (a print takes about a third of the time of a year's notebooks, and
    each browser's start and first page cost about 2 s of CPU). None where a browser cannot be
    kept running (not POSIX) or there is none: each PDF is then printed by a browser started for
    it, or skipped with the reason."""
    from helpers.publish.pdf import BrowserSession, PrintService

    session = BrowserSession()
    if not session.supported or session.browser is None:
        return None
    try:
        return PrintService(session, browsers=(jobs + 1) // 2)
    except OSError as exc:  # no local socket here (e.g. an unwritable temporary folder): print page by page
        log.warning("Không mở được kết nối in PDF dùng chung (%s); mỗi năm sẽ mở trình duyệt riêng.", exc)
        return None


REASON_LABELS = (("raw/", "biểu số liệu"), ("reference/", "dữ liệu tham chiếu"), ("notebooks/", "sổ tính"),
                 ("helpers", "mã nguồn helpers/"), ("parameters", "tham số"), ("processed/", "số liệu sạch"))


def describe_changes(changed: list[str], limit: int = 3) -> str:
    """The inputs that made a year re-run, in a few words: “biểu số liệu 20035_binh_tien.xlsx, …”."""
    words = []
    for name in dict.fromkeys(changed):
        label = next((text for prefix, text in REASON_LABELS if name.startswith(prefix)), "")
        detail = name.split("/", 1)[1] if "/" in name else ""
        words.append(f"{label} {detail}".strip() if label else name)
    shown = ", ".join(words[:limit])
    return shown + (f" và {len(words) - limit} thay đổi khác" if len(words) > limit else "")


def print_summary(results: list[YearResult], seconds: float) -> None:
    """One screen: per year built / unchanged / failed (notebook, cell, message), then the totals."""
    for result in results:
        mark = {"built": "✓ ", "unchanged": "· ", "failed": "✗ "}[result.status]
        print(mark + result.headline)
        if result.status == "built":
            html = [o for o in result.outputs if o.endswith(".html")]
            if html:
                print(f"    {html[0]}")
            if result.changed:
                print(f"    lập lại do thay đổi: {describe_changes(result.changed)}")
        elif result.status == "failed":
            for line in result.message.splitlines()[1:]:
                print(f"    {line}")
            for output in result.outputs:
                if "/failed/" in output.replace(os.sep, "/"):
                    print(f"    xem: {output}")
            if STILL_FAILED in result.steps.values():
                print("    (số liệu không thay đổi từ lần chạy trước nên chưa chạy lại; dùng --force để chạy lại)")
        if result.pdf.startswith(("skipped", "failed")):
            status, _, reason = result.pdf.partition(": ")
            print(f"    PDF: {reason}" if status == "skipped" else f"    PDF: lỗi — {reason}")
        elif result.pdf == "built":
            print(f"    PDF: {next((o for o in result.outputs if o.endswith('.pdf')), 'đã in')}")
    counts = {status: [r.year for r in results if r.status == status] for status in ("built", "unchanged", "failed")}
    if len(counts["unchanged"]) == len(results):
        print(f"Không có thay đổi: giữ nguyên phụ lục của {len(results)} năm ({seconds:.1f} giây).")
        return
    failed = counts["failed"]
    print(f"Xong sau {seconds:.1f} giây: {len(counts['built'])} năm đã lập, "
          f"{len(counts['unchanged'])} năm không có thay đổi, "
          f"{len(failed)} năm lỗi{' (' + ', '.join(map(str, failed)) + ')' if failed else ''}.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lập phụ lục Đề án 1373 cho từng năm báo cáo.")
    parser.add_argument("--years", nargs="*", type=int, help="năm cần lập (mặc định: mọi năm trong data/raw)")
    parser.add_argument("--target-level", default="province", help="cấp mục tiêu: national, province, district")
    parser.add_argument("--jobs", type=int, default=None, help="số tiến trình chạy song song (mặc định: số lõi)")
    parser.add_argument("--force", action="store_true", help="chạy lại mọi bước, kể cả khi không có thay đổi")
    parser.add_argument("--no-progress", action="store_true", help="không hiện thanh tiến trình")
    parser.add_argument("--raw-dir", default=str(RAW_DIR))
    parser.add_argument("--processed-dir", default=str(PROCESSED_DIR))
    parser.add_argument("--output-dir", default=str(OUTPUT_DIR))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    years = args.years or discover_years(Path(args.raw_dir))
    if not years:
        print(f"Không tìm thấy thư mục năm nào trong {args.raw_dir}.", file=sys.stderr)
        return 1
    print(f"Lập phụ lục cho các năm: {', '.join(map(str, years))}", flush=True)
    started = time.perf_counter()
    try:
        results = build_annexes(years, raw_dir=Path(args.raw_dir), processed_dir=Path(args.processed_dir),
                                output_dir=Path(args.output_dir), target_level=args.target_level,
                                jobs=args.jobs, force=args.force, progress=not args.no_progress)
    except KeyboardInterrupt:
        print("Đã dừng (Ctrl-C). Các bước đã xong được ghi lại; năm đang chạy dở giữ nguyên kết quả cũ "
              "và sẽ được chạy lại lần sau.", file=sys.stderr)
        return 130
    print_summary(results, time.perf_counter() - started)
    return 1 if any(r.status == "failed" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
