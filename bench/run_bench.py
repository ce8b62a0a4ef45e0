"""Benchmark of the batch (``make bench``): prints figures, asserts nothing.

1. The bundled sample years of the default entity (the seed's thị xã, 2021-2024), side by side in
   one run: (a) the loop a user would write for the same
   documents — for each year, the papermill CLI on each notebook, ``jupyter nbconvert --to html``
   and Chromium's print to PDF for the annex and for the analysis report, then the feedback sheets'
   command — and (b) ``python -m helpers.run.batch --force`` (what ``make annex FORCE=1`` runs).
2. Rerun with nothing changed, then with one raw file of one year changed.
3. Scale: a synthetic country (``helpers.samples.synthetic``) of 1,000 and 10,000 communes, 5 years;
   time and peak memory of (a) cleaning the last year — the code cells of ``01_clean`` run in one
   process (no kernel; it reads the workbooks in one worker process per core), the reference
   loaders pointed at the synthetic units — and (b) its year-on-year jump check, indicators,
   5-year history and projection (the helpers ``02_indicators`` calls). The workbooks are
   generated once into ``bench/.cache/`` (git-ignored).
4. Fast paths against their plain equivalents, taking turns (the machine's speed drifts): the zip
   reader ``helpers.ingest.fast_zip`` against ``zipfile`` + ``zlib``, per workbook (the formula
   and font check of the synthetic workbooks) and for the whole cleaning; the CSV writer
   ``helpers.fast_csv`` against ``DataFrame.to_csv`` on a values table of one row per commune and
   field (470,000 rows at 10,000 communes).
5. Province-size runs (``bench/province_bench.py``): every document of every year for thành phố Huế
   (2021-2026) and for a generated province of 166 communes (2025-2026), time per year.

    python bench/run_bench.py                 # everything
    python bench/run_bench.py --skip-naive    # parts 2-3 only
    python bench/run_bench.py --sizes 1000    # scale part at 1k only
    python bench/run_bench.py --repeat 1      # part 1 once (it is repeated 3 times by default)
    python bench/run_bench.py --skip-sample --sizes --turns 5    # part 4 only, 5 turns
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from helpers.paths import NOTEBOOKS_DIR, RAW_DIR  # noqa: E402
from helpers.reference import load_entity  # noqa: E402

PYTHON = sys.executable
BIN = Path(PYTHON).parent
CACHE = PROJECT / "bench" / ".cache"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
NOTEBOOK_PARAMETERS = {
    "01_clean.ipynb": ("year", "raw_dir", "processed_dir"),
    "02_indicators.ipynb": ("year", "processed_dir", "target_level"),
    "03_annex.ipynb": ("year", "raw_dir", "processed_dir"),
}


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def _hermetic_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR",
                 "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        env[name] = str(home / name.lower())
    return env


def naive_loop(raw: Path, work: Path, years: list[int], env: dict) -> float:
    """What a user would script for the same documents as the batch: one CLI process per notebook, per
    HTML and per PDF (annex and analysis report), and the feedback command, year by year."""
    started = time.perf_counter()
    for year in years:
        out = work / "output" / str(year)
        out.mkdir(parents=True, exist_ok=True)
        params = {"year": year, "raw_dir": str(raw), "processed_dir": str(work / "processed"),
                  "target_level": "province"}
        for notebook, names in NOTEBOOK_PARAMETERS.items():
            command = [str(BIN / "papermill"), str(NOTEBOOKS_DIR / notebook), str(out / notebook), "-k", "xhht",
                       "--cwd", str(NOTEBOOKS_DIR)]
            for name in names:
                command += ["-p", name, str(params[name])]
            done = _run(command, env=env)
            if done.returncode:
                print(f"  naive loop: {notebook} {year} failed:\n{done.stderr[-800:]}")
        # the year's two documents: the annex (cells tagged official) and the analysis report (analysis)
        for document, other in (("annex", "analysis"), ("analysis", "official")):
            _run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out / "03_annex.ipynb"),
                  f"--TagRemovePreprocessor.remove_cell_tags={other}", "--output", f"{document}_{year}.html"],
                 env=env)
            if CHROMIUM:
                with tempfile.TemporaryDirectory() as profile:
                    _run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          "--no-first-run", f"--user-data-dir={profile}",
                          f"--print-to-pdf={out / f'{document}_{year}.pdf'}",
                          (out / f"{document}_{year}.html").as_uri()], env=env, timeout=120)
        # and the communes' feedback sheets, with their own command
        _run([PYTHON, "-m", "helpers.publish.feedback", "--year", str(year), "--processed-dir",
              str(work / "processed"), "--output-dir", str(work / "output")], env=env, cwd=PROJECT)
    return time.perf_counter() - started


def batch(raw: Path, work: Path, env: dict, *extra: str) -> tuple[float, dict]:
    """``python -m helpers.run.batch`` as ``make annex`` runs it; returns wall time and the run record."""
    started = time.perf_counter()
    done = _run([PYTHON, "-m", "helpers.run.batch", "--no-progress", "--raw-dir", str(raw),
                 "--processed-dir", str(work / "processed"), "--output-dir", str(work / "output"), *extra],
                env=env, cwd=PROJECT)
    seconds = time.perf_counter() - started
    if done.returncode:
        print(f"  batch exited {done.returncode}:\n{done.stdout[-1500:]}")
    record = json.loads((work / "output" / "run.json").read_text(encoding="utf-8"))
    record["warnings"] = [line for line in done.stderr.splitlines() if line.strip()]
    return seconds, record


def _explain_slow_turn(turn: int, seconds: float, record: dict) -> None:
    """A batch turn much slower than the others: its slowest steps and the batch's warnings."""
    steps = sorted(((step["seconds"], year, name) for year, by_name in record["years"].items()
                    for name, step in by_name.items()), reverse=True)[:2]
    print(f"   turn {turn + 1} of (b) took {seconds:.1f} s; slowest steps: "
          + "; ".join(f"{year} {name} {s:.1f} s" for s, year, name in steps))
    for line in record["warnings"][-5:]:
        print(f"     batch: {line}")


