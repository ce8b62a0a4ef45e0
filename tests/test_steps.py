"""The step functions the notebooks, the Excel writer, the tests and the bench all call."""

from __future__ import annotations

import pandas as pd
from contexts import context

from helpers.checks.clean import clean_year
from helpers.ingest.read import read_submissions
from helpers.paths import RAW_DIR


def test_clean_year_can_run_again_on_the_same_reading():
    """Re-running the checking cell of 01_clean lists every problem once (checks return problems,
    they do not add to the reading's)."""
    ctx = context(2024)
    submissions = read_submissions(RAW_DIR / "2024", ctx)
    reading = submissions.problems.frame() if hasattr(submissions.problems, "frame") else submissions.problems
    first, second = clean_year(submissions, ctx), clean_year(submissions, ctx)
    pd.testing.assert_frame_equal(first.problems, second.problems)
    pd.testing.assert_frame_equal(first.values, second.values)
    after = submissions.problems.frame() if hasattr(submissions.problems, "frame") else submissions.problems
    pd.testing.assert_frame_equal(reading, after)
    assert len(first.problems) > len(reading)          # the checks' own lines (one per file at least)
