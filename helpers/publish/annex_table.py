"""The annex table as data: one typed row per group heading and indicator, and the texts a reader
sees made from it by the formatters below (the HTML and the Excel copy both call them).

A row keeps numbers as numbers (``target``, ``value``, ``projected``, ``met``/``total`` with their
decimals), the status deciding the "Kết quả" cell, a note key for "Ghi chú (ước thực hiện)" and
the keys of its footnotes. Nothing is formatted until :func:`target_text`, :func:`result_text` and
:func:`note_text` are called.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.compute.indicators import IndicatorTables, target_level_of
from helpers.compute.projection import projection_years
from helpers.compute.rules import (
    STATUS_MET,
    STATUS_MISSING,
    STATUS_NOT_APPLICABLE,
    projects,
    standard_chain,
    status_of,
)
from helpers.compute.series import reform_dates
from helpers.numbers import format_number
from helpers.reference import Reference, ReportingYear

CAVEAT_COLUMNS = ["indicator_id", "label", "kind", "text"]
MAIN_GROUPS = ("I", "II", "III", "IV")  # the seed's table; other groups go to the extra table
ANNEX_COLUMNS = ["row_id", "row_kind", "style", "tt", "label", "indicator_id", "kind", "target", "target_decimals",
                 "value", "decimals", "status", "shown_status", "met", "total", "note", "projected", "recognition",
                 "footnotes"]

# note keys ("Ghi chú (ước thực hiện)")
NOTE_ALREADY_MET = "already_met"
NOTE_PROJECTION = "projection"
NOTE_TOO_FEW_YEARS = "too_few_years"
NOTE_TARGET_YEAR = "target_year_reached"
NOTE_STANDARD_SHARE = "standard_share"


# Footnote kinds printed in the official annex (facts an official signs: where a target comes
# from, which communes sent nothing); the others are caveats for the analyst, in the analysis report.
OFFICIAL_FOOTNOTES = ("fallback", "missing", "no_target")


@dataclass(frozen=True)
class Annex:
    """The annex of one reporting year: its typed rows, numbered official footnotes, the caveats
    the analyst must check before signing, and header texts."""

    ctx: ReportingYear
    table: pd.DataFrame
    footnotes: list[str]
    target_header: str
    projection_years: list[int]
    caveats: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CAVEAT_COLUMNS))

    @property
    def main(self) -> pd.DataFrame:
        """The rows of the seed's table (groups I-IV)."""
        return self.table[self.table["row_id"].str.split(".").str[0].isin(MAIN_GROUPS)]

    @property
    def extra(self) -> pd.DataFrame:
        """The rows of the additional table below it."""
        return self.table[~self.table["row_id"].str.split(".").str[0].isin(MAIN_GROUPS)]

    def closing_notes(self) -> list[str]:
        """The sentences under the footnotes: how the projection and the entity's rates are made."""
        notes, entity = self.ctx.ref.wording["notes"], self.ctx.entity
        lines = []
        if projects(self.ctx.year, self.ctx.target_year) and len(self.projection_years) >= 2:
            lines.append(notes["projection_method"].format(
                target_year=self.ctx.target_year, years=", ".join(str(y) for y in self.projection_years) or "—"))
        else:
            lines.append(notes["target_year_method"].format(target_year=self.ctx.target_year))
        if entity.level != "commune":     # one commune's rates are its own
            lines.append(notes["ratio_rule"].format(units_noun=entity.units_noun, entity=entity.name))
        elif self.ctx.communes["valid_to"].notna().any():    # a commune entity's years before it began
            lines.append(notes["predecessors"].format(
                year=self.ctx.year, entity=entity.name,
                units=", ".join(self.ctx.communes["full_name"]) or "—"))
        return lines


def unverified_standards(standard: str, standards: pd.DataFrame, criteria: pd.DataFrame) -> list[str]:
    """Standards in the chain of ``standard`` (itself and its prerequisites) with unverified figures."""
    verified = standards.set_index("standard")["verified"]
    return [s for s in standard_chain(standard, standards)
            if not verified[s] or not criteria.loc[criteria["standard"] == s, "verified"].all()]


