"""Where the project's folders are."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# XHHT_REFERENCE_DIR: another reference folder for a whole run, kernels included (the bench's
# generated province has its own unit list and entity file); unset in normal use.
REFERENCE_DIR = Path(os.environ.get("XHHT_REFERENCE_DIR") or PROJECT_ROOT / "reference")
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
RAW_DIR = PROJECT_ROOT / "data" / "raw"
PROCESSED_DIR = PROJECT_ROOT / "data" / "processed"
OUTPUT_DIR = PROJECT_ROOT / "output"
DECLARED_SUBDIR = "declared"


def resolve_project_path(path: str | Path) -> Path:
    """Return ``path`` as an absolute path; relative paths are taken from the project root."""
    path = Path(path)
    return path if path.is_absolute() else PROJECT_ROOT / path

ENTITIES_DIR = REFERENCE_DIR / "entities"
DEFAULT_ENTITY = "huong_tra"     # reference/entities/huong_tra.toml: the seed's thị xã


def entity_dirs(entity: str = DEFAULT_ENTITY) -> tuple[Path, Path]:
    """The processed-data and output folders of an entity: ``data/processed`` and ``output``
    themselves for the default entity (where they have always been), ``data/processed/<entity>``
    and ``output/<entity>`` for any other, so each entity's files and run record are kept apart.
    The raw folder is shared: a year's folder holds what the communes sent, and the entity
    chooses which units it adds up."""
    if entity == DEFAULT_ENTITY:
        return PROCESSED_DIR, OUTPUT_DIR
    return PROCESSED_DIR / entity, OUTPUT_DIR / entity
