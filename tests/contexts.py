"""Reporting-year contexts for tests: the real reference data, with parts replaced."""

from __future__ import annotations

import dataclasses
import functools

import pandas as pd

from helpers.reference import Reference, ReportingYear


@functools.cache
def reference() -> Reference:
    return Reference.load()


def context(year: int = 2023, target_level: str = "province", communes: pd.DataFrame | None = None,
            **changes) -> ReportingYear:
    """The context of ``year`` over the real reference data; ``changes`` replace parts of it
    (``catalogue=…``, ``targets=…``, ``standards=…``), ``communes`` the entity's communes."""
    ref = dataclasses.replace(reference(), **changes) if changes else reference()
    return ReportingYear(ref, year, target_level, commune_list=communes)
