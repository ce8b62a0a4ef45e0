"""The bundled sample data of thành phố Huế beyond thị xã Hương Trà (written with
:mod:`helpers.samples.sample_data`, which keeps the nine Hương Trà communes of 2021-2024).

- 2021-2024: for each other former district of Huế (GSO 474-482 but 480) one commune table per
  year, as its Phòng GD&ĐT sent it before the 2025 reform (``474_thuan_hoa.xlsx``): a title naming
  the year, a two-row Vietnamese header (a GSO code column, the unit name, one column per field of
  ``reference/fields.csv``, in some districts a printed rate or two), one row per commune and in
  most districts a total row. The reader takes it as the "wide" layout.
- 2025-2026: the 40 phường, xã of Huế from 1/7/2025, one data-entry template per unit and year
  keyed by the new code and name (``19996_huong_tra.xlsx`` is Phường Hương Trà, no longer Tứ Hạ).
  A unit's 2025 counts continue its predecessors' series (``successor_codes`` of
  ``reference/units_vietnam.csv``; none of Huế's old communes was split): the sum of their 2024
  counts grown by one year's trend; 2026 grows again.

The counts are invented but plausible (about 1.2 million inhabitants) and kept within
``reference/field_bounds.csv``, ``field_ratios.csv`` and the indicators' plausible ranges. Most
communes meet every standard of Nghị định 20/2014; a few mountain communes of A Lưới and of Nam
Đông (now in Phú Lộc) miss PCTH level 3 or PCTHCS level 3 (in 2023, 129 and 126 of the 133
communes meet them), fewer of them each year. Every draw comes from a ``random.Random`` seeded by
GSO code (and year), so the files are the same at every writing.
"""

from __future__ import annotations

import io
import math
import random
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from helpers.ingest.template import write_template
from helpers.paths import RAW_DIR, REFERENCE_DIR
from helpers.reference import load_fields, read_reference_csv
from helpers.samples.sample_data import YEARS as OLD_YEARS
from helpers.samples.sample_data import sample_values, stable_workbook_bytes
from helpers.storage import write_bytes_atomically
from helpers.text import fold

PROVINCE = "46"
SAMPLE_DISTRICT = "480"            # thị xã Hương Trà: its nine template files come from sample_data
REFORM_END, REFORM_START = "2025-06-30", "2025-07-01"
NEW_YEARS = (2025, 2026)

# --- the communes' profiles -------------------------------------------------------------------
# Median 2023 population of a commune by district (Huế about 1.2 million with Hương Trà's 73,000).
DISTRICT_SIZE = {"474": 15500, "475": 15500, "476": 8000, "477": 8000, "478": 10000, "479": 10000,
                 "481": 2600, "482": 7500}
NAM_DONG = {"20161", "20164", "20167", "20170", "20173", "20179", "20182", "20185", "20188", "20191"}
NAM_DONG_SIZE = 2600                # the former huyện Nam Đông, in Phú Lộc (482) since 1/1/2025
MOUNTAIN_TOWN_SIZE = 6500           # thị trấn A Lưới, Khe Tre
# Wards with universities: code → (universities, the year the first one goes digital; one more a year).
UNIVERSITIES = {"19783": (2, 2021), "19789": (1, 2022), "19801": (1, 2023), "19816": (2, 2022),
                "19768": (1, 2024), "19786": (1, 2021)}
