"""The batch: every sample year builds; bad input stops only its own year, with one sentence."""

from __future__ import annotations

import hashlib
import shutil
import sys

import pytest
from openpyxl import load_workbook
from running_processes import running_in_group, running_with_environment

from helpers.paths import PROJECT_ROOT, RAW_DIR
from helpers.publish.pdf import BrowserSession
from helpers.run.batch import build_annexes, discover_years, entity_years, main


def test_every_sample_year_is_built(sample_build):
    assert sorted(sample_build["results"]) == [2021, 2022, 2023, 2024]
    for year, result in sample_build["results"].items():
        assert result.status == "built", result.headline + "\n" + result.message
        folder = sample_build["output"] / str(year)
        names = {p.name for p in folder.iterdir()}
        assert {"01_clean.ipynb", "02_indicators.ipynb", "03_annex.ipynb", f"annex_{year}.html"} <= names
        assert not (folder / "failed").exists()
    assert not any((sample_build["output"] / ".staging").glob("*"))


def test_discover_years_lists_year_folders_only(sample_build):
    """Every year folder of the raw folder (2025 and 2026 hold thành phố Huế's forms); the default
    entity, the thị xã (2021-2024), builds its own years only."""
    assert discover_years(sample_build["raw"]) == [2021, 2022, 2023, 2024, 2025, 2026]
    assert entity_years(sample_build["raw"]) == ([2021, 2022, 2023, 2024], [2025, 2026])
    assert not (sample_build["output"] / "2025").exists() and not (sample_build["processed"] / "2025").exists()


HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def _hashes(folder):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _set_cell(path, field, value=None, *, label=None):
    """Change the value of a field row (or of a header label's cell) in a data-entry workbook."""
    book = load_workbook(path)
    sheet = book.active
    for row in sheet.iter_rows():
        if label is not None and row[0].value == label:
            row[2].value = value
        if label is None and row[1].value == field:
            row[4].value = value
    book.save(path)


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory):
    """A raw folder where most years are broken in one way each, and 2024 is fine.

    2023 is first built while good, then broken, so the rebuild must keep the good annex.
    """
    root = tmp_path_factory.mktemp("bad")
    raw = root / "raw"
    for year in (2021, 2022, 2023, 2024):
        shutil.copytree(RAW_DIR / str(year), raw / str(year))
    dirs = dict(raw_dir=raw, processed_dir=root / "processed", output_dir=root / "output")
    first = build_annexes([2023], **dirs)
    assert first[0].status == "built", first[0].message
    good_annex = (root / "output" / "2023" / "annex_2023.html").read_bytes()
    good_values = (root / "processed" / "2023" / "values.csv").read_bytes()

    for path in (raw / "2021").iterdir():            # 2021: empty folder
        if path.is_file():
            path.unlink()
    shutil.rmtree(raw / "2021" / "declared", ignore_errors=True)
    _set_cell(raw / "2022" / "20026_huong_binh.xlsx", None, "99999",      # 2022: unknown commune code
              label="Mã đơn vị hành chính (mã thống kê):")
    _set_cell(raw / "2023" / "19996_tu_ha.xlsx", "life_skills", None)       # 2023: required field blank
    _set_cell(raw / "2023" / "20035_binh_tien.xlsx", "cltc_it", "Đạt")      # 2023: words in a count
    shutil.copytree(RAW_DIR / "2024", raw / "2019")                         # 2019: outside 2021-2030
    _set_cell(raw / "2024" / "20041_binh_thanh.xlsx", None, HOSTILE,        # 2024: builds, with a warning
              label="Đơn vị (xã, phường):")
    raw_before = _hashes(raw)
    results = build_annexes([2019, 2021, 2022, 2023, 2024, 2025], **dirs)
    return {"root": root, "raw": raw, "results": {r.year: r for r in results}, "good_annex": good_annex,
            "good_values": good_values, "raw_before": raw_before}


