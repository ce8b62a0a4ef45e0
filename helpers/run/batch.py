"""Build the annex of every reporting year: the notebooks through papermill, then the HTML, the
Excel copy and the PDF.

Two phases, each running years in parallel processes: first ``01_clean`` for every year, then
``02_indicators`` and ``03_annex`` (which read earlier years' clean data for trends and the
year-on-year jump check). Each process keeps one Jupyter kernel warm across the years it builds
(``_warm_kernel``); headless browsers kept by the batch's own process (one for every two
workers) print every year's PDF (``helpers.publish.pdf.PrintService``). One year's failure never
stops the others; the command exits non-zero when any year failed.

What reaches ``output/<year>/``, and when. Each step works in a staging folder under
``output/.staging/``. A year's folder is replaced as a whole, once per run (:func:`promote_year`):
the new files (the cleaning's notebook waits in staging for the year's annex step) and the
unchanged files of the year's other step are gathered in a new folder, with ``.generation.json``
(the run that promoted it, every file's SHA-256), and that folder is swapped with the old one in
one step (``helpers.storage.replace_directory``). A run killed at any moment leaves a year's old
set of files or its new set, never a mix; ``output/run.json`` is written after the promotion (a
promoted but unrecorded year is simply built again next time). A step's file that the step did not
make this time is not carried over (a new annex replaces every file of the folder but the
cleaning's): without a browser the new annex has no PDF, and the old PDF, printed from the
previous annex, goes (the summary says so). A failure never replaces a good
annex: the failing notebook is put in ``output/<year>/failed/`` beside it.

One run at a time: the run holds ``.batch.lock`` in the output and processed folders
(:func:`helpers.run.run_record.hold_trees`). A second run started meanwhile waits for the first to
end, saying who holds the folder, for up to ``--lock-timeout`` seconds (15 minutes by default), then
stops with a Vietnamese message and exit code 3; a lock left by a killed run is taken over, and the
run says so. Workers, their kernels and the browsers die with the batch's process even when it is
killed outright (Linux: a parent-death signal, ``prctl(PR_SET_PDEATHSIG)``).

Incremental: ``output/run.json`` (helpers.run.run_record) keeps, per year and step, the content
hashes of what the step read; a step runs again only when one of them changed (``--force``
runs everything). Ctrl-C stops the run; finished steps are recorded, unfinished ones leave the
previous outputs in place and run again next time.

Exit codes: 0 done, 1 a year failed, 2 a mistake on the command line, 3 the output or processed
folder could not be held (another run kept it past ``--lock-timeout``, or its lock file cannot be
written), 130 stopped by Ctrl-C.

Entities: ``--entity <name>`` builds the annexes of ``reference/entities/<name>.toml`` (default:
:data:`helpers.paths.DEFAULT_ENTITY`, the seed's thị xã) into that entity's own folders
(:func:`helpers.paths.entity_dirs`: ``data/processed`` and ``output`` for the default entity,
``data/processed/<name>`` and ``output/<name>`` for another), with its own run record, lock,
staging and generations. The raw folder is shared; without ``--years`` the batch builds the years
found there that fall within the entity's ``first_year``..``last_year`` and names the others in
one line.

    python -m helpers.run.batch                 # every year of the default entity found under data/raw/
    python -m helpers.run.batch --years 2023    # one year
    python -m helpers.run.batch --force         # rebuild everything
    python -m helpers.run.batch --entity hue    # thành phố Huế, into output/hue/
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import json
import logging
import multiprocessing
import multiprocessing.util
import os
import re
import shutil
import signal
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from helpers import paths, storage
from helpers.paths import DEFAULT_ENTITY, NOTEBOOKS_DIR, RAW_DIR, REFERENCE_DIR, resolve_project_path
from helpers.run import run_record
from helpers.run.run_record import ANNEX_STEP, CLEAN_OUTPUTS, CLEAN_STEP, INDICATOR_OUTPUTS

log = logging.getLogger(__name__)

KERNEL_NAME = "xhht"
CLEAN_NOTEBOOK = "01_clean.ipynb"
LATER_NOTEBOOKS = ("02_indicators.ipynb", "03_annex.ipynb")
ANNEX_NOTEBOOK = "03_annex.ipynb"
FAILED_SUBDIR = "failed"
STAGING_SUBDIR = ".staging"
GENERATION_FILE = ".generation.json"    # in output/<year>/: the run that promoted the folder, each file's hash
PREVIOUS_SUFFIX = ".previous"           # .staging/<year>.previous: the old folder while it is being replaced
LOCK_TIMEOUT_SECONDS = 900.0            # how long a run waits for another run's folders by default
EXIT_BUSY = 3
# The parameters each notebook declares (papermill only warns about unknown names).
NOTEBOOK_PARAMETERS = {
    "01_clean.ipynb": ("year", "raw_dir", "processed_dir", "entity"),
    "02_indicators.ipynb": ("year", "processed_dir", "target_level", "entity"),
    "03_annex.ipynb": ("year", "raw_dir", "processed_dir", "entity"),
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
    removed_pdf: str = ""              # the previous annex PDF, removed: it was printed from the previous annex
    staged: str = ""                   # a step's outputs waiting in .staging for the year's promotion
    promoted: bool = False             # this step's outputs (and those it carried) reached output/<year>/
    retry: bool = False                # failed for a reason outside the step's inputs: run it again next time
    caveats: list[str] = field(default_factory=list)  # what the analyst must check before the annex is signed

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


def entity_years(raw_dir: Path = RAW_DIR, entity: str = DEFAULT_ENTITY,
                 reference_dir: Path = REFERENCE_DIR) -> tuple[list[int], list[int]]:
    """The year folders under ``raw_dir`` within the entity's reporting years
    (``first_year``..``last_year`` of ``reference/entities/<entity>.toml``), and those outside.
    Raises WorkbookError (Vietnamese, naming the configured entities) for an unknown entity."""
    from helpers.reference import load_entity

    chosen = load_entity(reference_dir, entity)
    found = discover_years(raw_dir)
    inside = [y for y in found if chosen.first_year <= y <= chosen.last_year]
    return inside, [y for y in found if y not in inside]


def skipped_years_line(outside: list[int], entity: str = DEFAULT_ENTITY, reference_dir: Path = REFERENCE_DIR) -> str:
    """One Vietnamese line naming the year folders left out because they are outside the entity's years."""
    from helpers.reference import entity_names, load_entity

    chosen = load_entity(reference_dir, entity)
    others = [name for name in entity_names(reference_dir) if name != chosen.key]
    hint = f"; lập cho đơn vị khác bằng --entity ({', '.join(others)})" if others else ""
    return (f"Bỏ qua năm {', '.join(map(str, outside))} có trong thư mục số liệu: ngoài khoảng "
            f"{chosen.first_year}-{chosen.last_year} của {chosen.name} "
            f"(reference/entities/{chosen.key}.toml){hint}.")


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
            # the kernel dies with this worker, even one killed outright (Linux; jupyter_client passes
            # preexec_fn on to subprocess.Popen, and this thread lasts as long as the worker)
            from helpers.publish.devtools_print import dying_with_parent

            preexec = dying_with_parent()
            run_sync(km.start_kernel)(cwd=str(NOTEBOOKS_DIR), **({"preexec_fn": preexec} if preexec else {}))
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