# Age structure (share of the population) of a lowland and of a mountain commune.
SHARES = {
    "pop_15_25": (0.150, 0.165), "pop_15_35": (0.300, 0.310), "pop_15_60": (0.625, 0.600),
    "pop_15_plus": (0.755, 0.690), "working_age_pop": (0.605, 0.580), "children_5": (0.0150, 0.0190),
    "children_6": (0.0152, 0.0190), "children_11": (0.0142, 0.0180), "children_11_14": (0.0565, 0.0710),
    "youth_15_18": (0.0550, 0.0680),
}
# Rates (%): field → (denominator, 2021 rate, change a year, urban, mountain, spread, cap).
RATES = {
    "lit1_15_60": ("pop_15_60", 98.4, 0.15, 0.8, -3.0, 0.4, 99.9),
    "children_5_attending": ("children_5", 99.2, 0.1, 0.4, -1.0, 0.4, 100.0),
    "children_5_completed": ("children_5", 97.0, 0.3, 0.5, -2.5, 0.8, 99.5),
    "children_6_grade1": ("children_6", 99.4, 0.1, 0.3, -0.6, 0.3, 100.0),
    "children_11_primary": ("children_11", 95.5, 0.3, 1.0, -2.5, 1.0, 99.5),
    "children_11_14_primary": ("children_11_14", 98.0, 0.2, 0.6, -1.5, 0.6, 99.8),
    "youth_15_18_thcs": ("youth_15_18", 97.0, 0.2, 0.8, -1.2, 0.6, 99.5),
    "youth_15_18_studying": ("youth_15_18", 87.0, 0.8, 4.0, -5.0, 2.5, 97.0),
    "info_competence": ("working_age_pop", 28.0, 6.0, 6.0, -10.0, 5.0, 95.0),
    "life_skills": ("working_age_pop", 38.0, 5.5, 4.0, -8.0, 5.0, 95.0),
    "technical_trained": ("pop_15_plus", 44.0, 2.0, 8.0, -15.0, 4.0, 75.0),
    "university_plus": ("pop_15_plus", 6.0, 0.5, 12.0, -3.0, 1.5, 40.0),
    "learning_households": ("households", 52.0, 4.7, 0.0, -10.0, 6.0, 95.0),
    "learning_clans": ("clans", 48.0, 4.7, 0.0, -5.0, 8.0, 95.0),
    "learning_communities": ("communities", 50.0, 4.7, 0.0, -5.0, 8.0, 100.0),
}
# The floor every commune keeps (the strictest threshold of reference/standard_criteria.csv).
FLOORS = {"lit1_15_35": ("pop_15_35", 90), "lit2_15_60": ("pop_15_60", 90),
          "children_5_attending": ("children_5", 95), "children_5_completed": ("children_5", 85),
          "children_6_grade1": ("children_6", 98), "children_11_14_primary": ("children_11_14", 80),
          "children_11_primary": ("children_11", 90), "youth_15_18_thcs": ("youth_15_18", 95),
          "youth_15_18_studying": ("youth_15_18", 80)}
# Communes missing a level, weakest first: the first N[year] miss it ([low, high) is their rate).
PCTH3_MISS = [("20095", "children_6_grade1"), ("20104", "children_11_primary"), ("20098", "children_6_grade1"),
              ("20059", "children_11_primary"), ("20086", "children_6_grade1"), ("20083", "children_11_primary")]
PCTH3_MISSING = {2021: 6, 2022: 5, 2023: 4, 2024: 3}
PCTHCS3_MISS = ["20104", "20095", "20047", "20053", "20101", "20188", "20191", "20050", "20056"]
PCTHCS3_MISSING = {2021: 9, 2022: 8, 2023: 7, 2024: 5}
MISSED_RATE = {"children_6_grade1": (97.0, 95, 98), "children_11_primary": (87.5, 80, 90),
               "youth_15_18_thcs": (93.0, 90, 95)}
MISSED_NOTE = {"children_6_grade1": "Chưa đạt chuẩn PCGD tiểu học mức độ 3 (trẻ 6 tuổi vào lớp 1)",
               "children_11_primary": "Chưa đạt chuẩn PCGD tiểu học mức độ 3 (trẻ 11 tuổi HTCT tiểu học)",
               "youth_15_18_thcs": "Chưa đạt chuẩn PCGD THCS mức độ 3"}
CLTC_IT_SHARE = {2021: 0.35, 2022: 0.55, 2023: 0.70, 2024: 0.85}
DIGITAL_SHARE = {2021: 0.80, 2022: 0.90, 2023: 0.97, 2024: 1.0}
UNITS_MISSING_CHANCE = {2021: None, 2022: 0.5, 2023: 0.3, 2024: 0.15}    # None: not yet evaluated


@dataclass(frozen=True)
class Commune:
    """A pre-reform commune of Huế and what stays the same about it from year to year."""

    code: str
    district: str
    urban: bool
    mountain: bool
    pop_2023: int
    growth: float
    shares: dict[str, float]
    persons_per_household: float
    clans: int
    communities: int
    organisations: int
    offsets: dict[str, float]       # field → place in its spread, -1..1
    thresholds: tuple[float, float]  # when its centre applies IT; whether its schools' digital count rounds up


