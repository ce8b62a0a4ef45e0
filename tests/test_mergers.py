"""Forms of 2025/2026 sent by the units that ended at the reform (issue 13, point 3): a whole
merger's old units added up onto their new unit, a missing one or the new unit's own form an
error, the reused code decided by the written name, a divided unit never added up."""

from __future__ import annotations

import dataclasses
import shutil
from functools import cache

import pandas as pd
import pytest
from openpyxl import load_workbook

from helpers.checks.clean import clean_year
from helpers.ingest.read import read_submissions
from helpers.paths import RAW_DIR
from helpers.reference import Reference

# the nine units of thị xã Hương Trà and the three new units they went whole into on 1/7/2025
MERGERS = {
    "19996": ["19996_tu_ha.xlsx", "20008_huong_van.xlsx", "20011_huong_van.xlsx"],          # Phường Hương Trà
    "20017": ["20005_huong_toan.xlsx", "20017_huong_xuan.xlsx", "20020_huong_chu.xlsx"],    # Phường Kim Trà
    "20035": ["20026_huong_binh.xlsx", "20035_binh_tien.xlsx", "20041_binh_thanh.xlsx"],    # Xã Bình Điền
}
OLD_FILES = [f for files in MERGERS.values() for f in files]
OWN_FORM = RAW_DIR / "2025" / "19996_huong_tra.xlsx"       # Phường Hương Trà's own 2025 form


def _form(path, *, year: int | None = None, name: str | None = None, blank: tuple[str, ...] = ()) -> None:
    """Change a template form in place: its year cell, its unit name, cells made blank."""
    book = load_workbook(path)
    sheet = book.active
    for row in sheet.iter_rows():
        if row[0].value == "Năm báo cáo:" and year is not None:
            row[2].value = year
        if row[0].value == "Đơn vị (xã, phường):" and name is not None:
            row[2].value = name
        if row[1].value in blank:
            row[4].value = None
    book.save(path)


def _folder(tmp_path, files=OLD_FILES, year: int = 2025, own: bool = False, **changes):
    """A year's folder of the 2024 sample forms of ``files`` keyed to ``year``; ``changes`` maps a
    file name to what to change in it (:func:`_form`)."""
    folder = tmp_path / str(year)
    folder.mkdir()
    for name in files:
        shutil.copy(RAW_DIR / "2024" / name, folder / name)
        _form(folder / name, year=year, **changes.get(name.removesuffix(".xlsx"), {}))
    if own:
        shutil.copy(OWN_FORM, folder / OWN_FORM.name)
        _form(folder / OWN_FORM.name, year=year)
    return folder


@cache
def _reference(entity: str) -> Reference:
    return Reference.load(entity=entity)


def _clean(folder, entity: str = "hue", year: int = 2025, ref: Reference | None = None):
    ctx = (ref or _reference(entity)).for_year(year)
    return clean_year(read_submissions(folder, ctx), ctx)


def _cells(path) -> dict[str, object]:
    """A template form's values, read straight from its cells: field id (column "Mã trường") → "Số liệu"."""
    sheet = load_workbook(path, data_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if "Mã trường" in row and "Số liệu" in row)
    field_col, value_col = rows[header].index("Mã trường"), rows[header].index("Số liệu")
    return {row[field_col]: row[value_col] for row in rows[header + 1:] if row[field_col]}


def _expected_sums(files) -> dict[str, int]:
    forms = [_cells(RAW_DIR / "2024" / name) for name in files]
    return {f: sum(int(form[f]) for form in forms) for f in forms[0]}


def _values_of(clean, code: str) -> dict[str, object]:
    mine = clean.values[clean.values["unit_code"] == code]
    assert not mine["field"].duplicated().any()
    return {f: (None if pd.isna(v) else int(v)) for f, v in zip(mine["field"], mine["value"], strict=True)}


def _messages(clean, severity: str) -> list[str]:
    return clean.problems.loc[clean.problems["severity"] == severity, "message"].tolist()