def _init_worker(printer: tuple | None = None, parent: int | None = None) -> None:
    """Workers ignore Ctrl-C (the parent decides how to stop, see build_annexes), die with the
    batch's process ``parent`` even when it is killed outright (Linux: parent-death signal), print
    their PDFs with the batch's browsers (``printer``:
    :attr:`helpers.publish.pdf.PrintService.client_arguments`), and skip the IRI syntax checker of
    jsonschema.

    papermill and nbconvert import nbformat, whose jsonschema imports ``rfc3987_syntax`` when it is
    installed (jupyterlab's dependencies install it); that module compiles some thirty Earley
    grammars at import, 1-2 s of CPU on this project's 2-core machines (python-jsonschema/jsonschema
    issue 1428). No notebook schema uses the "iri" format, and jsonschema treats the module as
    optional: marking it absent in the worker processes changes nothing but the start-up time.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        from helpers.publish.devtools_print import die_with_parent

        die_with_parent(signal.SIGKILL, parent=parent)
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


_OS_ERRORS = ("OSError", "PermissionError", "FileExistsError", "FileNotFoundError", "NotADirectoryError",
              "IsADirectoryError")
_ERRNO_TEXT = re.compile(r"\[Errno (\d+)\][^:]*(?::\s*'(.*?)')?")


def write_error_message(out_dir: Path, exc: OSError) -> str:
    """One Vietnamese line for a year's output that could not be written, naming its folder."""
    if exc.errno == errno.ENOTDIR and exc.filename and Path(exc.filename) == Path(out_dir):
        return (f"Không ghi được kết quả: {out_dir} là một tệp chứ không phải thư mục; "
                "hãy xoá hoặc đổi tên tệp đó rồi chạy lại.")
    where = f" ({exc.filename})" if exc.filename and Path(exc.filename) != Path(out_dir) else ""
    return f"Không ghi được kết quả vào thư mục {out_dir}: {run_record.os_error_reason(exc.errno)}{where}."


def _fail(result: YearResult, notebook: str, exc: Exception) -> YearResult:
    from papermill.exceptions import PapermillExecutionError

    result.status = "failed"
    result.notebook = notebook
    if isinstance(exc, PapermillExecutionError):
        result.cell = exc.exec_count
        result.message = exc.evalue if exc.ename == "WorkbookError" else f"{exc.ename}: {exc.evalue}"
        found = _ERRNO_TEXT.search(exc.evalue or "")
        if exc.ename in _OS_ERRORS and found:      # a file the notebook could not read or write
            path = f" {found.group(2)}" if found.group(2) else ""
            result.message = f"Không đọc/ghi được tệp{path}: {run_record.os_error_reason(int(found.group(1)))}."
            result.retry = True
    elif isinstance(exc, OSError):
        result.message = f"Không ghi được sổ tính {notebook}: {run_record.os_error_reason(exc.errno)}" + (
            f" ({exc.filename})." if exc.filename else ".")
        result.retry = True
    else:
        result.message = f"{type(exc).__name__}: {exc}"
    return result