def _footnotes(ind: dict, d: pd.Series | None, ctx: ReportingYear, sources: pd.DataFrame,
               names: pd.Series) -> list[tuple[str, str]]:
    notes, ref = ctx.ref.wording["notes"], ctx.ref
    footnotes = []
    if d is not None and pd.notna(d["target"]):
        source = sources["source"].get(ind["id"], "")
        if d["target_from"] and d["target_from"] != d["target_level"]:
            footnotes.append(("fallback", notes["fallback_target"].format(source=source)))
        if not bool(d["target_verified"]):
            footnotes.append(("target", notes["unverified_target"].format(source=source)))
    if ind["kind"] == "standard":
        bad = unverified_standards(ind["standard"], ref.standards, ref.criteria)
        if bad:
            labels = ref.standards.set_index("standard").loc[bad, "label"]
            footnotes.append(("standard", notes["unverified_standard"].format(standards="; ".join(labels))))

    elif d is not None and pd.notna(d["value"]) and d["status"] not in (STATUS_NOT_APPLICABLE, STATUS_MISSING):
        low, high = ind["plausible_min"], ind["plausible_max"]
        if pd.notna(high) and (d["value"] > high or d["value"] < low):
            footnotes.append(("implausible", notes["implausible"].format(low=format_number(low),
                                                                          high=format_number(high))))
    if d is not None and d["missing_units"]:
        missing = [f"{names.get(c, c)} ({c})" for c in d["missing_units"].split(";")]
        footnotes.append(("missing", notes["missing_units"].format(units=", ".join(missing))))
    return footnotes


def _note(ind: dict, d: pd.Series | None, proj: pd.DataFrame, ctx: ReportingYear) -> tuple[str, float]:
    """The note key of a row and the projected value it cites (NaN when none)."""
    if d is None:
        return "", float("nan")
    if ind["kind"] == "standard":
        rule = ctx.ref.standard_rule["rule"]
        shown = rule == "plan_target" or (rule == "district_share" and d["status"] not in (STATUS_MET, STATUS_MISSING))
        return (NOTE_STANDARD_SHARE if shown else ""), float("nan")
    if ind["kind"] != "rate" or pd.isna(d["target"]) or pd.isna(d["value"]) \
            or d["status"] in (STATUS_NOT_APPLICABLE, STATUS_MISSING):
        return "", float("nan")
    if d["status"] == STATUS_MET:
        return NOTE_ALREADY_MET, float("nan")
    if not projects(ctx.year, ctx.target_year):
        return NOTE_TARGET_YEAR, float("nan")
    if ind["id"] in proj.index and pd.notna(proj.loc[ind["id"], "projected"]):
        return NOTE_PROJECTION, float(proj.loc[ind["id"], "projected"])
    return NOTE_TOO_FEW_YEARS, float("nan")


def _year_caveats(ctx: ReportingYear) -> list[dict]:
    """Caveats of the whole year: how the entity's level decides a standard, when no legal text
    confirms it (once, for every standard row); a province's communes before the reform come from
    the list of the day before it (the 2021-2024 boundary changes are not in the unit list)."""
    words, ref, caveats = ctx.ref.wording["notes"], ctx.ref, []
    if not ref.standard_rule["verified"]:       # how the level decides group I: said once
        standards = ref.catalogue[ref.catalogue["kind"] == "standard"]
        caveats.append({"indicator_id": ", ".join(standards["id"]), "label": words["standard_level_label"],
                        "kind": "standard_level",
                        "text": words["unverified_standard_level"].format(source=ref.standard_rule["source"])})
    if ctx.entity.level == "province" and any(ctx.year < day.year for day in reform_dates(ref.units)):
        caveats.append({"indicator_id": "", "label": words["units_label"], "kind": "units",
                        "text": words["units_before_reform"].format(year=ctx.year, units_noun=ctx.entity.units_noun)})
    return caveats