@pytest.mark.parametrize(("entity", "year"), [("hue", 2025), ("phuong_huong_tra", 2025), ("hue", 2026)])
def test_a_whole_merger_sent_by_its_old_units_is_added_up_onto_the_new_unit(tmp_path, entity, year):
    clean = _clean(_folder(tmp_path, year=year), entity, year)
    assert _messages(clean, "error") == []
    successors = list(MERGERS) if entity == "hue" else ["19996"]
    assert sorted(clean.values["unit_code"].unique()) == successors
    for code in successors:
        assert _values_of(clean, code) == _expected_sums(MERGERS[code])
    records = clean.records.set_index("file")
    for name in MERGERS["19996"]:
        record = records.loc[name]
        assert (record["unit_status"], record["unit_code"]) == ("ok", "19996")
        assert record["former_code"] == name[:5]
        assert record["reason"].startswith("Đã cộng vào Phường Hương Trà (19996) cùng ")
    warnings = _messages(clean, "warning")
    assert any(m.startswith(f"Số liệu năm {year} của Phường Hương Trà (19996) là tổng của Phường Tứ Hạ (19996), "
                            "Phường Hương Vân (20008), Phường Hương Văn (20011) do các đơn vị cũ gửi "
                            "(19996_tu_ha.xlsx, 20008_huong_van.xlsx, 20011_huong_van.xlsx), cộng từng trường; "
                            "từ nay Phường Hương Trà gửi một biểu theo mã, tên của mình.") for m in warnings)
    # the rows read of the old forms are accepted, not rejected
    files = clean.files.set_index("file")
    assert (files.loc[MERGERS["19996"], "rows_rejected"] == 0).all()
    assert (files.loc[MERGERS["19996"], "rows_accepted"] > 0).all()
    if entity == "phuong_huong_tra":
        # the six others went into units of another entity: set aside, one note per file
        assert set(records.loc[MERGERS["20017"] + MERGERS["20035"], "unit_status"]) == {"rejected"}
        notes = _messages(clean, "info")
        assert ("1 đơn vị không thuộc phường Hương Trà, không tính vào phụ lục này: Phường Hương Xuân "
                "(20017, nay thuộc Phường Kim Trà (20017)).") in notes


def test_a_missing_old_unit_stops_the_sum_and_names_what_was_received(tmp_path):
    files = [f for f in OLD_FILES if f != "20008_huong_van.xlsx"]
    clean = _clean(_folder(tmp_path, files))
    errors = clean.problems[clean.problems["severity"] == "error"]
    assert set(errors["file"]) == {"19996_tu_ha.xlsx", "20011_huong_van.xlsx"}
    assert set(errors["column"]) == {"Mã đơn vị"} and set(errors["value"]) == {"19996", "20011"}
    tu_ha = errors.set_index("file").loc["19996_tu_ha.xlsx", "message"]
    assert tu_ha == (
        "Phường Tứ Hạ (mã 19996) đã nhập vào Phường Hương Trà (19996) từ 01/07/2025: số liệu năm 2025 phải ghi "
        "theo đơn vị mới (mã, tên của đơn vị kế thừa). Chỉ cộng biểu của các đơn vị cũ vào Phường Hương Trà khi có "
        "đủ cả 3 đơn vị đã nhập vào: đã nhận Phường Tứ Hạ (19996), Phường Hương Văn (20011); còn thiếu Phường "
        "Hương Vân (20008). Biểu này chưa được tính: hãy gửi biểu của Phường Hương Trà (mã, tên của đơn vị mới), "
        "hoặc bổ sung biểu của đơn vị còn thiếu.")
    # nothing of the two received is counted, and nothing is lost: each is rejected with that reason
    assert "19996" not in set(clean.values["unit_code"])
    records = clean.records.set_index("file")
    received = records.loc[["19996_tu_ha.xlsx", "20011_huong_van.xlsx"]]
    assert set(received["unit_status"]) == {"rejected"} and set(received["unit_code"]) == {"19996"}
    assert list(received["former_code"]) == ["19996", "20011"]
    assert set(clean.rejects["reason"]) >= set(errors["message"])
    # the other two mergers are whole: still added up
    assert _values_of(clean, "20017") == _expected_sums(MERGERS["20017"])


