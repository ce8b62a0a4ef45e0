"""The run record: what each year's steps read, produced and how they ended (``output/run.json``).

The batch reads it to decide what to re-run: a step is re-executed only when the content hash of
something it depends on changed — the year's raw files, the reference data, its notebooks, the
``helpers/`` code, the parameters, or the output of an earlier step (the clean values of this and
earlier years, for the indicators and the annex). Hashes, never timestamps: copying a folder or
touching a file changes nothing; editing one cell of one workbook re-runs that year.

Raw files are hashed with SHA-256 of their bytes, the same hash the annex's provenance section
prints for each data file, so the record and the annex name the same data.

This module imports no pandas: a run where nothing changed must answer in well under a second.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from pathlib import Path

from helpers.paths import DECLARED_SUBDIR, NOTEBOOKS_DIR, PROJECT_ROOT, REFERENCE_DIR
from helpers.registry import CLEAN, INDICATORS, outputs_of
from helpers.storage import write_text_atomically

log = logging.getLogger(__name__)

RECORD_NAME = "run.json"
RECORD_VERSION = 1
CLEAN_STEP = "clean"
ANNEX_STEP = "annex"
HELPERS_DIR = PROJECT_ROOT / "helpers"
# Besides helpers/, the pinned package versions decide what the notebooks compute.
CODE_FILES = (PROJECT_ROOT / "requirements.txt",)
CLEAN_OUTPUTS = outputs_of(CLEAN)
INDICATOR_OUTPUTS = outputs_of(INDICATORS)


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _combined(digests: dict[str, str]) -> str:
    text = "\n".join(f"{name}\t{value}" for name, value in sorted(digests.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def code_fingerprint() -> str:
    """One hash of the code the notebooks run: every file under ``helpers/`` (the Python modules
    and the nbconvert template) and the pinned requirements."""
    files = [p for p in HELPERS_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    files += [p for p in CODE_FILES if p.is_file()]
    return _combined({str(p.relative_to(PROJECT_ROOT)): file_digest(p) for p in files})


def reference_digests(reference_dir: Path = REFERENCE_DIR) -> dict[str, str]:
    """``reference/<name>`` → hash, for every reference file."""
    reference_dir = Path(reference_dir)
    return {f"reference/{p.relative_to(reference_dir).as_posix()}": file_digest(p)
            for p in sorted(reference_dir.rglob("*")) if p.is_file()}


def parameters_digest(parameters: dict[str, object]) -> str:
    """Hash of the run's parameters (year, folders, target level, kernel …)."""
    return hashlib.sha256(json.dumps(parameters, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _common(notebooks: tuple[str, ...], parameters: dict[str, object], code: str,
            reference: dict[str, str]) -> dict[str, str]:
    inputs = dict(reference)
    inputs.update({f"notebooks/{name}": file_digest(NOTEBOOKS_DIR / name) for name in notebooks})
    inputs["helpers"] = code
    inputs["parameters"] = parameters_digest(parameters)
    return inputs


def clean_inputs(year: int, raw_dir: Path, notebooks: tuple[str, ...], parameters: dict[str, object], *,
                 code: str | None = None, reference: dict[str, str] | None = None) -> dict[str, str]:
    """What the clean step of ``year`` reads: every file directly in ``raw/<year>/``, and the rest
    (the year-on-year jump check belongs to the indicator step, which reads last year's clean values)."""
    year_dir = Path(raw_dir) / str(year)
    raw = sorted(p for p in year_dir.iterdir() if p.is_file()) if year_dir.is_dir() else []
    inputs = {f"raw/{year}/{p.name}": file_digest(p) for p in raw}
    inputs.update(_common(notebooks, parameters, code_fingerprint() if code is None else code,
                          reference_digests() if reference is None else reference))
    return inputs


def annex_inputs(year: int, raw_dir: Path, processed_dir: Path, notebooks: tuple[str, ...],
                 parameters: dict[str, object], *, code: str | None = None,
                 reference: dict[str, str] | None = None) -> dict[str, str]:
    """What the indicator and annex steps of ``year`` read: the clean output of this year (values,
    files, problems), the clean values of every earlier year (trends), the declared table if any."""
    inputs: dict[str, str] = {}
    for path in sorted(Path(processed_dir).glob("*/values.csv")):
        name = path.parent.name
        if name.isdigit() and int(name) <= year:
            inputs[f"processed/{name}/values.csv"] = file_digest(path)
    for name in CLEAN_OUTPUTS[1:]:
        path = Path(processed_dir) / str(year) / name
        if path.is_file():
            inputs[f"processed/{year}/{name}"] = file_digest(path)
    declared = Path(raw_dir) / str(year) / DECLARED_SUBDIR
    if declared.is_dir():
        inputs.update({f"raw/{year}/{DECLARED_SUBDIR}/{p.name}": file_digest(p)
                       for p in sorted(declared.iterdir()) if p.is_file()})
    inputs.update(_common(notebooks, parameters, code_fingerprint() if code is None else code,
                          reference_digests() if reference is None else reference))
    return inputs


def output_digests(paths: list[Path]) -> dict[str, str]:
    """Absolute path → hash of each output that exists."""
    return {str(Path(p)): file_digest(p) for p in paths if Path(p).is_file()}


def changed_inputs(before: dict[str, str], now: dict[str, str]) -> list[str]:
    """Names of the inputs added, removed or changed since ``before``."""
    return sorted(name for name in set(before) | set(now) if before.get(name) != now.get(name))


def load_run_record(path: Path) -> dict:
    """The record at ``path``; an empty one when it is missing or unreadable (everything re-runs)."""
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"version": RECORD_VERSION, "years": {}}
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable run record %s (%s)", path, exc)
        return {"version": RECORD_VERSION, "years": {}}
    if not isinstance(record, dict) or record.get("version") != RECORD_VERSION:
        return {"version": RECORD_VERSION, "years": {}}
    record.setdefault("years", {})
    return record


def save_run_record(path: Path, record: dict) -> Path:
    """Write the record atomically (a run stopped half-way never leaves half a file)."""
    return write_text_atomically(Path(path), json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True))


