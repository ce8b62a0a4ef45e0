"""Reporting entities other than the seed's thị xã (reference/entities/<name>.toml): the batch
builds each into its own folders with its own run record, from the shared raw folder, and leaves
the default entity's folders alone; the years of the raw folder outside an entity's range are named
and skipped; the blank forms and the feedback sheets follow the entity too.

The builds run the real batch (one year each, PDFs off: no browser is found) in a temporary
project layout: ``helpers.paths``' processed and output folders point into a temporary folder, so
the default folders of each entity are those of :func:`helpers.paths.entity_dirs` there.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil

import pytest

from helpers import paths
from helpers.paths import DEFAULT_ENTITY, RAW_DIR, REFERENCE_DIR
from helpers.publish.pdf import BROWSER_ENV
from helpers.run import batch, run_record

YEAR = 2025
OUTSIDE = 2019          # a year folder outside every entity's years


def _main(*argv: str) -> tuple[int, str]:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = batch.main(["--no-progress", *argv])
    return code, printed.getvalue()


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    """The project's processed and output folders moved to a temporary folder (and no browser)."""
    root = tmp_path_factory.mktemp("entities")
    raw = root / "raw"
    shutil.copytree(RAW_DIR / str(YEAR), raw / str(YEAR))
    (raw / str(OUTSIDE)).mkdir()
    patch = pytest.MonkeyPatch()
    patch.setattr(paths, "PROCESSED_DIR", root / "data" / "processed")
    patch.setattr(paths, "OUTPUT_DIR", root / "output")
    patch.setenv(BROWSER_ENV, "khong-co-trinh-duyet")        # PDFs off (the workers inherit it)
    # the code's and the reference's hashes are fixed, so a rerun does not depend on edits made
    # to helpers/ or reference/ meanwhile
    patch.setattr(run_record, "code_fingerprint", lambda: "code v1")
    digests, real = {}, run_record.reference_digests

    def reference_digests(reference_dir=REFERENCE_DIR, entity=DEFAULT_ENTITY):
        if reference_dir != REFERENCE_DIR:
            return real(reference_dir, entity)
        return digests.setdefault(entity, real(reference_dir, entity))

    patch.setattr(run_record, "reference_digests", reference_digests)
    yield {"root": root, "raw": raw, "processed": root / "data" / "processed", "output": root / "output"}
    patch.undo()


@pytest.fixture(scope="module")
def builds(layout):
    """thành phố Huế without --years (the raw folder has 2019 and 2025), then again with
    --years 2025 (nothing changed); Phường Hương Trà with --years 2025."""
    raw = str(layout["raw"])
    return {"hue": _main("--entity", "hue", "--raw-dir", raw),
            "hue_again": _main("--entity", "hue", "--raw-dir", raw, "--years", str(YEAR)),
            "phuong_huong_tra": _main("--entity", "phuong_huong_tra", "--raw-dir", raw, "--years", str(YEAR))}


@pytest.mark.parametrize("entity", ["hue", "phuong_huong_tra"])
def test_an_entity_builds_into_its_own_folders(layout, builds, entity):
    code, printed = builds[entity]
    assert code == 0, printed
    assert f"✓ Năm {YEAR}: đã lập phụ lục" in printed
    output, processed = layout["output"] / entity, layout["processed"] / entity
    assert paths.entity_dirs(entity) == (processed, output)
    assert {"01_clean.ipynb", "02_indicators.ipynb", "03_annex.ipynb", f"annex_{YEAR}.html",
            f"annex_{YEAR}.xlsx"} <= {p.name for p in (output / str(YEAR)).iterdir()}
    assert (processed / str(YEAR) / "values.csv").is_file()
    record = json.loads((output / run_record.RECORD_NAME).read_text(encoding="utf-8"))
    assert set(record["years"]) == {str(YEAR)} and record["last_run"]["entity"] == entity
    for step in ("clean", "annex"):
        inputs = record["years"][str(YEAR)][step]["inputs"]
        assert [name for name in inputs if name.startswith("reference/entities/")] == [
            f"reference/entities/{entity}.toml"]
    # the staging folder and the lock are the entity's own, and gone after the run
    assert not (output / run_record.LOCK_NAME).exists() and not any((output / batch.STAGING_SUBDIR).glob("*"))


