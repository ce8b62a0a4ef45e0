"""CSVs meant to be opened in Excel never carry a formula (issue 16, class 6): every table written
to data/processed/<year>/ neutralises texts that Excel would run, and reads back what was written."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from helpers import storage
from helpers.registry import TABLES

HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1", "\r=1",
           "'=already quoted", "'plain apostrophe"]
HARMLESS = ["-", "-5", "-3,5", "Phường Tứ Hạ", "97,29%", ""]


def _cells(path) -> list[str]:
    text = path.read_bytes().decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def test_formula_like_texts_are_written_as_text_and_read_back(tmp_path):
    frame = pd.DataFrame({"file": HOSTILE + HARMLESS[:0], "value": HOSTILE, "row": range(len(HOSTILE))})
    path = storage.write_csv_atomically(frame, tmp_path / "t.csv")
    for cell in _cells(path)[3:]:
        assert not cell.startswith(storage.FORMULA_TRIGGERS), cell
    back = storage.read_processed_csv(path)
    expected = [h.replace("\r", "\n") for h in HOSTILE]     # a bare CR becomes a line break
    assert back["file"].tolist() == expected and back["value"].tolist() == expected


def test_numbers_and_harmless_texts_are_unchanged(tmp_path):
    frame = pd.DataFrame({"value": HARMLESS, "n": [-1, -2, 3, 4, 5, 6],
                          "x": pd.array([-1.5, None, 2, 3, 4, 5], dtype="Float64")})
    path = storage.write_csv_atomically(frame, tmp_path / "t.csv")
    cells = _cells(path)
    assert "-1" in cells and "-1.5" in cells and "-5" in cells and "-" in cells
    assert not any(c.startswith("'") for c in cells)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_processed_table_is_neutralised(sample_build, name, tmp_path):
    """Each table the steps write, with a hostile text put in each of its text columns."""
    path = sample_build["processed"] / "2023" / f"{name}.csv"
    table = storage.read_processed_csv(path)
    if table.empty:   # (rejects and jumps of 2023): one row of its columns
        table = pd.DataFrame([dict.fromkeys(table.columns, "x")])
    numbers = set(TABLES[name].integers) | set(TABLES[name].floats)
    texts = [c for c in table.columns if c not in numbers]
    assert texts, name
    poisoned = table.copy()
    for i, column in enumerate(texts):
        poisoned[column] = poisoned[column].astype(object)
        poisoned.loc[poisoned.index[0], column] = HOSTILE[i % len(HOSTILE)]
    out = storage.write_csv_atomically(poisoned, tmp_path / f"{name}.csv")
    assert not any(cell.startswith(storage.FORMULA_TRIGGERS) for cell in _cells(out)), name