def step_entry(record: dict, year: int, step: str) -> dict | None:
    """The recorded entry of one year's step, if any."""
    return record["years"].get(str(year), {}).get(step)


def set_step_entry(record: dict, year: int, step: str, entry: dict) -> None:
    record["years"].setdefault(str(year), {})[step] = entry


def is_up_to_date(entry: dict | None, inputs: dict[str, str]) -> bool:
    """Whether a recorded step can stand: same inputs, and (when it was built) its outputs are still
    there, unchanged. A failed step with the same inputs would fail the same way."""
    if not entry or entry.get("inputs") != inputs:
        return False
    if entry.get("status") == "failed":
        return True
    outputs = entry.get("outputs") or {}
    return bool(outputs) and all(Path(p).is_file() and file_digest(p) == h for p, h in outputs.items())


def iso_time(stamp: float) -> str:
    """A ``time.time()`` stamp as local ISO time, to the second."""
    return dt.datetime.fromtimestamp(stamp).astimezone().isoformat(timespec="seconds")


def new_entry(status: str, started: float, seconds: float, inputs: dict[str, str],
              before: dict | None, *, outputs: list[Path] = (), notebook: str = "",
              cell: int | None = None, message: str = "", extra: dict | None = None) -> dict:
    """A step's record entry. ``started`` is a ``time.time()`` stamp."""
    return {
        "status": status,
        "started": iso_time(started),
        "seconds": round(seconds, 3),
        "inputs": inputs,
        "changed": changed_inputs(before.get("inputs", {}), inputs) if before else None,  # None: first run
        "outputs": output_digests(list(outputs)) if status == "built" else {},
        "notebook": notebook,
        "cell": cell,
        "message": message,
        "extra": extra or {},        # other facts of the step's result (e.g. whether the PDF was printed)
    }
