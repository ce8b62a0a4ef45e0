"""Fast path: ``DataFrame.to_csv`` rebuilt for tables of text and integer columns.

Why it exists: the clean step writes ``values.csv``, one row per commune and field (470,000 rows
at 10,000 communes), and pandas passes every cell of it through the csv module one by one. For
a table of text and integer columns, :func:`csv_bytes` formats each column at once (each distinct
number once) and joins the columns' texts, quoting as the csv writer does.

The plain equivalent is :func:`to_csv_bytes` (``DataFrame.to_csv``); ``helpers.storage`` writes
any other table with it. :func:`csv_bytes` gives the same bytes, tested against it on fixed and
random tables (tests/test_storage.py); ``bench/run_bench.py`` prints what each takes on a values
table of 470,000 rows, and the README quotes the figures.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os

import numpy as np
import pandas as pd

_LINE_END = os.linesep  # DataFrame.to_csv's line terminator
_CHUNK_ROWS = 50_000    # rows joined and encoded at a time: the whole table is never held as one text


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The plain equivalent: UTF-8 CSV with a BOM (so Excel shows Vietnamese), no index."""
    return frame.to_csv(index=False).encode("utf-8-sig")


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


def csv_bytes(frame: pd.DataFrame) -> bytes | None:
    """:func:`to_csv_bytes` of a table of integer and text columns with text names, or None for
    any other table (a single column, whose empty cells the csv writer quotes, is left to pandas too)."""
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
