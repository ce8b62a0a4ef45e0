"""The processed data of each year: written atomically by one step, read by the next.

What ``data/processed/<year>/`` holds, which step writes each table and which function computes
it: :data:`helpers.registry.TABLES`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.checks.clean import CleanYear
from helpers.checks.problems import errors_of, gather_problems, quality_list
from helpers.compute.indicators import IndicatorTables
from helpers.errors import WorkbookError
from helpers.reference import ReportingYear
from helpers.registry import TABLES
from helpers.storage import read_processed_csv, write_csv_atomically


def year_dir(processed_dir: Path, year: int) -> Path:
    return Path(processed_dir) / str(year)


def save_clean_year(processed_dir: Path, clean: CleanYear) -> Path:
    """Write the problems, rejects and records of a cleaned year (the communes' feedback sheets read
    them, also when the year has errors); its values and files only when there is no error (with
    errors the previous good ``values.csv`` stays in place)."""
    out = year_dir(processed_dir, clean.year)
    write_csv_atomically(clean.problems, out / "problems.csv")
    write_csv_atomically(clean.rejects, out / "rejects.csv")
    write_csv_atomically(clean.records, out / "records.csv")
    if errors_of(clean.problems).empty:
        write_csv_atomically(clean.files, out / "files.csv")
        write_csv_atomically(clean.values, out / "values.csv")
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


def load_clean_history(processed_dir: Path, ctx: ReportingYear) -> pd.DataFrame:
    """The clean values of the reporting year and of every earlier year of the entity that has them."""
    years = [y for y in available_years(processed_dir, ctx.year) if y in ctx.years]
    if ctx.year not in years:
        load_clean_values(processed_dir, ctx.year)  # raises the message naming the missing step
    return pd.concat([load_clean_values(processed_dir, y) for y in years], ignore_index=True)


def read_year_table(processed_dir: Path, year: int, name: str) -> pd.DataFrame:
    """A processed table of a year (:data:`helpers.registry.TABLES`), typed as listed there."""
    path = year_dir(processed_dir, year) / f"{name}.csv"
    if not path.exists():
        raise WorkbookError(f"Chưa có {path}; hãy chạy các sổ tính trước đó của năm {year}.")
    table = read_processed_csv(path)
    spec = TABLES.get(name)
    if spec is None:
        return table
    for column in spec.integers:
        if column in table.columns:
            table[column] = table[column].astype("Int64")
    for column in spec.floats:
        if column in table.columns:
            table[column] = table[column].astype("Float64")
    for column in spec.texts:
        if column in table.columns:
            table[column] = table[column].astype("string").fillna("")
    return table


def save_indicator_tables(processed_dir: Path, year: int, tables: IndicatorTables) -> Path:
    """Write the indicator step's tables, and the year's quality list (the clean step's problems
    and the year-on-year warnings: the list the annex shows), atomically."""
    out = year_dir(processed_dir, year)
    for name in ("indicators", "history", "projection", "jumps"):
        write_csv_atomically(getattr(tables, name), out / f"{name}.csv")
    problems = gather_problems(read_year_table(processed_dir, year, "problems"), tables.jumps)
    write_csv_atomically(quality_list(problems), out / "quality.csv")
    return out


def read_indicator_tables(processed_dir: Path, year: int) -> IndicatorTables:
    """The indicator step's tables of a year, as :func:`helpers.compute.indicators.compute_year` gave them."""
    return IndicatorTables(**{name: read_year_table(processed_dir, year, name)
                              for name in ("jumps", "indicators", "history", "projection")})
