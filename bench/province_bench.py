"""Part 5 of ``make bench``: province-size runs, every document of every year (annex and analysis
HTML/PDF, Excel copy, a feedback sheet per commune), timed per year by the batch's run record.

(a) thành phố Huế from the bundled data (``reference/entities/hue.toml``: 133 communes a year in
    2021-2024, 40 in 2025-2026);
(b) a generated province of 166 communes, the size of the largest provinces after the 2025 merger,
    for 2025-2026: a copy of ``reference/`` whose unit list gains the province and its communes and
    whose ``entities/`` gains its file, used by the whole run through ``XHHT_REFERENCE_DIR``; its
    workbooks are stamped by ``helpers.samples.synthetic``.

    .venv/bin/python bench/province_bench.py         (also run by bench/run_bench.py)
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from helpers.paths import RAW_DIR, REFERENCE_DIR  # noqa: E402
from helpers.samples.synthetic import ENTITY_CODE, write_country  # noqa: E402

PYTHON = sys.executable
GENERATED_COMMUNES = 166
GENERATED_YEARS = (2025, 2026)
GENERATED_ENTITY = "tinh_mau"


def _batch(entity: str, raw: Path, work: Path, env: dict) -> tuple[float, dict, str]:
    """``python -m helpers.run.batch --entity … --force`` into ``work``; wall time, run record, tail."""
    started = time.perf_counter()
    done = subprocess.run([PYTHON, "-m", "helpers.run.batch", "--no-progress", "--force", "--entity", entity,
                           "--raw-dir", str(raw), "--processed-dir", str(work / "processed"),
                           "--output-dir", str(work / "output")],
                          env=env, cwd=PROJECT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    record_path = work / "output" / "run.json"
    record = json.loads(record_path.read_text(encoding="utf-8")) if record_path.is_file() else {"years": {}}
    tail = "" if done.returncode == 0 else f"batch exited {done.returncode}: {done.stdout[-800:]}{done.stderr[-800:]}"
    return seconds, record, tail


def _per_year(record: dict) -> dict[str, float]:
    """Seconds of each year's steps (cleaning, indicators and every document) from the run record."""
    return {year: sum(step.get("seconds", 0.0) for step in steps.values())
            for year, steps in sorted(record.get("years", {}).items())}


def _documents(output: Path, year: str) -> int:
    folder = output / year
    return sum(1 for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def _report(name: str, seconds: float, record: dict, output: Path, tail: str) -> None:
    years = _per_year(record)
    print(f"   {name}: {seconds:.1f} s for {len(years)} years; per year "
          + ", ".join(f"{y} {s:.1f} s ({_documents(output, y)} files)" for y, s in years.items()))
    if years:
        print(f"      median per year {statistics.median(years.values()):.1f} s")
    if tail:
        print("      " + tail.replace("\n", "\n      "))


def _generated_reference(folder: Path) -> Path:
    """A copy of reference/ with the generated province: its row and its communes in the unit
    list (valid from 1/7/2025) and its entity file."""
    reference = folder / "reference"
    shutil.copytree(REFERENCE_DIR, reference)
    units = write_country(folder / "raw", GENERATED_COMMUNES, years=GENERATED_YEARS)
    lines = [f'{ENTITY_CODE},Mẫu,tỉnh,province,,{ENTITY_CODE},2025-07-01,,,,true,bench\n']
    lines += [f"{u.code},{u.name},{u.type},commune,{ENTITY_CODE},{ENTITY_CODE},2025-07-01,,,,true,bench\n"
              for u in units.itertuples(index=False)]
    with (reference / "units_vietnam.csv").open("a", encoding="utf-8") as handle:
        handle.writelines(lines)
    (reference / "entities" / f"{GENERATED_ENTITY}.toml").write_text(
        '[entity]\nlevel = "province"\n'
        f'code = "{ENTITY_CODE}"\nname = "tỉnh Mẫu"\nissuing_body = "UBND TỈNH MẪU"\n'
        'issuing_body_short = "Sở Giáo dục và Đào tạo tỉnh Mẫu"\nplace = "Mẫu"\n'
        f"first_year = {GENERATED_YEARS[0]}\nlast_year = 2030\n\n"
        '[annex]\ntitle = "BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC MỤC TIÊU CỦA ĐỀ ÁN"\n', encoding="utf-8")
    return reference


def run(env: dict) -> None:
    print("5. Province-size runs, every document of every year (python -m helpers.run.batch --entity … --force)")
    with tempfile.TemporaryDirectory(prefix="xhht-bench-province-") as tmp:
        tmp = Path(tmp)
        raw = tmp / "hue-raw"
        shutil.copytree(RAW_DIR, raw, ignore=shutil.ignore_patterns("README.md"))
        seconds, record, tail = _batch("hue", raw, tmp / "hue", env)
        _report("(a) thành phố Huế, 2021-2026 (133 → 40 communes)", seconds, record, tmp / "hue" / "output", tail)
        generated = tmp / "generated"
        reference = _generated_reference(generated)
        seconds, record, tail = _batch(GENERATED_ENTITY, generated / "raw", generated / "work",
                                       {**env, "XHHT_REFERENCE_DIR": str(reference)})
        _report(f"(b) generated province, {GENERATED_COMMUNES} communes, "
                f"{GENERATED_YEARS[0]}-{GENERATED_YEARS[-1]}", seconds, record, generated / "work" / "output", tail)


if __name__ == "__main__":
    run(dict(os.environ))
