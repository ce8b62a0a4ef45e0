"""The run record: what each year's steps read, produced and how they ended (``output/run.json``).

The batch reads it to decide what to re-run: a step is re-executed only when the content hash of
something it depends on changed — the year's raw files, the reference data, its notebooks, the
``helpers/`` code, the parameters, or the output of an earlier step (the clean values of this and
earlier years, for the indicators and the annex). Hashes, never timestamps: copying a folder or
touching a file changes nothing; editing one cell of one workbook re-runs that year.

Raw files are hashed with SHA-256 of their bytes, the same hash the annex's provenance section
prints for each data file, so the record and the annex name the same data.

One run at a time: :func:`hold_trees` locks the output and processed folders for the run
(``.batch.lock`` in each: the holder's process id, host and start time). A second run waits
while the first holds them, saying who; a lock left by a process that was killed is taken over,
and the run says so.

This module imports no pandas: a run where nothing changed must answer in well under a second.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path

from helpers.paths import DECLARED_SUBDIR, DEFAULT_ENTITY, ENTITIES_DIR, NOTEBOOKS_DIR, PROJECT_ROOT, REFERENCE_DIR
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
ENTITIES_SUBDIR = ENTITIES_DIR.relative_to(REFERENCE_DIR)      # reference/entities/<name>.toml


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


def reference_digests(reference_dir: Path = REFERENCE_DIR, entity: str = DEFAULT_ENTITY) -> dict[str, str]:
    """``reference/<name>`` → hash, for every reference file the entity's annexes read: every file
    but the other entities' files under ``reference/entities/`` (changing one entity's file never
    re-runs another entity's years)."""
    reference_dir = Path(reference_dir)
    entities = reference_dir / ENTITIES_SUBDIR
    return {f"reference/{p.relative_to(reference_dir).as_posix()}": file_digest(p)
            for p in sorted(reference_dir.rglob("*"))
            if p.is_file() and not (p.parent == entities and p.name != f"{entity}.toml")}


def _reference_of(parameters: dict[str, object]) -> dict[str, str]:
    """The reference digests of the entity named in a step's parameters (default entity when none)."""
    return reference_digests(entity=str(parameters.get("entity") or DEFAULT_ENTITY))


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
                          _reference_of(parameters) if reference is None else reference))
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
                          _reference_of(parameters) if reference is None else reference))
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
              cell: int | None = None, message: str = "", extra: dict | None = None,
              generation: str = "") -> dict:
    """A step's record entry. ``started`` is a ``time.time()`` stamp; ``generation`` names the
    promotion that put the outputs in place (the year folder's ``.generation.json`` says it too)."""
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
        "generation": generation,
    }


# --- one run at a time ------------------------------------------------------------------------

LOCK_NAME = ".batch.lock"
LOCK_POLL_SECONDS = 0.2
try:
    import fcntl
except ImportError:          # Windows: the lock file is made exclusively, the holder checked by its PID
    fcntl = None


class TreeUnavailable(Exception):
    """A folder cannot be held for this run: another run holds it for longer than this run was told
    to wait, or its lock file cannot be made (the message, in Vietnamese, names the folder)."""


_OS_REASONS = {errno.EACCES: "không có quyền ghi", errno.EPERM: "không được phép ghi (thư mục chỉ đọc hoặc bị khoá)",
               errno.EROFS: "ổ đĩa chỉ cho đọc", errno.ENOSPC: "ổ đĩa đã đầy",
               getattr(errno, "EDQUOT", -1): "đã hết dung lượng được cấp",
               errno.ENOTDIR: "ở đó là một tệp chứ không phải thư mục", errno.EEXIST: "đã có một tệp cùng tên",
               errno.EISDIR: "ở đó là một thư mục chứ không phải tệp", errno.ENOENT: "không tìm thấy",
               errno.ENAMETOOLONG: "tên quá dài", errno.EBUSY: "đang bị chương trình khác dùng"}


def os_error_reason(code: int | None) -> str:
    """An error number of the system (``OSError.errno``) in a few Vietnamese words."""
    return _OS_REASONS.get(code, f"lỗi hệ thống số {code}") if code is not None else "lỗi hệ thống"


def _host() -> str:
    return os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (on this machine)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":          # os.kill(pid, 0) would send Ctrl-C there
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)       # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return kernel32.GetLastError() == 5                  # access denied: it exists
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return code.value == 259                                 # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:              # another user's process
        return True
    return True


def describe_holder(holder: dict) -> str:
    """“PID 1234 trên máy may-chu, bắt đầu lúc 2026-11-30 10:00:05”."""
    started = str(holder.get("started", "")).replace("T", " ")[:19]
    text = f"PID {holder.get('pid', '?')}"
    text += f" trên máy {holder['host']}" if holder.get("host") else ""
    return text + (f", bắt đầu lúc {started}" if started else "")


