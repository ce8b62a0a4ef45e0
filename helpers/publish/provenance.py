"""Where the annex's numbers come from: data files with short checksums, the run's parameters in
Vietnamese, the code version, the time in Vietnam. No machine path: a folder inside the project is
named relative to it, one outside by its own name only."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

import helpers
from helpers.paths import PROJECT_ROOT, resolve_project_path
from helpers.reference import ReportingYear

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
HASH_SHOWN = 12   # leading hex digits of a SHA-256 shown to readers (the run record keeps all 64)


def code_version() -> str:
    """The package version and, when the project is a git checkout, its commit."""
    try:
        commit = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(PROJECT_ROOT), "status", "--porcelain", "--",
                                "helpers", "notebooks", "reference"],
                               capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return helpers.__version__
    return f"{helpers.__version__} ({commit}{', có thay đổi chưa commit' if dirty else ''})"


def shown_folder(folder: str | Path, outside: str) -> str:
    """A folder as a reader may see it: relative to the project, or only its name (``outside``)."""
    path = resolve_project_path(folder).resolve()
    try:
        return path.relative_to(PROJECT_ROOT.resolve()).as_posix() or "."
    except ValueError:
        return outside.format(name=path.name)


def vietnam_time(moment: dt.datetime | None = None) -> str:
    """``moment`` (default: now) in Vietnam time, "05/12/2026 16:53 (giờ Việt Nam)"."""
    moment = (moment or dt.datetime.now(dt.UTC)).astimezone(VIETNAM)
    return moment.strftime("%d/%m/%Y %H:%M") + " (giờ Việt Nam)"


def provenance_table(files: pd.DataFrame, ctx: ReportingYear, *, raw_dir: str | Path,
                     processed_dir: str | Path) -> pd.DataFrame:
    """Rows of the provenance section: each data file with its short checksum, then the run's facts."""
    words = ctx.ref.wording["provenance"]
    levels = ctx.ref.target_levels.set_index("level")["label"]
    rows = [{"item": words["file"].format(file=f.file),
             "detail": words["checksum"].format(digits=HASH_SHOWN, hash=str(f.sha256)[:HASH_SHOWN])}
            for f in files.itertuples()]
    rows += [
        {"item": words["year"], "detail": str(ctx.year)},
        {"item": words["target_level"], "detail": levels.get(ctx.target_level, ctx.target_level)},
        {"item": words["target_year"], "detail": str(ctx.target_year)},
        {"item": words["raw_dir"], "detail": shown_folder(raw_dir, words["outside"])},
        {"item": words["processed_dir"], "detail": shown_folder(processed_dir, words["outside"])},
        {"item": words["code"], "detail": code_version()},
        {"item": words["made"], "detail": vietnam_time()},
    ]
    return pd.DataFrame(rows, columns=["item", "detail"])