def test_the_default_entitys_folders_are_left_alone(layout, builds):
    """Nothing of thị xã Hương Trà's is made: the output and processed folders hold only the
    other entities' folders (no year folder, no run record)."""
    assert {p.name for p in layout["output"].iterdir()} == {"hue", "phuong_huong_tra"}
    assert {p.name for p in layout["processed"].iterdir()} == {"hue", "phuong_huong_tra"}


def test_the_annex_speaks_of_its_entity(layout, builds):
    hue = (layout["output"] / "hue" / str(YEAR) / f"annex_{YEAR}.html").read_text(encoding="utf-8")
    assert "thành phố Huế" in hue and "Tỷ lệ xã, phường đạt" in hue
    assert "Hương Trà đạt" not in hue
    commune = (layout["output"] / "phuong_huong_tra" / str(YEAR) / f"annex_{YEAR}.html").read_text(encoding="utf-8")
    assert "Phường Hương Trà đạt" in commune
    assert "thành phố Huế" not in commune and "Tỷ lệ xã, phường đạt" not in commune


def test_years_outside_the_entity_are_named_in_one_line_and_skipped(builds):
    code, printed = builds["hue"]
    skipped = [line for line in printed.splitlines() if line.startswith("Bỏ qua")]
    assert skipped == [f"Bỏ qua năm {OUTSIDE} có trong thư mục số liệu: ngoài khoảng 2021-2030 của thành phố Huế "
                       "(reference/entities/hue.toml); lập cho đơn vị khác bằng --entity (huong_tra, "
                       "phuong_huong_tra)."]
    assert f"Lập phụ lục cho các năm: {YEAR}\n" in printed and f"Năm {OUTSIDE}" not in printed


def test_a_rebuild_of_an_unchanged_entity_runs_nothing(builds):
    code, printed = builds["hue_again"]
    assert code == 0 and f"· Năm {YEAR}: không có thay đổi" in printed, printed


def test_the_default_entity_skips_the_years_after_it_ended(layout, tmp_path):
    """thị xã Hương Trà (2021-2024) finds no year of its own in a folder of 2019 and 2025."""
    printed, errors = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(errors):
        code = batch.main(["--no-progress", "--raw-dir", str(layout["raw"])])
    assert code == 1
    assert printed.getvalue().startswith(f"Bỏ qua năm {OUTSIDE}, {YEAR} có trong thư mục số liệu: ngoài khoảng "
                                         "2021-2024 của thị xã Hương Trà")
    assert "Không tìm thấy thư mục năm nào của thị xã Hương Trà (2021-2024)" in errors.getvalue()
    assert not layout["output"].joinpath(run_record.RECORD_NAME).exists()


def test_entity_years_of_the_sample_raw_folder():
    assert batch.discover_years(RAW_DIR) == [2021, 2022, 2023, 2024, 2025, 2026]
    assert batch.entity_years(RAW_DIR) == ([2021, 2022, 2023, 2024], [2025, 2026])
    assert batch.entity_years(RAW_DIR, "hue") == ([2021, 2022, 2023, 2024, 2025, 2026], [])
    assert batch.entity_years(RAW_DIR, "phuong_huong_tra")[1] == []


def test_an_unknown_entity_is_a_command_line_mistake(capsys):
    assert batch.main(["--entity", "tinh_khong_co"]) == 2
    error = capsys.readouterr().err
    assert "Không có đơn vị báo cáo “tinh_khong_co”" in error and "hue, huong_tra, phuong_huong_tra" in error


def test_a_notebook_given_an_unknown_entity_stops_with_a_sentence(tmp_path):
    result = batch.run_steps(YEAR, (batch.CLEAN_NOTEBOOK,), raw_dir=RAW_DIR, processed_dir=tmp_path / "p",
                             output_dir=tmp_path / "o", target_level="province", kernel_name=batch.KERNEL_NAME,
                             render=False, entity="tinh_khong_co")
    assert result.status == "failed" and result.notebook == batch.CLEAN_NOTEBOOK and result.cell is not None
    assert result.message.startswith("Không có đơn vị báo cáo “tinh_khong_co”"), result.message
    assert "Traceback" not in result.message


