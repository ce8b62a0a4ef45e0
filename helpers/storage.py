"""Atomic writes: a failed or interrupted run never leaves a half-written file in place, nor a
half-replaced folder (:func:`replace_directory`)."""

from __future__ import annotations

import errno
import io
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported lazily: the batch's "nothing changed" check must stay fast
    import pandas as pd


_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_bytes_atomically(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomically(path: Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return write_bytes_atomically(path, text.encode("utf-8"))


def write_workbook_atomically(workbook, path: Path) -> Path:
    """Save an openpyxl workbook to ``path`` atomically."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return write_bytes_atomically(path, buffer.getvalue())


# A CSV cell Excel would read as a formula (formula injection: "=HYPERLINK(…)", "+cmd|…", "@SUM(1)",
# "-2+3") starts with one of these; such a text is written with a leading apostrophe, and so is a
# text that already starts with one, so reading strips exactly one back (:func:`read_processed_csv`).
# A carriage return inside a text is written as a line break ("\n"), which the CSV quotes.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_PLAIN_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def _neutralised(text: object) -> object:
    if not isinstance(text, str) or not text:
        return text
    if "\r" in text:   # a bare CR would end the CSV row (to_csv quotes only "\n"): a line break
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith(QUOTE) or (text.startswith(FORMULA_TRIGGERS) and text != "-"
                                  and not _PLAIN_NUMBER.fullmatch(text)):
        return QUOTE + text
    return text


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell Excel would take for a formula made plain text (numbers,
    including negative ones, stay numbers). Each text column is checked by its distinct values."""
    changed = {}
    for column in frame.columns:
        values = frame[column]
        if values.dtype.kind in "biufcmM" or str(values.dtype) in ("Int64", "Float64", "boolean"):
            continue
        distinct = values.dropna().unique()
        risky = [v for v in distinct if isinstance(v, str) and (v[:1] in (*FORMULA_TRIGGERS, QUOTE) or "\r" in v)]
        if any(_neutralised(v) is not v for v in risky):
            changed[column] = values.map(_neutralised, na_action="ignore")
    return frame.assign(**changed) if changed else frame


def write_csv_atomically(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as UTF-8 CSV (with BOM, so Excel shows Vietnamese) atomically: what
    ``DataFrame.to_csv`` writes, by the fast path ``helpers.fast_csv`` for a table it takes, with
    formula-looking texts neutralised (:func:`neutralise_formulas`)."""
    from helpers import fast_csv

    frame = neutralise_formulas(frame)
    data = fast_csv.csv_bytes(frame)
    if data is None:
        data = fast_csv.to_csv_bytes(frame)
    return write_bytes_atomically(path, data)


def read_processed_csv(path: Path) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv_atomically`."""
    import pandas as pd

    text = {"unit_code": "string", "years_used": "string", "tt": "string"}
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=text)
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            quoted = values.dropna().astype(str).str.startswith(QUOTE)
            if quoted.any():
                frame[column] = values.map(lambda v: v[1:] if isinstance(v, str) and v.startswith(QUOTE) else v)
    return frame


# renameat2(2)'s flag that swaps two paths in one step (Linux 3.15, glibc 2.28; ext4, xfs, btrfs, tmpfs …)
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two existing paths at once (Linux ``renameat2(RENAME_EXCHANGE)``); False where this
    system or file system cannot, having changed nothing."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):          # a C library without renameat2
        return False
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):    # not supported here: the caller renames twice
        return False
    raise OSError(code, os.strerror(code), str(second))


def replace_directory(new: Path, target: Path, previous: Path) -> Path | None:
    """Put the folder ``new`` where the folder ``target`` is, as a whole.

    On Linux both folders are swapped by one ``renameat2`` call, so ``target`` is at every instant
    either the whole old folder or the whole new one; elsewhere the old folder is first renamed to
    ``previous`` (a process killed between the two renames leaves ``target`` missing and
    ``previous`` whole: :func:`restore_directory` puts it back). Returns where the old folder now
    is (``new``'s path after a swap, else ``previous``), for the caller to delete, or None when
    there was no ``target``. ``target`` being a file, not a folder, raises NotADirectoryError and
    changes nothing; ``previous`` must not exist.
    """
    new, target, previous = Path(new), Path(target), Path(previous)
    if (target.exists() or target.is_symlink()) and not target.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(target))
    if not target.exists():
        os.rename(new, target)
        return None
    if _exchange(new, target):
        return new                              # where the new folder was, now the old one
    os.rename(target, previous)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(previous, target)
        raise
    return previous


def restore_directory(previous: Path, target: Path) -> bool:
    """After a process was killed inside :func:`replace_directory` (two renames): put ``previous``
    back as ``target`` if ``target`` is missing. True when it did."""
    previous, target = Path(previous), Path(target)
    if previous.is_dir() and not target.exists() and not target.is_symlink():
        os.rename(previous, target)
        return True
    return False

