"""Incremental batch runs: only what changed re-runs, decided by content hashes; the run record.

One scenario on a temporary copy of two sample years, run once (module fixture) and checked stage
by stage: build, rerun with nothing changed, change a raw file of the later year, of the earlier
year (its values feed the later year's trends), change the code, break a year, rerun it broken,
repair it. No clocks and no sleeps: every decision comes from hashes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from helpers.paths import RAW_DIR
from helpers.run import run_record
from helpers.run.batch import build_annexes, main
from helpers.storage import read_processed_csv

YEARS = [2022, 2023]
CHANGED_2023 = "20035_binh_tien.xlsx"
CHANGED_2022 = "19996_tu_ha.xlsx"


def _edit(path, field, *, value=None, note=None):
    """Change a field row's value (column E) or note (column F) in a data-entry workbook."""
    book = load_workbook(path)
    for row in book.active.iter_rows():
        if row[1].value == field:
            if value is not None:
                row[4].value = value(row[4].value) if callable(value) else value
            if note is not None:
                row[5].value = note
    book.save(path)


def _tree(folder):
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "run.json"}


def _steps(results):
    return {r.year: dict(r.steps) for r in results}


def _main(dirs, *extra):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["--years", *map(str, YEARS), "--no-progress", "--raw-dir", str(dirs["raw_dir"]),
                     "--processed-dir", str(dirs["processed_dir"]), "--output-dir", str(dirs["output_dir"]),
                     *extra])
    return code, printed.getvalue()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    raw = root / "raw"
    for year in YEARS:
        shutil.copytree(RAW_DIR / str(year), raw / str(year))
    dirs = dict(raw_dir=raw, processed_dir=root / "processed", output_dir=root / "output")
    stages = {}
    patch = pytest.MonkeyPatch()
    # the code's hash is fixed, so the scenario does not depend on edits made to helpers/ meanwhile
    patch.setattr(run_record, "code_fingerprint", lambda: "code v1")

    stages["first"] = build_annexes(YEARS, **dirs)
    stages["first_record"] = json.loads((root / "output" / "run.json").read_text(encoding="utf-8"))
    before = _tree(root / "output") | {("p",) + k.parts: v for k, v in _tree(root / "processed").items()}
    stages["again"] = build_annexes(YEARS, **dirs)
    stages["outputs_untouched"] = before == (
        _tree(root / "output") | {("p",) + k.parts: v for k, v in _tree(root / "processed").items()})

    _edit(raw / "2023" / CHANGED_2023, "pop_total", value=lambda v: v + 1)
    stages["changed_2023"] = build_annexes(YEARS, **dirs)
    _edit(raw / "2022" / CHANGED_2022, "pop_total", note="Số liệu điều tra lại tháng 12/2022")
    stages["changed_2022"] = build_annexes(YEARS, **dirs)

    patch.setattr(run_record, "code_fingerprint", lambda: "code v2")
    stages["changed_code"] = build_annexes(YEARS, **dirs)
    good = (raw / "2023" / CHANGED_2023).read_bytes()
    _edit(raw / "2023" / CHANGED_2023, "life_skills", value="")
    stages["broken"] = _main(dirs)
    stages["broken_record"] = json.loads((root / "output" / "run.json").read_text(encoding="utf-8"))
    stages["broken_again"] = _main(dirs)
    (raw / "2023" / CHANGED_2023).write_bytes(good)
    stages["repaired"] = build_annexes(YEARS, **dirs)
    patch.undo()
    stages["record"] = json.loads((root / "output" / "run.json").read_text(encoding="utf-8"))
    return {"root": root, "raw": raw, **stages}


def test_first_run_builds_every_step(scenario):
    assert {r.year: r.status for r in scenario["first"]} == {2022: "built", 2023: "built"}, [
        r.message for r in scenario["first"]]
    assert _steps(scenario["first"]) == {y: {"clean": "built", "annex": "built"} for y in YEARS}


def test_nothing_changed_nothing_reruns(scenario):
    assert {r.year: r.status for r in scenario["again"]} == {2022: "unchanged", 2023: "unchanged"}
    assert _steps(scenario["again"]) == {y: {"clean": "unchanged", "annex": "unchanged"} for y in YEARS}
    assert scenario["outputs_untouched"]
    assert all(r.seconds == 0 for r in scenario["again"])


def test_changing_one_raw_file_reruns_only_its_year(scenario):
    results = {r.year: r for r in scenario["changed_2023"]}
    assert _steps(scenario["changed_2023"]) == {2022: {"clean": "unchanged", "annex": "unchanged"},
                                                2023: {"clean": "built", "annex": "built"}}
    assert f"raw/2023/{CHANGED_2023}" in results[2023].changed