def test_a_failing_year_does_not_stop_the_others(bad_build):
    statuses = {y: r.status for y, r in bad_build["results"].items()}
    assert statuses == {2019: "failed", 2021: "failed", 2022: "failed", 2023: "failed",
                        2024: "built", 2025: "failed"}
    assert (bad_build["root"] / "output" / "2024" / "annex_2024.html").exists()


@pytest.mark.parametrize("year, words", [
    (2019, ["Năm báo cáo 2019", "2021-2024"]),
    (2021, ["không có tệp số liệu", "2021"]),
    (2022, ["99999", "20026_huong_binh.xlsx", "không phải là mã phường, xã nào"]),
    (2023, ["19996_tu_ha.xlsx", "Số người trong độ tuổi lao động được trang bị kỹ năng sống",
            "20035_binh_tien.xlsx", "Số trung tâm học tập cộng đồng ứng dụng CNTT", "ô không chứa số", "2 lỗi"]),
    (2025, ["Thị xã Hương Trà (mã 480) không còn từ 01/07/2025", "Phường Hương Trà (19996)"]),
])
def test_bad_input_gets_one_clear_vietnamese_message(bad_build, year, words):
    result = bad_build["results"][year]
    assert result.notebook == "01_clean.ipynb"
    assert result.cell is not None
    assert "Traceback" not in result.message
    for word in words:
        assert word in result.message, result.message
    assert result.headline.startswith(f"Năm {year} · 01_clean.ipynb · ô ")


def test_failed_notebook_is_kept_and_good_annex_is_not_replaced(bad_build):
    out = bad_build["root"] / "output" / "2023"
    assert (out / "failed" / "01_clean.ipynb").exists()
    assert (out / "annex_2023.html").read_bytes() == bad_build["good_annex"]
    processed = bad_build["root"] / "processed" / "2023"
    assert (processed / "values.csv").read_bytes() == bad_build["good_values"]
    assert "Số người trong độ tuổi lao động được trang bị kỹ năng sống" in (processed / "problems.csv").read_text(
        encoding="utf-8-sig")          # the field by its label, not its code


def test_raw_files_are_never_modified(bad_build):
    assert _hashes(bad_build["raw"]) == bad_build["raw_before"]


def test_wrong_parameter_type_is_reported(tmp_path):
    from helpers.run.batch import run_steps

    result = run_steps("năm 2023", ("01_clean.ipynb",), raw_dir=RAW_DIR, processed_dir=tmp_path / "p",
                       output_dir=tmp_path / "o", target_level="province", kernel_name="xhht", render=False)
    assert result.status == "failed"
    assert "phải là một năm" in result.message


def test_cli_exit_code_is_non_zero_when_a_year_fails(bad_build, capsys):
    code = main(["--years", "2019", "--raw-dir", str(bad_build["raw"]),
                 "--processed-dir", str(bad_build["root"] / "processed"),
                 "--output-dir", str(bad_build["root"] / "output")])
    printed = capsys.readouterr().out
    assert code == 1
    assert "✗ Năm 2019 · 01_clean.ipynb" in printed


def test_strings_from_data_files_are_escaped_in_the_annex(bad_build):
    for document in ("annex", "analysis"):
        html = (bad_build["root"] / "output" / "2024" / f"{document}_2024.html").read_text(encoding="utf-8")
        assert "<script>alert(1)" not in html and "<img src=x" not in html
    # the unit name as typed reaches the analysis report's quality list, escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Cảnh báo" in html and "mã 20041 (Xã Bình Thành)" in html