def step_names(year: object, notebooks: tuple[str, ...], render: bool) -> set[str]:
    """The names in ``output/<year>/`` that a step makes (whether or not it makes them this time)."""
    names = {*notebooks, *(f"{FAILED_SUBDIR}/{notebook}" for notebook in notebooks)}
    if CLEAN_NOTEBOOK in notebooks:        # a stopped cleaning's feedback sheets, kept with its notebook
        names.add(f"{FAILED_SUBDIR}/communes/")
    if render:
        names |= {f"annex_{year}.html", f"annex_{year}.xlsx", f"annex_{year}.pdf", f"annex_{year}_page1.png"}
    return names


def _files_in(folder: Path) -> set[str]:
    """The files under ``folder`` (relative, with "/"), but the generation file."""
    if not folder.is_dir():
        return set()
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_symlink() or not p.is_dir()}
    return names - {GENERATION_FILE}


@contextlib.contextmanager
def _signals_wait():
    """Ctrl-C and SIGTERM wait for the block (the swap of a year's folder) to end."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def promote_year(new: Path, out_dir: Path, replaced: set[str], generation: str) -> tuple[list[Path], list[str]]:
    """Make the folder ``new`` (a year's new files, at their places) the year's folder ``out_dir``,
    as a whole.

    The files of the old folder that are neither in ``new`` nor named in ``replaced`` (the names of
    the steps that ran: see :func:`step_names`) are carried over (hard links); ``.generation.json``
    is written (``generation``, each file's SHA-256); then the two folders are swapped in one step
    (:func:`helpers.storage.replace_directory`) and the old one deleted. Returns the files of the
    year's folder now, and the old files that are gone (named in ``replaced``, not made this time).
    Raises OSError (NotADirectoryError when ``out_dir`` is a file), leaving ``out_dir`` as it was.
    """
    new, out_dir = Path(new), Path(out_dir)
    if (out_dir.exists() or out_dir.is_symlink()) and not out_dir.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(out_dir))
    made, old = _files_in(new), _files_in(out_dir)
    # a name ending in "/" stands for every file under that folder (the feedback of a stopped cleaning)
    replaced = set(replaced) | {n for n in old for prefix in replaced if prefix.endswith("/") and n.startswith(prefix)}
    for name in sorted(old - made - replaced):        # the files of the year's other step, unchanged
        target = new / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(out_dir / name, target, follow_symlinks=False)
        except OSError:
            shutil.copy2(out_dir / name, target, follow_symlinks=False)
    files = sorted(_files_in(new))
    manifest = {"year": out_dir.name, "generation": generation, "promoted": run_record.iso_time(time.time()),
                "files": {name: run_record.file_digest(new / name) for name in files}}
    (new / GENERATION_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    previous = out_dir.parent / STAGING_SUBDIR / f"{out_dir.name}{PREVIOUS_SUFFIX}"
    if previous.exists():
        shutil.rmtree(previous)
    with _signals_wait():
        replaced_folder = storage.replace_directory(new, out_dir, previous)
    if replaced_folder is not None:
        shutil.rmtree(replaced_folder, ignore_errors=True)
    return [out_dir / name for name in files], sorted((old & replaced) - set(files))


def new_generation() -> str:
    """An id for this run's promotions: its start time and process id."""
    return time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"


def run_steps(year: int, notebooks: tuple[str, ...], *, raw_dir: Path, processed_dir: Path,
              output_dir: Path, target_level: str, kernel_name: str, render: bool, defer: bool = False,
              carry: tuple[str, list[str]] | None = None, generation: str = "",
              entity: str = DEFAULT_ENTITY) -> YearResult:
    """Run ``notebooks`` for one year in a staging folder, then promote (:func:`promote_year`).

    When they all succeed, their outputs replace the step's previous ones in ``output/<year>/`` —
    or, with ``defer``, wait in the staging folder (``result.staged``) for the year's next step,
    which takes them along with ``carry`` (that folder, and the names its step makes). A failing
    notebook goes to ``output/<year>/failed/``, the rest of the year's folder staying as it was.
    An output that cannot be written fails the year with a Vietnamese message naming the folder.
    """
    logging.getLogger("papermill").setLevel(logging.WARNING)
    started = time.perf_counter()
    result = YearResult(year=year)
    output_dir = Path(output_dir)
    out_dir = output_dir / str(year)
    staging = output_dir / STAGING_SUBDIR / f"{year}-{os.getpid()}-{notebooks[0].split('_')[0]}"
    log_path = staging.with_suffix(".log")
    parameters = {"year": year, "raw_dir": str(raw_dir), "processed_dir": str(processed_dir),
                  "target_level": target_level, "entity": entity}
    saved_stderr = None
    keep = False
    try:
        if (out_dir.exists() or out_dir.is_symlink()) and not out_dir.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(out_dir))
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        saved_stderr = _redirect_stderr(log_path)
        for notebook in notebooks:
            try:
                _execute(notebook, staging, parameters, kernel_name)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a year result
                _fail(result, notebook, exc)
                break
        else:
            if render:
                _render(year, staging, processed_dir, Path(raw_dir), result, entity)
        if result.status == "failed":     # only the failing notebook is kept, in failed/
            for produced in list(staging.iterdir()):
                if produced.name != result.notebook:
                    shutil.rmtree(produced) if produced.is_dir() else produced.unlink()
            if (staging / result.notebook).exists():
                (staging / FAILED_SUBDIR).mkdir()
                os.replace(staging / result.notebook, staging / FAILED_SUBDIR / result.notebook)
                if result.notebook == CLEAN_NOTEBOOK:
                    with contextlib.suppress(Exception):   # the feedback never hides the year's own error
                        _feedback_of_a_stopped_year(year, processed_dir, staging / FAILED_SUBDIR, entity)
        elif defer:
            keep = True
            result.staged = str(staging)
            result.outputs = [str(out_dir / name) for name in sorted(_files_in(staging))]
            return result
        made = _files_in(staging)
        replaced = step_names(year, notebooks, render)
        if render and result.status != "failed":   # a new annex: every file of the year but the cleaning's goes
            replaced |= _files_in(out_dir) - step_names(year, (CLEAN_NOTEBOOK,), False)
        if carry is not None:
            carried, names = Path(carry[0]), carry[1]
            for name in _files_in(carried):
                (staging / name).parent.mkdir(parents=True, exist_ok=True)
                os.replace(carried / name, staging / name)
            shutil.rmtree(carried, ignore_errors=True)
            replaced |= set(names)
        files, gone = promote_year(staging, out_dir, replaced, generation or new_generation())
        result.promoted = True
        result.outputs = [str(path) for path in files if path.relative_to(out_dir).as_posix() in made]
        if render and f"annex_{year}.pdf" in gone:
            result.removed_pdf = str(out_dir / f"annex_{year}.pdf")
        return result
    except OSError as exc:
        result.status, result.retry = "failed", True
        result.notebook, result.cell = "", None
        result.message = write_error_message(out_dir, exc)
        return result
    finally:
        if saved_stderr is not None:
            _restore_stderr(saved_stderr)
        if not keep:
            shutil.rmtree(staging, ignore_errors=True)
        log_path.unlink(missing_ok=True)
        result.seconds = time.perf_counter() - started


def _render(year: int, staging: Path, processed_dir: Path, raw_dir: Path, result: YearResult,
            entity: str = DEFAULT_ENTITY) -> None:
    """The year's documents in ``staging``: the official annex (HTML, PDF, page-1 screenshot), the
    analysis report (HTML, PDF), the Excel copy of both, and the communes' feedback sheets; the
    caveats the analyst must check before signing go to the year's result."""
    from helpers.publish.annex_table import annex_of_year
    from helpers.publish.excel import write_year_workbook
    from helpers.publish.feedback import write_feedback
    from helpers.publish.render import analysis_path_of, render_annex_html
    from helpers.reference import Reference

    ref = Reference.load(entity=entity)
    title = f"Phụ lục năm {year} - {ref.entity.issuing_body_short}"
    annex_html = render_annex_html(staging / ANNEX_NOTEBOOK, staging / f"annex_{year}.html", title)
    analysis_html = analysis_path_of(annex_html)
    tables, annex = annex_of_year(processed_dir, year, ref)
    result.caveats = [" ".join(part for part in (c.indicator_id, c.label) if part) + f": {c.text}"
                      for c in annex.caveats.itertuples(index=False)]      # a caveat of no indicator has no id
    # the Excel copy is written while the browser prints (this process only waits for it then)
    with ThreadPoolExecutor(max_workers=1) as excel:
        workbook = excel.submit(write_year_workbook, annex, tables, staging / f"annex_{year}.xlsx",
                                processed_dir=processed_dir, raw_dir=raw_dir)
        result.pdf = _print_pdf(annex_html, staging / f"annex_{year}.pdf", staging / f"annex_{year}_page1.png").summary
        printed = result.pdf == "built"      # without a browser, no other PDF is tried this year
        if printed:
            _print_pdf(analysis_html, analysis_html.with_suffix(".pdf"), None)
        write_feedback(processed_dir, year, staging, annex.ctx,
                       print_pdf=(lambda html, pdf: _print_pdf(html, pdf, None)) if printed else None)
        workbook.result()


def _feedback_of_a_stopped_year(year: int, processed_dir: Path, folder: Path, entity: str = DEFAULT_ENTITY) -> None:
    """The communes' feedback sheets of a year whose cleaning stopped on errors (into ``failed/``):
    that is when each commune most needs to know what to correct in its file."""
    from helpers.publish.feedback import write_feedback
    from helpers.reference import Reference

    if (Path(processed_dir) / str(year) / "records.csv").is_file():
        write_feedback(processed_dir, year, folder, Reference.load(entity=entity).for_year(year),
                       print_pdf=lambda html, pdf: _print_pdf(html, pdf, None))


STEP_NOTEBOOKS = {CLEAN_STEP: (CLEAN_NOTEBOOK,), ANNEX_STEP: LATER_NOTEBOOKS}
STEP_LABELS = {CLEAN_STEP: "làm sạch", ANNEX_STEP: "chỉ tiêu và phụ lục"}
STILL_FAILED = "still-failed"      # a step that failed before and whose inputs did not change
# YearResult fields the batch itself fills; any other field (set inside run_steps) is copied as is.
_MERGED_FIELDS = {"year", "status", "steps", "changed", "outputs", "notebook", "cell", "message", "seconds"}
# fields about this run only, never recorded nor restored from the record
_TRANSIENT_FIELDS = {"removed_pdf", "staged", "promoted", "retry"}


def _step_parameters(step: str, year: int, common: dict) -> dict:
    """The parameters a step depends on (the clean step does not see the target level)."""
    names = ("raw_dir", "processed_dir", "kernel_name", "entity") + (("target_level",) if step == ANNEX_STEP else ())
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
        if name not in _MERGED_FIELDS | _TRANSIENT_FIELDS and hasattr(result, name):
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
                  processed_dir: Path | None = None, output_dir: Path | None = None,
                  target_level: str = "province", jobs: int | None = None,
                  kernel_name: str = KERNEL_NAME, force: bool = False,
                  progress: bool = False, lock_timeout: float = LOCK_TIMEOUT_SECONDS,
                  entity: str = DEFAULT_ENTITY) -> list[YearResult]:
    """Build the annex of each year of the reporting entity ``entity``
    (``reference/entities/<entity>.toml``) — default: every year folder under ``raw_dir`` within
    the entity's reporting years (:func:`entity_years`); a year asked twice is built once; a year
    asked outside them fails with the notebooks' message.

    ``processed_dir`` and ``output_dir`` default to the entity's own folders
    (:func:`helpers.paths.entity_dirs`).

    A step whose inputs (content hashes, see :mod:`helpers.run.run_record`) are those recorded in
    ``output_dir/run.json`` by an earlier run is not run again; ``force=True`` runs every step.
    ``progress=True`` shows a progress bar over years × steps on stderr. The output and processed
    folders are held for the run (:func:`helpers.run.run_record.hold_trees`): while another run
    holds them this one waits, up to ``lock_timeout`` seconds, then raises
    :class:`helpers.run.run_record.TreeUnavailable`.
    """
    own_processed, own_output = paths.entity_dirs(entity)
    raw_dir, processed_dir, output_dir = (resolve_project_path(p) for p in (
        raw_dir, own_processed if processed_dir is None else processed_dir,
        own_output if output_dir is None else output_dir))
    years = sorted(set(years)) if years else entity_years(raw_dir, entity)[0]
    with run_record.hold_trees([output_dir, processed_dir], wait_seconds=lock_timeout):
        return _build(years, raw_dir=raw_dir, processed_dir=processed_dir, output_dir=output_dir,
                      target_level=target_level, jobs=jobs, kernel_name=kernel_name, force=force,
                      progress=progress, entity=entity)