def _profile(unit: dict) -> Commune:
    rng = random.Random(int(unit["code"]))
    code, district = unit["code"], unit["parent_code"]
    urban = unit["type"] in ("phường", "thị trấn")
    mountain = district == "481" or code in NAM_DONG
    size = DISTRICT_SIZE[district]
    if mountain:
        size = MOUNTAIN_TOWN_SIZE if urban else NAM_DONG_SIZE if code in NAM_DONG else size
    character = rng.uniform(-1, 1)
    shares = {f: pair[int(mountain)] * rng.uniform(0.97, 1.03) for f, pair in SHARES.items()}
    return Commune(
        code=code, district=district, urban=urban, mountain=mountain,
        pop_2023=round(size * rng.uniform(0.7, 1.3)),
        growth=0.012 if mountain else (0.009 if urban else 0.006),
        shares=shares,
        persons_per_household=(4.3 if mountain else 3.8 if urban else 4.0) + rng.uniform(-0.2, 0.2),
        clans=rng.randint(5, 14) if mountain else rng.randint(8, 20) if urban else rng.randint(10, 28),
        communities=rng.randint(4, 9) if mountain else rng.randint(8, 20) if urban else rng.randint(6, 14),
        organisations=rng.randint(4, 7) if urban else rng.randint(3, 6),
        offsets={f: 0.6 * character + 0.4 * rng.uniform(-1, 1) for f in (*RATES, "literacy")},
        thresholds=(rng.random(), rng.random()),
    )


def _count(rate: float, whole: int) -> int:
    return min(whole, max(0, round(rate / 100 * whole)))


def _at_least(part: int, whole: int, threshold: float) -> int:
    """``part`` raised, if need be, to the least count whose share of ``whole`` reaches ``threshold`` %."""
    return max(part, min(whole, math.ceil(threshold * whole / 100 - 1e-9)))


def _within(rate: float, whole: int, low: float, high: float) -> int:
    """A count near ``rate`` % of ``whole`` whose share is at least ``low`` % and below ``high`` %."""
    part = _at_least(_count(rate, whole), whole, low)
    while part and 100 * part >= high * whole:
        part -= 1
    return part


def bound_pairs() -> list[tuple[str, str]]:
    """(part, whole) of every field that cannot exceed another (field_bounds.csv and the criteria)."""
    bounds = read_reference_csv(REFERENCE_DIR / "field_bounds.csv")
    criteria = read_reference_csv(REFERENCE_DIR / "standard_criteria.csv")
    pairs = list(zip(bounds["part"], bounds["whole"], strict=True))
    return pairs + [p for p in zip(criteria["numerator"], criteria["denominator"], strict=True) if p not in pairs]


def _clamp(values: dict[str, int], pairs: list[tuple[str, str]]) -> dict[str, int]:
    """Every part brought within its whole (a rounding may leave a part one above)."""
    changed = True
    while changed:
        changed = False
        for part, whole in pairs:
            if values[part] > values[whole]:
                values[part], changed = values[whole], True
    return values