def test_a_lone_old_unit_names_its_successor_and_its_missing_fellows(tmp_path):
    clean = _clean(_folder(tmp_path, ["20008_huong_van.xlsx"]))
    assert _messages(clean, "error") == [
        "Phường Hương Vân (mã 20008) đã nhập vào Phường Hương Trà (19996) từ 01/07/2025: số liệu năm 2025 phải ghi "
        "theo đơn vị mới (mã, tên của đơn vị kế thừa). Chỉ cộng biểu của các đơn vị cũ vào Phường Hương Trà khi có "
        "đủ cả 3 đơn vị đã nhập vào: đã nhận Phường Hương Vân (20008); còn thiếu Phường Tứ Hạ (19996), Phường "
        "Hương Văn (20011). Biểu này chưa được tính: hãy gửi biểu của Phường Hương Trà (mã, tên của đơn vị mới), "
        "hoặc bổ sung biểu của đơn vị còn thiếu."]


def test_the_new_units_own_form_beside_its_old_units_is_an_error_and_is_the_one_used(tmp_path):
    clean = _clean(_folder(tmp_path, MERGERS["19996"], own=True))
    errors = clean.problems[clean.problems["severity"] == "error"]
    assert sorted(errors["file"]) == sorted(MERGERS["19996"])
    assert all("Phường Hương Trà đã gửi biểu của mình (tệp 19996_huong_tra.xlsx), nên biểu của các đơn vị cũ "
               "không được cộng (đã nhận biểu của Phường Tứ Hạ (19996), Phường Hương Vân (20008), Phường Hương "
               "Văn (20011))." in m for m in errors["message"])
    assert not any("cùng mã, cùng tên" in m for m in errors["message"])     # Tứ Hạ's name is not the new one's
    assert _values_of(clean, "19996") == _cells(OWN_FORM)
    assert clean.records.set_index("file").loc[OWN_FORM.name, "unit_status"] == "ok"


def test_the_reused_code_is_the_old_unit_when_its_name_is_written(tmp_path):
    """19996 written beside "tu ha" (no accents, no type) is Phường Tứ Hạ, not Phường Hương Trà."""
    clean = _clean(_folder(tmp_path, ["19996_tu_ha.xlsx"], **{"19996_tu_ha": {"name": "P. tu ha"}}))
    record = clean.records.iloc[0]
    assert (record["unit_status"], record["former_code"]) == ("rejected", "19996")
    assert clean.values.empty
    assert _messages(clean, "error")[0].startswith("Phường Tứ Hạ (mã 19996) đã nhập vào Phường Hương Trà (19996)")
    assert not any("không khớp" in m for m in _messages(clean, "warning"))


def test_the_reused_code_is_the_new_unit_when_its_name_is_written(tmp_path):
    """Phường Hương Trà's own form keyed 19996 is the new unit's; alone it is simply accepted."""
    folder = tmp_path / "2025"
    folder.mkdir()
    shutil.copy(OWN_FORM, folder / OWN_FORM.name)
    clean = _clean(folder, "phuong_huong_tra")
    assert _messages(clean, "error") == []
    record = clean.records.iloc[0]
    assert (record["unit_status"], record["unit_code"], record["former_code"]) == ("ok", "19996", "")
    assert _values_of(clean, "19996") == _cells(OWN_FORM)
    assert not any("không khớp" in m or "tổng của" in m for m in _messages(clean, "warning"))


def test_the_old_form_renamed_to_the_new_unit_is_the_new_units_own(tmp_path):
    """Tứ Hạ's figures under the new unit's name are the new unit's form: beside the other two old
    units it is the successor's own form, and they are not added up."""
    clean = _clean(_folder(tmp_path, MERGERS["19996"], **{"19996_tu_ha": {"name": "Phường Hương Trà"}}))
    errors = clean.problems[clean.problems["severity"] == "error"]
    assert sorted(errors["file"]) == ["20008_huong_van.xlsx", "20011_huong_van.xlsx"]
    assert all("Phường Hương Trà đã gửi biểu của mình (tệp 19996_tu_ha.xlsx)" in m for m in errors["message"])
    assert _values_of(clean, "19996") == _cells(RAW_DIR / "2024" / "19996_tu_ha.xlsx")