def test_workers_skip_the_iri_grammar_import_and_still_validate_notebooks():
    """A batch worker never compiles rfc3987_syntax's grammars (1-2 s per process), and nbformat
    still validates the project's notebooks there."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from helpers.run.batch import _init_worker\n"
            "_init_worker()\n"
            "import nbformat, papermill, nbconvert\n"
            "for name in ('01_clean', '02_indicators', '03_annex'):\n"
            "    nbformat.validate(nbformat.read(f'notebooks/{name}.ipynb', as_version=4))\n"
            "print(sys.modules['rfc3987_syntax'] is None, 'lark' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    assert done.stdout.split() == ["True", "False"], done.stderr


@pytest.mark.skipif(not BrowserSession.supported, reason="the batch keeps browsers only on POSIX")
def test_without_a_shared_print_connection_the_batch_prints_page_by_page(monkeypatch, caplog):
    """If the local connection cannot be opened, the batch still runs: each PDF is printed by a
    browser started for it (helpers.publish.pdf.print_annex_pdf without a session)."""
    import sys
    from pathlib import Path

    from helpers.publish import pdf
    from helpers.run import batch

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/tmp/pymp-x/listener-y")

    monkeypatch.setattr(pdf, "find_browser", lambda *a, **k: Path(sys.executable))
    monkeypatch.setattr(pdf, "PrintService", refused)
    assert batch._print_service(2) is None
    assert "Không mở được kết nối in PDF dùng chung" in caplog.text and "Permission denied" in caplog.text
    monkeypatch.setattr(pdf, "PrintService", lambda session, browsers: ("service", session.browser, browsers))
    assert batch._print_service(4) == ("service", Path(sys.executable), 2)    # one browser per two workers
    assert batch._print_service(1)[2] == 1 and batch._print_service(3)[2] == 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sends SIGINT to a process group, reads /proc")
def test_ctrl_c_stops_cleanly_and_the_next_run_finishes_the_rest(tmp_path):
    """Ctrl-C in the terminal (SIGINT to the whole process group) during the annex phase: the batch
    exits 130 with a Vietnamese line, every year folder is whole or untouched, nothing is left
    running, and the next run (without --force) builds what was not finished."""
    import json
    import os
    import signal
    import subprocess
    import time

    raw = tmp_path / "raw"
    for year in (2022, 2023, 2024):
        shutil.copytree(RAW_DIR / str(year), raw / str(year))
    out = tmp_path / "output"
    command = [sys.executable, "-m", "helpers.run.batch", "--no-progress", "--jobs", "2", "--raw-dir", str(raw),
               "--processed-dir", str(tmp_path / "processed"), "--output-dir", str(out)]
    mark = f"ctrl-c-{os.getpid()}-{time.time()}"      # in the environment of every process the batch starts
    # the batch as started from a terminal: Ctrl-C raises KeyboardInterrupt. (A test run started in the
    # background of a script inherits SIGINT ignored, and so would the batch.)
    run = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
                           env={**os.environ, "XHHT_TEST_RUN": mark})
    deadline = time.monotonic() + 240
    while not list((out / ".staging").glob("*-02")) and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.05)                                  # wait for an indicators + annex step to start
    assert run.poll() is None, run.communicate()
    os.killpg(run.pid, signal.SIGINT)
    stdout, stderr = run.communicate(timeout=240)
    assert run.returncode == 130, (stdout, stderr)
    assert "Đã dừng (Ctrl-C)" in stderr

    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    whole = {"annex_{y}.html", "annex_{y}.pdf", "annex_{y}.xlsx", "02_indicators.ipynb", "03_annex.ipynb"}
    built = []
    for year in (2022, 2023, 2024):
        names = {p.name for p in (out / str(year)).iterdir()} if (out / str(year)).is_dir() else set()
        expected = {n.format(y=year) for n in whole}
        assert expected <= names or not names & expected, (year, names)      # whole, or no annex file at all
        annex = record["years"].get(str(year), {}).get("annex", {})
        if annex.get("status") == "built":
            assert expected <= names
            built.append(year)
    assert not [p for p in (out / ".staging").glob("*") if p.is_dir() and any(p.iterdir())]
    time.sleep(1)                                         # nothing left running: workers, kernels, browser
    assert running_in_group(run.pid) == []
    assert running_with_environment("XHHT_TEST_RUN", mark) == []     # nor its kernels and browser (own groups)

    again = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout[-2000:]
    for year in (2022, 2023, 2024):
        assert {n.format(y=year) for n in whole} <= {p.name for p in (out / str(year)).iterdir()}
    assert len(built) < 3            # the interruption did stop something
