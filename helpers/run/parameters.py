"""Checks run right after each notebook's ``parameters`` cell: fail early, with a sentence."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.errors import WorkbookError
from helpers.ingest.submissions import SUBMISSION_SUFFIXES, has_submission_files
from helpers.paths import DEFAULT_ENTITY, entity_dirs, resolve_project_path
from helpers.reference import Entity, Reference, ReportingYear

TARGET_LEVELS = ("national", "province", "district")


def _as_year(year: object) -> int:
    """The reporting year as an int ("2025" too), or a WorkbookError."""
    if isinstance(year, bool) or not isinstance(year, int):
        if isinstance(year, str) and year.strip().isdigit():
            return int(year.strip())
        raise WorkbookError(f"Tham số year phải là một năm (số nguyên), không phải “{year}”.")
    return year


def check_year(year: object, entity: Entity) -> int:
    """The reporting year as an int within the configured range, or a WorkbookError."""
    year = _as_year(year)
    if not entity.first_year <= year <= entity.last_year:
        raise WorkbookError(
            f"Năm báo cáo {year} nằm ngoài khoảng {entity.first_year}-{entity.last_year} "
            f"đã cấu hình cho {entity.name} (reference/entities/{entity.key}.toml)."
        )
    return year


def check_target_level(level: object, targets: pd.DataFrame) -> str:
    """The target level (national, province, district) that the annex compares with."""
    if level not in TARGET_LEVELS:
        raise WorkbookError(
            f"Tham số target_level = “{level}” không hợp lệ; chọn một trong: {', '.join(TARGET_LEVELS)}."
        )
    if not (targets["level"] == level).any():
        raise WorkbookError(f"reference/targets.csv chưa có mục tiêu nào ở cấp “{level}”.")
    return str(level)


def check_raw_year_dir(raw_dir: object, year: int) -> Path:
    """The folder of a year's submissions; it must exist and hold at least one workbook."""
    if not isinstance(raw_dir, str | Path):
        raise WorkbookError(f"Tham số raw_dir phải là đường dẫn thư mục, không phải “{raw_dir}”.")
    year_dir = resolve_project_path(raw_dir) / str(year)
    if not year_dir.is_dir():
        raise WorkbookError(f"Không có thư mục số liệu năm {year}: {year_dir}.")
    if not has_submission_files(year_dir):
        suffixes = ", ".join(SUBMISSION_SUFFIXES)
        raise WorkbookError(f"Thư mục {year_dir} không có tệp số liệu ({suffixes}) nào của năm {year}.")
    return year_dir


def check_processed_dir(processed_dir: object, entity: str = DEFAULT_ENTITY) -> Path:
    """The folder of processed data (created when missing); blank: the entity's own
    (``data/processed`` for the default entity, ``data/processed/<entity>`` for another), so an
    analyst who changes only the entity in JupyterLab never writes over another entity's data."""
    if not isinstance(processed_dir, str | Path):
        raise WorkbookError(f"Tham số processed_dir phải là đường dẫn thư mục, không phải “{processed_dir}”.")
    if not str(processed_dir).strip():
        processed_dir = entity_dirs(str(entity))[0]
    path = resolve_project_path(processed_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_entity_exists(ref: Reference, year: int) -> None:
    """A WorkbookError naming when the reporting entity ended and who took it over, when it no
    longer existed on 31/12 of ``year`` (the districts ended on 30/6/2025)."""
    ended = ref.successors_of(ref.entity.code, year)
    if ended is None:
        return
    old = ended.unit
    raise WorkbookError(
        f"{old['type'].capitalize()} {old['name']} (mã {old['code']}) không còn từ {ended.start} (sắp xếp đơn vị "
        f"hành chính): năm {year} không còn phường, xã nào thuộc đơn vị này. Các phường, xã kế thừa: "
        f"{ended.names or 'không rõ'}; hãy lập phụ lục năm này cho tỉnh, thành phố hoặc cho từng phường, xã kế thừa.")


def reporting_year(ref: Reference, year: object, target_level: object = "province") -> ReportingYear:
    """The checked context of a reporting year (year in the entity's range, the entity still
    existing that year, a known target level)."""
    year = _as_year(year)
    check_entity_exists(ref, year)    # a year after the entity ended: say who took over, before the range
    checked = check_year(year, ref.entity)
    return ref.for_year(checked, check_target_level(target_level, ref.targets))
