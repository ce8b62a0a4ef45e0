"""The reading step of one reporting year: every submission file of ``data/raw/<year>/``."""

from __future__ import annotations

from pathlib import Path

from helpers.ingest.submissions import Submissions, load_submissions
from helpers.reference import ReportingYear


def read_submissions(year_dir: Path, ctx: ReportingYear) -> Submissions:
    """Read the year's folder: records, values as typed and parsed, total rows, rejected cells and
    the problems met while reading (names resolved against the entity's communes of that year)."""
    return load_submissions(year_dir, ctx.year, ctx.ref.fields, ctx.communes)
