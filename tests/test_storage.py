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


def test_previous_year_values_from_processed_equal_a_fresh_read(sample_build, tmp_path):
    """The jump check may take last year's processed values only when they match the raw files."""
    import shutil

    from helpers.reference import load_entity, load_fields, load_units
    from helpers.validation import previous_year_values

    args = (sample_build["raw"], 2024, load_fields(), load_entity(), load_units())
    fresh = previous_year_values(*args)
    cached = previous_year_values(*args, processed_dir=sample_build["processed"])
    key = ["unit_code", "field"]
    pd.testing.assert_frame_equal(
        cached[key + ["value"]].sort_values(key).reset_index(drop=True),
        fresh[key + ["value"]].sort_values(key).reset_index(drop=True), check_dtype=False)
    # stale processed data (made from other raw files) is not used
    stale = tmp_path / "processed"
    shutil.copytree(sample_build["processed"] / "2023", stale / "2023")
    files = storage.read_processed_csv(stale / "2023" / "files.csv")
    files.loc[0, "sha256"] = "0" * 64
    storage.write_csv_atomically(files, stale / "2023" / "files.csv")
    values = storage.read_processed_csv(stale / "2023" / "values.csv")
    storage.write_csv_atomically(values.assign(value=values["value"] * 0), stale / "2023" / "values.csv")
    again = previous_year_values(*args, processed_dir=stale)
    pd.testing.assert_frame_equal(again[key + ["value"]].sort_values(key).reset_index(drop=True),
                                  fresh[key + ["value"]].sort_values(key).reset_index(drop=True), check_dtype=False)
