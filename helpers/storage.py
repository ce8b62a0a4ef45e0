"""Atomic writes: a failed or interrupted run never leaves a half-written file in place."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
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
    """Write ``frame`` as UTF-8 CSV (with BOM, so Excel shows Vietnamese) atomically."""
    data = _csv_bytes(frame)
    if data is None:
        data = frame.to_csv(index=False).encode("utf-8-sig")
    return write_bytes_atomically(path, data)


# What DataFrame.to_csv writes, rebuilt for tables of text and integer columns: pandas passes every
# cell through the csv module one by one, which takes 1.5 s for the 470,000 rows of values.csv at
# 10,000 communes; joining the columns' texts takes a fifth of that. The text is the same, byte for byte.
_LINE_END = os.linesep  # DataFrame.to_csv's line terminator
_CHUNK_ROWS = 50_000    # rows joined and encoded at a time: the whole table is never held as one text


def _quoted_by_csv(char: str) -> bool:
    """Whether the csv writer, as to_csv sets it up, quotes a field containing ``char``."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=_LINE_END).writerow([f"a{char}b", ""])
    return buffer.getvalue().startswith('"')


# the characters that make a field quoted: the comma, the quote, line breaks ("\r" from Python 3.12)
_QUOTE_CHARS = tuple(char for char in ',"\r\n' if _quoted_by_csv(char))


def _csv_field(text: str) -> str:
    """One text cell as the csv writer writes it (to_csv's QUOTE_MINIMAL, quotes doubled)."""
    if any(char in text for char in _QUOTE_CHARS):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_column(column: pd.Series) -> list[str] | None:
    """The cells of an integer or text column as to_csv writes them (a missing cell → empty); None
    for any other column (floats, dates, booleans, mixed objects: pandas formats those)."""
    import numpy as np
    import pandas as pd

    dtype = column.dtype
    if dtype.kind in "iu" and (isinstance(dtype, np.dtype) or isinstance(column.array, pd.arrays.IntegerArray)):
        codes, numbers = pd.factorize(column)  # each distinct number is formatted once; missing → code -1
        return np.array([*map(str, numbers), ""], dtype=object)[codes].tolist()
    if not (isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype)):
        return None
    texts = column.tolist()
    try:
        joined = "".join(texts)  # a TypeError when a cell is missing or not text
    except TypeError:
        if pd.api.types.infer_dtype(column, skipna=True) not in ("string", "empty"):
            return None
        texts = column.to_numpy(dtype=object, na_value="").tolist()
        joined = "".join(texts)
    if any(char in joined for char in _QUOTE_CHARS):
        texts = [_csv_field(text) for text in texts]
    return texts


def _csv_bytes(frame: pd.DataFrame) -> bytes | None:
    """``frame.to_csv(index=False).encode("utf-8-sig")`` for a table of integer and text columns
    with text names, or None (a single column, whose empty cells the csv writer quotes, is left to
    pandas too)."""
    if frame.columns.nlevels != 1 or frame.shape[1] < 2 or not all(isinstance(name, str) for name in frame.columns):
        return None
    columns = []
    for i in range(frame.shape[1]):
        texts = _csv_column(frame.iloc[:, i])
        if texts is None:
            return None
        columns.append(texts)
    lines = itertools.chain([",".join(map(_csv_field, frame.columns))], map(",".join, zip(*columns, strict=True)))
    chunks = [codecs.BOM_UTF8]
    while chunk := list(itertools.islice(lines, _CHUNK_ROWS)):
        chunks.append(_LINE_END.join([*chunk, ""]).encode("utf-8"))
    return b"".join(chunks)


def read_processed_csv(path: Path) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv_atomically`."""
    import pandas as pd

    text = {"unit_code": "string", "years_used": "string", "tt": "string"}
    return pd.read_csv(path, encoding="utf-8-sig", dtype=text)