def test_a_reused_code_with_another_name_is_decided_by_the_code(tmp_path):
    clean = _clean(_folder(tmp_path, ["19996_tu_ha.xlsx"], **{"19996_tu_ha": {"name": "Phường Kim Long"}}),
                   "phuong_huong_tra")
    assert _messages(clean, "error") == []
    assert clean.records.iloc[0]["former_code"] == ""
    assert ("Tên đơn vị “Phường Kim Long” không khớp với mã 19996 (Phường Hương Trà); đã dùng theo mã."
            in _messages(clean, "warning"))


def test_a_field_missing_in_one_old_form_is_missing_for_the_new_unit(tmp_path):
    clean = _clean(_folder(tmp_path, MERGERS["19996"], **{"20008_huong_van": {"blank": ("pop_15_25",)}}))
    values = _values_of(clean, "19996")
    expected = _expected_sums(MERGERS["19996"])
    assert values["pop_15_25"] is None
    assert {f: v for f, v in values.items() if f != "pop_15_25"} == {f: v for f, v in expected.items()
                                                                     if f != "pop_15_25"}
    assert ("Số liệu năm 2025 của Phường Hương Trà (19996) để trống 1 trường vì không đủ số liệu của các đơn vị cũ: "
            "“Dân số từ 15 đến 25 tuổi” (thiếu ở Phường Hương Vân).") in _messages(clean, "warning")
    # the required field is reported where it is missing, in the old form
    missing = clean.problems[clean.problems["message"].str.startswith("Thiếu số liệu bắt buộc")]
    assert list(missing["file"]) == ["20008_huong_van.xlsx"]


def test_an_old_form_sent_twice_is_added_once(tmp_path):
    folder = _folder(tmp_path, MERGERS["19996"])
    shutil.copy(folder / "20008_huong_van.xlsx", folder / "20008_huong_van (1).xlsx")
    clean = _clean(folder)
    assert _messages(clean, "error") == []
    assert _values_of(clean, "19996") == _expected_sums(MERGERS["19996"])
    assert any(m.startswith("Phường Hương Vân (20008) xuất hiện hai lần") for m in _messages(clean, "warning"))


def test_a_divided_old_unit_is_never_added_up(tmp_path):
    """Were Hương Vân divided between Phường Hương Trà and Phường Hóa Châu, neither its form nor
    those of its fellows could make up Phường Hương Trà's figures."""
    ref = _reference("hue")
    units = ref.units.copy()
    vân = (units["code"] == "20008") & units["valid_to"].notna()
    units.loc[vân, ["successor_code", "split"]] = ["19996+20014", True]
    units.loc[(units["code"] == "19996") & units["valid_to"].isna(), "merged_whole"] = "false"
    divided = dataclasses.replace(ref, units=units)
    clean = _clean(_folder(tmp_path, MERGERS["19996"]), ref=divided)
    errors = clean.problems[clean.problems["severity"] == "error"].set_index("file")["message"]
    assert errors["20008_huong_van.xlsx"] == (
        "Phường Hương Vân (mã 20008) đã được chia cho Phường Hương Trà (19996), Phường Hóa Châu (20014) từ "
        "01/07/2025: số liệu của đơn vị cũ không cộng được vào một đơn vị mới; số liệu năm 2025 phải do các đơn "
        "vị mới gửi (mã, tên của đơn vị kế thừa).")
    assert errors["19996_tu_ha.xlsx"].endswith(
        "Phường Hương Trà (19996) còn nhận một phần của Phường Hương Vân (20008) (đơn vị cũ đã được chia cho nhiều "
        "đơn vị mới), nên số liệu năm 2025 của Phường Hương Trà không cộng được từ biểu của các đơn vị cũ: phải do "
        "Phường Hương Trà gửi.")
    assert "19996" not in set(clean.values["unit_code"])


