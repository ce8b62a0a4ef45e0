"""Build the annex of every reporting year: the notebooks through papermill, then the HTML.

Two phases, each running years in parallel processes: first ``01_clean`` for every year, then
``02_indicators`` and ``03_annex`` (which read earlier years' clean data for trends). Each year's
outputs are written to a staging folder and moved into ``output/<year>/`` only when the whole
year succeeded, so a failure never replaces a good annex. One year's failure never stops the
others; the command exits non-zero when any year failed.

    python -m helpers.batch                 # every year found under data/raw/
    python -m helpers.batch --years 2023    # one year
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from helpers.paths import NOTEBOOKS_DIR, OUTPUT_DIR, PROCESSED_DIR, RAW_DIR, resolve_project_path
from helpers.reference import load_entity

log = logging.getLogger(__name__)

KERNEL_NAME = "xhht"
CLEAN_NOTEBOOK = "01_clean.ipynb"
LATER_NOTEBOOKS = ("02_indicators.ipynb", "03_annex.ipynb")
ANNEX_NOTEBOOK = "03_annex.ipynb"
FAILED_SUBDIR = "failed"
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
    status: str = "built"              # built | failed
    outputs: list[str] = field(default_factory=list)
    notebook: str = ""                 # the notebook that failed
    cell: int | None = None            # its execution count
    message: str = ""                  # the analyst's message (Vietnamese), may span lines
    seconds: float = 0.0

    @property
    def headline(self) -> str:
        """One readable line naming the year, notebook and cell."""
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


def _execute(notebook: str, staging: Path, parameters: dict, kernel_name: str) -> None:
    import papermill

    wanted = {k: v for k, v in parameters.items() if k in NOTEBOOK_PARAMETERS[notebook]}
    papermill.execute_notebook(
        str(NOTEBOOKS_DIR / notebook), str(staging / notebook), parameters=wanted,
        kernel_name=kernel_name, cwd=str(NOTEBOOKS_DIR), progress_bar=False, log_output=False,
        report_mode=True,
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
    staging = Path(output_dir) / ".staging" / f"{year}-{os.getpid()}-{notebooks[0].split('_')[0]}"
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
            from helpers.render import render_annex_html

            entity = load_entity()
            title = f"Phụ lục năm {year} - {entity.issuing_body_short}"
            render_annex_html(staging / ANNEX_NOTEBOOK, staging / f"annex_{year}.html", title)
        out_dir.mkdir(parents=True, exist_ok=True)
        for produced in sorted(staging.iterdir()):
            os.replace(produced, out_dir / produced.name)
            result.outputs.append(str(out_dir / produced.name))
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


def build_annexes(years: list[int] | None = None, *, raw_dir: Path = RAW_DIR,
                  processed_dir: Path = PROCESSED_DIR, output_dir: Path = OUTPUT_DIR,
                  target_level: str = "province", jobs: int | None = None,
                  kernel_name: str = KERNEL_NAME) -> list[YearResult]:
    """Build the annex of each year (default: every year folder under ``raw_dir``)."""
    raw_dir, processed_dir, output_dir = (resolve_project_path(p) for p in (raw_dir, processed_dir, output_dir))
    years = sorted(years) if years else discover_years(raw_dir)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(years) or 1))
    common = dict(raw_dir=raw_dir, processed_dir=processed_dir, output_dir=output_dir,
                  target_level=target_level, kernel_name=kernel_name)
    results: dict[int, YearResult] = {}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        cleaned = {y: pool.submit(run_steps, y, (CLEAN_NOTEBOOK,), render=False, **common) for y in years}
        clean_results = {y: f.result() for y, f in cleaned.items()}
        later = {}
        for year, clean in clean_results.items():
            if clean.status == "failed":
                results[year] = clean
            else:
                later[year] = pool.submit(run_steps, year, LATER_NOTEBOOKS, render=True, **common)
        for year, future in later.items():
            result = future.result()
            result.outputs = clean_results[year].outputs + result.outputs
            result.seconds += clean_results[year].seconds
            results[year] = result
    return [results[y] for y in years]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lập phụ lục Đề án 1373 cho từng năm báo cáo.")
    parser.add_argument("--years", nargs="*", type=int, help="năm cần lập (mặc định: mọi năm trong data/raw)")
    parser.add_argument("--target-level", default="province", help="cấp mục tiêu: national, province, district")
    parser.add_argument("--jobs", type=int, default=None, help="số tiến trình chạy song song")
    parser.add_argument("--raw-dir", default=str(RAW_DIR))
    parser.add_argument("--processed-dir", default=str(PROCESSED_DIR))
    parser.add_argument("--output-dir", default=str(OUTPUT_DIR))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    years = args.years or discover_years(Path(args.raw_dir))
    if not years:
        print(f"Không tìm thấy thư mục năm nào trong {args.raw_dir}.", file=sys.stderr)
        return 1
    print(f"Lập phụ lục cho các năm: {', '.join(map(str, years))}")
    started = time.perf_counter()
    results = build_annexes(years, raw_dir=Path(args.raw_dir), processed_dir=Path(args.processed_dir),
                            output_dir=Path(args.output_dir), target_level=args.target_level, jobs=args.jobs)
    for result in results:
        print(("✓ " if result.status == "built" else "✗ ") + result.headline)
        if result.status == "built":
            html = [o for o in result.outputs if o.endswith(".html")]
            print(f"    {html[0] if html else ''}")
        else:
            for line in result.message.splitlines()[1:]:
                print(f"    {line}")
            for output in result.outputs:
                print(f"    xem: {output}")
    failed = [r.year for r in results if r.status == "failed"]
    print(f"Xong sau {time.perf_counter() - started:.1f} giây: {len(results) - len(failed)} năm thành công, "
          f"{len(failed)} năm lỗi{' (' + ', '.join(map(str, failed)) + ')' if failed else ''}.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
