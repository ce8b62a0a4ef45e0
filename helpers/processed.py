"""The processed data of each year: written atomically by one step, read by the next.

``data/processed/<year>/``
- ``values.csv``: clean tidy commune values (year, unit_code, field, value, note, file, sheet, row);
- ``files.csv``: one line per submission file (hash, layout, rows read = accepted + rejected + total
  rows + heading rows);
- ``problems.csv``: every problem found, with severity, place and Vietnamese message;
- ``rejects.csv``: every rejected cell or row (file, sheet, row, column, value, Vietnamese reason);
- ``quality.csv``: the data-quality list of the annex (what was read, fixed, rejected, missing);
- ``indicators.csv``: commune and district indicators of the year;
- ``history.csv``: district indicators of this and earlier years (for trends);
- ``projection.csv``: the projection to the target year;
- ``jumps.csv``: warnings for counts that moved implausibly from last year's clean values (problems
  table, written by the indicator step, which reads both years).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.checks.problems import ERROR, describe_problem
from helpers.errors import WorkbookError
from helpers.storage import read_processed_csv, write_csv_atomically

PROBLEM_TABLES = ("problems", "jumps")  # tables of problems (helpers.checks.problems.PROBLEM_COLUMNS)


def year_dir(processed_dir: Path, year: int) -> Path:
    return Path(processed_dir) / str(year)


def save_clean_year(processed_dir: Path, year: int, values: pd.DataFrame, files: pd.DataFrame,
                    problems: pd.DataFrame, rejects: pd.DataFrame | None = None,
                    quality: pd.DataFrame | None = None) -> Path:
    """Write the problems (and the rejects and quality list, when given); write values and files
    only when there is no error.

    With errors, the previous good ``values.csv`` stays in place and a WorkbookError lists every
    error at once.
    """
    out = year_dir(processed_dir, year)
    write_csv_atomically(problems, out / "problems.csv")
    if rejects is not None:
        write_csv_atomically(rejects, out / "rejects.csv")
    if quality is not None:
        write_csv_atomically(quality, out / "quality.csv")
    errors = problems[problems["severity"] == ERROR]
    if len(errors):
        lines = [f"Số liệu năm {year} có {len(errors)} lỗi, chưa thể lập phụ lục:"]
        lines += [f"  - {describe_problem(p)}" for _, p in errors.iterrows()]
        raise WorkbookError("\n".join(lines))
    write_csv_atomically(files, out / "files.csv")
    write_csv_atomically(values, out / "values.csv")
    return out


def load_clean_values(processed_dir: Path, year: int) -> pd.DataFrame:
    """The clean values of a year, or a WorkbookError if the clean step has not run."""
    path = year_dir(processed_dir, year) / "values.csv"
    if not path.exists():
        raise WorkbookError(f"Chưa có số liệu đã làm sạch của năm {year} ({path}); hãy chạy 01_clean trước.")
    values = read_processed_csv(path)
    return values.astype({"year": "Int64", "value": "Int64"})


def available_years(processed_dir: Path, up_to: int) -> list[int]:
    """Years up to ``up_to`` whose clean values exist."""
    years = []
    for child in Path(processed_dir).glob("*/values.csv"):
        name = child.parent.name
        if name.isdigit() and int(name) <= up_to:
            years.append(int(name))
    return sorted(years)


def read_year_table(processed_dir: Path, year: int, name: str) -> pd.DataFrame:
    """A processed table of a year (``indicators``, ``history``, ``projection``, ``problems`` …)."""
    path = year_dir(processed_dir, year) / f"{name}.csv"
    if not path.exists():
        raise WorkbookError(f"Chưa có {path}; hãy chạy các sổ tính trước đó của năm {year}.")
    table = read_processed_csv(path)
    for column in ("year", "row"):
        if column in table.columns:
            table[column] = table[column].astype("Int64")
    for column in ("value", "numerator", "denominator", "target", "projected"):
        if column in table.columns and name not in PROBLEM_TABLES:
            table[column] = table[column].astype("Float64")
    text_columns = ["status", "missing_units", "target_level", "target_plan", "years_used"]
    if name in PROBLEM_TABLES:
        text_columns += ["file", "sheet", "column", "value", "message"]
    for column in text_columns:
        if column in table.columns:
            table[column] = table[column].astype("string").fillna("")
    return table


def read_year_problems(processed_dir: Path, year: int) -> pd.DataFrame:
    """Every problem of a year for the annex: the clean step's, then the indicator step's
    year-on-year warnings (``jumps.csv``, absent before that step has run)."""
    problems = read_year_table(processed_dir, year, "problems")
    if not (year_dir(processed_dir, year) / "jumps.csv").exists():
        return problems
    jumps = read_year_table(processed_dir, year, "jumps")
    return pd.concat([problems, jumps], ignore_index=True) if len(jumps) else problems


def save_indicator_tables(processed_dir: Path, year: int, **tables: pd.DataFrame) -> Path:
    """Write the indicator step's tables (``indicators``, ``history``, ``projection``, ``jumps``) atomically."""
    out = year_dir(processed_dir, year)
    for name, table in tables.items():
        write_csv_atomically(table, out / f"{name}.csv")
    return out
