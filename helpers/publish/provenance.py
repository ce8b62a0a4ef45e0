"""Where the annex's numbers come from: data files with checksums, parameters, code version."""

from __future__ import annotations

import datetime as dt
import subprocess

import pandas as pd

import helpers
from helpers.paths import PROJECT_ROOT


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


def provenance_table(files: pd.DataFrame, parameters: dict[str, object]) -> pd.DataFrame:
    """Rows of the provenance section: each data file with its SHA-256, then the run's facts."""
    rows = [{"item": f"Tệp số liệu: {f.file}", "detail": f"SHA-256 {f.sha256}"} for f in files.itertuples()]
    rows += [{"item": f"Tham số {k}", "detail": str(v)} for k, v in parameters.items()]
    rows.append({"item": "Phiên bản mã nguồn", "detail": code_version()})
    rows.append({"item": "Thời điểm lập", "detail": dt.datetime.now().astimezone().strftime("%d/%m/%Y %H:%M %Z")})
    return pd.DataFrame(rows, columns=["item", "detail"])
