"""Reference data that changes with time: recognition decisions, ĐBKK status by period, targets
of a phase not yet planned (issue 13, points 6 and 8)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from helpers.compute.indicators import compute_indicators
from helpers.paths import REFERENCE_DIR
from helpers.publish.annex_table import build_annex, note_text
from helpers.reference import Reference


@pytest.fixture
def reference_dir(tmp_path):
    folder = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, folder)
    return folder


def _all_met(ref: Reference, year: int, communes: pd.DataFrame) -> pd.DataFrame:
    fields = list(ref.fields["field"])
    return pd.DataFrame([{"year": year, "unit_code": c, "field": f, "value": 100}
                         for c in communes["code"] for f in fields])


def test_a_recorded_recognition_is_shown_beside_the_computed_standard(reference_dir):
    with (reference_dir / "recognitions.csv").open("a", encoding="utf-8") as handle:
        handle.write("480,2023,XMC2,Chủ tịch UBND tỉnh Thừa Thiên Huế,Quyết định số 123/QĐ-UBND,2023-10-20,"
                     "thử nghiệm\n")
    ref = Reference.load(reference_dir)
    ctx = ref.for_year(2023)
    indicators = compute_indicators(_all_met(ref, 2023, ctx.communes), ctx)
    annex = build_annex(indicators, pd.DataFrame(columns=["indicator_id", "years_used", "projected", "likely"]),
                        ctx)
    row = next(annex.table[annex.table["row_id"] == "I.1"].itertuples(index=False))
    assert row.status == "Đạt"
    assert note_text(row, ctx) == ("Đã công nhận: Quyết định số 123/QĐ-UBND, ngày 20/10/2023, "
                                   "của Chủ tịch UBND tỉnh Thừa Thiên Huế")


def test_dbkk_status_follows_its_period(reference_dir):
    with (reference_dir / "dbkk.csv").open("a", encoding="utf-8") as handle:
        handle.write("20035,2023-01-01,2023-12-31,true,thử nghiệm\n")
    ref = Reference.load(reference_dir)
    status = {y: ref.communes(y).set_index("code")["dbkk"] for y in (2022, 2023, 2024)}
    assert not status[2022]["20035"] and status[2023]["20035"] and not status[2024]["20035"]
    assert not status[2023]["19996"]


def test_a_phase_without_targets_of_the_chosen_level_is_footnoted(reference_dir):
    ref = Reference.load(reference_dir)
    communes = ref.communes(2024)                      # the thị xã's units, kept for a 2026 test year
    ctx = ref.for_year(2026).__class__(ref, 2026, "province", commune_list=communes)
    assert ctx.target_year == 2030
    indicators = compute_indicators(_all_met(ref, 2026, communes), ctx)
    annex = build_annex(indicators, pd.DataFrame(columns=["indicator_id", "years_used", "projected", "likely"]),
                        ctx)
    assert "Chưa có mục tiêu của kế hoạch thực hiện Đề án của tỉnh đến năm 2030 cho chỉ tiêu này." in annex.footnotes
    assert "2030" in annex.target_header
