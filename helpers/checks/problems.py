"""Problems found in the data: collected with their place, never thrown away.

Each check builds its own :class:`ProblemLog` and returns its table (columns ``PROBLEM_COLUMNS``);
the step gathers the tables with :func:`gather_problems`, so re-running a check (a notebook cell)
never lists a problem twice.
"""

from __future__ import annotations

import pandas as pd

from helpers.errors import WorkbookError
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


def _sentence(file: object, sheet: object, row: object, column: object, message: str) -> str:
    return _located(*(None if pd.isna(cell) else cell for cell in (file, sheet, row, column)), message)


def _located(file: object, sheet: object, row: object, column: object, message: str) -> str:
    """:func:`_sentence` of cells already checked: a missing one is None."""
    parts = []
    if file:
        parts.append(f"tệp {file}")
    if sheet:
        parts.append(f"trang {sheet}")
    if row is not None and row != "":
        parts.append(f"dòng {int(row)}")
    if column:
        parts.append(f"cột “{column}”")
    place = ", ".join(parts)
    return f"{place}: {message}" if place else message


def describe_problem(problem: pd.Series) -> str:
    """One line naming where the problem is and what it is, in Vietnamese."""
    return _sentence(problem.get("file"), problem.get("sheet"), problem.get("row"), problem.get("column"),
                     problem["message"])


def describe_problems(problems: pd.DataFrame) -> list[str]:
    """:func:`describe_problem` of every row of a problems table (one pass, no Series per row;
    missing cells are found column by column, not cell by cell)."""
    columns = [_cells(problems, c) for c in ("file", "sheet", "row", "column")]
    return [_located(*place, message) for *place, message in zip(*columns, problems["message"].tolist(), strict=True)]


def _cells(problems: pd.DataFrame, name: str) -> list:
    """The cells of a column as a list, None where missing (all None when there is no such column)."""
    if name not in problems.columns:
        return [None] * len(problems)
    column = problems[name]
    return [None if missing else cell for cell, missing in zip(column.tolist(), column.isna().tolist(), strict=True)]


def gather_problems(*tables: pd.DataFrame | ProblemLog) -> pd.DataFrame:
    """One problems table from several (tables or logs), in the order given."""
    frames = [t.frame() if isinstance(t, ProblemLog) else t for t in tables]
    frames = [f for f in frames if len(f)]
    if not frames:
        return ProblemLog().frame()
    return pd.concat(frames, ignore_index=True).astype({"row": "Int64"})


def errors_of(problems: pd.DataFrame) -> pd.DataFrame:
    """The rows of a problems table that are errors."""
    return problems[problems["severity"] == ERROR]


def stop_on_errors(problems: pd.DataFrame, year: int) -> None:
    """Raise a WorkbookError listing every error of ``problems`` at once; nothing when there is none."""
    errors = errors_of(problems)
    if len(errors):
        lines = [f"Số liệu năm {year} có {len(errors)} lỗi, chưa thể lập phụ lục:"]
        lines += [f"  - {text}" for text in describe_problems(errors)]
        raise WorkbookError("\n".join(lines))


QUALITY_COLUMNS = ["severity", "text"]


def quality_list(problems: pd.DataFrame) -> pd.DataFrame:
    """The data-quality list (``quality.csv``, the one the annex shows): errors, then warnings, then
    what was read and fixed (information), each with its Vietnamese severity and one readable
    place-and-reason sentence."""
    if problems.empty:
        return pd.DataFrame(columns=QUALITY_COLUMNS)
    order = {severity: i for i, severity in enumerate(SEVERITY_LABELS)}
    ranked = problems.assign(_rank=problems["severity"].map(order)).sort_values("_rank", kind="stable")
    return pd.DataFrame({
        "severity": ranked["severity"].map(SEVERITY_LABELS),
        "text": describe_problems(ranked),
    }).reset_index(drop=True)
