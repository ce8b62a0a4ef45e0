"""The rules every number follows, each in one place (helpers.compute.rules)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from contexts import context, reference

from helpers.compute.indicators import compute_indicators, compute_year
from helpers.compute.rules import (
    STATUS_MET,
    STATUS_MISSING,
    STATUS_NO_TARGET,
    STATUS_NOT_MET,
    gap_to_target,
    projects,
    select_targets,
    share_status,
    standard_chain,
    status_of,
    statuses_of,
)
from helpers.publish.commune_tables import shortfall_to_target
from helpers.publish.narrative import draft_report
from helpers.reference import Reference

TARGETS = """\
indicator_id,level,plan,target_year,value,verified,source
A,province,P,2025,50,true,plan P
A,national,N,2025,70,false,plan N
B,district,D,2025,99,false,plan D
B,national,N,2025,90,true,plan N
C,national,N,2030,60,true,plan N 2030
"""
LEVELS = """\
level,fallback,label
province,district,tỉnh
national,,quốc gia
district,province+national,huyện
"""


def _csv(text: str) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    if "value" in frame:
        frame["value"] = frame["value"].astype(float)
        frame["target_year"] = frame["target_year"].astype(int)
        frame["verified"] = frame["verified"].eq("true")
    return frame


@pytest.mark.parametrize(("level", "expected"), [
    ("province", {"A": (50.0, "province", "plan P"), "B": (99.0, "district", "plan D")}),
    ("national", {"A": (70.0, "national", "plan N"), "B": (90.0, "national", "plan N")}),
    ("district", {"A": (50.0, "province", "plan P"), "B": (99.0, "district", "plan D")}),
])
def test_select_targets_takes_the_level_then_its_fallbacks_in_order(level, expected):
    chosen = select_targets(_csv(TARGETS), _csv(LEVELS), level=level, target_year=2025)
    got = {i: (r.value, r.level, r.source) for i, r in chosen.iterrows()}
    assert got == expected  # C has a 2030 target only: absent for 2025


def test_select_targets_follows_the_target_year():
    chosen = select_targets(_csv(TARGETS), _csv(LEVELS), level="national", target_year=2030)
    assert list(chosen.index) == ["C"] and chosen.loc["C", "value"] == 60


@pytest.mark.parametrize(("value", "target", "direction", "expected"), [
    (50.0, 50, "higher", STATUS_MET),
    (49.5, 50, "higher", STATUS_NOT_MET),      # shown as "50" with no decimals, still below
    (49.999999, 50, "higher", STATUS_NOT_MET),
    (10.0, 12, "lower", STATUS_MET),            # an indicator that must stay below its target
    (12.0, 12, "lower", STATUS_MET),
    (12.04, 12, "lower", STATUS_NOT_MET),       # shown as "12,0", above
    (80.0, None, "higher", STATUS_NO_TARGET),
])
def test_status_decides_on_the_exact_value_in_the_indicators_direction(value, target, direction, expected):
    assert status_of(value, target, direction) == expected
    assert statuses_of(np.array([value]), target, direction)[0] == expected


def test_gap_to_target_in_both_directions():
    assert gap_to_target(42, 50, "higher") == 8 and gap_to_target(55, 50, "higher") == 0
    assert gap_to_target(14, 12, "lower") == 2 and gap_to_target(10, 12, "lower") == 0


def test_standard_chain_is_transitive_and_in_file_order():
    standards = reference().standards
    assert standard_chain("PCTHCS3", standards) == ["XMC1", "PCTH1", "PCTHCS1", "PCTHCS2", "PCTHCS3"]
    assert standard_chain("XMC2", standards) == ["XMC2"]      # no XMC1 prerequisite in the decree's text
    assert standard_chain("PCMN5", standards) == ["PCMN5"]


@pytest.mark.parametrize(("met", "unknown", "total", "rule", "expected"), [
    (9, 1, 10, 90, STATUS_MET),        # the nine that reported already reach 90 %
    (8, 1, 10, 90, STATUS_MISSING),    # the missing one decides
    (7, 1, 10, 90, STATUS_NOT_MET),    # even with the missing one, 80 %
    (9, 0, 10, 100, STATUS_NOT_MET),
    (10, 0, 10, 100, STATUS_MET),
    (0, 0, 0, 90, STATUS_MISSING),
])
def test_share_status_is_decided_despite_missing_communes_when_they_cannot_change_it(
        met, unknown, total, rule, expected):
    assert share_status(met, unknown, total, rule) == expected


def test_no_projection_once_the_reporting_year_is_the_target_year():
    assert projects(2024, 2025) and not projects(2025, 2025) and not projects(2026, 2025)


# --------------------------------------------------------------------------- through the steps

def _values(year: int, counts: dict[str, dict[str, int]]) -> pd.DataFrame:
    rows = [{"year": year, "unit_code": code, "field": f, "value": v}
            for code, fields in counts.items() for f, v in fields.items()]
    return pd.DataFrame(rows).astype({"year": "Int64", "value": "Int64"})


def _lower_ii1():
    """The real catalogue with II.1 turned into an indicator that must stay below its target."""
    catalogue = reference().catalogue.copy()
    catalogue.loc[catalogue["id"] == "II.1", "direction"] = "lower"
    return catalogue


def test_an_indicator_that_must_stay_below_its_target_through_the_steps():
    communes = pd.DataFrame({"code": ["A", "B"], "full_name": ["Xã A", "Xã B"], "dbkk": False})
    ctx = context(2023, communes=communes, catalogue=_lower_ii1())
    values = _values(2023, {"A": {"info_competence": 40, "working_age_pop": 100},
                            "B": {"info_competence": 70, "working_age_pop": 100}})
    table = compute_indicators(values, ctx)
    ii1 = table[table["indicator_id"] == "II.1"].set_index("unit_code")
    assert ii1.loc["A", "status"] == STATUS_MET        # 40 ≤ 50
    assert ii1.loc["B", "status"] == STATUS_NOT_MET    # 70 > 50
    assert ii1.loc["480", "status"] == STATUS_NOT_MET  # 55 > 50
    rows = ii1.reset_index().assign(indicator_id="II.1")
    shortfall = shortfall_to_target(rows, ctx.ref.directions).tolist()
    assert shortfall == [0, 20, 10]                    # 20 fewer people in B, 10 in all
    draft = " ".join(draft_report(table, pd.DataFrame(columns=["indicator_id", "projected", "years_used"]),
                                  ctx).paragraphs)
    assert "đạt 55 % (chỉ tiêu 50 %), cao hơn chỉ tiêu 5 điểm phần trăm." in draft


@pytest.mark.parametrize(("failing", "expected"), [(0, STATUS_MET), (1, STATUS_MISSING), (2, STATUS_NOT_MET)])
def test_one_missing_commune_does_not_hide_a_decided_standard(failing, expected):
    # ten communes, XMC2 needs 90 % of them: J sent nothing, ``failing`` others are below the threshold
    codes = list("ABCDEFGHIJ")
    ctx = context(2023, communes=pd.DataFrame({"code": codes, "full_name": codes, "dbkk": False}))
    fields = list(reference().fields["field"])
    counts = {code: dict.fromkeys(fields, 100) for code in codes[:-1]}
    for code in codes[:failing]:
        counts[code]["lit2_15_60"] = 50
    table = compute_indicators(_values(2023, counts), ctx)
    i1 = table[(table["unit_code"] == ctx.entity.code) & (table["indicator_id"] == "I.1")].iloc[0]
    assert i1["status"] == expected
    assert i1["missing_units"] == "J"


def test_compute_year_has_no_projection_in_the_target_year():
    fields = list(reference().fields["field"])
    communes = reference().communes(2024)       # the thị xã's units; in 2025 the three they formed
    counts = {code: dict.fromkeys(fields, 100) for code in communes["code"]}
    merged = Reference.load(entity="hue").communes(2025)
    merged = merged[merged["code"].isin(["19996", "20017", "20035"])].reset_index(drop=True)
    values = pd.concat([_values(2023, counts), _values(2024, counts),
                        _values(2025, {code: dict.fromkeys(fields, 300) for code in merged["code"]})],
                       ignore_index=True)
    assert len(compute_year(values, context(2024)).projection) > 0
    tables = compute_year(values, context(2025, communes=merged))
    assert tables.projection.empty and len(tables.history) > 0
    assert tables.jumps.empty                   # each of the three is its three predecessors' sum


@pytest.mark.parametrize(("year", "target_year"), [(2021, 2025), (2025, 2025), (2026, 2030), (2030, 2030)])
def test_the_target_year_follows_the_phase(year, target_year):
    assert context(year).target_year == target_year


def test_a_2026_annex_compares_with_the_2030_targets():
    chosen = select_targets(reference().targets, reference().target_levels, level="national", target_year=2030)
    assert chosen.loc["II.1", "value"] == 70 and chosen.loc["II.3a", "value"] == 15
    assert "I.2" not in chosen.index          # QĐ 1373's pre-school target is for ages 3-5, not I.2
    province = select_targets(reference().targets, reference().target_levels, level="province", target_year=2030)
    assert province.empty                     # no province plan for 2026-2030 found yet