def commune_values(c: Commune, year: int, pairs: list[tuple[str, str]]) -> tuple[dict[str, int], str]:
    """The counts of one pre-reform commune for ``year`` (2021-2024) and its remark (or "")."""
    rng = random.Random(int(c.code) * 10_000 + year)
    pop = round(c.pop_2023 * (1 + c.growth) ** (year - 2023))
    v = {"pop_total": pop, **{f: round(share * pop) for f, share in c.shares.items()}}
    v.update(households=round(pop / c.persons_per_household), clans=c.clans, communities=c.communities,
             organisations=c.organisations, cltc=1, universities=UNIVERSITIES.get(c.code, (0, 0))[0],
             institutions=2 + round(pop / (1500 if c.mountain else 2800)))
    for field, (whole, base, step, urban, mountain, spread, cap) in RATES.items():
        rate = base + step * (year - 2021) + urban * c.urban + mountain * c.mountain + spread * c.offsets[field]
        if field in ("info_competence", "life_skills"):
            rate += rng.uniform(-1.5, 1.5)
        v[field] = _count(min(cap, max(1.0, rate)), v[whole])
    lit1 = 100 * v["lit1_15_60"] / v["pop_15_60"]
    lit2 = lit1 - 1.6 + 0.3 * c.offsets["literacy"] - (1.0 if c.mountain else 0.0)
    v["lit2_15_60"] = _count(lit2, v["pop_15_60"])
    lit1_35 = min(99.9, lit1 + 0.8)
    v["lit1_15_35"] = _count(lit1_35, v["pop_15_35"])
    v["lit2_15_35"] = _count(lit1_35 - (2.0 if c.mountain else 1.0), v["pop_15_35"])
    v["lit1_15_25"] = _count(min(99.95, lit1_35 + 0.2), v["pop_15_25"])
    for field, (whole, floor) in FLOORS.items():
        v[field] = _at_least(v[field], v[whole], floor)
    remark = ""
    missed = list(PCTH3_MISS[:PCTH3_MISSING[year]])
    missed += [(code, "youth_15_18_thcs") for code in PCTHCS3_MISS[:PCTHCS3_MISSING[year]]]
    for code, field in missed:
        if code == c.code:
            rate, low, high = MISSED_RATE[field]
            v[field] = _within(rate + 0.3 * (year - 2021), v[RATES[field][0]], low, high)
            remark = "; ".join(filter(None, [remark, MISSED_NOTE[field]]))
    v["institutions_digital"] = min(v["institutions"], round(
        v["institutions"] * DIGITAL_SHARE[year] + (0.4 if c.thresholds[1] < 0.5 else -0.4)))
    v["cltc_it"] = int(c.thresholds[0] < CLTC_IT_SHARE[year])
    first_digital = UNIVERSITIES.get(c.code, (0, year + 1))[1]
    v["universities_digital"] = min(v["universities"], max(0, year - first_digital + 1))
    chance = UNITS_MISSING_CHANCE[year]
    v["learning_units"] = 0 if chance is None else v["organisations"] - int(rng.random() < chance)
    v["adults_in_learning_models"] = round(1.32 * v["learning_households"])
    v["staff_in_learning_units"] = 18 * v["organisations"]
    evaluated = year >= 2024            # công dân học tập recognised from 2024, as in Hương Trà
    v["learning_citizens_community"] = round(0.07 * v["adults_in_learning_models"]) if evaluated else 0
    v["learning_citizens_staff"] = round(0.14 * v["staff_in_learning_units"]) if evaluated else 0
    classes = rng.choice((1, 2, 2, 3)) if c.mountain else int(rng.random() < (0.05 if c.urban else 0.2))
    v["literacy_classes"] = classes
    v["literacy_learners"] = sum(rng.randint(6, 14) for _ in range(classes))
    return _clamp(v, pairs), remark