def _spread(times: list[float]) -> str:
    """"median s (min-max, n runs)": the machine's speed varies from run to run."""
    ordered = sorted(times)
    if len(ordered) == 1:
        return f"{ordered[0]:6.1f} s"
    return f"{statistics.median(ordered):6.1f} s ({ordered[0]:.1f}-{ordered[-1]:.1f}, {len(ordered)} runs)"


def part_sample(env: dict, skip_naive: bool, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="xhht-bench-") as tmp:
        tmp = Path(tmp)
        raw = tmp / "raw"
        entity = load_entity()      # the default entity (the seed's thị xã): its years only
        shutil.copytree(RAW_DIR, raw, ignore=shutil.ignore_patterns("README.md"))
        for folder in [p for p in raw.iterdir() if p.is_dir()]:
            if not entity.first_year <= int(folder.name) <= entity.last_year:
                shutil.rmtree(folder)
        years = sorted(int(p.name) for p in raw.iterdir() if p.is_dir())
        print(f"1. Sample years {years[0]}-{years[-1]} ({len(years)} years, {os.cpu_count()} cores), "
              f"naive loop and batch taking turns, {repeat} time(s) each")
        naive, fast, records = [], [], []
        for turn in range(repeat):
            if not skip_naive:
                naive.append(naive_loop(raw, tmp / f"naive-{turn}", years, env))
            shutil.rmtree(tmp / "fast", ignore_errors=True)
            seconds, record = batch(raw, tmp / "fast", env, "--force")
            fast.append(seconds)
            records.append(record)
        if naive:
            print(f"   (a) naive loop (papermill CLI ×3, nbconvert CLI, chromium per year): {_spread(naive)}")
        print(f"   (b) python -m helpers.run.batch --force (make annex FORCE=1):            {_spread(fast)}")
        for turn, (seconds, record) in enumerate(zip(fast, records, strict=True)):
            if seconds > 1.5 * min(fast):
                _explain_slow_turn(turn, seconds, record)
        if naive:
            ratios = [a / b for a, b in zip(naive, fast, strict=True)]
            print(f"   ratio a/b: {statistics.median(naive) / statistics.median(fast):.1f} (of the medians; "
                  f"each turn: {', '.join(f'{r:.1f}' for r in ratios)})")
        again, _ = batch(raw, tmp / "fast", env)
        print(f"2. Rerun, nothing changed: {again:.2f} s")
        changed = raw / str(years[-1]) / sorted(p.name for p in (raw / str(years[-1])).glob("*.xlsx"))[0]
        _bump_first_note(changed)
        one, record = batch(raw, tmp / "fast", env)
        rebuilt = sorted(y for y, steps in record["years"].items()
                         if any(s["started"] >= record["last_run"]["started"] for s in steps.values()))
        print(f"   One raw file of {years[-1]} changed: {one:.1f} s; years re-run: {', '.join(rebuilt)}")