def _clear_staging(output_dir: Path) -> None:
    """Remove what a killed run left in ``.staging`` (its folders are never part of the output),
    after putting back a year's folder it was replacing with two renames (not Linux)."""
    staging = output_dir / STAGING_SUBDIR
    if not staging.is_dir():
        return
    for previous in staging.glob(f"*{PREVIOUS_SUFFIX}"):
        target = output_dir / previous.name[:-len(PREVIOUS_SUFFIX)]
        if storage.restore_directory(previous, target):
            log.warning("Đã khôi phục thư mục %s mà lần chạy trước bị dừng khi đang thay.", target)
    shutil.rmtree(staging, ignore_errors=True)


class _Recorder:
    """Writes the steps' entries into ``run.json``, each right after its year's promotion."""

    def __init__(self, path: Path, record: dict, generation: str, force: bool):
        self.path, self.record, self.generation, self.force = path, record, generation, force
        self.warned = False

    def add(self, year: int, step: str, done: YearResult, inputs: dict, entry: dict | None,
            processed_dir: Path) -> None:
        if done.retry or (done.status == "failed" and "KeyboardInterrupt" in done.message):
            inputs = {}      # not the step's inputs' fault (writing, a dead worker, Ctrl-C): run it again next time
        outputs = _step_outputs(step, year, done, processed_dir) if done.status == "built" else []
        run_record.set_step_entry(self.record, year, step, run_record.new_entry(
            done.status, time.time() - done.seconds, done.seconds, inputs, entry, outputs=outputs,
            notebook=done.notebook, cell=done.cell, message=done.message,
            extra={k: v for k, v in vars(done).items() if k not in _MERGED_FIELDS | _TRANSIENT_FIELDS},
            generation=self.generation if done.promoted else ""))

    def save(self) -> None:
        try:
            run_record.save_run_record(self.path, self.record)
        except OSError as exc:
            if not self.warned:
                log.warning("Không ghi được %s: %s; lần sau các năm sẽ được lập lại.", self.path,
                            run_record.os_error_reason(exc.errno))
                self.warned = True

    def changed(self, inputs: dict, entry: dict | None) -> list[str] | None:
        changed = run_record.changed_inputs(entry["inputs"], inputs) if entry else None
        if self.force:
            return ["--force"]
        if entry and not changed:
            return ["(kết quả cũ bị thiếu hoặc đã bị sửa)"]
        return changed