# --- the units -----------------------------------------------------------------------------------
def load_hue_units(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Huế's districts and communes (old and new) of ``reference/units_vietnam.csv``, with a
    ``full_name`` ("Phường Phú Hội"; "Phường Đúc", whose name already says what it is)."""
    units = read_reference_csv(Path(reference_dir) / "units_vietnam.csv")
    units = units[(units["province_code"] == PROVINCE) & units["level"].isin(["district", "commune"])]
    typed = units["type"].str.capitalize() + " " + units["name"]
    already = [fold(n).startswith(fold(t) + " ") for n, t in zip(units["name"], units["type"], strict=True)]
    return units.assign(full_name=typed.where(~pd.Series(already, index=units.index), units["name"]))


def old_communes(units: pd.DataFrame) -> pd.DataFrame:
    return units[(units["level"] == "commune") & (units["valid_to"] == REFORM_END)].sort_values("code")


def new_communes(units: pd.DataFrame) -> pd.DataFrame:
    return units[(units["level"] == "commune") & (units["valid_from"] == REFORM_START)].sort_values("code")


def slug(name: str) -> str:
    """A file-name form of a unit name: "Chân Mây - Lăng Cô" → "chan_may_lang_co"."""
    return re.sub(r"[^a-z0-9]+", "_", fold(name)).strip("_")


def old_values(year: int, units: pd.DataFrame | None = None) -> tuple[dict[str, dict[str, int]], dict[str, str]]:
    """Counts of Huế's 133 pre-reform communes for ``year`` (Hương Trà's from sample_data) and
    the remarks written beside some of them."""
    units = load_hue_units() if units is None else units
    pairs = bound_pairs()
    values, remarks = {}, {}
    for unit in old_communes(units).to_dict("records"):
        if unit["parent_code"] == SAMPLE_DISTRICT:
            continue
        values[unit["code"]], remarks[unit["code"]] = commune_values(_profile(unit), year, pairs)
    values.update(sample_values(year))
    return values, {c: r for c, r in remarks.items() if r}


# --- after the reform ------------------------------------------------------------------------------
GROWTH = 0.008                      # people counts, one year
GROWN = ("pop_total", "pop_15_25", "pop_15_35", "pop_15_60", "pop_15_plus", "working_age_pop", "children_5",
         "children_6", "children_11", "children_11_14", "youth_15_18", "households")
# numerator → (denominator, percentage points gained in a year, cap)
TRENDS = {
    "lit1_15_60": ("pop_15_60", 0.15, 99.9), "lit2_15_60": ("pop_15_60", 0.2, 99.8),
    "lit1_15_35": ("pop_15_35", 0.1, 99.9), "lit2_15_35": ("pop_15_35", 0.15, 99.8),
    "lit1_15_25": ("pop_15_25", 0.1, 99.95),
    "children_5_attending": ("children_5", 0.1, 100), "children_5_completed": ("children_5", 0.3, 99.5),
    "children_6_grade1": ("children_6", 0.1, 100), "children_11_primary": ("children_11", 0.3, 99.5),
    "children_11_14_primary": ("children_11_14", 0.2, 99.8), "youth_15_18_thcs": ("youth_15_18", 0.3, 99.5),
    "youth_15_18_studying": ("youth_15_18", 0.8, 97), "info_competence": ("working_age_pop", 5, 95),
    "life_skills": ("working_age_pop", 5, 95), "technical_trained": ("pop_15_plus", 1.5, 75),
    "university_plus": ("pop_15_plus", 0.5, 40), "institutions_digital": ("institutions", 3, 100),
    "learning_households": ("households", 4, 95), "learning_clans": ("clans", 4, 95),
    "learning_communities": ("communities", 4, 100),
    "learning_citizens_community": ("adults_in_learning_models", 2, 50),
    "learning_citizens_staff": ("staff_in_learning_units", 3, 60),
}


def advance(v: dict[str, int], pairs: list[tuple[str, str]]) -> dict[str, int]:
    """A unit's counts one year on: people grown, every rate a year's trend higher (never lower;
    rounded up, so a standard met stays met), one more centre, unit or university going digital."""
    n = dict(v)
    for field in GROWN:
        n[field] = round(v[field] * (1 + GROWTH))
    n["adults_in_learning_models"] = round(1.32 * v["learning_households"] * (1 + GROWTH))
    n["staff_in_learning_units"] = 18 * v["organisations"]
    for field, (whole, step, cap) in TRENDS.items():
        rate = 100 * v[field] / v[whole] if v[whole] else 0.0
        target = max(rate, min(cap, rate + step))
        n[field] = min(n[whole], math.ceil(target * n[whole] / 100 - 1e-9))
    n["adults_in_learning_models"] = max(n["adults_in_learning_models"], round(1.32 * n["learning_households"]))
    for part, whole in (("cltc_it", "cltc"), ("learning_units", "organisations"),
                        ("universities_digital", "universities")):
        n[part] = min(n[whole], v[part] + 1)
    if v["literacy_classes"] > 2:
        n["literacy_classes"] = v["literacy_classes"] - 1
        n["literacy_learners"] = round(v["literacy_learners"] * n["literacy_classes"] / v["literacy_classes"])
    return _clamp(n, pairs)


def predecessors(units: pd.DataFrame) -> dict[str, list[str]]:
    """New code → the old communes that went (whole) into it."""
    old = old_communes(units)
    if old["successor_codes"].str.contains(r"\+").any():
        raise ValueError("a commune of Huế was split: its counts cannot go whole to one successor")
    return {code: sorted(old.loc[old["successor_codes"] == code, "code"]) for code in new_communes(units)["code"]}


def new_values(year: int, units: pd.DataFrame | None = None) -> dict[str, dict[str, int]]:
    """Counts of Huế's 40 phường, xã for 2025 or 2026: the predecessors' 2024 sum, advanced."""
    units = load_hue_units() if units is None else units
    pairs = bound_pairs()
    before, _ = old_values(2024, units)
    values = {}
    for code, olds in predecessors(units).items():
        summed = {f: sum(before[o][f] for o in olds) for f in before[olds[0]]}
        values[code] = advance(summed, pairs)
    if year > 2025:
        for _ in range(year - 2025):
            values = {code: advance(v, pairs) for code, v in values.items()}
    return values


# --- the workbooks -------------------------------------------------------------------------------
NAME, CODE, ORDER, NOTE, RATE = "@name", "@code", "@order", "@note", "@rate"
# (group header, header, what the column holds); a group header is merged over its columns.
COLUMNS = [
    (None, "STT", ORDER), (None, CODE, CODE), (None, NAME, NAME),
    ("Dân số", "Tổng số", "pop_total"), ("Dân số", "15-25 tuổi", "pop_15_25"),
    ("Dân số", "15-35 tuổi", "pop_15_35"), ("Dân số", "15-60 tuổi", "pop_15_60"),
    ("Dân số", "Từ 15 tuổi trở lên", "pop_15_plus"), ("Dân số", "Trong độ tuổi lao động", "working_age_pop"),
    ("Biết chữ mức độ 1", "15-25 tuổi", "lit1_15_25"), ("Biết chữ mức độ 1", "15-35 tuổi", "lit1_15_35"),
    ("Biết chữ mức độ 1", "15-60 tuổi", "lit1_15_60"), ("Biết chữ mức độ 2", "15-35 tuổi", "lit2_15_35"),
    ("Biết chữ mức độ 2", "15-60 tuổi", "lit2_15_60"), ("Biết chữ mức độ 2", "Tỷ lệ (%)", RATE),
    ("Lớp xóa mù chữ", "Số lớp", "literacy_classes"), ("Lớp xóa mù chữ", "Số học viên", "literacy_learners"),
    ("Trẻ 5 tuổi", "Tổng số", "children_5"), ("Trẻ 5 tuổi", "Ra lớp", "children_5_attending"),
    ("Trẻ 5 tuổi", "Hoàn thành chương trình", "children_5_completed"),
    ("Trẻ 6 tuổi", "Tổng số", "children_6"), ("Trẻ 6 tuổi", "Vào lớp 1", "children_6_grade1"),
    ("Trẻ 11 tuổi", "Tổng số", "children_11"),
    ("Trẻ 11 tuổi", "Hoàn thành chương trình tiểu học", "children_11_primary"),
    ("Trẻ 11-14 tuổi", "Tổng số", "children_11_14"),
    ("Trẻ 11-14 tuổi", "Hoàn thành chương trình tiểu học", "children_11_14_primary"),
    ("Thanh thiếu niên 15-18 tuổi", "Tổng số", "youth_15_18"),
    ("Thanh thiếu niên 15-18 tuổi", "Tốt nghiệp THCS", "youth_15_18_thcs"),
    ("Thanh thiếu niên 15-18 tuổi", "Đang học", "youth_15_18_studying"),
    ("Người trong độ tuổi lao động", "Được trang bị năng lực thông tin", "info_competence"),
    ("Người trong độ tuổi lao động", "Được trang bị kỹ năng sống", "life_skills"),
    ("Dân số từ 15 tuổi trở lên", "Đào tạo chuyên môn kỹ thuật", "technical_trained"),
    ("Dân số từ 15 tuổi trở lên", "Trình độ đại học trở lên", "university_plus"),
    ("Trường đại học", "Tổng số", "universities"), ("Trường đại học", "Đại học số", "universities_digital"),
    ("Cơ sở giáo dục", "Tổng số", "institutions"), ("Cơ sở giáo dục", "Môi trường số", "institutions_digital"),
    ("Trung tâm học tập cộng đồng", "Tổng số", "cltc"), ("Trung tâm học tập cộng đồng", "Ứng dụng CNTT", "cltc_it"),
    ("Hộ gia đình", "Tổng số", "households"), ("Hộ gia đình", "Gia đình học tập", "learning_households"),
    ("Hộ gia đình", "Tỷ lệ (%)", RATE),
    ("Dòng họ", "Tổng số", "clans"), ("Dòng họ", "Dòng họ học tập", "learning_clans"),
    ("Thôn, tổ dân phố", "Tổng số", "communities"), ("Thôn, tổ dân phố", "Cộng đồng học tập", "learning_communities"),
    ("Cơ quan, đơn vị", "Tổng số", "organisations"), ("Cơ quan, đơn vị", "Đơn vị học tập", "learning_units"),
    ("Công dân học tập", "Người lớn trong gia đình, dòng họ, cộng đồng học tập", "adults_in_learning_models"),
    ("Công dân học tập", "Trong đó, được công nhận công dân học tập cộng đồng", "learning_citizens_community"),
    ("Công dân học tập", "Cán bộ, người lao động trong đơn vị học tập", "staff_in_learning_units"),
    ("Công dân học tập", "Trong đó, được công nhận công dân học tập đơn vị", "learning_citizens_staff"),
    (None, "Ghi chú", NOTE),
]
# How each office typed its table: name and code headers, printed rates, the total row's words.
STYLES = {
    "474": ("Phường, xã", "Mã ĐVHC", True, "Tổng cộng"),
    "475": ("Phường, xã", "Mã số", False, "Toàn quận"),
    "476": ("Xã, phường", "Mã xã", False, "Cộng"),
    "477": ("Xã, phường, thị trấn", "Mã đơn vị", True, "Toàn huyện"),
    "478": ("Xã, phường, thị trấn", "Mã ĐVHC", True, "Tổng cộng"),
    "479": ("Xã, phường", "Mã xã", False, "Toàn thị xã"),
    "481": ("Tên xã, phường, thị trấn", "Mã thống kê", False, None),
    "482": ("Xã, phường, thị trấn", "Mã đơn vị hành chính", True, "Tổng cộng"),
}
PRINTED_RATES = {"lit2_15_60": "pop_15_60", "learning_households": "households"}
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_ROW = 7


def district_workbook(district: dict, communes: list[dict], values: dict[str, dict[str, int]],
                      remarks: dict[str, str], year: int) -> bytes:
    """The commune table of one former district for ``year``, as its Phòng GD&ĐT typed it."""
    name_header, code_header, rates, total_words = STYLES[district["code"]]
    columns = [(g, {NAME: name_header, CODE: code_header}.get(h, h), w) for g, h, w in COLUMNS
               if rates or w != RATE]
    book = Workbook()
    sheet = book.active
    sheet.title = "Tổng hợp"
    last = get_column_letter(len(columns))
    district_name = f"{district['type']} {district['name']}"
    for cell, text, font in (("A1", f"UBND {district_name.upper()}", Font(bold=True)),
                             ("A2", "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO", Font(bold=True, underline="single")),
                             ("H1", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", Font(bold=True)),
                             ("H2", "Độc lập - Tự do - Hạnh phúc", Font(bold=True, underline="single")),
                             ("A4", f"BẢNG TỔNG HỢP SỐ LIỆU XÂY DỰNG XÃ HỘI HỌC TẬP NĂM {year}",
                              Font(bold=True, size=13)),
                             ("A5", f"(Kèm theo Báo cáo số      /BC-PGDĐT ngày      tháng 11 năm {year} của Phòng "
                                    f"Giáo dục và Đào tạo {district_name})", Font(italic=True))):
        sheet[cell] = text
        sheet[cell].font = font
    for cells in ("A1:F1", "A2:F2", "H1:S1", "H2:S2", f"A4:{last}4", f"A5:{last}5"):
        sheet.merge_cells(cells)
        sheet[cells.split(":")[0]].alignment = Alignment(horizontal="center")
    top, sub = HEADER_ROW, HEADER_ROW + 1
    c = 1
    while c <= len(columns):
        group = columns[c - 1][0]
        span = 1
        while group and c + span <= len(columns) and columns[c + span - 1][0] == group:
            span += 1
        if group is None:
            sheet.cell(top, c, columns[c - 1][1])
            sheet.merge_cells(start_row=top, start_column=c, end_row=sub, end_column=c)
        else:
            sheet.cell(top, c, group)
            sheet.merge_cells(start_row=top, start_column=c, end_row=top, end_column=c + span - 1)
            for k in range(c, c + span):
                sheet.cell(sub, k, columns[k - 1][1])
        c += span
    for k in range(1, len(columns) + 1):
        sheet.cell(sub + 1, k, f"({k})")
        for r in (top, sub, sub + 1):
            cell = sheet.cell(r, k)
            cell.font, cell.border = Font(bold=r != sub + 1, italic=r == sub + 1), BOX
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    rows = [(i, u["code"], u["full_name"], values[u["code"]], remarks.get(u["code"], ""))
            for i, u in enumerate(communes, start=1)]
    if total_words:
        totals = {f: sum(v[f] for _, _, _, v, _ in rows) for f in values[communes[0]["code"]]}
        rows.append((None, None, total_words, totals, ""))
    for r, (order, code, name, v, remark) in enumerate(rows, start=sub + 2):
        for k, (_, _, what) in enumerate(columns, start=1):
            if what == RATE:        # the rate of the count to its left
                part = columns[k - 2][2]
                whole = PRINTED_RATES[part]
                value = round(100 * v[part] / v[whole], 2) if v[whole] else None
            else:
                value = {ORDER: order, CODE: code, NAME: name, NOTE: remark or None}.get(what, v.get(what))
            cell = sheet.cell(r, k, value)
            cell.border = BOX
            cell.number_format = "0.00" if what == RATE else "@" if what == CODE else "#,##0"
            if order is None:
                cell.font = Font(bold=True)
    foot = sub + 3 + len(rows)
    sheet.cell(foot, 1, "Người lập biểu").font = Font(bold=True)
    sheet.cell(foot, len(columns), "TRƯỞNG PHÒNG").font = Font(bold=True)
    sheet.column_dimensions["A"].width = 5
    sheet.column_dimensions["B"].width = 8
    sheet.column_dimensions["C"].width = 22
    for k in range(4, len(columns)):
        sheet.column_dimensions[get_column_letter(k)].width = 10
    sheet.column_dimensions[last].width = 30
    sheet.row_dimensions[sub].height = 60
    sheet.freeze_panes = sheet.cell(sub + 2, 4)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_if_changed(path: Path, data: bytes, written: list[Path]) -> None:
    if not path.is_file() or path.read_bytes() != data:
        write_bytes_atomically(path, data)
        written.append(path)


def write_hue_samples(raw_dir: Path = RAW_DIR, years: tuple[int, ...] = OLD_YEARS + NEW_YEARS) -> list[Path]:
    """Write the district tables (2021-2024) and the 40 units' templates (2025-2026) of ``years``;
    returns the files written (a file whose bytes would not change is left untouched)."""
    units = load_hue_units()
    fields = load_fields()
    written: list[Path] = []
    districts = units[(units["level"] == "district") & (units["code"] != SAMPLE_DISTRICT)].sort_values("code")
    old = old_communes(units)
    with tempfile.TemporaryDirectory(prefix="xhht-hue-sample-") as scratch:
        for year in years:
            folder = Path(raw_dir) / str(year)
            if year in OLD_YEARS:
                values, remarks = old_values(year, units)
                for district in districts.to_dict("records"):
                    communes = old[old["parent_code"] == district["code"]].to_dict("records")
                    data = district_workbook(district, communes, values, remarks, year)
                    path = folder / f"{district['code']}_{slug(district['name'])}.xlsx"
                    _write_if_changed(path, stable_workbook_bytes(data, year), written)
            elif year in NEW_YEARS:
                values = new_values(year, units)
                olds, merged_from = old.set_index("code")["full_name"], predecessors(units)
                for unit in new_communes(units).to_dict("records"):
                    path = folder / f"{unit['code']}_{slug(unit['name'])}.xlsx"
                    merged = ", ".join(olds[o] for o in merged_from[unit["code"]])
                    notes = {"pop_total": f"Gộp số liệu của {merged} (trước 01/7/2025)"} if year == 2025 else None
                    drafted = write_template(Path(scratch) / path.name, fields, unit_code=unit["code"],
                                             unit_name=unit["full_name"], year=year, values=values[unit["code"]],
                                             notes=notes)
                    _write_if_changed(path, stable_workbook_bytes(drafted.read_bytes(), year), written)
    return written
