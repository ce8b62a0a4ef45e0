"""The batch run safely: one run at a time per folder, nothing left running when it is killed, a
year's files replaced as a whole (never a mix of two runs), no old PDF beside a new annex, and
Vietnamese answers to command-line and writing mistakes (issue 16)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from running_processes import running_with_environment

from helpers.paths import PROJECT_ROOT, RAW_DIR
from helpers.run import batch, run_record

MARK = "XHHT_TEST_RUN"          # set in a batch's environment: every process it starts inherits it
LINUX = sys.platform.startswith("linux")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _raw_copy(root: Path, years=(2022, 2023)) -> Path:
    raw = root / "raw"
    for year in years:
        shutil.copytree(RAW_DIR / str(year), raw / str(year))
    return raw


def _command(root: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "helpers.run.batch", "--no-progress", "--raw-dir", str(root / "raw"),
            "--processed-dir", str(root / "processed"), "--output-dir", str(root / "output"), *extra]


def _start(root: Path, *extra: str, mark: str = "", output=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen(_command(root, *extra), cwd=PROJECT_ROOT, stdout=output, stderr=output, text=True,
                            env={**os.environ, MARK: mark or uuid.uuid4().hex})


def _files(folder: Path) -> dict[str, str]:
    """Relative name → SHA-256 of every file of a year folder but its generation file."""
    return {p.relative_to(folder).as_posix(): _sha(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != batch.GENERATION_FILE}


def _generation(folder: Path) -> str:
    """The run that promoted ``folder``, after checking the folder holds exactly the files its
    generation file lists, with those contents: one whole set, not a mix."""
    manifest = json.loads((folder / batch.GENERATION_FILE).read_text(encoding="utf-8"))
    assert _files(folder) == manifest["files"], folder
    return manifest["generation"]


def _agrees_with_run_json(output: Path, years) -> None:
    """run.json records every year's steps as built, and its outputs are the files on disk: the
    year folder holds exactly the recorded files, each with the recorded hash."""
    record = json.loads((output / "run.json").read_text(encoding="utf-8"))
    for year in years:
        folder = output / str(year)
        recorded = {}
        for step in (run_record.CLEAN_STEP, run_record.ANNEX_STEP):
            entry = record["years"][str(year)][step]
            assert entry["status"] == "built", (year, step, entry["message"])
            for path, digest in entry["outputs"].items():
                path = Path(path)
                if folder in path.parents:              # the year's documents, communes/ included
                    recorded[path.relative_to(folder).as_posix()] = digest
                else:                                   # the clean values in the processed folder
                    assert _sha(path) == digest, path
        assert _files(folder) == recorded, year
        assert _generation(folder)


def _kill_leftovers(mark: str) -> None:
    for line in running_with_environment(MARK, mark):
        try:
            os.kill(int(line.split()[0]), signal.SIGKILL)
        except ProcessLookupError:
            pass


# --- 1. one run at a time ---------------------------------------------------------------------

@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_a_second_batch_on_the_same_folders_waits_for_the_first(tmp_path):
    """Two batches started 2 s apart on the same folders: the second says who holds them and
    waits; both end well, no year fails because of the other, and run.json names the files on
    disk. A year asked twice is built once."""
    _raw_copy(tmp_path)
    first_mark, second_mark = uuid.uuid4().hex, uuid.uuid4().hex
    first = _start(tmp_path, "--jobs", "2", "--years", "2023", "2022", "2023", mark=first_mark)
    try:
        time.sleep(2)
        second = _start(tmp_path, "--years", "2022", "2023", mark=second_mark)
        first_out, first_err = first.communicate(timeout=600)
        second_out, second_err = second.communicate(timeout=600)
    finally:
        _kill_leftovers(first_mark)
        _kill_leftovers(second_mark)
    assert first.returncode == 0, first_out + first_err
    assert second.returncode == 0, second_out + second_err
    assert "Lập phụ lục cho các năm: 2022, 2023\n" in first_out
    assert first_out.count("Năm 2023") == 1 and "✗" not in first_out + second_out
    assert f"đang được một lần chạy khác dùng (PID {first.pid}" in second_err, second_err
    assert "Lần chạy kia đã xong" in second_err
    _agrees_with_run_json(tmp_path / "output", (2022, 2023))
    assert not (tmp_path / "output" / run_record.LOCK_NAME).exists()
    assert not (tmp_path / "processed" / run_record.LOCK_NAME).exists()


@pytest.mark.skipif(not LINUX, reason="flock")
def test_a_held_folder_stops_a_run_that_may_not_wait(tmp_path):
    """With --lock-timeout 0 a second run stops at once: exit code 3, a Vietnamese line naming the
    folder and its holder; the holder's lock stays."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom helpers.run import run_record\n"
         "with run_record.hold_trees([sys.argv[1]]):\n    print('held', flush=True)\n    time.sleep(60)\n",
         str(tmp_path / "output")], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        done = subprocess.run(_command(tmp_path, "--years", "2023", "--lock-timeout", "0"), cwd=PROJECT_ROOT,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == batch.EXIT_BUSY, done.stdout + done.stderr
        assert f"Thư mục {tmp_path / 'output'} đang được một lần chạy khác dùng (PID {holder.pid}" in done.stderr
        assert (tmp_path / "output" / run_record.LOCK_NAME).exists()
        # in this process: waiting up to 0.5 s says who holds it, then gives up the same way
        said = []
        with pytest.raises(run_record.TreeUnavailable, match=f"PID {holder.pid}"):
            with run_record.hold_trees([tmp_path / "output"], wait_seconds=0.5, say=said.append):
                pass
        assert len(said) == 1 and "chờ lần chạy đó xong (tối đa 0.5 giây)" in said[0]
    finally:
        holder.kill()
        holder.communicate()
    said = []
    with run_record.hold_trees([tmp_path / "output"], say=said.append):   # its holder is gone: free
        with run_record.hold_trees([tmp_path / "output"], say=said.append):  # held again at once
            pass
    assert any("Tiếp quản khoá cũ" in line and f"PID {holder.pid}" in line for line in said), said
    assert not (tmp_path / "output" / run_record.LOCK_NAME).exists()


# --- 2 and 3. killed outright: nothing left running, every year folder whole -----------------------

@pytest.mark.skipif(not LINUX, reason="reads /proc, parent-death signal")
def test_a_killed_batch_leaves_no_process_and_each_year_folder_whole(tmp_path):
    """A batch rebuilding two built years is killed outright (SIGKILL) just after it replaced the
    first year's files, while the other is being printed or moved: within 5 s none of its
    processes runs (workers, kernels, browser), each year folder is one whole set of files (the
    old run's or the new run's), and the next run takes the dead run's lock over and finishes."""
    _raw_copy(tmp_path)
    output = tmp_path / "output"
    built = subprocess.run(_command(tmp_path, "--jobs", "2"), cwd=PROJECT_ROOT, capture_output=True, text=True,
                           timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    before = {year: _files(output / str(year)) for year in (2022, 2023)}
    annexes = {year: output / str(year) / "03_annex.ipynb" for year in (2022, 2023)}
    first_inodes = {year: path.stat().st_ino for year, path in annexes.items()}

    def replaced() -> list[int]:
        """The years whose annex notebook is no longer the first run's (the run replaced it)."""
        found = []
        for year, path in annexes.items():
            try:
                if path.stat().st_ino != first_inodes[year]:
                    found.append(year)
            except FileNotFoundError:
                found.append(year)
        return found

    mark = uuid.uuid4().hex
    # no pipes: processes that outlive the batch would hold them open
    run = _start(tmp_path, "--jobs", "2", "--force", mark=mark, output=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not replaced() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert run.poll() is None, "the batch ended before it could be killed"
        running = running_with_environment(MARK, mark)
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        killed = time.monotonic()
        while running_with_environment(MARK, mark) and time.monotonic() < killed + 5:
            time.sleep(0.05)
        left = running_with_environment(MARK, mark)
    finally:
        _kill_leftovers(mark)
    assert len(running) >= 5, running            # the batch, its 2 workers and their kernels at least
    assert left == [], f"still running 5 s after the kill: {left}"
    for year in (2022, 2023):              # each year: the first run's files, or one whole set of the second's
        folder = output / str(year)
        _generation(folder)
        assert year in replaced() or _files(folder) == before[year]
    assert replaced()

    again = subprocess.run(_command(tmp_path), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"Tiếp quản khoá cũ {output / run_record.LOCK_NAME} của lần chạy PID {run.pid}" in again.stderr
    assert not (output / batch.STAGING_SUBDIR).exists()
    _agrees_with_run_json(output, (2022, 2023))


_PROMOTER = """
import sys
from pathlib import Path
from helpers.run import batch
output = Path(sys.argv[1])
batch._clear_staging(output)          # what a run does first: the killed run's leftovers go
for turn in range(10_000):
    new = output / batch.STAGING_SUBDIR / f"2023-{turn}"
    new.mkdir(parents=True)
    for name in ("01_clean.ipynb", "03_annex.ipynb", "annex_2023.html", "annex_2023.pdf", "annex_2023.xlsx"):
        (new / name).write_text(f"{sys.argv[2]} {turn} " * 2000)
    batch.promote_year(new, output / "2023", batch.step_names(2023, ("01_clean.ipynb", "03_annex.ipynb"), True),
                       f"{sys.argv[2]}-{turn}")
    if turn == 0:
        print("promoted", flush=True)
"""


@pytest.mark.skipif(not LINUX, reason="SIGKILL at random moments")
def test_a_year_folder_is_replaced_as_a_whole_even_when_killed_while_replacing(tmp_path):
    """A process replacing a year's folder again and again is killed at random moments: the folder
    is always one whole set, each file from the same promotion."""
    import random

    output = tmp_path / "output"
    rng = random.Random(16)
    for attempt in range(12):
        process = subprocess.Popen([sys.executable, "-c", _PROMOTER, str(output), f"run{attempt}"],
                                   cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline() == "promoted\n"
        time.sleep(rng.uniform(0, 0.3))
        process.kill()
        process.communicate()
        folder = output / "2023"
        generation = _generation(folder)
        contents = {p.read_text().split(" ", 2)[:2] == generation.split("-") for p in folder.iterdir()
                    if p.name != batch.GENERATION_FILE}
        assert contents == {True}, (attempt, generation)
        assert len(_files(folder)) == 5


# --- 4. no old PDF beside a new annex ---------------------------------------------------------------

@pytest.mark.skipif(not LINUX, reason="a shell script stands for a failing browser")
def test_without_a_pdf_the_old_pdf_does_not_stay_beside_the_new_annex(tmp_path, monkeypatch, capsys):
    """The annex is built with its PDF; rebuilt without a browser, and then with a browser that
    fails, the new HTML and Excel copy never sit beside the previous PDF: it is removed, and the
    summary says so in Vietnamese."""
    _raw_copy(tmp_path, (2023,))
    arguments = ["--years", "2023", "--no-progress", "--raw-dir", str(tmp_path / "raw"),
                 "--processed-dir", str(tmp_path / "processed"), "--output-dir", str(tmp_path / "output")]
    folder = tmp_path / "output" / "2023"
    assert batch.main(arguments) == 0
    assert (folder / "annex_2023.pdf").is_file()
    old_pdf = (folder / "annex_2023.pdf").read_bytes()
    capsys.readouterr()

    monkeypatch.setenv("XHHT_BROWSER", str(tmp_path / "no-such-browser"))
    assert batch.main([*arguments, "--force"]) == 0
    printed = capsys.readouterr().out
    assert not (folder / "annex_2023.pdf").exists() and not (folder / "annex_2023_page1.png").exists()
    assert (folder / "annex_2023.html").is_file() and (folder / "annex_2023.xlsx").is_file()
    assert "PDF: Không tìm thấy trình duyệt" in printed
    assert f"Đã xoá PDF cũ {folder / 'annex_2023.pdf'}: nó được in từ phụ lục lần trước" in printed
    _agrees_with_run_json(tmp_path / "output", (2023,))

    failing = tmp_path / "failing-browser"
    failing.write_text("#!/bin/sh\necho 'hỏng' >&2\nexit 3\n", encoding="utf-8")
    failing.chmod(0o755)
    monkeypatch.setenv("XHHT_BROWSER", str(failing))
    (folder / "annex_2023.pdf").write_bytes(old_pdf)          # an old PDF again, as after a run with a browser
    assert batch.main([*arguments, "--force"]) == 0
    printed = capsys.readouterr().out
    assert "PDF: lỗi — trình duyệt báo lỗi (mã 3)" in printed and "Đã xoá PDF cũ" in printed
    assert not (folder / "annex_2023.pdf").exists()
    _agrees_with_run_json(tmp_path / "output", (2023,))


# --- 5. Vietnamese answers: command line, writing ----------------------------------------------------

ENGLISH = ("usage", "error", "invalid", "argument", "unrecognized", "expected", "options", "show this help")


@pytest.mark.parametrize("arguments, words", [
    (["--years", "abc"], ["tham số --years: 'abc' không phải là một năm"]),
    (["--fast"], ["không hiểu tham số: --fast"]),
    (["--jobs", "0"], ["tham số --jobs: '0' không phải là một số nguyên dương"]),
    (["--lock-timeout"], ["tham số --lock-timeout: cần đúng một giá trị"]),
    (["--lock-timeout", "-1"], ["không phải là một số giây"]),
])
def test_command_line_mistakes_are_answered_in_vietnamese(arguments, words):
    done = subprocess.run([sys.executable, "-m", "helpers.run.batch", *arguments], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("cách dùng: python -m helpers.run.batch [-h] [--entity ĐƠN_VỊ]")
    assert "python -m helpers.run.batch: lỗi: " in done.stderr
    for word in words:
        assert word in done.stderr, done.stderr
    assert not [w for w in ENGLISH if w in done.stderr.lower()], done.stderr


def test_the_help_is_vietnamese():
    done = subprocess.run([sys.executable, "-m", "helpers.run.batch", "--help"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for words in ("cách dùng:", "tuỳ chọn:", "hiện hướng dẫn này rồi thoát", "--lock-timeout GIÂY", "Mã thoát"):
        assert words in done.stdout, done.stdout
    assert not [w for w in ("usage:", "options:", "show this help") if w in done.stdout]


def _read_only(folder: Path) -> bool:
    """Make ``folder`` unwritable, also for root (immutable, ext4 …); False where that cannot be done."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return True
    return subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0


@pytest.mark.skipif(not LINUX, reason="chattr / chmod")
def test_an_output_folder_that_cannot_be_written_fails_its_year_alone_in_vietnamese(tmp_path):
    """output/2022 is a file, output/2023 a read-only folder: each of these years fails with one
    Vietnamese line naming its folder, leaving what is there untouched; 2024 is built; the
    failures are not recorded as the data's fault (they run again next time)."""
    _raw_copy(tmp_path, (2022, 2023, 2024))
    output = tmp_path / "output"
    output.mkdir()
    (output / "2022").write_text("không phải thư mục", encoding="utf-8")
    (output / "2023").mkdir()
    (output / "2023" / "ghi_chu.txt").write_text("của người dùng", encoding="utf-8")
    if not _read_only(output / "2023"):
        pytest.skip("no way to make a read-only folder here")
    try:
        results = {r.year: r for r in batch.build_annexes([2022, 2023, 2024], raw_dir=tmp_path / "raw",
                                                          processed_dir=tmp_path / "processed",
                                                          output_dir=output, jobs=2)}
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(output / "2023")], check=True)
        else:
            (output / "2023").chmod(0o755)
    assert results[2024].status == "built", results[2024].message
    assert results[2022].status == results[2023].status == "failed"
    assert results[2022].message == (f"Không ghi được kết quả: {output / '2022'} là một tệp chứ không "
                                     "phải thư mục; hãy xoá hoặc đổi tên tệp đó rồi chạy lại.")
    assert results[2023].message.startswith(f"Không ghi được kết quả vào thư mục {output / '2023'}: ")
    for result in (results[2022], results[2023]):
        assert result.headline.startswith(f"Năm {result.year}: Không ghi được kết quả")
        assert not [w for w in ("Error", "Errno", "denied", "Traceback") if w in result.message], result.message
    assert (output / "2022").read_text(encoding="utf-8") == "không phải thư mục"
    assert [p.name for p in (output / "2023").iterdir()] == ["ghi_chu.txt"]
    record = json.loads((output / "run.json").read_text(encoding="utf-8"))
    for year in ("2022", "2023"):     # not recorded as built; a failure recorded with no inputs: it runs again
        entries = record["years"].get(year, {}).values()
        assert all(entry["status"] == "failed" and entry["inputs"] == {} for entry in entries), entries
