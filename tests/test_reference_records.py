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


def test_a_year_after_the_entity_ended_names_its_end_and_successors():
    """The thị xã ended on 30/6/2025: its 2025 annex is refused with a sentence naming the end and
    the phường, xã that took over, not nine "not a commune of" errors (issue 13, point 3)."""
    from helpers.errors import WorkbookError
    from helpers.run.parameters import reporting_year

    with pytest.raises(WorkbookError) as caught:
        reporting_year(Reference.load(), 2025)
    message = str(caught.value)
    assert "Thị xã Hương Trà (mã 480) không còn từ 01/07/2025" in message
    assert "Phường Hương Trà (19996), Phường Kim Trà (20017), Xã Bình Điền (20035)" in message
    assert reporting_year(Reference.load(), 2024).year == 2024


def test_a_2025_file_keyed_to_a_merged_unit_names_its_successor(tmp_path):
    """For an entity that still exists in 2025 (the city, whose phường, xã these are after the
    reform), a 2025 form keyed to Hương Vân (20008, merged on 1/7/2025) says where it went."""
    from openpyxl import load_workbook

    from helpers.checks.clean import clean_year
    from helpers.ingest.read import read_submissions
    from helpers.paths import RAW_DIR

    folder = tmp_path / "2025"
    folder.mkdir()
    shutil.copy(RAW_DIR / "2024" / "20008_huong_van.xlsx", folder / "20008_huong_van.xlsx")
    book = load_workbook(folder / "20008_huong_van.xlsx")
    sheet = book.active
    for row in sheet.iter_rows():
        if row[0].value == "Năm báo cáo:":
            row[2].value = 2025
    book.save(folder / "20008_huong_van.xlsx")
    ctx = Reference.load(entity="hue").for_year(2025)
    assert len(ctx.communes) == 40 and {"19996", "20017", "20035"} <= set(ctx.communes["code"])
    problems = clean_year(read_submissions(folder, ctx), ctx).problems
    errors = problems[problems["severity"] == "error"]["message"].tolist()
    assert any(m.startswith("Phường Hương Vân (mã 20008) đã nhập vào Phường Hương Trà (19996) từ 01/07/2025: số liệu "
                            "năm 2025 phải ghi theo đơn vị mới (mã, tên của đơn vị kế thừa).") for m in errors), errors
