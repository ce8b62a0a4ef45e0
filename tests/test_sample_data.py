"""The bundled sample submissions are exactly what helpers/sample_data.py writes."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.ingest.submissions import load_submissions
from helpers.paths import RAW_DIR
from helpers.reference import communes_of, load_entity, load_units
from helpers.samples.sample_data import POPULATION_2023, YEARS, sample_values


@pytest.mark.parametrize("year", YEARS)
def test_committed_workbooks_hold_the_generated_counts(year, fields):
    communes = communes_of(load_entity(), load_units(), year)
    read = load_submissions(RAW_DIR / str(year), year, fields, communes)
    got = read.values.drop(columns="unit_code").merge(read.records[["record", "unit_code"]], on="record")
    got = got.pivot(index="unit_code", columns="field", values="value").astype("int64")
    expected = pd.DataFrame(sample_values(year)).T.astype("int64")
    expected.index.name, expected.columns.name = "unit_code", "field"
    pd.testing.assert_frame_equal(got.sort_index().sort_index(axis=1), expected.sort_index().sort_index(axis=1),
                                  check_names=False)


def test_sample_town_has_about_73000_people_in_2023():
    assert sum(POPULATION_2023.values()) == 73000
    assert sum(c["pop_total"] for c in sample_values(2023).values()) == 73000


def test_writing_the_samples_twice_gives_the_same_bytes(tmp_path):
    """make sample-data with nothing changed leaves git status clean: fixed zip and document times,
    and a file whose bytes would not change is not written again."""
    from helpers.samples.sample_data import write_sample_data

    first = write_sample_data(tmp_path, years=(2023,))
    snapshot = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in first}
    assert len(first) == 9
    assert write_sample_data(tmp_path, years=(2023,)) == []
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in first} == snapshot
    bundled = {p.name: p.read_bytes() for p in (RAW_DIR / "2023").glob("*.xlsx")}
    assert {p.name: p.read_bytes() for p in first} == bundled      # what is committed is what it writes
