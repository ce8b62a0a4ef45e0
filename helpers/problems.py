"""Problems found in the data: collected with their place, never thrown away."""

from __future__ import annotations

import pandas as pd

from helpers.reference import nfc

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITY_LABELS = {ERROR: "Lỗi", WARNING: "Cảnh báo", INFO: "Thông tin"}
PROBLEM_COLUMNS = ["severity", "file", "sheet", "row", "column", "value", "message"]


class ProblemLog:
    """An append-only list of problems; ``frame()`` gives the table written next to the data."""

    def __init__(self) -> None:
        self._rows: list[dict] = []

    def add(self, severity: str, message: str, *, file: str = "", sheet: str = "",
            row: int | None = None, column: str = "", value: object = None) -> None:
        """Record one problem. ``message`` is a Vietnamese sentence."""
        if severity not in SEVERITY_LABELS:
            raise ValueError(f"unknown severity {severity!r}")
        self._rows.append({
            "severity": severity, "file": file, "sheet": sheet,
            "row": row, "column": column,
            "value": "" if value is None else nfc(str(value)),
            "message": nfc(message),
        })

    def extend(self, other: ProblemLog) -> None:
        self._rows.extend(other._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def frame(self) -> pd.DataFrame:
        """All problems as a table (columns ``PROBLEM_COLUMNS``)."""
        frame = pd.DataFrame(self._rows, columns=PROBLEM_COLUMNS)
        return frame.astype({"row": "Int64"})


def describe_problem(problem: pd.Series) -> str:
    """One line naming where the problem is and what it is, in Vietnamese."""
    parts = []
    if problem.get("file"):
        parts.append(f"tệp {problem['file']}")
    if problem.get("sheet"):
        parts.append(f"trang {problem['sheet']}")
    if pd.notna(problem.get("row")) and problem.get("row") not in ("", None):
        parts.append(f"dòng {int(problem['row'])}")
    if problem.get("column"):
        parts.append(f"cột “{problem['column']}”")
    place = ", ".join(parts)
    return f"{place}: {problem['message']}" if place else problem["message"]