def test_earlier_year_change_reruns_the_later_years_annex_only(scenario):
    """2023's indicators compare each count with 2022's clean values (jump check) and its annex
    draws the trend through 2022: they re-run when a 2022 raw file changes; 2023's cleaning,
    which reads only 2023's files, does not."""
    results = {r.year: r for r in scenario["changed_2022"]}
    assert _steps(scenario["changed_2022"]) == {2022: {"clean": "built", "annex": "built"},
                                                2023: {"clean": "unchanged", "annex": "built"}}
    assert f"raw/2022/{CHANGED_2022}" not in results[2023].changed
    assert "processed/2022/values.csv" in results[2023].changed


def test_changing_the_code_reruns_everything(scenario):
    assert _steps(scenario["changed_code"]) == {y: {"clean": "built", "annex": "built"} for y in YEARS}, [
        r.message for r in scenario["changed_code"]]
    assert all("helpers" in r.changed for r in scenario["changed_code"])


LIFE_SKILLS = "Số người trong độ tuổi lao động được trang bị kỹ năng sống"   # the field, by its label


def test_a_broken_year_fails_alone_and_is_recorded(scenario):
    code, printed = scenario["broken"]
    assert code == 1
    assert "· Năm 2022: không có thay đổi" in printed
    assert "✗ Năm 2023 · 01_clean.ipynb · ô " in printed and LIFE_SKILLS in printed
    entry = scenario["broken_record"]["years"]["2023"]["clean"]
    assert entry["status"] == "failed"
    assert entry["notebook"] == "01_clean.ipynb" and isinstance(entry["cell"], int)
    assert LIFE_SKILLS in entry["message"]
    assert entry["outputs"] == {}


def test_an_unchanged_broken_year_is_reported_without_rerunning(scenario):
    code, printed = scenario["broken_again"]
    assert code == 1
    assert "✗ Năm 2023 · 01_clean.ipynb · ô " in printed and LIFE_SKILLS in printed
    assert "--force" in printed
    assert "lập lại" not in printed


def test_repairing_a_year_reruns_its_cleaning_and_keeps_its_annex(scenario):
    # the restored workbook gives the same clean values as before the break, so the annex stands
    assert _steps(scenario["repaired"]) == {2022: {"clean": "unchanged", "annex": "unchanged"},
                                            2023: {"clean": "built", "annex": "unchanged"}}
    assert all(r.status != "failed" for r in scenario["repaired"])


def test_run_record_names_inputs_outputs_and_times(scenario):
    record = scenario["record"]
    assert record["version"] == run_record.RECORD_VERSION
    assert set(record["years"]) == {"2022", "2023"}
    clean = record["years"]["2023"]["clean"]
    annex_2022 = record["years"]["2022"]["annex"]
    annex_2023 = record["years"]["2023"]["annex"]
    for entry in (clean, annex_2022, annex_2023):
        assert entry["status"] == "built"
        assert dt.datetime.fromisoformat(entry["started"]).tzinfo is not None
        assert entry["seconds"] > 0
        assert {"helpers", "parameters", "reference/targets.csv", "reference/units_vietnam.csv"} <= set(entry["inputs"])
        # the default entity's own file, not the other entities' (changing those never re-runs it)
        entities = [name for name in entry["inputs"] if name.startswith("reference/entities/")]
        assert entities == ["reference/entities/huong_tra.toml"]
    # raw hashes are the SHA-256 the annex's provenance prints (files.csv)
    files = read_processed_csv(scenario["root"] / "processed" / "2023" / "files.csv")
    for row in files.itertuples():
        assert clean["inputs"][f"raw/2023/{row.file}"] == row.sha256
    assert "notebooks/01_clean.ipynb" in clean["inputs"]
    assert {"notebooks/02_indicators.ipynb", "notebooks/03_annex.ipynb"} <= set(annex_2023["inputs"])
    # trends: 2023's annex reads 2022's clean values, 2022's annex never reads 2023's
    assert {"processed/2022/values.csv", "processed/2023/values.csv"} <= set(annex_2023["inputs"])
    assert "processed/2023/values.csv" not in annex_2022["inputs"]
    assert "raw/2023/declared/declared_annex_2023.csv" in annex_2023["inputs"]
    html = scenario["root"] / "output" / "2023" / "annex_2023.html"
    assert annex_2023["outputs"][str(html)] == hashlib.sha256(html.read_bytes()).hexdigest()
    assert record["last_run"]["years"] == YEARS and record["last_run"]["entity"] == "huong_tra"