def test_an_old_unit_of_the_same_code_and_name_as_the_new_one_is_named_in_the_error(tmp_path):
    """Were Tứ Hạ already called Hương Trà, its form could not be told from the new unit's: the
    error beside its fellows' forms says so."""
    ref = _reference("hue")
    units = ref.units.copy()
    units.loc[(units["code"] == "19996") & units["valid_to"].notna(), ["name", "full_name"]] = [
        "Hương Trà", "Phường Hương Trà"]
    namesakes = dataclasses.replace(ref, units=units)
    folder = _folder(tmp_path, MERGERS["19996"], **{"19996_tu_ha": {"name": "Phường Hương Trà"}})
    clean = _clean(folder, ref=namesakes)
    errors = clean.problems[clean.problems["severity"] == "error"]
    assert sorted(errors["file"]) == ["20008_huong_van.xlsx", "20011_huong_van.xlsx"]
    assert all(m.endswith("Nếu tệp đó là biểu của Phường Hương Trà (19996) trước 01/07/2025 (cùng mã, cùng tên "
                          "với đơn vị mới) thì số liệu năm 2025 phải do Phường Hương Trà gửi một biểu chung cho cả "
                          "các đơn vị cũ.") for m in errors["message"])


# a new unit that kept the code and name of one of its old units (Phường Thuận An 19900 took in
# Xã Phú Thuận and Xã Phú Hải): its row among old units' rows may be the old unit's figures alone
THUAN_HOA = "474_thuan_hoa.xlsx"        # quận Thuận Hóa's 2024 table of its 19 phường
NAMESAKE = "cùng mã, cùng tên với"


def _table(tmp_path, name: str = THUAN_HOA, year: int = 2025):
    """A year's folder holding a copy of a 2024 commune table whose title says ``year``."""
    folder = tmp_path / str(year)
    folder.mkdir()
    book = load_workbook(RAW_DIR / "2024" / name)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and "2024" in cell.value:
                    cell.value = cell.value.replace("2024", str(year))
    book.save(folder / name)
    return folder


def _namesakes(clean) -> pd.DataFrame:
    problems = clean.problems
    return problems[problems["message"].str.contains(NAMESAKE) & (problems["severity"] == "warning")]


def test_a_new_unit_with_an_old_units_code_and_name_among_old_rows_is_warned_and_kept(tmp_path):
    clean = _clean(_table(tmp_path))
    warned = _namesakes(clean).set_index("row")
    assert sorted(warned.index) == [10, 20, 23]         # Vỹ Dạ, Thủy Xuân, Thuận An; not Dương Nỗ (one old unit)
    thuan_an = warned.loc[23]
    assert (thuan_an["file"], thuan_an["sheet"], thuan_an["column"], thuan_an["value"]) == (
        THUAN_HOA, "Tổng hợp", "Mã đơn vị", "19900")
    assert thuan_an["message"] == (
        "Phường Thuận An (19900) cùng mã, cùng tên với Phường Thuận An (19900) trước 01/07/2025, và nằm trong "
        "trang có các dòng của 15 đơn vị đã kết thúc ngày 30/06/2025 (Phường Đúc (19780), Phường Vĩnh Ninh "
        "(19783), Phường Phú Hội (19786) và 12 đơn vị khác): số liệu này có thể là của Phường Thuận An cũ. "
        "Phường Thuận An mới còn gồm cả Xã Phú Thuận (19903), Xã Phú Hải (19915). Số liệu vẫn được dùng cho "
        "Phường Thuận An (19900) năm 2025; nếu đây là số liệu của Phường Thuận An cũ, hãy gửi biểu của Phường "
        "Thuận An mới, gộp số liệu của cả Phường Thuận An cũ, Xã Phú Thuận (19903), Xã Phú Hải (19915).")
    assert "còn gồm cả Phường Xuân Phú (19792), Phường Thủy Vân (19963)." in warned.loc[10, "message"]
    # a warning, not a rejection: the row's figures are Phường Thuận An's
    records = clean.records.set_index("row")
    assert (records.loc[23, "unit_status"], records.loc[23, "unit_code"], records.loc[23, "former_code"]) == (
        "ok", "19900", "")
    assert _values_of(clean, "19900")["pop_total"] == 14600
    # the old units' rows are handled as before: added up, or rejected with their error
    assert {row: (r["unit_status"], r["unit_code"], r["former_code"]) for row, r in records.iterrows()} == {
        10: ("ok", "19777", ""), 11: ("ok", "19789", "19780"), 12: ("ok", "19789", "19783"),
        13: ("ok", "19789", "19786"), 14: ("ok", "19789", "19789"), 15: ("rejected", "19777", "19792"),
        16: ("ok", "19789", "19795"), 17: ("ok", "19789", "19798"), 18: ("ok", "19815", "19801"),
        19: ("rejected", "19813", "19807"), 20: ("ok", "19813", ""), 21: ("ok", "19815", "19815"),
        22: ("ok", "19815", "19816"), 23: ("ok", "19900", ""), 24: ("ok", "19909", ""),
        25: ("rejected", "19930", "19930"), 26: ("rejected", "19777", "19963"), 27: ("rejected", "19813", "19981"),
        28: ("rejected", "20014", "20002")}
    errors = clean.problems[clean.problems["severity"] == "error"]
    assert sorted(errors["row"]) == [15, 19, 25, 26, 27, 28]


