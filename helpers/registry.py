"""The processed tables of a year (``data/processed/<year>/``): which step writes each, which
function computes it, its columns and their types. :mod:`helpers.processed` reads and writes them
by this list, and the run record (:mod:`helpers.run.run_record`) takes each step's outputs from it.

No pandas here: the batch's "nothing changed" check imports this module and must stay fast.
"""

from __future__ import annotations

from dataclasses import dataclass

CLEAN = "clean"            # notebooks/01_clean.ipynb
INDICATORS = "indicators"  # notebooks/02_indicators.ipynb
PROBLEM_COLUMNS = ("severity", "file", "sheet", "row", "column", "value", "message")


@dataclass(frozen=True)
class ProcessedTable:
    """One table of ``data/processed/<year>/``."""

    name: str
    step: str
    producer: str                     # the function that computes it
    description: str
    integers: tuple[str, ...] = ()    # read back as Int64
    floats: tuple[str, ...] = ()      # read back as Float64
    texts: tuple[str, ...] = ()       # read back as text, empty for missing

    @property
    def file(self) -> str:
        return f"{self.name}.csv"


_PROBLEMS = dict(integers=("row",), texts=("severity", "file", "sheet", "column", "value", "message"))
_INDICATOR_TYPES = dict(
    integers=("year",), floats=("numerator", "denominator", "value", "target"),
    texts=("status", "missing_units", "target_level", "target_plan", "target_from"))

TABLES = {table.name: table for table in (
    ProcessedTable("values", CLEAN, "helpers.checks.values.validate_values",
                   "clean tidy commune values (year, unit_code, field, value, note, file, sheet, row)",
                   integers=("year", "value", "row")),
    ProcessedTable("files", CLEAN, "helpers.checks.accounting.summarise_files",
                   "one line per submission file: hash, layout, rows read = accepted + rejected + total + heading"),
    ProcessedTable("problems", CLEAN, "helpers.checks.clean.clean_year",
                   "every problem found while reading and checking, with its place and Vietnamese message",
                   **_PROBLEMS),
    ProcessedTable("records", CLEAN, "helpers.checks.units.resolve_unit_codes",
                   "one line per commune row read: file, sheet, row, unit as written and as resolved, its status",
                   integers=("record", "row"), texts=("file", "sheet", "layout", "unit_name", "unit_code", "method",
                                                      "status", "reason", "unit_status", "former_code")),
    ProcessedTable("rejects", CLEAN, "helpers.checks.accounting.rejected_rows",
                   "every rejected cell or row with the value as typed and the reason", integers=("row",)),
    ProcessedTable("indicators", INDICATORS, "helpers.compute.indicators.compute_indicators",
                   "commune and entity indicators of the year, with target and status", **_INDICATOR_TYPES),
    ProcessedTable("history", INDICATORS, "helpers.compute.indicators.compute_history",
                   "the entity's indicators of this and earlier years (trends)", **_INDICATOR_TYPES),
    ProcessedTable("projection", INDICATORS, "helpers.compute.indicators.project_year",
                   "the projection of each rate to the target year (empty once that year is reached)",
                   floats=("projected", "target"), texts=("years_used",)),
    ProcessedTable("jumps", INDICATORS, "helpers.checks.jumps.year_on_year_jumps",
                   "warnings for counts that moved implausibly from last year's clean values", **_PROBLEMS),
    ProcessedTable("quality", INDICATORS, "helpers.checks.problems.quality_list",
                   "the data-quality list the annex shows: the clean step's problems and the jumps",
                   texts=("severity", "text")),
)}


def outputs_of(step: str) -> tuple[str, ...]:
    """The file names a step writes, in the order of :data:`TABLES`."""
    return tuple(table.file for table in TABLES.values() if table.step == step)
