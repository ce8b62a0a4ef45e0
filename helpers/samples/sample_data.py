"""The bundled sample data: illustrative submissions of the communes of thành phố Huế, 2021-2026.

This module makes the nine communes of thị xã Hương Trà for 2021-2024, one data-entry template
per commune and year. Their counts are invented but plausible (about 73,000 inhabitants in 2023)
and change sensibly from year to year. They are built so that the 2023 district figures equal the
annex of Báo cáo 3014/UBND-VX (06/11/2023): II.1 42 %, II.2 51 %, II.3 71 %, II.3a 10,3 %,
III.2 100 %, IV.1 0 %, literacy 15-60 at level 1 97,29 %, 15 literacy classes for 98 learners in
9/9 communes, every commune meeting every standard; and 24 of 26 learning units recognised in
2022. A backtest reads them: their bytes must not change.

The rest of Huế comes from :mod:`helpers.samples.hue_sample`: the other former districts' commune
tables for 2021-2024 and the 40 phường, xã of 2025-2026 (which continue these series).

Run ``python -m helpers.samples.sample_data`` to rewrite ``data/raw/`` from these modules.
"""

from __future__ import annotations

import argparse
import io
import logging
import re
import tempfile
import zipfile
from pathlib import Path

from helpers.ingest.template import write_template
from helpers.paths import RAW_DIR
from helpers.reference import load_fields, load_units
from helpers.storage import write_bytes_atomically
from helpers.text import fold

log = logging.getLogger(__name__)

YEARS = (2021, 2022, 2023, 2024)                 # Hương Trà's nine communes
ALL_YEARS = YEARS + (2025, 2026)                  # with Huế's (helpers.samples.hue_sample)
# 2023 population of each commune (sums to 73,000) and a fixed "character" offset per commune.
POPULATION_2023 = {
    "19996": 11000, "20008": 7500, "20011": 10000, "20005": 12500, "20017": 7000,
    "20020": 11500, "20026": 3300, "20035": 2200, "20041": 8000,
}
OFFSETS = {
    "19996": 1.5, "20008": 0.5, "20011": 1.0, "20005": -0.5, "20017": 0.8,
    "20020": -1.0, "20026": -1.5, "20035": -2.0, "20041": -0.3,
}
GROWTH = 0.008
# District rates (%) by year; the 2023 column reproduces the seed's annex.
DISTRICT_RATES = {
    "lit1_15_60": {2021: 96.80, 2022: 97.05, 2023: 97.29, 2024: 97.52},
    "info_competence": {2021: 30.0, 2022: 36.0, 2023: 42.0, 2024: 47.0},
    "life_skills": {2021: 40.0, 2022: 46.0, 2023: 51.0, 2024: 56.0},
    "technical_trained": {2021: 68.0, 2022: 70.0, 2023: 71.0, 2024: 72.0},
    "university_plus": {2021: 9.1, 2022: 9.7, 2023: 10.3, 2024: 10.9},
    "learning_households": {2021: 55.0, 2022: 60.0, 2023: 64.0, 2024: 68.0},
    "learning_clans": {2021: 50.0, 2022: 55.0, 2023: 60.0, 2024: 63.0},
    "learning_communities": {2021: 52.0, 2022: 57.0, 2023: 61.0, 2024: 66.0},
}
DENOMINATOR = {
    "lit1_15_60": "pop_15_60", "info_competence": "working_age_pop", "life_skills": "working_age_pop",
    "technical_trained": "pop_15_plus", "university_plus": "pop_15_plus",
    "learning_households": "households", "learning_clans": "clans",
    "learning_communities": "communities",
}
CLTC_IT = {2021: 3, 2022: 5, 2023: 6, 2024: 8}   # communes whose centre applies IT
INSTITUTIONS_DIGITAL_SHARE = {2021: 0.85, 2022: 0.96, 2023: 1.0, 2024: 1.0}
LEARNING_UNITS_MISSING = {2021: None, 2022: 2, 2023: 1, 2024: 0}  # None: not yet evaluated
LITERACY_CLASSES = {
    2021: [2, 2, 1, 2, 1, 2, 0, 0, 0],
    2022: [2, 2, 1, 2, 1, 2, 1, 1, 0],
    2023: [2, 2, 2, 2, 2, 2, 1, 1, 1],
    2024: [2, 2, 2, 2, 1, 2, 1, 1, 1],
}
LEARNERS_PER_CLASS = {2021: 7, 2022: 7, 2023: 6, 2024: 6}
LEARNERS_TOTAL = {2021: 70, 2022: 81, 2023: 98, 2024: 90}


