"""Tables as an analyst reads them in the notebooks: Vietnamese column labels
(``reference/column_labels.csv``) and Vietnamese words for the severities and unit statuses."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from helpers.checks.problems import SEVERITY_LABELS
from helpers.paths import REFERENCE_DIR
from helpers.reference import read_reference_csv

VALUE_WORDS = {
    "severity": SEVERITY_LABELS,
    "unit_status": {"ok": "Nhận", "rejected": "Loại", "duplicate": "Trùng, dùng một lần"},
    "method": {"code": "theo mã", "exact": "theo tên", "accent-insensitive": "theo tên không dấu",
               "fuzzy": "theo tên gần đúng", "ambiguous": "tên không rõ", "unknown": "không xác định"},
}


@functools.cache
def _labels(reference_dir: Path = REFERENCE_DIR) -> dict[str, str]:
    table = read_reference_csv(Path(reference_dir) / "column_labels.csv")
    return dict(zip(table["column"], table["label"], strict=True))


def in_vietnamese(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with Vietnamese column labels and words for codes (a copy; the data is unchanged)."""
    shown = frame.copy()
    for column, words in VALUE_WORDS.items():
        if column in shown.columns:
            shown[column] = shown[column].map(lambda v, w=words: w.get(v, v))
    return shown.rename(columns=_labels())