def _build(years: list[int], *, raw_dir: Path, processed_dir: Path, output_dir: Path, target_level: str,
           jobs: int | None, kernel_name: str, force: bool, progress: bool,
           entity: str = DEFAULT_ENTITY) -> list[YearResult]:
    from tqdm import tqdm

    jobs = max(1, min(jobs or os.cpu_count() or 1, len(years) or 1))
    common = dict(raw_dir=raw_dir, processed_dir=processed_dir, output_dir=output_dir,
                  target_level=target_level, kernel_name=kernel_name, entity=entity)
    generation = new_generation()
    record_path = output_dir / run_record.RECORD_NAME
    record = run_record.load_run_record(record_path)
    recorder = _Recorder(record_path, record, generation, force)
    _clear_staging(output_dir)        # left by a run that was killed (this run holds the folder now)
    code, reference = run_record.code_fingerprint(), run_record.reference_digests(entity=entity)
    results = {year: YearResult(year=year, status="unchanged") for year in years}
    # a year whose cleaning ran: its outputs wait in .staging for the year's promotion, and its
    # entry is recorded after it: year → (the step's result, its inputs, its earlier entry)
    pending: dict[int, tuple[YearResult, dict, dict | None]] = {}
    run_started = time.time()
    bar = tqdm(total=len(years) * len(STEP_NOTEBOOKS), desc="Lập phụ lục", unit="bước",
               disable=not progress, leave=False, file=sys.stderr)
    pool: ProcessPoolExecutor | None = None
    printer = None

    def promote_cleaning_alone(year: int) -> None:
        """The cleaning ran and the annex need not: the cleaning's outputs replace its old ones."""
        done, inputs, entry = pending.pop(year)
        try:
            promote_year(Path(done.staged), output_dir / str(year),
                         step_names(year, STEP_NOTEBOOKS[CLEAN_STEP], False), generation)
            done.promoted = True
        except OSError as exc:
            done.status, done.retry = "failed", True
            done.notebook, done.cell = "", None
            done.message = write_error_message(output_dir / str(year), exc)
            result = results[year]
            result.steps[CLEAN_STEP] = "failed"
            result.status, result.notebook, result.cell, result.message = "failed", "", None, done.message
        recorder.add(year, CLEAN_STEP, done, inputs, entry, processed_dir)
        recorder.save()

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
                    if year in pending:
                        promote_cleaning_alone(year)
                else:
                    todo[year] = (inputs, entry)
            if not todo:
                continue
            if pool is None:
                printer = printer or _print_service(jobs)
                pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_init_worker,
                                           initargs=(printer.client_arguments if printer else None, os.getpid()))
            bar.set_postfix_str(STEP_LABELS[step])
            queue, running = list(todo), {}
            # at most `jobs` steps in flight, so that Ctrl-C only waits for the ones running
            while queue or running:
                while queue and len(running) < jobs:
                    year = queue.pop(0)
                    carry = None
                    if step == ANNEX_STEP and year in pending:
                        carry = (pending[year][0].staged, sorted(step_names(year, STEP_NOTEBOOKS[CLEAN_STEP], False)))
                    running[pool.submit(run_steps, year, notebooks, render=step == ANNEX_STEP,
                                        defer=step == CLEAN_STEP, carry=carry, generation=generation,
                                        **common)] = year
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    year = running.pop(future)
                    inputs, entry = todo[year]
                    try:
                        done = future.result()
                    except Exception as exc:  # noqa: BLE001 - a worker that died fails its year only
                        done = YearResult(year=year, status="failed", notebook=notebooks[0],
                                          message=f"{type(exc).__name__}: {exc}", retry=True)
                    _merge(results[year], step, done, recorder.changed(inputs, entry))
                    if done.staged:               # the cleaning's outputs wait for the year's annex step
                        pending[year] = (done, inputs, entry)
                    else:
                        if year in pending:       # they went with the annex step's outputs, or not at all
                            cleaning, clean_inputs, clean_entry = pending.pop(year)
                            if done.promoted:
                                cleaning.promoted = True
                                recorder.add(year, CLEAN_STEP, cleaning, clean_inputs, clean_entry, processed_dir)
                        recorder.add(year, step, done, inputs, entry, processed_dir)
                        recorder.save()
                    bar.update(1)
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
            "started": run_record.iso_time(run_started), "generation": generation,
            "seconds": round(time.time() - run_started, 3), "years": years, "force": force, "jobs": jobs,
            "entity": entity,
            "results": {str(r.year): r.status for r in results.values()},
        }
        recorder.save()
        if pool is not None:
            pool.shutdown()
        if printer is not None:      # after the pool: the steps still running may print
            printer.close()
        shutil.rmtree(output_dir / STAGING_SUBDIR, ignore_errors=True)   # e.g. cleanings left unpromoted
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
                print(f"    {next((o for o in html if Path(o).name.startswith('annex_')), html[0])}")
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
            pdfs = [o for o in result.outputs if o.endswith(".pdf")]
            print(f"    PDF: {next((o for o in pdfs if Path(o).name.startswith('annex_')), 'đã in')}")
        if result.caveats and result.status != "failed":
            print(f"    Cần kiểm tra trước khi ký ({len(result.caveats)} điểm, xem báo cáo phân tích):")
            for caveat in result.caveats:
                print(f"      - {caveat}")
        if result.removed_pdf:
            print(f"    Đã xoá PDF cũ {result.removed_pdf}: nó được in từ phụ lục lần trước, không khớp với "
                  "HTML và Excel mới.")
    counts = {status: [r.year for r in results if r.status == status] for status in ("built", "unchanged", "failed")}
    if len(counts["unchanged"]) == len(results):
        print(f"Không có thay đổi: giữ nguyên phụ lục của {len(results)} năm ({seconds:.1f} giây).")
        return
    failed = counts["failed"]
    print(f"Xong sau {seconds:.1f} giây: {len(counts['built'])} năm đã lập, "
          f"{len(counts['unchanged'])} năm không có thay đổi, "
          f"{len(failed)} năm lỗi{' (' + ', '.join(map(str, failed)) + ')' if failed else ''}.")