def test_each_year_folder_is_one_recorded_promotion(scenario):
    """The repaired 2023 re-ran its cleaning only: its new notebook replaced the failed one and the
    annex files stayed (carried over), the whole folder swapped at once. The folder's generation
    file lists exactly its files; run.json names that promotion for the cleaning and an earlier one
    for the annex, and its outputs are the files on disk."""
    from helpers.run.batch import GENERATION_FILE

    record = scenario["record"]
    for year in YEARS:
        folder = scenario["root"] / "output" / str(year)
        manifest = json.loads((folder / GENERATION_FILE).read_text(encoding="utf-8"))
        on_disk = {name.as_posix(): digest for name, digest in _tree(folder).items() if name.name != GENERATION_FILE}
        assert on_disk == manifest["files"]
        recorded = {}
        for step in ("clean", "annex"):
            recorded.update({str(Path(p).relative_to(folder)): h for p, h in record["years"][str(year)][step]["outputs"]
                             .items() if folder in Path(p).parents})
        assert recorded == on_disk
    entries = record["years"]["2023"]
    manifest = json.loads((scenario["root"] / "output" / "2023" / GENERATION_FILE).read_text(encoding="utf-8"))
    assert entries["clean"]["generation"] == manifest["generation"] != entries["annex"]["generation"] != ""
    assert not (scenario["root"] / "output" / "2023" / "failed").exists()


# --- the run record's functions on their own, with fake inputs -------------------------------

@pytest.fixture
def fake_years(tmp_path):
    raw = tmp_path / "raw"
    for year in (2022, 2023):
        (raw / str(year)).mkdir(parents=True)
        (raw / str(year) / "a.xlsx").write_bytes(f"commune a {year}".encode())
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "targets.csv").write_text("id,value\nI.1,100\n", encoding="utf-8")
    return raw, reference


def _inputs(raw, reference, year, code="code v1"):
    return run_record.clean_inputs(year, raw, ("01_clean.ipynb",), {"year": year}, code=code,
                                   reference=run_record.reference_digests(reference))


def test_a_raw_change_changes_only_that_years_inputs(fake_years):
    raw, reference = fake_years
    before = {y: _inputs(raw, reference, y) for y in (2022, 2023)}
    (raw / "2023" / "a.xlsx").write_bytes(b"commune a 2023, corrected")
    after = {y: _inputs(raw, reference, y) for y in (2022, 2023)}
    assert run_record.changed_inputs(before[2022], after[2022]) == []
    assert run_record.changed_inputs(before[2023], after[2023]) == ["raw/2023/a.xlsx"]


def test_reference_and_code_changes_change_every_year(fake_years):
    raw, reference = fake_years
    before = {y: _inputs(raw, reference, y) for y in (2022, 2023)}
    (reference / "targets.csv").write_text("id,value\nI.1,95\n", encoding="utf-8")
    after = {y: _inputs(raw, reference, y, code="code v2") for y in (2022, 2023)}
    for year in (2022, 2023):
        assert run_record.changed_inputs(before[year], after[year]) == ["helpers", "reference/targets.csv"]


def test_copying_or_touching_files_changes_nothing(fake_years, tmp_path):
    raw, reference = fake_years
    before = _inputs(raw, reference, 2023)
    copy = tmp_path / "copy"
    shutil.copytree(raw, copy)                       # new timestamps, same bytes
    assert _inputs(copy, reference, 2023) == before


def test_a_step_is_up_to_date_only_with_its_outputs_intact(tmp_path):
    out = tmp_path / "annex.html"
    out.write_text("phụ lục", encoding="utf-8")
    entry = run_record.new_entry("built", 0.0, 1.0, {"x": "1"}, None, outputs=[out])
    assert run_record.is_up_to_date(entry, {"x": "1"})
    assert not run_record.is_up_to_date(entry, {"x": "2"})
    assert not run_record.is_up_to_date(None, {"x": "1"})
    out.write_text("phụ lục đã sửa tay", encoding="utf-8")
    assert not run_record.is_up_to_date(entry, {"x": "1"})
    out.unlink()
    assert not run_record.is_up_to_date(entry, {"x": "1"})
    failed = run_record.new_entry("failed", 0.0, 1.0, {"x": "1"}, None, notebook="01_clean.ipynb", cell=5,
                                  message="Số liệu năm 2023 có 1 lỗi")
    assert run_record.is_up_to_date(failed, {"x": "1"}) and failed["outputs"] == {}


def test_record_round_trip_and_unreadable_record(tmp_path):
    path = tmp_path / "run.json"
    assert run_record.load_run_record(path) == {"version": run_record.RECORD_VERSION, "years": {}}
    record = run_record.load_run_record(path)
    run_record.set_step_entry(record, 2023, "clean", {"status": "built", "message": "Thiếu số liệu"})
    run_record.save_run_record(path, record)
    assert run_record.step_entry(run_record.load_run_record(path), 2023, "clean")["message"] == "Thiếu số liệu"
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]        # no temporary file left
    path.write_text("{ half a rec", encoding="utf-8")
    assert run_record.load_run_record(path)["years"] == {}