def _bump_first_note(path: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path)
    for row in book.active.iter_rows():
        if row[1].value == "pop_total":
            row[5].value = f"{row[5].value or ''} (bench)".strip()
    book.save(path)


CLEAN_CODE = r"""
import json, resource, sys, time
import nbformat
import helpers.reference
from helpers.samples.synthetic import synthetic_entity, synthetic_units

raw, processed, communes, year = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
units = synthetic_units(communes)
entity = synthetic_entity()
helpers.reference.load_units = lambda *a, **k: units
helpers.reference.load_entity = lambda *a, **k: entity
cells = []
started = time.perf_counter()
nb = nbformat.read("notebooks/01_clean.ipynb", as_version=4)
namespace = {}
for cell in nb.cells:
    if cell.cell_type != "code":
        continue
    cell_started = time.perf_counter()
    exec(cell.source, namespace)
    cells.append((time.perf_counter() - cell_started, cell.source.splitlines()[0][:50]))
    if "parameters" in cell.metadata.get("tags", []):
        namespace.update({"year": year, "raw_dir": raw, "processed_dir": processed})
# the files are read by worker processes: count this process's peak and the largest worker's
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": peak / 1024,
                  "slowest": [f"{s:.1f} s `{line}`" for s, line in sorted(cells, reverse=True)[:2]]}))
"""

INDICATORS_CODE = r"""
import dataclasses, json, resource, sys, time
import pandas as pd
from helpers.compute.indicators import compute_year
from helpers.reference import Reference
from helpers.samples.synthetic import YEARS, commune_values, synthetic_entity, synthetic_units

communes = int(sys.argv[1])
units, entity = synthetic_units(communes), synthetic_entity()
ref = dataclasses.replace(Reference.load(), units=units, entity=entity)
frames = []
for year in YEARS:   # the clean values.csv of each year, as 01_clean writes them
    counts = commune_values(units, year)
    rows = [(year, c, f, n, "", f"{c}.xlsx", "Số liệu", 8 + k) for c, by_field in counts.items()
            for k, (f, n) in enumerate(by_field.items())]
    frames.append(pd.DataFrame(rows, columns=["year", "unit_code", "field", "value", "note", "file", "sheet", "row"]))
values = pd.concat(frames).astype({"year": "Int64", "value": "Int64", "unit_code": "string", "row": "Int64"})
started = time.perf_counter()
tables = compute_year(values, ref.for_year(YEARS[-1]))   # what 02_indicators runs
print(json.dumps({"seconds": time.perf_counter() - started,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": len(tables.indicators), "jumps": len(tables.jumps)}))
"""


