"""The reference data: it loads, it is consistent, and changing it changes the results."""

from __future__ import annotations

import datetime as dt
import shutil
import unicodedata

import pandas as pd
import pytest

from helpers.compute.indicators import STATUS_MET, STATUS_NOT_MET, compute_indicators
from helpers.errors import WorkbookError
from helpers.ingest.template import load_template_wording
from helpers.paths import REFERENCE_DIR
from helpers.reference import (
    Reference,
    load_annex_wording,
    load_entity,
    load_fields,
    load_groups,
    load_standards,
    load_units,
    units_valid_on,
)
from helpers.run.parameters import TARGET_LEVELS

DISTRICT = "480"
YEAR = 2023


@pytest.fixture(scope="module")
def units():
    return load_units()


def parts(expression: str) -> list[str]:
    return [p.strip() for p in expression.split("+") if p.strip()]


# --------------------------------------------------------------------------- loading


def test_reference_files_load(fields, catalogue, rules, targets, units):
    standards, criteria = rules
    for frame in (fields, catalogue, standards, criteria, targets, units, load_groups()):
        assert len(frame) > 0
    assert fields["field"].is_unique
    assert catalogue["id"].is_unique
    assert standards["standard"].is_unique
    assert str(catalogue["decimals"].dtype) == "Int64"
    assert str(targets["value"].dtype) == "Float64"
    assert str(standards["district_share"].dtype) == "Float64"
    assert criteria["verified"].dtype == bool
    assert units["dbkk"].dtype == bool
    assert fields["required"].dtype == bool

    entity = load_entity()
    assert entity.code == DISTRICT
    assert (entity.first_year, entity.last_year, entity.level) == (2021, 2024, "district")
    assert DISTRICT in set(units["code"])
    wording = load_annex_wording()
    assert set(wording["target_column"]) == set(TARGET_LEVELS)
    assert load_template_wording()["template"]["sheet"]


# --------------------------------------------------------------------------- consistency


def test_indicator_fields_exist(fields, catalogue):
    known = set(fields["field"])
    used = {f for column in ("numerator", "denominator") for expr in catalogue[column] for f in parts(expr)}
    assert used, "no field named at all?"
    assert used <= known, sorted(used - known)


def test_criteria_fields_exist(fields, rules):
    _, criteria = rules
    known = set(fields["field"])
    columns = ("numerator", "denominator", "numerator_dbkk", "denominator_dbkk")
    used = {f for column in columns for expr in criteria[column] for f in parts(expr)}
    assert used <= known, sorted(used - known)
    # every criterion has both rules complete
    for column in columns:
        assert (criteria[column] != "").all(), column
    assert criteria[["threshold", "threshold_dbkk"]].notna().all().all()
    assert criteria["threshold"].between(0, 100).all() and criteria["threshold_dbkk"].between(0, 100).all()


def test_every_indicator_is_well_formed(catalogue):
    assert set(catalogue["kind"]) <= {"standard", "rate", "count", "units_with"}
    assert set(load_groups()["group"]) >= set(catalogue["group"])
    rates = catalogue[catalogue["kind"] == "rate"]
    assert (rates["numerator"] != "").all() and (rates["denominator"] != "").all()
    assert set(rates["zero_denominator"]) <= {"not_applicable", "missing"}
    assert catalogue["decimals"].between(0, 3).all()


def test_every_indicator_standard_exists(catalogue, rules):
    standards, criteria = rules
    known = set(standards["standard"])
    named = catalogue.loc[catalogue["kind"] == "standard", "standard"]
    assert (named != "").all()
    assert set(named) <= known, sorted(set(named) - known)
    assert (catalogue.loc[catalogue["kind"] != "standard", "standard"] == "").all()
    # and every standard has criteria; every criterion belongs to a standard
    assert set(criteria["standard"]) == known


def test_prerequisites_are_listed_before(rules):
    # commune_standards applies prerequisites in file order
    standards, _ = rules
    seen: set[str] = set()
    for row in standards.itertuples(index=False):
        for required in parts(row.requires or ""):
            assert required in seen, f"{row.standard} requires {required}, listed later or unknown"
        seen.add(row.standard)
    assert standards["district_share"].between(0, 100).all()