def build_annex(indicators: pd.DataFrame, projection: pd.DataFrame, ctx: ReportingYear) -> Annex:
    """The annex of the reporting year from its indicator table and projection."""
    ref = ctx.ref
    entity_rows = indicators[(indicators["unit_code"] == ctx.entity.code) & (indicators["year"] == ctx.year)]
    entity_rows = entity_rows.set_index("indicator_id")
    proj = projection.set_index("indicator_id") if len(projection) else pd.DataFrame(columns=["projected", "likely"])
    sources = ctx.targets
    names = ctx.communes.set_index("code")["full_name"]
    notes = ref.wording["notes"]
    recognitions = ref.recognitions[(ref.recognitions["unit_code"] == ctx.entity.code)
                                    & (ref.recognitions["year"] == ctx.year)].drop_duplicates("standard", keep="last")
    recognitions = recognitions.set_index("standard")
    # a level with no target at all for the target year (a province plan for 2026-2030 not yet known)
    level_silent = not ((ref.targets["level"] == ctx.target_level)
                        & (ref.targets["target_year"] == ctx.target_year)).any()
    level_label = ref.target_levels.set_index("level")["label"].get(ctx.target_level, ctx.target_level)
    # a province shows the % of its communes meeting a standard; a district or commune its verdict
    share_shown = ref.standard_rule["rule"] == "plan_target"
    share_decimals = int(ref.wording["levels"][ctx.entity.level].get("share_decimals", 0))
    rows = []
    blank = {"indicator_id": "", "kind": "", "target": float("nan"), "target_decimals": 0, "value": float("nan"),
             "decimals": 0, "status": "", "shown_status": "", "met": float("nan"), "total": float("nan"),
             "note": "", "projected": float("nan"), "recognition": "", "footnotes": []}
    for group in ref.groups.itertuples(index=False):
        members = ref.catalogue[ref.catalogue["group"] == group.group]
        if members.empty:
            continue
        if group.group in MAIN_GROUPS:
            rows.append({**blank, "row_id": group.group, "row_kind": "group", "style": "group", "tt": group.group,
                         "label": group.label})
        for ind in members.to_dict("records"):
            d = entity_rows.loc[ind["id"]] if ind["id"] in entity_rows.index else None
            target = float(d["target"]) if d is not None and pd.notna(d["target"]) else float("nan")
            status = d["status"] if d is not None else STATUS_MISSING
            value = float(d["value"]) if d is not None and pd.notna(d["value"]) else float("nan")
            shows_value = ind["kind"] != "standard" or share_shown
            numbers_shown = shows_value and status not in (STATUS_NOT_APPLICABLE, STATUS_MISSING) \
                and not pd.isna(value)
            note, projected = _note(ind, d, proj, ctx)
            footnotes = _footnotes(ind, d, ctx, sources, names)
            if level_silent and pd.isna(target):
                footnotes.append(("no_target", notes["no_target"].format(plan=level_label,
                                                                         target_year=ctx.target_year)))
            elif share_shown and ind["kind"] == "standard" and pd.isna(target):
                footnotes.append(("no_target", notes["no_share_target"].format(
                    plan=level_label, target_year=ctx.target_year, units_noun=ctx.entity.units_noun)))
            recognition = ""
            if ind["kind"] == "standard" and ind["standard"] in recognitions.index:
                decision = recognitions.loc[ind["standard"]]
                day = dt.date.fromisoformat(str(decision["date"])).strftime("%d/%m/%Y") if decision["date"] else ""
                recognition = notes["recognised"].format(number=decision["number"], date=day,
                                                         decided_by=decision["decided_by"])
            rows.append({
                "row_id": ind["id"], "row_kind": "indicator", "style": ind["style"], "tt": ind["tt"],
                "label": ind["label"], "indicator_id": ind["id"], "kind": ind["kind"], "target": target,
                "target_decimals": 0 if pd.isna(target) or target.is_integer() else 1,
                "value": value if numbers_shown else float("nan"),
                "decimals": share_decimals if ind["kind"] == "standard" else int(ind["decimals"]),
                "status": status, "shown_status": "" if numbers_shown else status,
                "met": float(d["numerator"]) if ind["kind"] == "standard" and d is not None else float("nan"),
                "total": float(d["denominator"]) if ind["kind"] == "standard" and d is not None else float("nan"),
                "note": note, "projected": projected, "recognition": recognition, "footnotes": footnotes,
            })
    table = pd.DataFrame(rows, columns=ANNEX_COLUMNS)
    caveats = pd.DataFrame([{"indicator_id": r["indicator_id"], "label": r["label"], "kind": kind, "text": text}
                            for r in rows for kind, text in r["footnotes"] if kind not in OFFICIAL_FOOTNOTES]
                           + _year_caveats(ctx), columns=CAVEAT_COLUMNS)
    table["footnotes"] = [[(k, x) for k, x in notes if k in OFFICIAL_FOOTNOTES] for notes in table["footnotes"]]
    table, footnotes = number_footnotes(table)
    header = ref.wording["target_column"][ctx.target_level].format(target_year=ctx.target_year,
                                                                   province=ctx.entity.province_word)
    years = projection_years(projection)
    return Annex(ctx=ctx, table=table, footnotes=footnotes, target_header=header, projection_years=years,
                 caveats=caveats)


