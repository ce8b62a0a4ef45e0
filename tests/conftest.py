"""Shared fixtures: a hermetic Jupyter environment and one batch build of the sample years."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from helpers.paths import RAW_DIR


@pytest.fixture(scope="session", autouse=True)
def hermetic_jupyter(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep Jupyter, IPython and matplotlib away from the user's home folder."""
    home = tmp_path_factory.mktemp("home")
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                 "MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        os.environ[name] = str(home / name.lower())


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory):
    """Every sample year built through the batch API into temporary folders."""
    from helpers.run import batch

    root = tmp_path_factory.mktemp("build")
    raw = root / "raw"
    shutil.copytree(RAW_DIR, raw, ignore=shutil.ignore_patterns("README.md"))
    services, make_service = [], batch._print_service      # kept to check how the PDFs were printed

    def recorded_service(*args):
        services.append(make_service(*args))
        return services[-1]

    batch._print_service = recorded_service
    try:
        results = batch.build_annexes(raw_dir=raw, processed_dir=root / "processed", output_dir=root / "output")
    finally:
        batch._print_service = make_service
    return {"root": root, "raw": raw, "processed": root / "processed", "output": root / "output",
            "results": {r.year: r for r in results}, "print_services": services}


def output_file(build: dict, year: int, name: str) -> Path:
    return build["output"] / str(year) / name


@pytest.fixture(scope="session")
def catalogue():
    """The indicator catalogue (reference/indicators.csv)."""
    from helpers.reference import load_indicators

    return load_indicators()


@pytest.fixture(scope="session")
def rules():
    """Nghị định 20/2014 standards and their criteria."""
    from helpers.reference import load_standards

    return load_standards()


@pytest.fixture(scope="session")
def targets():
    """The targets table (reference/targets.csv)."""
    from helpers.reference import load_targets

    return load_targets()


@pytest.fixture(scope="session")
def fields():
    """The data-entry fields (reference/fields.csv)."""
    from helpers.reference import load_fields

    return load_fields()
