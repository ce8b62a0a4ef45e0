"""Fast path: a large year's submission files read by a pool of processes, one per core.

Why it exists: at scale (10,000 communes' workbooks in a year) reading the files is most of the
cleaning, and each file is read on its own, so the files are shared among worker processes. The
pool hands them out in runs of about ``FILES_PER_RUN``, each worker taking the next run as soon as
it is done with one (two halves given out in advance ended far apart when one core of a shared
machine ran slower than the other), and this process gathers the runs as they come back.

The plain equivalent is :func:`read_here`: one :class:`~helpers.ingest.submissions.Intake` reading
every file in this process, which is also how a year of a few dozen files is read. Either way
:func:`combine` puts the parts together as one Intake would have collected them;
tests/test_ingest.py checks that the pool gives exactly what one process gives. The cleaning
figures are printed by ``bench/run_bench.py`` and quoted in the README.

Both paths pause Python's cyclic garbage collector while the rows pile up: the intake only grows
lists of tuples and dicts, which hold no reference cycles, and the collector would go over them
again and again as they grow.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.checks.problems import ProblemLog
from helpers.ingest import submissions
from helpers.ingest.submissions import RECORD_COLUMNS, REJECT_COLUMNS, ROW_COLUMNS, VALUE_COLUMNS, Intake

# Below this many files a year is read in this process: starting workers costs more than it saves.
PARALLEL_MIN_FILES = 200
FILES_PER_WORKER = 100
FILES_PER_RUN = 250


# The tables an Intake collects: their columns, and the types load_submissions gives them.
TABLES = {
    "values": ([*VALUE_COLUMNS, "record"],
               {"year": "Int64", "value": "Int64", "row": "Int64", "unit_code": "string", "record": "Int64"}),
    "totals": (VALUE_COLUMNS, {"value": "Int64", "row": "Int64"}),
    "records": (RECORD_COLUMNS, {"record": "Int64", "row": "Int64"}),
    "rows": (ROW_COLUMNS, {"row": "Int64", "record": "Int64"}),
    "rejects": (REJECT_COLUMNS, {"value": "string", "row": "Int64"}),
}


# The columns of the large tables that hold only texts (or None), repeated from row to row.
_TEXT_COLUMNS = {"values": ["unit_code", "field", "note", "file", "sheet"],
                 "rows": ["file", "sheet", "kind", "status", "reason"]}


@dataclass
class Part:
    """What one worker read from a contiguous run of files (record numbers start at 0)."""

    tables: dict[str, pd.DataFrame]      # the TABLES, untyped
    problems: ProblemLog
    fixes: Counter
    manifests: list[dict]

    # A worker's part is pickled back to the reading process. Its text columns travel as codes
    # and the few distinct texts rather than as hundreds of thousands of separate strings.
    def __getstate__(self) -> dict:
        tables = {}
        for name, table in self.tables.items():
            columns = {c: table[c].to_numpy() for c in table.columns}
            for c in _TEXT_COLUMNS.get(name, ()):
                codes, texts = pd.factorize(columns[c])          # None → -1
                columns[c] = (codes, np.append(np.asarray(texts, dtype=object), None))
            tables[name] = (list(table.columns), columns)
        return {**self.__dict__, "tables": tables}

    def __setstate__(self, state: dict) -> None:
        tables = {}
        for name, (order, columns) in state["tables"].items():
            for c in _TEXT_COLUMNS.get(name, ()):
                codes, texts = columns[c]
                columns[c] = texts.take(codes)                   # -1 → the None after the texts
            tables[name] = pd.DataFrame(columns, columns=order)
        self.__dict__.update({**state, "tables": tables})


def _take_part(intake: Intake, manifests: list[dict]) -> Part:
    """What ``intake`` has collected, as a part (its record numbers start at 0); the intake is
    left empty, ready for the next run of files."""
    tables = {name: pd.DataFrame(getattr(intake, name), columns=columns) for name, (columns, _) in TABLES.items()}
    part = Part(tables=tables, problems=intake.problems, fixes=intake.fixes, manifests=manifests)
    for name in TABLES:
        setattr(intake, name, [])
    intake.problems, intake.fixes = ProblemLog(), Counter()
    return part


def read_here(paths: list[Path], setup: tuple) -> Part:
    """The plain path: read ``paths`` in order with a fresh :class:`Intake`, in this process."""
    intake = Intake(*setup)
    collecting = gc.isenabled()
    gc.disable()        # see the module's docstring; given back as it was, also after a failure
    try:
        manifests = [submissions.read_submission_file(path, intake) for path in paths]
    finally:
        if collecting:
            gc.enable()
    return _take_part(intake, manifests)


# The Intake of a reading worker process, made once by _start_reader (its unit names are indexed
# once per worker, not once per run) and emptied after each run of files.
_READER: list[Intake] = []


def _start_reader(setup: tuple) -> None:
    _READER[:] = [Intake(*setup)]
    gc.disable()      # see the module's docstring; the worker only reads, and ends with the year


def _read_run(paths: list[str]) -> Part:
    intake = _READER[0]
    return _take_part(intake, [submissions.read_submission_file(path, intake) for path in paths])


def read_workers(files: int) -> int:
    """How many processes read a year of ``files`` files: one for a district's few dozen files,
    up to one per core for thousands (the scale benchmark's synthetic country)."""
    if files < PARALLEL_MIN_FILES:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, files // FILES_PER_WORKER))


def read_parts(paths: list[Path], setup: tuple, workers: int) -> list[Part]:
    """The parts of ``paths``, in file order, read by this process (``workers`` ≤ 1, see
    :func:`read_here`) or by a pool of ``workers`` processes taking runs of about FILES_PER_RUN
    files, each the next run as soon as it is done with one."""
    if workers <= 1 or len(paths) < 2:
        return [read_here(paths, setup)]
    from concurrent.futures import ProcessPoolExecutor

    # fork on Linux (workers start at once, with nothing to import); spawn elsewhere
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    runs = max(workers, -(-len(paths) // FILES_PER_RUN))
    size = -(-len(paths) // runs)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_reader,
                               initargs=(setup,))
    try:
        # (names as text: a worker rebuilds thousands of Path objects from a pickle slowly)
        futures = [pool.submit(_read_run, [str(p) for p in paths[i:i + size]]) for i in range(0, len(paths), size)]
        return [future.result() for future in futures]
    finally:
        pool.shutdown(cancel_futures=True)      # after a failure, the runs not started are dropped


def combine(parts: list[Part]) -> tuple[dict[str, pd.DataFrame], ProblemLog, Counter, list[dict]]:
    """The parts in file order, as if one Intake had read every file: record numbers renumbered,
    the TABLES typed."""
    tables: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    problems, fixes, manifests, offset = ProblemLog(), Counter(), [], 0
    for part in parts:
        for name, table in part.tables.items():
            if offset and "record" in table.columns:
                table = table.assign(record=table["record"] + offset)
            tables[name].append(table)
        offset += len(part.tables["records"])
        problems.extend(part.problems)
        fixes.update(part.fixes)
        manifests += part.manifests
    frames = {}
    for name, chunks in tables.items():
        filled = [c for c in chunks if len(c)]      # an empty chunk's columns are all "object"
        frame = pd.concat(filled, ignore_index=True) if len(filled) > 1 else (filled or chunks)[0]
        frames[name] = frame.astype(TABLES[name][1])
    return frames, problems, fixes, manifests