class TreeLock:
    """The lock of one folder tree for one run: ``<folder>/.batch.lock``.

    POSIX: an advisory ``flock`` on the file, which the system lets go when its holder dies however
    it dies (so a lock can never be held by a process that is gone); the file says who holds it.
    A file left by a killed run is taken over: :meth:`acquire` returns what it said. Elsewhere the
    file is made exclusively and a holder whose process is gone is taken over.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._fd = -1

    def acquire(self) -> tuple[bool, dict]:
        """(True, the stale holder found in the file or {}) once held; (False, the holder) when busy."""
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            if fcntl is None:
                taken = self._acquire_exclusively()
            else:
                taken = self._acquire_flock()
            if taken is not None:
                return taken

    def _acquire_flock(self) -> tuple[bool, dict] | None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False, self.holder()
        try:                      # released (file removed) between open and flock: try again
            same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            return None
        stale = _parse_holder(os.pread(fd, 1 << 16, 0))
        os.ftruncate(fd, 0)
        os.pwrite(fd, self._about_me(), 0)
        self._fd = fd
        return True, stale

    def _acquire_exclusively(self) -> tuple[bool, dict] | None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = self.holder()
            if not holder or holder.get("host", _host()) != _host() or _alive(int(holder.get("pid", 0) or 0)):
                return False, holder
            self.path.unlink(missing_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, self._about_me())
            self._fd = fd
            return True, holder
        os.write(fd, self._about_me())
        self._fd = fd
        return True, {}

    @staticmethod
    def _about_me() -> bytes:
        return json.dumps({"pid": os.getpid(), "host": _host(), "started": iso_time(time.time()),
                           "command": " ".join(sys.argv)}, ensure_ascii=False).encode("utf-8")

    def holder(self) -> dict:
        """What the lock file says of its holder ({} when it says nothing yet)."""
        try:
            return _parse_holder(self.path.read_bytes())
        except OSError:
            return {}

    def release(self) -> None:
        if self._fd >= 0:
            self.path.unlink(missing_ok=True)     # before letting go: a waiter holding the old file tries again
            os.close(self._fd)
            self._fd = -1


def _parse_holder(data: bytes) -> dict:
    try:
        holder = json.loads(data.decode("utf-8")) if data.strip() else {}
    except ValueError:
        return {}
    return holder if isinstance(holder, dict) else {}


_HELD: dict[Path, list] = {}        # folder → [its TreeLock, how many callers of this process hold it]


@contextlib.contextmanager
def hold_trees(folders: list[Path], *, wait_seconds: float = 0.0, say=log.warning):
    """Hold the lock of each folder (in one order, so two runs never wait for each other) while
    the block runs. A folder another run holds is waited for up to ``wait_seconds``, saying once
    who holds it (``say``), then :class:`TreeUnavailable` is raised. A lock this process already holds
    is held again at once (no wait)."""
    taken: list[Path] = []
    try:
        for folder in sorted({Path(f).resolve() for f in folders}, key=str):
            if folder in _HELD:
                _HELD[folder][1] += 1
                taken.append(folder)
                continue
            lock = TreeLock(folder)
            deadline = time.monotonic() + wait_seconds
            told = False
            while True:
                try:
                    held, holder = lock.acquire()
                except OSError as exc:
                    raise TreeUnavailable(f"Không tạo được tệp khoá trong thư mục {folder}: "
                                          f"{os_error_reason(exc.errno)}.") from exc
                if held:
                    break
                who = describe_holder(holder) if holder else "một lần chạy khác"
                if time.monotonic() >= deadline:
                    raise TreeUnavailable(f"Thư mục {folder} đang được một lần chạy khác dùng ({who}); "
                                   f"đã chờ {wait_seconds:g} giây. Hãy chạy lại sau khi lần chạy đó xong "
                                   "(hoặc tăng --lock-timeout).")
                if not told:
                    say(f"Thư mục {folder} đang được một lần chạy khác dùng ({who}); "
                        f"chờ lần chạy đó xong (tối đa {wait_seconds:g} giây)…")
                    told = True
                time.sleep(LOCK_POLL_SECONDS)
            if told:
                say(f"Lần chạy kia đã xong; tiếp tục với thư mục {folder}.")
            if holder:
                say(f"Tiếp quản khoá cũ {lock.path} của lần chạy {describe_holder(holder)}: tiến trình đó "
                    "đã dừng đột ngột mà chưa gỡ khoá. Các năm nó đang lập dở sẽ được lập lại.")
            _HELD[folder] = [lock, 1]
            taken.append(folder)
        yield
    finally:
        for folder in reversed(taken):
            _HELD[folder][1] -= 1
            if _HELD[folder][1] == 0:
                _HELD.pop(folder)[0].release()
