"""Atomic writes: the old file survives a failed write; new files get ordinary permissions."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from helpers import storage


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
