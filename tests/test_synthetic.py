"""The synthetic country of the benchmark: stamped workbooks read as write_template's, counts hold."""

from __future__ import annotations

from openpyxl import load_workbook

from helpers.checks.values import field_pairs
from helpers.ingest.template import write_template
from helpers.reference import Reference, load_fields
from helpers.samples.synthetic import ENTITY_CODE, commune_values, synthetic_units, write_country


def _rows(path):
    return list(load_workbook(path).active.iter_rows(values_only=True))


def test_stamped_workbooks_equal_the_template_written_by_openpyxl(tmp_path):
    units = write_country(tmp_path / "raw", 12, years=(2023,))
    assert sorted(p.name for p in (tmp_path / "raw" / "2023").iterdir()) == [f"{30000 + i}.xlsx" for i in range(12)]
    values = commune_values(units, 2023)
    for unit in units.iloc[[0, 11]].itertuples():
        expected = write_template(tmp_path / "expected.xlsx", load_fields(), unit_code=unit.code,
                                  unit_name=unit.full_name, year=2023, values=values[unit.code])
        assert _rows(tmp_path / "raw" / "2023" / f"{unit.code}.xlsx") == _rows(expected)


def test_synthetic_counts_are_whole_parts_within_wholes():
    units = synthetic_units(300)
    assert units["code"].is_unique and (units["parent_code"] == ENTITY_CODE).all()
    assert 15 <= units["source"].nunique() <= 38          # districts of 8-20 communes
    pairs = field_pairs(Reference.load())
    fields = set(load_fields()["field"])
    for counts in commune_values(units, 2025).values():
        assert set(counts) == fields
        assert all(isinstance(n, int) and n >= 0 for n in counts.values())
        assert all(counts[part] <= counts[whole] for part, whole in pairs)
    populations = [c["pop_total"] for c in commune_values(units, 2023).values()]
    assert 1_500 <= min(populations) and max(populations) <= 60_000 * 1.01


def test_a_commune_keeps_its_population_from_year_to_year():
    units = synthetic_units(200)
    before, after = commune_values(units, 2024), commune_values(units, 2025)
    for code in units["code"]:
        change = after[code]["pop_total"] / before[code]["pop_total"]
        assert abs(change - 1) < 0.02, (code, before[code]["pop_total"], after[code]["pop_total"])
