"""The rules every number of the annex follows, each written once.

- :func:`select_targets`: which target an indicator is compared with (level, target year, and the
  fallback levels of ``reference/target_levels.csv``);
- :func:`status_of` / :func:`statuses_of`: "Đạt" or "Chưa đạt", on the exact value and in the
  indicator's ``direction``. The annex *shows* values rounded to the indicator's decimals but
  *decides* on the unrounded value: 49,5 % against a 50 % target is "Chưa đạt" even though it
  prints as "50" with no decimals;
- :func:`standard_chain`: a Nghị định 20/2014 standard and every standard it requires, in file order;
- :func:`share_status`: whether the entity meets a standard from the share of its communes that
  meet it, decided even when some communes have no data if their answers cannot change it;
- :func:`target_year_of`: the target year of a reporting year (the end of its phase);
- :func:`projects`: whether a year is projected to its target year (not once it has reached it).

Nothing here reads files: the rules take the reference tables they need.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STATUS_MET = "Đạt"
STATUS_NOT_MET = "Chưa đạt"
STATUS_NOT_APPLICABLE = "Không áp dụng"
STATUS_MISSING = "Thiếu số liệu"
STATUS_NO_TARGET = "Chưa có mục tiêu"

TARGET_COLUMNS = ["value", "level", "plan", "verified", "source"]


def select_targets(targets: pd.DataFrame, target_levels: pd.DataFrame, *, level: str,
                   target_year: int, areas: list[str] | None = None, entity_level: str | None = None) -> pd.DataFrame:
    """The target of each indicator for an annex compared with ``level`` in ``target_year``.

    Indexed by indicator id, columns ``TARGET_COLUMNS``: the target of ``level`` where it has one,
    else the first of the level's fallback levels that has one (``level`` then says which). An
    indicator with no target at any of these levels is absent. With ``areas`` (the entity and the
    units above it), only the plans of those units and national ones count; with
    ``entity_level``, only targets that apply to an entity of that level (column ``applies_to``).
    """
    fallback = target_levels.set_index("level")["fallback"].get(level, "")
    order = [level, *filter(None, str(fallback).split("+"))]
    rank = {name: i for i, name in enumerate(order)}
    keep = (targets["target_year"] == target_year) & targets["level"].isin(order)
    if areas is not None and "area_code" in targets:
        keep &= targets["area_code"].eq("") | targets["area_code"].isin(areas)
    if entity_level is not None and "applies_to" in targets:
        keep &= targets["applies_to"].eq("") | targets["applies_to"].str.split("+").apply(lambda a: entity_level in a)
    chosen = targets[keep]
    chosen = chosen.assign(_rank=chosen["level"].map(rank)).sort_values("_rank", kind="stable")
    chosen = chosen.drop_duplicates("indicator_id").set_index("indicator_id")
    return chosen[TARGET_COLUMNS]


def status_of(value: float, target: float, direction: str = "higher") -> str:
    """"Đạt" when the exact ``value`` is on the right side of ``target`` ("higher": at least the
    target; "lower": at most); "Chưa có mục tiêu" without a target."""
    if target is None or pd.isna(target):
        return STATUS_NO_TARGET
    met = float(value) <= float(target) if direction == "lower" else float(value) >= float(target)
    return STATUS_MET if met else STATUS_NOT_MET


def statuses_of(values: np.ndarray, target: float, direction: str = "higher") -> np.ndarray:
    """:func:`status_of` of many values at once (an object array of statuses)."""
    if target is None or pd.isna(target):
        return np.full(len(values), STATUS_NO_TARGET, dtype=object)
    with np.errstate(invalid="ignore"):
        met = values <= float(target) if direction == "lower" else values >= float(target)
    return np.where(met, STATUS_MET, STATUS_NOT_MET).astype(object)


def gap_to_target(value: float, target: float, direction: str = "higher") -> float:
    """How far ``value`` is from reaching ``target`` (0 when it has), in the target's unit."""
    gap = float(value) - float(target) if direction == "lower" else float(target) - float(value)
    return max(0.0, gap)


def standard_chain(standard: str, standards: pd.DataFrame) -> list[str]:
    """``standard`` and every standard it requires, directly or not (column ``requires``), in the
    order of ``reference/standards.csv``."""
    requires = standards.set_index("standard")["requires"].fillna("")
    found, todo = set(), [standard]
    while todo:
        current = todo.pop()
        if current in found or current not in requires.index:
            continue
        found.add(current)
        todo.extend(r for r in str(requires[current]).split("+") if r)
    return [s for s in standards["standard"] if s in found]


def share_status(met: int, unknown: int, total: int, rule_share: float) -> str:
    """Whether the entity meets a standard when ``met`` of its ``total`` communes meet it and
    ``unknown`` have no data: the share of communes meeting it must reach ``rule_share`` (%).

    Decided despite the unknown communes when their answers cannot change the verdict: met
    already when the known ones reach the share; not met when even all unknown ones meeting it
    would not. Otherwise "Thiếu số liệu".
    """
    if total <= 0:
        return STATUS_MISSING
    if 100 * met / total >= rule_share:
        return STATUS_MET
    if 100 * (met + unknown) / total < rule_share:
        return STATUS_NOT_MET
    return STATUS_MISSING


def target_year_of(year: int, phases: pd.DataFrame) -> int:
    """The target year of a reporting year: the last year of the phase it falls in."""
    hit = phases[(phases["first_year"] <= int(year)) & (phases["last_year"] >= int(year))]
    if hit.empty:
        from helpers.errors import WorkbookError

        raise WorkbookError(f"Năm {year} không thuộc giai đoạn nào của Đề án (reference/phases.csv).")
    return int(hit["target_year"].iloc[0])


def projects(year: int, target_year: int) -> bool:
    """Whether the annex of ``year`` projects to ``target_year``: only before that year."""
    return int(year) < int(target_year)