# --- the run record: an entity's inputs name its own file only --------------------------------

@pytest.fixture
def reference_copy(tmp_path):
    reference = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR / "entities", reference / "entities")
    shutil.copy(REFERENCE_DIR / "targets.csv", reference / "targets.csv")
    return reference


def test_reference_digests_hold_the_chosen_entitys_file_only(reference_copy):
    for entity in ("huong_tra", "hue", "phuong_huong_tra"):
        names = set(run_record.reference_digests(reference_copy, entity=entity))
        assert names == {"reference/targets.csv", f"reference/entities/{entity}.toml"}
    assert "reference/entities/huong_tra.toml" in run_record.reference_digests(reference_copy)


def test_another_entitys_file_never_rebuilds_the_thi_xa(reference_copy, tmp_path):
    raw = tmp_path / "raw"
    (raw / "2023").mkdir(parents=True)
    (raw / "2023" / "a.xlsx").write_bytes(b"commune a")

    def inputs(entity):
        parameters = {"year": 2023, "entity": entity}
        return run_record.clean_inputs(2023, raw, ("01_clean.ipynb",), parameters, code="code",
                                       reference=run_record.reference_digests(reference_copy, entity=entity))

    before = {entity: inputs(entity) for entity in (DEFAULT_ENTITY, "hue")}
    hue = reference_copy / "entities" / "hue.toml"
    hue.write_text(hue.read_text(encoding="utf-8") + "\n# sửa\n", encoding="utf-8")
    assert run_record.changed_inputs(before[DEFAULT_ENTITY], inputs(DEFAULT_ENTITY)) == []
    assert run_record.changed_inputs(before["hue"], inputs("hue")) == ["reference/entities/hue.toml"]
    thi_xa = reference_copy / "entities" / "huong_tra.toml"
    thi_xa.write_text(thi_xa.read_text(encoding="utf-8") + "\n# sửa\n", encoding="utf-8")
    assert run_record.changed_inputs(before[DEFAULT_ENTITY], inputs(DEFAULT_ENTITY)) == [
        "reference/entities/huong_tra.toml"]
    assert run_record.changed_inputs(before["hue"], inputs("hue")) == ["reference/entities/hue.toml"]


# --- blank forms and feedback sheets of an entity -----------------------------------------------

def test_make_template_for_hue_writes_one_form_per_current_commune(layout, capsys):
    from helpers.publish import commune_forms

    assert commune_forms.main(["--entity", "hue", "--year", "2026"]) == 0
    folder = layout["output"] / "hue" / commune_forms.TEMPLATE_SUBDIR
    forms = sorted(folder.glob("*_2026.xlsx"))
    assert len(forms) == 40
    assert "19996_huong_tra_2026.xlsx" in {p.name for p in forms}
    assert f"Đã viết 40 biểu mẫu của thành phố Huế năm 2026 vào {folder}." in capsys.readouterr().out
    assert commune_forms.template_dir() == layout["output"] / commune_forms.TEMPLATE_SUBDIR


def test_make_template_for_the_thi_xa_after_it_ended_names_its_successors(tmp_path, capsys):
    from helpers.publish import commune_forms

    assert commune_forms.main(["--year", "2026", "--out", str(tmp_path / "forms")]) == 1
    error = capsys.readouterr().err
    assert "Thị xã Hương Trà (mã 480) không còn từ 01/07/2025" in error and "Phường Hương Trà (19996)" in error
    assert not (tmp_path / "forms").exists()


def test_the_feedback_command_takes_the_entity(layout, builds, capsys):
    from helpers.publish import feedback

    assert feedback.main(["--year", str(YEAR), "--entity", "phuong_huong_tra"]) == 0
    folder = layout["output"] / "phuong_huong_tra" / str(YEAR) / feedback.FEEDBACK_SUBDIR
    assert (folder / f"phan_hoi_{YEAR}.html").is_file()
    assert str(folder) in capsys.readouterr().out