def annex_of_year(processed_dir: Path, year: int, ref: Reference) -> tuple[IndicatorTables, Annex]:
    """The indicator step's tables of ``year`` and the annex built from them, against the target
    level they were computed with (what 03_annex shows, for the Excel copy and the batch)."""
    from helpers.processed import read_indicator_tables

    tables = read_indicator_tables(processed_dir, year)
    ctx = ref.for_year(year, target_level_of(tables.indicators))
    return tables, build_annex(tables.indicators, tables.projection, ctx)


def number_footnotes(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Give each distinct footnote text a number; returns the table with ``marks`` and the list."""
    texts: list[str] = []
    marks = []
    for notes in table["footnotes"]:
        mine = []
        for _, text in notes:
            if text not in texts:
                texts.append(text)
            mine.append(texts.index(text) + 1)
        marks.append(mine)
    table = table.copy()
    table["marks"] = marks
    return table, texts


def target_text(row) -> str:
    """The "Mục tiêu" cell: the target with no decimals, or one when it has them; blank without one."""
    return format_number(row.target, int(row.target_decimals)) if pd.notna(row.target) else ""


def result_text(row) -> str:
    """The "Kết quả" cell: the status of a standard or of a missing/not applicable value, else the
    value rounded to the indicator's decimals (decided on the exact value: :mod:`helpers.compute.rules`)."""
    if row.row_kind == "group":
        return ""
    return row.shown_status if row.shown_status else format_number(row.value, int(row.decimals))


def note_text(row, ctx: ReportingYear) -> str:
    """The "Ghi chú (ước thực hiện)" cell of a row."""
    notes = ctx.ref.wording["notes"]
    if getattr(row, "recognition", ""):
        return row.recognition
    if row.note == NOTE_STANDARD_SHARE:
        pattern = ctx.ref.wording["levels"][ctx.entity.level]["standard_note"]
        return pattern.format(met=int(row.met), total=int(row.total), units_noun=ctx.entity.units_noun)
    if row.note == NOTE_PROJECTION:
        direction = ctx.ref.directions.get(row.indicator_id, "higher")
        verdict_met = status_of(row.projected, row.target, direction) == STATUS_MET
        return notes["projection"].format(verdict=notes["likely"] if verdict_met else notes["unlikely"],
                                          target_year=ctx.target_year,
                                          value=format_number(row.projected, int(row.decimals)))
    if row.note == NOTE_TARGET_YEAR:
        return notes[NOTE_TARGET_YEAR].format(target_year=ctx.target_year)
    if row.note in (NOTE_ALREADY_MET, NOTE_TOO_FEW_YEARS):
        return notes[row.note]
    return ""