# argparse's own texts (Python 3.11), in Vietnamese: the command line never answers in English.
_ARGPARSE_TEXTS = {
    "usage: ": "cách dùng: ",
    "positional arguments": "tham số",
    "options": "tuỳ chọn",
    "show this help message and exit": "hiện hướng dẫn này rồi thoát",
    "argument %(argument_name)s: %(message)s": "tham số %(argument_name)s: %(message)s",
    "unrecognized arguments: %s": "không hiểu tham số: %s",
    "the following arguments are required: %s": "thiếu tham số: %s",
    "one of the arguments %s is required": "cần một trong các tham số %s",
    "expected one argument": "cần đúng một giá trị",
    "expected at most one argument": "cần nhiều nhất một giá trị",
    "expected at least one argument": "cần ít nhất một giá trị",
    "expected %s argument": "cần %s giá trị",
    "expected %s arguments": "cần %s giá trị",
    "ambiguous option: %(option)s could match %(matches)s": "tuỳ chọn %(option)s chưa rõ: có thể là %(matches)s",
    "not allowed with argument %s": "không dùng được cùng với %s",
    "ignored explicit argument %r": "tuỳ chọn này không nhận giá trị %r",
    "unexpected option string: %s": "không hiểu tuỳ chọn: %s",
    "invalid %(type)s value: %(value)r": "giá trị không hợp lệ: %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "giá trị %(value)r không hợp lệ (chọn một trong: %(choices)s)",
    "%(prog)s: error: %(message)s\n": "%(prog)s: lỗi: %(message)s\n",
}