def _measure(code: str, args: list[str], env: dict, timeout: float) -> dict | str:
    try:
        done = _run([PYTHON, "-c", code, *args], env=env, cwd=PROJECT, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"not finished after {timeout:.0f} s"
    if done.returncode:
        return "failed: " + done.stderr.strip()[-600:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _report(figures: dict, size: int, what: str, measured: dict | str) -> None:
    """Print one scale measurement (or why it has none) and keep its time for the ratio."""
    if isinstance(measured, str):
        print(f"   {size:>6} communes, {what}: {measured}")
        return
    figures[size] = measured["seconds"]
    slowest = f"; slowest: {'; '.join(measured['slowest'])}" if "slowest" in measured else ""
    print(f"   {size:>6} communes, {what}: {measured['seconds']:7.1f} s, peak {measured['peak_mb']:5.0f} MB{slowest}")


def _generator_digest() -> str:
    """A short hash of what the synthetic workbooks are made from (a change regenerates the cache)."""
    import hashlib

    sources = ["helpers/samples/synthetic.py", "helpers/samples/sample_data.py", "helpers/ingest/template.py",
               "reference/fields.csv",
               "reference/template.toml"]
    digest = hashlib.sha256()
    for name in sources:
        digest.update((PROJECT / name).read_bytes())
    return digest.hexdigest()[:10]


def _country(size: int) -> Path:
    """The cached synthetic country of ``size`` communes, generated the first time."""
    from helpers.samples.synthetic import YEARS, write_country

    folder = CACHE / f"country-{size}-{_generator_digest()}"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        write_country(folder, size)
        (folder / ".complete").write_text("", encoding="utf-8")
        print(f"   generated {size} communes × {len(YEARS)} years in {time.perf_counter() - started:.0f} s "
              f"(cached in {folder.relative_to(PROJECT)})")
    return folder


def part_scale(sizes: list[int], env: dict, timeout: float) -> None:
    from helpers.samples.synthetic import YEARS

    print(f"3. Synthetic country, {len(YEARS)} years ({YEARS[0]}-{YEARS[-1]}), one process each")
    figures: dict[str, dict[int, float]] = {"clean": {}, "indicators": {}}
    for size in sizes:
        folder = _country(size)
        with tempfile.TemporaryDirectory(prefix="xhht-scale-") as processed:
            clean = _measure(CLEAN_CODE, [str(folder), processed, str(size), str(YEARS[-1])], env, timeout)
        _report(figures["clean"], size, f"cleaning {YEARS[-1]} (01_clean's code)", clean)
        indicators = _measure(INDICATORS_CODE, [str(size)], env, timeout)
        _report(figures["indicators"], size,
                f"indicators {YEARS[-1]} + {len(YEARS)}-year history + projection", indicators)
        if size in figures["clean"] and size in figures["indicators"]:
            both = figures["clean"][size] + figures["indicators"][size]
            print(f"   {size:>6} communes, cleaning + indicators: {both:7.1f} s, peak "
                  f"{max(clean['peak_mb'], indicators['peak_mb']):5.0f} MB (separate processes)")
    for what, by_size in figures.items():
        if len(by_size) >= 2:
            small, large = min(by_size), max(by_size)
            print(f"   {what}: ratio {large}/{small} communes = {by_size[large] / by_size[small]:.1f} "
                  f"(linear: {large / small:.0f})")


# Put before CLEAN_CODE: the cleaning with the plain zip reader instead of the fast one.
PLAIN_ZIP = "import helpers.ingest.fast_zip as z\nz.zip_members = z.zipfile_members\n"


def _in_turns(names: tuple[str, str], turns: int) -> list[str]:
    """Both names in each turn, in turn first: a, b, then b, a, then a, b …"""
    return [name for turn in range(turns) for name in (names if turn % 2 == 0 else names[::-1])]


def _turns(times: dict[str, list[float]], unit: str, digits: int) -> None:
    """Print each turn's figure of every candidate, then the medians."""
    names = list(times)
    for turn in range(len(times[names[0]])):
        print(f"       turn {turn + 1}: " + ", ".join(f"{n} {times[n][turn]:.{digits}f} {unit}" for n in names))
    print("       median: " + ", ".join(f"{n} {statistics.median(times[n]):.{digits}f} {unit}" for n in names))


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (and theirs: the reading workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def part_zip_reader(size: int, env: dict, timeout: float, turns: int) -> None:
    """The zip reader of the formula and font check: helpers.ingest.fast_zip against zipfile."""
    from helpers.ingest import fast_zip, sheets
    from helpers.samples.synthetic import YEARS

    folder = _country(size)
    year = YEARS[-1]
    books = [path.read_bytes() for path in sorted((folder / str(year)).glob("*.xlsx"))]
    readers = {"fast_zip": fast_zip.zip_members, "zipfile": fast_zip.zipfile_members}
    print(f"4a. Zip reader: helpers.ingest.fast_zip (central directory read from the bytes, ISA-L) against "
          f"zipfile + zlib, taking {turns} turn(s) each")
    print(f"    formula and font check of the {len(books)} workbooks of {year} in this process, CPU per workbook:")
    per_book: dict[str, list[float]] = {name: [] for name in readers}
    try:
        for name in _in_turns(tuple(readers), turns):
            fast_zip.zip_members = readers[name]
            started = time.process_time()
            for data in books:
                sheets._workbook_features(data)
            per_book[name].append((time.process_time() - started) / len(books) * 1000)
    finally:
        fast_zip.zip_members = readers["fast_zip"]
    _turns(per_book, "ms", 3)
    saved = (statistics.median(per_book["zipfile"]) - statistics.median(per_book["fast_zip"])) * len(books) / 1000
    print(f"       difference: {saved:.2f} s of CPU for the {len(books)} workbooks")
    print(f"    cleaning {year} at {size} communes (01_clean's code, one reading process per core) with each "
          f"reader, wall time (CPU time of all its processes); then the indicators' step once a turn:")
    wall: dict[str, list[float]] = {name: [] for name in readers}
    cpu: dict[str, list[float]] = {name: [] for name in readers}
    indicators: list[float] = []
    for i, name in enumerate(_in_turns(tuple(readers), turns)):
        with tempfile.TemporaryDirectory(prefix="xhht-zip-") as processed:
            code = CLEAN_CODE if name == "fast_zip" else PLAIN_ZIP + CLEAN_CODE
            before = _children_cpu()
            measured = _measure(code, [str(folder), processed, str(size), str(year)], env, timeout)
        if isinstance(measured, str):
            print(f"       {name}: {measured}")
            return
        wall[name].append(measured["seconds"])
        cpu[name].append(_children_cpu() - before)
        if i % 2:
            step = _measure(INDICATORS_CODE, [str(size)], env, timeout)
            if isinstance(step, str):
                print(f"       indicators: {step}")
                return
            indicators.append(step["seconds"])
    for turn, step in enumerate(indicators):
        print(f"       turn {turn + 1}: " + ", ".join(f"{name} {wall[name][turn]:.1f} s ({cpu[name][turn]:.1f} s)"
                                                  for name in readers) + f"; indicators {step:.1f} s")
    print("       median: " + ", ".join(f"{name} {statistics.median(wall[name]):.1f} s "
                                         f"({statistics.median(cpu[name]):.1f} s)" for name in readers)
          + f"; indicators {statistics.median(indicators):.1f} s")
    both = {name: [w + step for w, step in zip(wall[name], indicators, strict=True)] for name in readers}
    print("       cleaning + indicators, median of the turns: "
          + ", ".join(f"{name} {statistics.median(both[name]):.1f} s" for name in readers))


def part_csv_writer(size: int, turns: int) -> None:
    """The CSV writer of the clean tables: helpers.fast_csv against DataFrame.to_csv."""
    import pandas as pd

    from helpers import fast_csv
    from helpers.samples.synthetic import YEARS, commune_values, synthetic_units

    year = YEARS[-1]
    counts = commune_values(synthetic_units(size), year)
    rows = [(year, code, field, count, "", f"{code}.xlsx", "Số liệu", 8 + k) for code, by_field in counts.items()
            for k, (field, count) in enumerate(by_field.items())]
    values = pd.DataFrame(rows, columns=["year", "unit_code", "field", "value", "note", "file", "sheet", "row"])
    values = values.astype({"year": "Int64", "value": "Int64", "unit_code": "string", "row": "Int64"})
    writers = {"fast_csv": fast_csv.csv_bytes, "to_csv": fast_csv.to_csv_bytes}
    print(f"4b. CSV writer: helpers.fast_csv against DataFrame.to_csv, the values table of {size} communes "
          f"({len(values):,} rows, as values.csv), taking {turns} turn(s) each, CPU time:")
    times: dict[str, list[float]] = {name: [] for name in writers}
    written = {}
    for name in _in_turns(tuple(writers), turns):
        started = time.process_time()
        written[name] = writers[name](values)
        times[name].append(time.process_time() - started)
    _turns(times, "s", 2)
    print(f"       the same bytes: {written['fast_csv'] == written['to_csv']} "
          f"({len(written['to_csv']) / 1e6:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-naive", action="store_true", help="skip the (slow) naive loop")
    parser.add_argument("--skip-sample", action="store_true", help="skip parts 1-2")
    parser.add_argument("--repeat", type=int, default=3, help="turns of naive loop and batch in part 1")
    parser.add_argument("--sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--scale-timeout", type=float, default=600, help="seconds allowed per measurement")
    parser.add_argument("--skip-fast-paths", action="store_true", help="skip part 4")
    parser.add_argument("--skip-province", action="store_true", help="skip part 5 (province-size runs)")
    parser.add_argument("--fast-paths-size", type=int, default=10000, help="communes of part 4")
    parser.add_argument("--turns", type=int, default=3, help="turns of each candidate in part 4")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xhht-bench-home-") as home:
        env = _hermetic_env(Path(home))
        print(f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
              f"load average {os.getloadavg()[0]:.1f}")
        if not args.skip_sample:
            part_sample(env, args.skip_naive, max(1, args.repeat))
        if args.sizes:
            part_scale(args.sizes, env, args.scale_timeout)
        if not args.skip_fast_paths:
            part_zip_reader(args.fast_paths_size, env, args.scale_timeout, max(1, args.turns))
            part_csv_writer(args.fast_paths_size, max(1, args.turns))
            import pdf_engines  # bench/pdf_engines.py: the DevTools client against Playwright, per page

            pdf_engines.run(max(1, args.turns), env)
        if not args.skip_province:
            import province_bench  # bench/province_bench.py: Huế and a generated 166-commune province

            province_bench.run(env)
    print(f"Peak memory of this script's children: "
          f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
