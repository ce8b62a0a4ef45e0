"""A synthetic country for scale tests: thousands of communes across districts, five years of
data-entry workbooks in the communes' format, with realistic counts.

Each commune copies the shape of one of the nine sample communes (``helpers.samples.sample_data``):
its people counts scaled to a population drawn from a log-normal law (median about 8,000, like
Vietnamese communes), its unit counts (centres, clans, organisations …) kept as they are, so
every part stays within its whole and the data passes the checks. Communes are grouped in
districts of 8 to 20, which only shows in their codes and names: the country reports as one
entity whose communes are all the synthetic ones (``synthetic_entity``).

Writing 10,000 workbooks with openpyxl one by one is slow, so the workbooks are stamped: one
prototype per year is written by :func:`helpers.ingest.template.write_template` with sentinel values,
and each commune's workbook is that prototype with the sentinels replaced in the sheet XML (openpyxl
writes values and inline strings there).

    python -m helpers.samples.synthetic --communes 1000 --out /tmp/xhht-synthetic
"""

from __future__ import annotations

import argparse
import functools
import logging
import math
import random
import re
import zipfile
from dataclasses import replace
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd

from helpers.ingest.template import write_template
from helpers.reference import Entity, load_entity, load_fields
from helpers.samples.sample_data import YEARS as SAMPLE_YEARS
from helpers.samples.sample_data import sample_values

log = logging.getLogger(__name__)

YEARS = (2021, 2022, 2023, 2024, 2025)
ENTITY_CODE = "900"
GROWTH = 0.008
# Counts of institutions, not of people: they do not grow with the population.
UNIT_FIELDS = {
    "cltc", "cltc_it", "universities", "universities_digital", "organisations", "learning_units",
    "literacy_classes", "clans", "learning_clans", "communities", "learning_communities", "institutions",
    "institutions_digital", "staff_in_learning_units", "learning_citizens_staff",
}
SENTINEL_BASE = 987_650_000
CODE_SENTINEL, NAME_SENTINEL = "@@UNIT_CODE@@", "@@UNIT_NAME@@"


def synthetic_units(communes: int, seed: int = 1373) -> pd.DataFrame:
    """The units table (as :func:`helpers.reference.load_units` returns it) of ``communes``
    communes in districts of 8-20, all under the synthetic entity; 10 % are ĐBKK communes."""
    rng = random.Random(seed)
    rows, district, left = [], 0, 0
    for i in range(communes):
        if left == 0:
            district, left = district + 1, rng.randint(8, 20)
        left -= 1
        kind = rng.choice(("xã", "xã", "phường"))
        name = f"Mẫu {district}-{i + 1}"
        rows.append({"code": f"{30000 + i:05d}", "name": name, "type": kind, "level": "commune",
                     "parent_code": ENTITY_CODE, "province_code": ENTITY_CODE,
                     "valid_from": pd.NaT, "valid_to": pd.NaT, "successor_code": "", "split": False,
                     "dbkk": rng.random() < 0.1,
                     "dbkk_verified": False, "source": f"synthetic, huyện mẫu {district}",
                     "full_name": f"{kind.capitalize()} {name}"})
    units = pd.DataFrame(rows)
    units["valid_from"] = pd.to_datetime(units["valid_from"])
    units["valid_to"] = pd.to_datetime(units["valid_to"])
    return units


def synthetic_entity() -> Entity:
    """The synthetic country as a reporting entity (years 2021-2030, like the real one)."""
    return replace(load_entity(), code=ENTITY_CODE, name="tỉnh Mẫu", issuing_body="UBND TỈNH MẪU",
                   issuing_body_short="UBND tỉnh Mẫu", place="Mẫu", reports={}, first_year=2021, last_year=2030)


def commune_values(units: pd.DataFrame, year: int, seed: int = 1373) -> dict[str, dict[str, int]]:
    """Field values of every synthetic commune for ``year`` (code → field → count).

    A commune keeps its population from year to year (drawn from ``seed`` alone, then grown by
    ``GROWTH`` a year), as real communes do: only the sample commune it copies changes its shape
    from one year to the next, so the year-on-year jump check finds what it finds in real data.
    """
    base_year = min(max(year, SAMPLE_YEARS[0]), SAMPLE_YEARS[-1])
    base = sample_values(base_year)
    shapes = list(base.values())
    rng = random.Random(seed)
    growth = (1 + GROWTH) ** (year - YEARS[0])
    values = {}
    for i, code in enumerate(units["code"]):
        shape = shapes[i % len(shapes)]
        population = min(60_000, max(1_500, rng.lognormvariate(math.log(8_000), 0.5))) * growth
        scale = population / shape["pop_total"]
        values[code] = {f: (n if f in UNIT_FIELDS else round(n * scale)) for f, n in shape.items()}
    return values


def _prototype(year: int, fields: pd.DataFrame, folder: Path) -> tuple[dict[str, bytes], list[str]]:
    sentinels = {f: SENTINEL_BASE + k for k, f in enumerate(fields["field"])}
    path = write_template(folder / f".prototype_{year}.xlsx", fields, unit_code=CODE_SENTINEL,
                          unit_name=NAME_SENTINEL, year=year, values=sentinels)
    with zipfile.ZipFile(path) as book:
        parts = {name: book.read(name) for name in book.namelist()}
    path.unlink()
    return parts, list(sentinels)


def _stamp(by_sentinel: dict[int, int | None], match: re.Match) -> bytes:
    number = by_sentinel.get(int(match.group(1)))
    return match.group(0) if number is None else b"<v>%d</v>" % number


def write_country(out: Path, communes: int, years: tuple[int, ...] = YEARS, seed: int = 1373) -> pd.DataFrame:
    """Write ``out/<year>/<code>.xlsx`` for every commune and year; returns the units table."""
    out = Path(out)
    fields = load_fields()
    units = synthetic_units(communes, seed)
    sentinel_re = re.compile(rb"<v>(%d\d{4})</v>" % (SENTINEL_BASE // 10_000))
    for year in years:
        (out / str(year)).mkdir(parents=True, exist_ok=True)
        parts, order = _prototype(year, fields, out / str(year))
        sheet_name = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
        values = commune_values(units, year, seed)
        for unit in units.itertuples(index=False):
            counts = values[unit.code]
            by_sentinel = {SENTINEL_BASE + k: counts.get(f) for k, f in enumerate(order)}
            sheet = (sentinel_re.sub(functools.partial(_stamp, by_sentinel), parts[sheet_name])
                     .replace(CODE_SENTINEL.encode(), escape(unit.code).encode())
                     .replace(NAME_SENTINEL.encode(), escape(unit.full_name).encode("utf-8")))
            with zipfile.ZipFile(out / str(year) / f"{unit.code}.xlsx", "w", zipfile.ZIP_DEFLATED,
                                 compresslevel=1) as book:
                for name, data in parts.items():
                    book.writestr(name, sheet if name == sheet_name else data)
    return units


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    write_country(args.out, args.communes)
    log.info("wrote %d communes × %d years under %s", args.communes, len(YEARS), args.out)


if __name__ == "__main__":
    main()
