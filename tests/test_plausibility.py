"""Cross-field plausibility (issue 16, class 1): values that only last year could have caught are
caught within the year, by rules of reference/field_bounds.csv and reference/field_ratios.csv."""

from __future__ import annotations

import shutil

import pytest
from contexts import context
from openpyxl import load_workbook

from helpers.checks.clean import clean_year
from helpers.ingest.read import read_submissions
from helpers.paths import RAW_DIR

FILE = "19996_tu_ha.xlsx"   # Phường Tứ Hạ, 11,000 people in the 2023 sample


def _set(path, **values) -> None:
    book = load_workbook(path)
    sheet = book.active
    for row in sheet.iter_rows():
        if row[1].value in values:
            row[4].value = values[row[1].value]
    book.save(path)


def _clean(tmp_path, **values):
    """The 2023 sample, only 2023 (no previous year to compare with), one commune's cells changed."""
    folder = tmp_path / "2023"
    shutil.copytree(RAW_DIR / "2023", folder, ignore=shutil.ignore_patterns("declared"))
    _set(folder / FILE, **values)
    ctx = context(2023)
    return clean_year(read_submissions(folder, ctx), ctx).problems


def _messages(problems, severity: str) -> list[str]:
    mine = problems[(problems["severity"] == severity) & (problems["file"] == FILE)]
    return mine["message"].tolist()


def test_the_sample_year_passes_every_rule(tmp_path):
    problems = _clean(tmp_path)
    assert _messages(problems, "error") == [] and _messages(problems, "warning") == []


@pytest.mark.parametrize(("changes", "expected"), [
    # households typed ×1000 in a ward of 11,000 people (the annex printed 0 % for learning households)
    ({"households": 2_650_000}, "“Tổng số hộ gia đình” (2650000) lớn hơn “Tổng dân số” (11000): mỗi hộ có ít nhất"),
    # literate at level 2 above level 1 (the literacy rate moved from 97,29 to 92,41)
    ({"lit2_15_60": 6700, "lit1_15_60": 6300}, "“Số người 15-60 tuổi biết chữ mức độ 2” (6700) lớn hơn "
                                               "“Số người 15-60 tuổi biết chữ mức độ 1” (6300): người biết chữ"),
    # literate 15-35 above literate 15-60
    ({"lit1_15_35": 6800}, "“Số người 15-35 tuổi biết chữ mức độ 1” (6800) lớn hơn "
                           "“Số người 15-60 tuổi biết chữ mức độ 1” (6737)"),
    ({"learning_citizens_community": 90_000}, "“Trong đó, số được công nhận công dân học tập” (90000) lớn hơn"),
])
def test_a_part_above_its_whole_is_an_error_even_without_last_year(tmp_path, changes, expected):
    errors = _messages(_clean(tmp_path, **changes), "error")
    assert any(expected in message for message in errors), errors


def test_an_implausible_ratio_is_a_warning_naming_both_values(tmp_path):
    # 11,000 people in 1,000 households: 11 a household
    problems = _clean(tmp_path, households=1000, learning_households=500)
    warnings = _messages(problems, "warning")
    assert warnings == ["Số người bình quân một hộ là 11,00 (“Tổng dân số” 11000 / “Tổng số hộ gia đình” 1000), "
                        "ngoài khoảng hợp lý 1,5-8; hãy kiểm tra lại số liệu."]
    row = problems[(problems["severity"] == "warning") & (problems["file"] == FILE)].iloc[0]
    assert row["column"] == "Tổng số hộ gia đình" and row["value"] == "1000" and row["row"] > 0
    assert _messages(problems, "error") == []


def test_a_communes_printed_rate_is_checked_against_its_own_counts(tmp_path):
    """Issue 16, class 3: a "60,08 %" printed beside counts that give other than that is reported,
    with its row and column; a rate that matches its counts once rounded as printed is not."""
    import fixtures_builder as fb

    from helpers.ingest.submissions import load_submissions

    header = [["STT", "Đơn vị", "Dân số", None, "Biết chữ mức độ 1", "Tỷ lệ (%)"],
              [None, None, "Tổng số", "15-60 tuổi", "15-60 tuổi", None]]
    rows = [[*row, rate] for row, rate in zip(fb.base_rows(), ["60,08", "97,5", 96.43], strict=True)]
    path = fb.write_wide(tmp_path / "bang.xlsx", rows, header=header, merges=["A3:A4", "B3:B4", "C3:D3", "F3:F4"])
    ctx = context(2023)
    subs = load_submissions(tmp_path, 2023, ctx.ref.fields, ctx.communes)
    problems = subs.problems.frame() if hasattr(subs.problems, "frame") else subs.problems
    printed = problems[problems["message"].str.startswith("Tỷ lệ ghi")]
    assert printed["row"].tolist() == [5]                       # 6800 / 7000 = 97,14 %, printed 60,08
    assert printed.iloc[0]["value"] == "60,08" and printed.iloc[0]["column"].startswith("F")
    assert "= 97,14 %" in printed.iloc[0]["message"] and printed.iloc[0]["severity"] == "warning"
    assert path.exists()