def test_every_target_indicator_exists(catalogue, targets):
    assert set(targets["indicator_id"]) <= set(catalogue["id"]), sorted(
        set(targets["indicator_id"]) - set(catalogue["id"]))
    assert set(targets["level"]) <= set(TARGET_LEVELS)
    assert targets["value"].notna().all()
    # compute_indicators keeps the first of duplicated targets: there must be none
    assert not targets.duplicated(["indicator_id", "level", "target_year"]).any()


def test_reference_text_is_nfc_on_disk():
    files = sorted(p for p in REFERENCE_DIR.iterdir() if p.suffix in (".csv", ".toml"))
    assert {"units_vietnam.csv", "indicators.csv", "targets.csv", "standards.csv"} <= {p.name for p in files}
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert unicodedata.is_normalized("NFC", text), f"{path.name} holds NFD text"


def test_loaded_reference_text_is_nfc(fields, catalogue, rules, targets, units):
    standards, criteria = rules
    for frame in (fields, catalogue, standards, criteria, targets, units, load_groups()):
        for column in frame.columns:
            for value in frame[column]:
                if isinstance(value, str):
                    assert unicodedata.is_normalized("NFC", value), (column, value)
    assert unicodedata.is_normalized("NFC", load_entity().name)


def test_loader_normalises_nfd_text(tmp_path):
    shutil.copytree(REFERENCE_DIR, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "groups.csv"
    path.write_text(unicodedata.normalize("NFD", path.read_text(encoding="utf-8")), encoding="utf-8")
    assert not unicodedata.is_normalized("NFC", path.read_text(encoding="utf-8"))
    groups = load_groups(tmp_path)
    assert groups.loc[groups["group"] == "I", "label"].item() == "Xóa mù chữ và phổ cập giáo dục"
    pd.testing.assert_frame_equal(groups, load_groups())


def test_bad_boolean_is_a_workbook_error(tmp_path):
    shutil.copytree(REFERENCE_DIR, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "standards.csv"
    text = path.read_text(encoding="utf-8")
    edited = text.replace(",90,true,", ",90,yes,", 1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    with pytest.raises(WorkbookError, match="standards.csv.*verified"):
        load_standards(tmp_path)


def test_missing_reference_file_is_a_workbook_error(tmp_path):
    with pytest.raises(WorkbookError, match="fields.csv"):
        load_fields(tmp_path)


# --------------------------------------------------------------------------- units over time


def test_units_valid_at_end_of_2023(units):
    valid = units_valid_on(units, dt.date(2023, 12, 31))
    communes = valid[valid["parent_code"] == DISTRICT]
    assert len(communes) == 9
    assert communes["code"].is_unique
    assert set(communes["code"]) == {"19996", "20008", "20011", "20005", "20017", "20020", "20026",
                                     "20035", "20041"}
    assert communes.loc[communes["code"] == "19996", "full_name"].item() == "Phường Tứ Hạ"
    assert DISTRICT in set(valid["code"])


def test_units_valid_at_end_of_2025(units):
    valid = units_valid_on(units, dt.date(2025, 12, 31))
    new = valid[(valid["parent_code"] == "46") & (valid["level"] == "commune")]
    assert len(new) == 40
    assert {"19996", "20017", "20035"} <= set(new["code"])
    assert new.loc[new["code"] == "19996", "name"].item() == "Hương Trà"
    assert valid[valid["parent_code"] == DISTRICT].empty
    assert DISTRICT not in set(valid["code"])
    assert valid["code"].is_unique  # a reused code is one unit at a time


def test_units_validity_bounds_are_inclusive(units):
    last_day = units_valid_on(units, dt.date(2025, 6, 30))
    first_day = units_valid_on(units, dt.date(2025, 7, 1))
    assert (last_day["parent_code"] == DISTRICT).sum() == 9
    assert (first_day["parent_code"] == DISTRICT).sum() == 0
    assert (first_day["parent_code"] == "46").sum() == 40


# --------------------------------------------------------------------------- configuration, not code


def _edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not found once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _compute(reference_dir, overrides: dict[str, dict[str, int]]) -> pd.DataFrame:
    fields = list(load_fields(reference_dir)["field"])
    codes = [f"C{i}" for i in range(9)]
    rows = []
    for code in codes:
        counts = dict.fromkeys(fields, 100)
        counts.update(overrides.get(code, {}))
        rows += [{"year": YEAR, "unit_code": code, "field": f, "value": v} for f, v in counts.items()]
    communes = pd.DataFrame({"code": codes, "full_name": codes, "dbkk": False})
    ctx = Reference.load(reference_dir).for_year(YEAR)
    assert ctx.entity.code == DISTRICT and ctx.target_year == 2025
    return compute_indicators(pd.DataFrame(rows), ctx, communes=communes)


def _district(table: pd.DataFrame, indicator_id: str) -> pd.Series:
    return table[(table["unit_code"] == DISTRICT) & (table["indicator_id"] == indicator_id)].iloc[0]


# eight of nine communes meet PCTHCS3 (I.6); 45 % of the working-age population in II.1
OVERRIDES = {f"C{i}": {"info_competence": 45} for i in range(9)}
OVERRIDES["C0"]["youth_15_18_studying"] = 50


@pytest.fixture(scope="module")
def edited_reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    shutil.copytree(REFERENCE_DIR, folder, dirs_exist_ok=True)
    _edit(folder / "standards.csv",
          "PCTHCS3,Chuẩn phổ cập giáo dục trung học cơ sở mức độ 3,PCTHCS2,100,",
          "PCTHCS3,Chuẩn phổ cập giáo dục trung học cơ sở mức độ 3,PCTHCS2,80,")
    _edit(folder / "targets.csv", "II.1,province,KH 336/KH-UBND,2025,50,", "II.1,province,KH 336/KH-UBND,2025,40,")
    return folder


def test_editing_reference_copy_changes_results(edited_reference):
    original = _compute(REFERENCE_DIR, OVERRIDES)
    edited = _compute(edited_reference, OVERRIDES)

    assert _district(original, "I.6")["value"] == pytest.approx(800 / 9)
    assert _district(original, "I.6")["status"] == STATUS_NOT_MET  # 88,9 % < 100 %
    assert _district(edited, "I.6")["status"] == STATUS_MET  # 88,9 % ≥ 80 %

    assert _district(original, "II.1")["value"] == pytest.approx(45.0)
    assert _district(original, "II.1")["target"] == 50
    assert _district(original, "II.1")["status"] == STATUS_NOT_MET
    assert _district(edited, "II.1")["target"] == 40
    assert _district(edited, "II.1")["status"] == STATUS_MET

    # nothing else moved
    others = ~original["indicator_id"].isin(["I.6", "II.1"])
    pd.testing.assert_frame_equal(original[others], edited[others])
    # the real reference folder is untouched
    assert load_standards()[0].set_index("standard").loc["PCTHCS3", "district_share"] == 100


def test_editing_a_criterion_threshold_changes_commune_status(tmp_path):
    shutil.copytree(REFERENCE_DIR, tmp_path, dirs_exist_ok=True)
    overrides = {"C0": {"children_5_attending": 93}}
    before = _compute(tmp_path, overrides)
    _edit(tmp_path / "standard_criteria.csv", "PCMN5,1,children_5_attending,children_5,95,",
          "PCMN5,1,children_5_attending,children_5,92,")
    after = _compute(tmp_path, overrides)
    c0_before = before[(before["unit_code"] == "C0") & (before["indicator_id"] == "I.2")].iloc[0]
    c0_after = after[(after["unit_code"] == "C0") & (after["indicator_id"] == "I.2")].iloc[0]
    assert c0_before["status"] == STATUS_NOT_MET
    assert c0_after["status"] == STATUS_MET


def test_a_province_before_the_2025_merger_adds_up_the_provinces_that_formed_it(units):
    """Thành phố Hồ Chí Minh (79) took in Bình Dương (74) and Bà Rịa - Vũng Tàu (77) on 1/7/2025:
    its 2023 series runs over the three provinces' communes, Huế's over its own."""
    import dataclasses

    from helpers.reference import communes_of

    hcm = dataclasses.replace(load_entity(), code="79", level="province")
    before, after = communes_of(hcm, units, 2023), communes_of(hcm, units, 2025)
    assert set(before["province_code"]) == {"74", "77", "79"}
    assert len(after) == 168 and set(after["province_code"]) == {"79"}
    hue = dataclasses.replace(load_entity(), code="46", level="province")
    assert (len(communes_of(hue, units, 2023)), len(communes_of(hue, units, 2025))) == (133, 40)
