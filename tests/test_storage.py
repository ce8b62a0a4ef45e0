"""Atomic writes: the old file survives a failed write; new files get ordinary permissions. The CSV
writer's fast path (helpers.fast_csv) writes what DataFrame.to_csv writes, byte for byte."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from helpers import fast_csv, storage


def test_written_file_is_readable_by_others(tmp_path):
    path = storage.write_text_atomically(tmp_path / "a" / "annex.html", "<p>Đạt</p>")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode & stat.S_IRGRP and mode & stat.S_IROTH
    assert path.read_text(encoding="utf-8") == "<p>Đạt</p>"


def test_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = storage.write_text_atomically(tmp_path / "values.csv", "good")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(storage.os, "replace", broken_replace)
    with pytest.raises(OSError):
        storage.write_text_atomically(path, "half")
    assert path.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["values.csv"]


def test_csv_round_trip_keeps_codes_as_text(tmp_path):
    frame = pd.DataFrame({"unit_code": ["019996", "480"], "value": [1.5, 2.0]})
    path = storage.write_csv_atomically(frame, tmp_path / "t.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel shows Vietnamese correctly
    back = storage.read_processed_csv(path)
    assert list(back["unit_code"]) == ["019996", "480"]


def _to_csv(frame: pd.DataFrame) -> bytes:
    """The oracle: what pandas writes."""
    return frame.to_csv(index=False).encode("utf-8-sig")


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"unit_code": pd.array(["19792", None, "19801"], dtype="string"),
                  "value": pd.array([1_234, None, 0], dtype="Int64"),
                  "note": ['có dấu phẩy, và "ngoặc"', "xuống\ndòng", "Số liệu\r"]}),
    pd.DataFrame({"a,b": [1, 2], 'c"d': ["", " "]}),                          # names that need quotes
    pd.DataFrame({"year": pd.array([], dtype="Int64"), "field": pd.array([], dtype="string")}),
    pd.DataFrame({"n": pd.array([7], dtype="uint8"), "t": pd.Series([None], dtype=object)}),
])
def test_fast_csv_writes_what_pandas_writes(frame, tmp_path):
    assert fast_csv.csv_bytes(frame) == _to_csv(frame)
    path = storage.write_csv_atomically(frame, tmp_path / "t.csv")
    # what is written is pandas' CSV of the table with its texts made safe (a bare CR becomes "\n")
    assert path.read_bytes() == _to_csv(storage.neutralise_formulas(frame))


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"rate": [0.5, 1.0], "t": ["a", "b"]}),                      # floats: pandas formats them
    pd.DataFrame({"only": ["", "a"]}),                                         # one column: "" is quoted
    pd.DataFrame({"mixed": [1, "a"], "t": ["a", "b"]}),
])
def test_other_tables_are_left_to_pandas(frame, tmp_path):
    assert fast_csv.csv_bytes(frame) is None
    assert storage.write_csv_atomically(frame, tmp_path / "t.csv").read_bytes() == _to_csv(frame)


def test_fast_csv_equals_pandas_on_random_tables():
    """Random tables of text and integer columns, with every character the csv writer treats
    specially, give the bytes DataFrame.to_csv gives."""
    import random

    import numpy as np

    rng = random.Random(1373)
    alphabet = [*'ab ,"\r\n\t;\'ốĐ😀\\', "xyz", "Số liệu"]

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))

    fast = 0
    for _ in range(400):
        rows, data = rng.randint(0, 6), {}
        for j in range(rng.randint(2, 4)):
            kind = rng.choice(["string", "object", "Int64", "int64", "with-missing"])
            name = text() or f"c{j}" if rng.random() < 0.3 else f"c{j}"
            name = name if name not in data else f"{name}{j}"
            if kind == "string":
                data[name] = pd.array([None if rng.random() < 0.2 else text() for _ in range(rows)], dtype="string")
            elif kind == "object":
                data[name] = pd.Series([text() for _ in range(rows)], dtype=object)
            elif kind == "with-missing":
                data[name] = pd.Series([rng.choice([None, np.nan, pd.NA, text()]) for _ in range(rows)], dtype=object)
            elif kind == "Int64":
                data[name] = pd.array([None if rng.random() < 0.2 else rng.randint(-10**12, 10**12)
                                       for _ in range(rows)], dtype="Int64")
            else:
                data[name] = np.array([rng.randint(0, 200) for _ in range(rows)], dtype=kind)
        frame = pd.DataFrame(data)
        written = fast_csv.csv_bytes(frame)
        if written is not None:
            fast += 1
            assert written == _to_csv(frame), frame
    assert fast > 300        # most tables took the fast path, so the comparison above tested it
