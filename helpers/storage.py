"""Atomic writes: a failed or interrupted run never leaves a half-written file in place."""

from __future__ import annotations

import io
import os
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


def write_csv_atomically(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as UTF-8 CSV (with BOM, so Excel shows Vietnamese) atomically: what
    ``DataFrame.to_csv`` writes, by the fast path ``helpers.fast_csv`` for a table it takes."""
    from helpers import fast_csv

    data = fast_csv.csv_bytes(frame)
    if data is None:
        data = fast_csv.to_csv_bytes(frame)
    return write_bytes_atomically(path, data)


def read_processed_csv(path: Path) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv_atomically`."""
    import pandas as pd

    text = {"unit_code": "string", "years_used": "string", "tt": "string"}
    return pd.read_csv(path, encoding="utf-8-sig", dtype=text)