@contextlib.contextmanager
def _argparse_in_vietnamese():
    """argparse's texts translated while the block runs (argparse looks them up through its ``_``)."""
    saved = argparse._, argparse.ngettext
    argparse._ = lambda text: _ARGPARSE_TEXTS.get(text, text)
    argparse.ngettext = lambda one, many, n: _ARGPARSE_TEXTS.get(one if n == 1 else many, one if n == 1 else many)
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


class VietnameseArgumentParser(argparse.ArgumentParser):
    """An argument parser whose help, usage and errors are Vietnamese; a mistake exits with code 2."""

    def __init__(self, *args, **kwargs):
        with _argparse_in_vietnamese():
            super().__init__(*args, **kwargs)

    def parse_args(self, args=None, namespace=None):
        with _argparse_in_vietnamese():
            return super().parse_args(args, namespace)

    def parse_known_args(self, args=None, namespace=None):
        with _argparse_in_vietnamese():
            return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        with _argparse_in_vietnamese():
            return super().format_usage()

    def format_help(self) -> str:
        with _argparse_in_vietnamese():
            return super().format_help()

    def error(self, message: str):
        with _argparse_in_vietnamese():
            super().error(message)


def _year(text: str) -> int:
    if not re.fullmatch(r"\d{4}", text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} không phải là một năm (ví dụ: 2023)")
    return int(text)


