"""The cleaning step of one reporting year (``notebooks/01_clean.ipynb``): the submissions read
by :mod:`helpers.ingest` → the clean values and everything said about them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.checks.accounting import rejected_rows, summarise_files
from helpers.checks.mergers import add_up_predecessors
from helpers.checks.problems import gather_problems, quality_list
from helpers.checks.totals import check_totals
from helpers.checks.units import resolve_unit_codes
from helpers.checks.values import validate_values
from helpers.ingest.submissions import Submissions
from helpers.reference import ReportingYear


@dataclass(frozen=True)
class CleanYear:
    """What the cleaning step gives: the records with their unit status, the clean values, one
    line per file, the rejected cells and rows, and every problem (reading's and the checks')."""

    year: int
    records: pd.DataFrame
    values: pd.DataFrame
    files: pd.DataFrame
    rejects: pd.DataFrame
    problems: pd.DataFrame

    @property
    def quality(self) -> pd.DataFrame:
        """The data-quality list of these problems (:func:`helpers.checks.problems.quality_list`)."""
        return quality_list(self.problems)


def clean_year(submissions: Submissions, ctx: ReportingYear) -> CleanYear:
    """Check a year's submissions: units, values, totals, and the accounting of every row read.
    The old units' forms of a whole merger are checked one by one, then added up onto their new
    unit (:mod:`helpers.checks.mergers`).

    Pure: ``submissions`` is not changed, so the step can be run again on the same reading.
    """
    records, unit_problems = resolve_unit_codes(submissions.records, submissions.values, ctx)
    values, value_problems = validate_values(submissions.values, records, submissions.rejects, ctx)
    values, merger_problems = add_up_predecessors(values, submissions.values, records, ctx)
    total_problems = check_totals(submissions.values, submissions.totals, records, ctx)
    files, file_lines = summarise_files(submissions, records)
    problems = gather_problems(submissions.problems, unit_problems, value_problems, merger_problems,
                               total_problems, file_lines)
    return CleanYear(year=ctx.year, records=records, values=values, files=files,
                     rejects=rejected_rows(submissions, records), problems=problems)