def _allocate(denominators: dict[str, int], district_rate: float, spread: float) -> dict[str, int]:
    """Numerators giving each commune its rate ± offset and the district exactly ``district_rate``."""
    total = round(district_rate / 100 * sum(denominators.values()))
    nums = {c: min(d, max(0, round((district_rate + spread * OFFSETS[c]) / 100 * d)))
            for c, d in denominators.items()}
    biggest = max(denominators, key=denominators.get)
    nums[biggest] += total - sum(nums.values())
    return nums


def _spread_total(weights: list[int], total: int) -> list[int]:
    """Split ``total`` over positive weights, largest remainders first (Hamilton's method)."""
    if not any(weights):
        return [0] * len(weights)
    raw = [total * w / sum(weights) for w in weights]
    parts = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[: total - sum(parts)]:
        parts[i] += 1
    return parts


def sample_values(year: int) -> dict[str, dict[str, int]]:
    """Field values of every commune for ``year`` (code → field → count)."""
    codes = list(POPULATION_2023)
    factor = (1 + GROWTH) ** (year - 2023)
    pop = {c: round(POPULATION_2023[c] * factor) for c in codes}
    v: dict[str, dict[str, int]] = {c: {"pop_total": pop[c]} for c in codes}
    for c in codes:
        p = pop[c]
        v[c].update(
            pop_15_25=round(0.150 * p), pop_15_35=round(0.300 * p), pop_15_60=round(0.620 * p),
            pop_15_plus=round(0.760 * p), working_age_pop=round(0.600 * p),
            households=round(p / 3.9), clans=8 + len(c) + int(c) % 11, communities=6 + int(c) % 9,
            children_5=round(0.0150 * p), children_6=round(0.0152 * p), children_11=round(0.0140 * p),
            children_11_14=round(0.0560 * p), youth_15_18=round(0.0550 * p),
            universities=0, universities_digital=0, institutions=3 + round(p / 3000), cltc=1,
            organisations=3 if c != "20035" else 2,
        )
    for field, rates in DISTRICT_RATES.items():
        nums = _allocate({c: v[c][DENOMINATOR[field]] for c in codes}, rates[year], spread=1.0)
        for c in codes:
            v[c][field] = nums[c]
    for c in codes:
        x = v[c]
        x["lit2_15_60"] = x["lit1_15_60"] - round(0.018 * x["pop_15_60"])
        x["lit1_15_35"] = x["pop_15_35"] - round(0.006 * x["pop_15_35"])
        x["lit2_15_35"] = x["pop_15_35"] - round(0.012 * x["pop_15_35"])
        x["lit1_15_25"] = x["pop_15_25"] - round(0.004 * x["pop_15_25"])
        x["children_5_attending"] = x["children_5"] - round(0.006 * x["children_5"])
        x["children_5_completed"] = x["children_5"] - round(0.020 * x["children_5"])
        x["children_6_grade1"] = x["children_6"] - round(0.005 * x["children_6"])
        x["children_11_primary"] = x["children_11"] - round(0.040 * x["children_11"])
        x["children_11_14_primary"] = x["children_11_14"] - round(0.015 * x["children_11_14"])
        x["youth_15_18_thcs"] = x["youth_15_18"] - round(0.030 * x["youth_15_18"])
        x["youth_15_18_studying"] = x["youth_15_18"] - round(0.120 * x["youth_15_18"])
        share = INSTITUTIONS_DIGITAL_SHARE[year]
        x["institutions_digital"] = min(x["institutions"], round(share * x["institutions"] + 0.2 * OFFSETS[c]))
        adults = round(0.55 * x["learning_households"] * 2.4)
        x["adults_in_learning_models"] = adults
        x["staff_in_learning_units"] = 18 * x["organisations"]
        evaluated = year >= 2024
        x["learning_citizens_community"] = round(0.08 * adults) if evaluated else 0
        x["learning_citizens_staff"] = round(0.15 * x["staff_in_learning_units"]) if evaluated else 0
    if year == 2021:  # Bình Tiến misses the THCS level 3 diploma rate (93 % < 95 %)
        v["20035"]["youth_15_18_thcs"] = round(0.93 * v["20035"]["youth_15_18"])
    ranked = sorted(codes, key=lambda c: -OFFSETS[c])
    for i, c in enumerate(ranked):
        v[c]["cltc_it"] = int(i < CLTC_IT[year])
    missing = LEARNING_UNITS_MISSING[year]
    for i, c in enumerate(ranked[::-1]):
        v[c]["learning_units"] = 0 if missing is None else v[c]["organisations"] - int(i < missing)
    classes = dict(zip(codes, LITERACY_CLASSES[year], strict=True))
    learners = _spread_total([classes[c] for c in codes], LEARNERS_TOTAL[year])
    for c, n in zip(codes, learners, strict=True):
        v[c]["literacy_classes"] = classes[c]
        v[c]["literacy_learners"] = n
    return v