def _positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} không phải là một số nguyên dương")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} không phải là một số giây (0 trở lên)")
    return value


def argument_parser() -> VietnameseArgumentParser:
    """The command line of ``python -m helpers.run.batch``."""
    parser = VietnameseArgumentParser(
        prog="python -m helpers.run.batch", description="Lập phụ lục Đề án 1373 cho từng năm báo cáo.",
        epilog="Mã thoát: 0 xong, 1 có năm lỗi, 2 sai tham số dòng lệnh, 3 không giữ được thư mục kết quả hoặc "
               "thư mục số liệu sạch (một lần chạy khác dùng quá thời gian chờ, hoặc không ghi được tệp khoá), "
               "130 dừng bằng Ctrl-C.")
    parser.add_argument("--entity", default=DEFAULT_ENTITY, metavar="ĐƠN_VỊ",
                        help="đơn vị báo cáo, theo tệp reference/entities/<ĐƠN_VỊ>.toml (mặc định: "
                             f"{DEFAULT_ENTITY}, kết quả ghi vào output/; đơn vị khác ghi vào output/<ĐƠN_VỊ>/)")
    parser.add_argument("--years", nargs="*", type=_year, metavar="NĂM",
                        help="năm cần lập (mặc định: mọi năm trong data/raw thuộc khoảng năm báo cáo của đơn vị); "
                             "năm ghi trùng chỉ lập một lần")
    parser.add_argument("--target-level", default="province", metavar="CẤP",
                        help="cấp mục tiêu: national, province, district (mặc định: province)")
    parser.add_argument("--jobs", type=_positive, default=None, metavar="SỐ",
                        help="số tiến trình chạy song song (mặc định: số lõi)")
    parser.add_argument("--force", action="store_true", help="chạy lại mọi bước, kể cả khi không có thay đổi")
    parser.add_argument("--no-progress", action="store_true", help="không hiện thanh tiến trình")
    parser.add_argument("--lock-timeout", type=_seconds, default=LOCK_TIMEOUT_SECONDS, metavar="GIÂY",
                        help="khi một lần chạy khác đang dùng thư mục kết quả: chờ tối đa bấy nhiêu giây rồi "
                             f"dừng với mã thoát {EXIT_BUSY} (0: dừng ngay; mặc định: {LOCK_TIMEOUT_SECONDS:g})")
    parser.add_argument("--raw-dir", default=str(RAW_DIR), metavar="THƯ_MỤC", help="thư mục số liệu các xã gửi")
    parser.add_argument("--processed-dir", default=None, metavar="THƯ_MỤC",
                        help="thư mục số liệu đã làm sạch (mặc định: data/processed, hoặc "
                             "data/processed/<ĐƠN_VỊ> cho đơn vị khác đơn vị mặc định)")
    parser.add_argument("--output-dir", default=None, metavar="THƯ_MỤC",
                        help="thư mục kết quả (mặc định: output, hoặc output/<ĐƠN_VỊ> cho đơn vị khác đơn vị mặc định)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from helpers.errors import WorkbookError
    from helpers.reference import load_entity

    args = argument_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        entity = load_entity(REFERENCE_DIR, args.entity)
    except WorkbookError as exc:            # an unknown entity names the configured ones
        print(str(exc), file=sys.stderr)
        return 2
    if args.years:
        years = sorted(set(args.years))     # a year outside the entity's range fails with the notebooks' message
    else:
        years, outside = entity_years(Path(args.raw_dir), entity.key)
        if outside:
            print(skipped_years_line(outside, entity.key), flush=True)
        if not years:
            print(f"Không tìm thấy thư mục năm nào của {entity.name} ({entity.first_year}-{entity.last_year}) "
                  f"trong {args.raw_dir}.", file=sys.stderr)
            return 1
    own_processed, own_output = paths.entity_dirs(entity.key)
    processed_dir = Path(args.processed_dir) if args.processed_dir else own_processed
    output_dir = Path(args.output_dir) if args.output_dir else own_output
    print(f"Đơn vị báo cáo: {entity.name} (reference/entities/{entity.key}.toml); kết quả ghi vào {output_dir}.")
    print(f"Lập phụ lục cho các năm: {', '.join(map(str, years))}", flush=True)
    started = time.perf_counter()
    try:
        results = build_annexes(years, raw_dir=Path(args.raw_dir), processed_dir=processed_dir,
                                output_dir=output_dir, target_level=args.target_level,
                                jobs=args.jobs, force=args.force, progress=not args.no_progress,
                                lock_timeout=args.lock_timeout, entity=entity.key)
    except KeyboardInterrupt:
        print("Đã dừng (Ctrl-C). Các bước đã xong được ghi lại; năm đang chạy dở giữ nguyên kết quả cũ "
              "và sẽ được chạy lại lần sau.", file=sys.stderr)
        return 130
    except run_record.TreeUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BUSY
    print_summary(results, time.perf_counter() - started)
    return 1 if any(r.status == "failed" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
