"""Series across the reform of administrative units (1/7/2025): the values of earlier years put
onto the units valid in a later year, so that a unit's figures can be read beside those of the
units it was formed from.

A unit is a row of the unit list (``reference/units_vietnam.csv``): a code *with its validity
period*. The reform reused GSO codes (19996 was Phường Tứ Hạ until 30/6/2025 and is Phường Hương
Trà, the merger of Tứ Hạ, Hương Văn and Hương Vân, from 1/7/2025), so a value of a year belongs to
the unit holding its code on 31/12 of that year, never to whichever unit holds the code later.

A new unit's value of an earlier year is the sum of its predecessors' (the units whose successor is
exactly that unit, not split); a field one of them lacks is missing for the new unit. A unit that
received part of a unit split among several new units has no comparable earlier figures: it is
left out and named (:attr:`OntoUnits.not_comparable`), so callers can say "không so sánh được".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import pandas as pd

from helpers.reference import reporting_date

__all__ = ["OntoUnits", "not_comparable_years", "onto_units", "reform_dates", "successions"]

SUCCESSION_COLUMNS = ["code", "unit_code", "split"]
MAX_STEPS = 20  # reforms followed from one year to another (one so far: 1/7/2025)
MERGED_TEXT_COLUMNS = ("file", "sheet")  # kept for a sum: its predecessors' files and sheets


class OntoUnits(NamedTuple):
    """What :func:`onto_units` gives: the values re-keyed onto the later year's units, and the codes
    of the units whose earlier figures cannot be added up (left out of ``values``)."""

    values: pd.DataFrame
    not_comparable: list[str]


def _units_of(ref) -> pd.DataFrame:
    """The unit list of a :class:`~helpers.reference.Reference` or a
    :class:`~helpers.reference.ReportingYear` (or the unit table itself)."""
    ref = getattr(ref, "ref", ref)
    return ref if isinstance(ref, pd.DataFrame) else ref.units


def _valid(frame: pd.DataFrame, at: np.ndarray, day: pd.Timestamp | np.ndarray) -> np.ndarray:
    """Whether the units at positions ``at`` were valid on ``day`` (one day, or one per unit)."""
    start, end = frame["valid_from"].to_numpy()[at], frame["valid_to"].to_numpy()[at]
    day = np.asarray(day, dtype="datetime64[ns]")
    return (np.isnat(start) | (start <= day)) & (np.isnat(end) | (end >= day))


def _plain(units: pd.DataFrame) -> pd.DataFrame:
    """The columns a succession reads, with defaults for a unit table that lacks them (the
    synthetic country has no levels, successors or splits): communes only, positions 0…n-1."""
    if "level" in units:
        units = units[units["level"] == "commune"]
    n = len(units)
    successor = units["successor_code"] if "successor_code" in units else pd.Series("", index=units.index)
    split = units["split"] if "split" in units else pd.Series(False, index=units.index)
    return pd.DataFrame({
        "code": units["code"].astype(str).to_numpy(),
        "valid_from": pd.to_datetime(units["valid_from"]).to_numpy(dtype="datetime64[ns]"),
        "valid_to": pd.to_datetime(units["valid_to"]).to_numpy(dtype="datetime64[ns]"),
        "successor_code": successor.fillna("").astype(str).to_numpy(),
        "split": split.fillna(False).astype(bool).to_numpy(),
    }, index=pd.RangeIndex(n))


def successions(units: pd.DataFrame, from_year: int, year: int) -> pd.DataFrame:
    """Where each commune valid on 31/12 of ``from_year`` stands on 31/12 of ``year``: one row per
    old unit and unit it went into (``code`` → ``unit_code``), ``split`` true when on the way it,
    or a unit it became, was divided among several units (``split`` of the unit list, or several
    successors). A unit still valid maps onto itself; a
    unit that ended without successor, or that began after 31/12 of ``year``, has no row.

    Successors are found by code *and* date: the unit with the successor's code valid the day after
    the old one ended (the code may have been another unit's before)."""
    plain = _plain(units)
    day = np.datetime64(pd.Timestamp(reporting_date(year)), "ns")
    source = np.flatnonzero(_valid(plain, np.arange(len(plain)), np.datetime64(
        pd.Timestamp(reporting_date(from_year)), "ns")))
    at, split = source.copy(), np.zeros(len(source), dtype=bool)
    found = []
    positions = pd.DataFrame({"code": plain["code"], "at": np.arange(len(plain))})
    for _ in range(MAX_STEPS):
        arrived = _valid(plain, at, day)
        found.append((source[arrived], at[arrived], split[arrived]))
        ends = plain["valid_to"].to_numpy()[at]
        going = ~arrived & ~np.isnat(ends) & (ends < day) & (plain["successor_code"].to_numpy()[at] != "")
        if not going.any():
            break
        step = pd.DataFrame({"source": source[going], "from": at[going],
                             "split": split[going] | plain["split"].to_numpy()[at[going]],
                             "successor": plain["successor_code"].to_numpy()[at[going]]})
        step["successor"] = step["successor"].str.split("+")
        step["split"] |= step["successor"].str.len() > 1
        step = step.explode("successor").merge(positions, left_on="successor", right_on="code")
        ended = plain["valid_to"].to_numpy()[step["from"].to_numpy()]
        step = step[_valid(plain, step["at"].to_numpy(), ended + np.timedelta64(1, "D"))]
        source, at, split = step["source"].to_numpy(), step["at"].to_numpy(), step["split"].to_numpy(dtype=bool)
    source, at, split = (np.concatenate(parts) for parts in zip(*found, strict=True))
    codes = plain["code"].to_numpy()
    return pd.DataFrame({"code": codes[source], "unit_code": codes[at], "split": split.astype(bool)},
                        columns=SUCCESSION_COLUMNS)


def onto_units(values: pd.DataFrame, ref, year: int) -> OntoUnits:
    """The clean values (``values.csv``: year, unit_code, field, value, …) put onto the communes
    valid on 31/12 of ``year``, each row keeping its own year.

    A value of year Y belongs to the unit with its code valid on 31/12 of Y. A unit valid on both
    days keeps its values; a new unit gets, per field and year, the sum of its predecessors'
    values, or nothing for that field when one of them lacks it (a predecessor without any value
    that year lacks them all); a sum names its predecessors' files and sheets ("; ") and has no
    note or row. A new unit that received part of a split unit is left out and listed in
    ``not_comparable`` (those some unit of ``values`` went into); values of units that ended
    without successor, or that began after 31/12 of ``year``, are dropped. ``ref`` is a
    :class:`~helpers.reference.Reference` (its ``units``).
    """
    units = _units_of(ref)
    frames, not_comparable = [], set()
    years = values["year"].dropna().unique() if len(values) else []
    for from_year in sorted(int(y) for y in years):
        rows = values[values["year"] == from_year]
        went = successions(units, from_year, year)
        split = set(went.loc[went["split"], "unit_code"])
        if split:
            given = went["code"].isin(rows["unit_code"].astype(str).unique())
            not_comparable |= set(went.loc[given & went["unit_code"].isin(split), "unit_code"])
            went = went[~went["unit_code"].isin(split)]
        shares = went["unit_code"].value_counts()
        went = went.drop_duplicates("code")
        old_codes, new_codes = pd.Index(went["code"]), went["unit_code"].to_numpy()
        at = old_codes.get_indexer(rows["unit_code"])                   # -1: a unit not carried over
        kept = at >= 0
        sums = kept & (shares.reindex(new_codes).to_numpy() > 1)[at]
        renamed = kept & ~sums & (new_codes != old_codes.to_numpy())[at]
        alone = rows[kept & ~sums]
        if renamed.any():
            alone = alone.assign(unit_code=pd.array(new_codes[at[kept & ~sums]], dtype=rows["unit_code"].dtype))
        if not (kept & sums).any():
            frames.append(alone)
            continue
        frames.append(pd.concat([alone, _summed(rows[sums], new_codes[at[sums]], shares)],
                                ignore_index=True).sort_values("unit_code", kind="stable"))
    if not frames:
        return OntoUnits(values.iloc[0:0].copy(), sorted(not_comparable))
    moved = pd.concat(frames, ignore_index=True).astype(values.dtypes.to_dict())
    return OntoUnits(moved.reset_index(drop=True), sorted(not_comparable))


def _summed(rows: pd.DataFrame, new_code: np.ndarray, shares: pd.Series) -> pd.DataFrame:
    """The rows of the units that merged into another (``new_code``: each row's new unit, ``shares``:
    how many units went into each), summed per new unit and field; a field some of them lack is
    left out (the count of values given must be the number of predecessors)."""
    rows = rows.assign(_old=rows["unit_code"].astype(str), unit_code=new_code)
    rows = rows.drop_duplicates(["_old", "field"])                  # a value given twice: the first counts
    groups = rows.groupby(["unit_code", "field"], sort=False)
    summed = groups["value"].agg(["sum", "count"]).reset_index()
    summed = summed[summed["count"].to_numpy() == summed["unit_code"].map(shares).to_numpy()]
    out = pd.DataFrame({"year": rows["year"].iloc[0], "unit_code": summed["unit_code"].to_numpy(),
                        "field": summed["field"].to_numpy(), "value": summed["sum"].to_numpy()})
    for column in rows.columns.difference(["year", "unit_code", "field", "value", "_old"], sort=False):
        if column in MERGED_TEXT_COLUMNS:
            joined = (rows.dropna(subset=[column]).drop_duplicates(["unit_code", column])
                      .groupby("unit_code", sort=False)[column].agg(lambda texts: "; ".join(map(str, texts))))
            out[column] = out["unit_code"].map(joined).fillna("")
        else:
            out[column] = "" if column == "note" else pd.NA
    return out


def not_comparable_years(ref, years: Iterable[int]) -> list[int]:
    """The years of ``years`` whose figures cannot be those of the entity: for a commune entity
    that began with the reform, the years before it when a unit that went into it was split among
    several new units (:func:`helpers.reference.communes_of` then gives it no communes). Other
    entities add up their communes of each year: none."""
    ref = getattr(ref, "ref", ref)
    entity, units = ref.entity, ref.units
    if entity.level != "commune":
        return []
    began = units.loc[units["code"] == entity.code, "valid_from"].max()
    if pd.isna(began):
        return []
    years_out = []
    for year in sorted(int(y) for y in years if int(y) < began.year):
        went = successions(units, year, began.year)
        if went.loc[went["unit_code"] == entity.code, "split"].any():
            years_out.append(year)
    return years_out


def reform_dates(units: pd.DataFrame) -> list[dt.date]:
    """The days communes were replaced by others (the day after they ended, for units that have a
    successor): ``[date(2025, 7, 1)]`` for the national list; none for a list without history."""
    plain = _plain(units)
    ended = plain.loc[(plain["successor_code"] != "") & plain["valid_to"].notna(), "valid_to"]
    return sorted({(day + pd.Timedelta(days=1)).date() for day in ended.unique()})