NOTES = {
    (2023, "20035"): {"literacy_classes": "Mở 01 lớp tại thôn Tam Hiệp"},
    (2022, "19996"): {"pop_total": "Theo số liệu điều tra PCGD-XMC tháng 9/2022"},
}


ZIP_TIME = (2020, 1, 1, 0, 0, 0)   # every member's time stamp in the sample workbooks


def stable_workbook_bytes(data: bytes, year: int) -> bytes:
    """A workbook's bytes with nothing that changes from one writing to the next: each zip member
    dated ``ZIP_TIME`` and the document's created/modified times set to 1 November of ``year``."""
    stamp = f"{year}-11-01T00:00:00Z".encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\2",
                                 content)
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            member.compress_type, member.external_attr = zipfile.ZIP_DEFLATED, info.external_attr
            target.writestr(member, content)
    return out.getvalue()


def write_sample_data(raw_dir: Path = RAW_DIR, years: tuple[int, ...] = ALL_YEARS) -> list[Path]:
    """Write the sample submissions of ``years``: Hương Trà's nine data-entry workbooks (2021-2024)
    here, the rest of Huế with :func:`helpers.samples.hue_sample.write_hue_samples`; returns the
    files written. A file whose bytes would not change is left untouched, so rewriting the samples
    with nothing changed leaves ``git status`` clean."""
    # imported here: hue_sample builds on this module (sample_values, stable_workbook_bytes)
    from helpers.samples.hue_sample import write_hue_samples

    fields = load_fields()
    units = load_units().drop_duplicates("code", keep="first").set_index("code")
    written = []
    with tempfile.TemporaryDirectory(prefix="xhht-sample-") as scratch:
        for year in (y for y in years if y in YEARS):
            values = sample_values(year)
            for code, counts in values.items():
                name = units.loc[code, "full_name"]
                slug = fold(units.loc[code, "name"]).replace(" ", "_")
                path = Path(raw_dir) / str(year) / f"{code}_{slug}.xlsx"
                drafted = write_template(Path(scratch) / path.name, fields, unit_code=code, unit_name=name,
                                         year=year, values=counts, notes=NOTES.get((year, code)))
                data = stable_workbook_bytes(drafted.read_bytes(), year)
                if not path.is_file() or path.read_bytes() != data:
                    write_bytes_atomically(path, data)
                    written.append(path)
    written += write_hue_samples(raw_dir, years)
    # data/raw/2023/declared/ holds the seed's annex as printed: a raw input copied by hand,
    # not generated, so it is left as it is.
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw-dir", type=Path, default=RAW_DIR)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    written = write_sample_data(args.raw_dir)
    for path in written:
        log.info("Đã ghi %s", path.relative_to(args.raw_dir) if path.is_relative_to(args.raw_dir) else path)
    log.info("Đã ghi %d tệp; các tệp khác không thay đổi.", len(written))


if __name__ == "__main__":
    main()