def test_the_new_units_own_form_alone_is_not_warned(tmp_path):
    """Phường Thuận An's own 2025 form: nothing of the old units beside it, so nothing tells it
    from the old unit's; a copy whose year cell says 2024 is rejected by the reader."""
    own = RAW_DIR / "2025" / "19900_thuan_an.xlsx"
    folder = tmp_path / "2025"
    folder.mkdir()
    shutil.copy(own, folder / own.name)
    clean = _clean(folder)
    assert _namesakes(clean).empty and _messages(clean, "error") == []
    assert _values_of(clean, "19900") == _cells(own)
    _form(folder / own.name, year=2024)
    clean = _clean(folder)
    assert _namesakes(clean).empty
    assert _messages(clean, "error") == ["Tệp ghi năm báo cáo 2024, nhưng nằm trong thư mục năm 2025."]


def test_a_template_form_beside_an_old_units_form_in_the_same_workbook_is_warned(tmp_path):
    """One workbook, one template sheet per unit: Phường Thuận An's sheet beside Phường Hương Vân's
    (an old unit) is warned; the same two forms as two files are not."""
    own = RAW_DIR / "2025" / "19900_thuan_an.xlsx"
    folder = _folder(tmp_path, ["20008_huong_van.xlsx"])
    shutil.copy(own, folder / own.name)
    assert _namesakes(_clean(folder)).empty
    book = load_workbook(folder / own.name)
    old = book.create_sheet("Hương Vân")
    for row in load_workbook(folder / "20008_huong_van.xlsx").active.iter_rows(values_only=True):
        old.append(row)
    book.save(folder / own.name)
    (folder / "20008_huong_van.xlsx").unlink()
    warned = _namesakes(_clean(folder))
    assert len(warned) == 1
    warning = warned.iloc[0]
    assert (warning["file"], warning["sheet"], warning["column"], warning["value"]) == (
        own.name, "Số liệu", "Mã đơn vị", "19900")
    assert pd.isna(warning["row"])
    assert warning["message"].startswith(
        "Phường Thuận An (19900) cùng mã, cùng tên với Phường Thuận An (19900) trước 01/07/2025, và nằm trong "
        "tệp có biểu của 1 đơn vị đã kết thúc ngày 30/06/2025 (Phường Hương Vân (20008)): ")


def test_the_years_forms_of_hue_raise_no_namesake_warning():
    clean = _clean(RAW_DIR / "2025")
    assert _messages(clean, "error") == []
    assert _namesakes(clean).empty
    assert {"19900", "19774", "19777", "19813"} <= set(clean.values["unit_code"])
