"""Draft sentences for section 2a) of the report, written from the annex's numbers.

The wording is data (``reference/annex.toml``, ``[narrative]``), imitating Báo cáo 3014/UBND-VX:
"Năm 2023, tỉ lệ người trong độ tuổi 15-60 biết chữ mức độ 1 đạt 97,29 % (chỉ tiêu 99 %)". Every
number passes :func:`helpers.numbers.format_number` (decimal comma, no "2023.0"); a sentence whose
data is missing or not applicable is left out rather than written with a blank.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from helpers.compute.rules import (
    STATUS_MET,
    STATUS_MISSING,
    STATUS_NOT_APPLICABLE,
    STATUS_NOT_MET,
    gap_to_target,
    projects,
    standard_chain,
)
from helpers.numbers import format_number, round_half_up
from helpers.reference import ReportingYear


@dataclass
class Draft:
    """The draft paragraphs and the notes for whoever edits them (unverified targets)."""

    paragraphs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _target_text(value: float) -> str:
    return format_number(value, 0 if float(value).is_integer() else 1)


def _years_text(years_used: str) -> str:
    years = sorted(int(y) for y in str(years_used).split(",") if y.strip())
    if len(years) > 1 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ", ".join(str(y) for y in years)


def _usable(row: pd.Series | None) -> bool:
    return row is not None and pd.notna(row["value"]) and row["status"] not in (STATUS_MISSING,
                                                                                STATUS_NOT_APPLICABLE)


def _standards_sentences(items: list[str], district: pd.DataFrame, catalogue: pd.DataFrame,
                         standards: pd.DataFrame, words: dict, subject: str) -> list[str]:
    names = words["standards"]
    cat = catalogue.set_index("id")

    def prerequisites(standard: str) -> set[str]:
        return set(standard_chain(standard, standards)) - {standard}

    by_status: dict[str, list[str]] = {STATUS_MET: [], STATUS_NOT_MET: [], STATUS_MISSING: []}
    for indicator_id in items:
        if indicator_id in district.index and district.loc[indicator_id, "status"] in by_status:
            by_status[district.loc[indicator_id, "status"]].append(indicator_id)
    met_standards = {cat.loc[i, "standard"] for i in by_status[STATUS_MET]}
    implied = set().union(*(prerequisites(s) for s in met_standards)) if met_standards else set()
    met = [i for i in by_status[STATUS_MET] if cat.loc[i, "standard"] not in implied]
    sentences = []
    for key, chosen in (("standards_met", met), ("standards_not_met", by_status[STATUS_NOT_MET]),
                        ("standards_missing", by_status[STATUS_MISSING])):
        if chosen:
            sentences.append(words[key].format(district=subject, standards=", ".join(names[i] for i in chosen)))
    return sentences


def _standards_share_sentence(items: list[str], district: pd.DataFrame, words: dict, entity) -> str | None:
    """A province's standards: how many of its communes meet each ("39/40 xã, phường (97,5 %) đạt
    chuẩn phổ cập giáo dục trung học cơ sở mức độ 3")."""
    parts = [words["standard_share"].format(met=format_number(district.loc[i, "numerator"]),
                                            total=format_number(district.loc[i, "denominator"]),
                                            share=format_number(district.loc[i, "value"], 1),
                                            units_noun=entity.units_noun, standard=words["standards"][i])
             for i in items if i in district.index and pd.notna(district.loc[i, "value"])]
    return words["standards_share"].format(parts="; ".join(parts)) if parts else None


def draft_report(indicators: pd.DataFrame, projection: pd.DataFrame, ctx: ReportingYear) -> Draft:
    """The paragraphs an official would write for section 2a) of the report, from the numbers.

    A rate cites the same target as the annex's row (:func:`helpers.compute.rules.select_targets`)
    and is below it by the same rule as the row's status."""
    ref, entity, year = ctx.ref, ctx.entity, ctx.year
    catalogue, standards = ref.catalogue, ref.standards
    words = ref.wording["narrative"]
    sources = ctx.targets
    district = indicators[(indicators["unit_code"] == entity.code) & (indicators["year"] == year)]
    district = district.set_index("indicator_id")
    cat = catalogue.set_index("id")
    proj = projection.set_index("indicator_id") if len(projection) else pd.DataFrame()
    subject = entity.name[:1].upper() + entity.name[1:]
    draft = Draft()

    def row(indicator_id: str) -> pd.Series | None:
        return district.loc[indicator_id] if indicator_id in district.index else None

    def rate_sentence(indicator_id: str) -> str | None:
        d = row(indicator_id)
        if not _usable(d):
            return None
        spec = words["rates"][indicator_id]
        decimals = int(cat.loc[indicator_id, "decimals"])
        text = words["rate"].format(year=year, subject=spec["subject"], value=format_number(d["value"], decimals))
        if pd.isna(d["target"]):
            return text + words["rate_no_target"]
        value, verified = float(d["target"]), bool(d["target_verified"])
        source = sources["source"].get(indicator_id, "")
        text += words["rate_target"].format(target=_target_text(value))
        if d["status"] == STATUS_MET:
            return text + words["rate_met"]
        direction = ref.directions.get(indicator_id, "higher")
        gap = round_half_up(gap_to_target(d["value"], value, direction), decimals)
        text += words["rate_below" if direction == "higher" else "rate_above"].format(gap=format_number(gap, decimals))
        if indicator_id in getattr(proj, "index", []) and pd.notna(proj.loc[indicator_id, "projected"]) \
                and projects(year, ctx.target_year):
            text += words["rate_projection"].format(
                years=_years_text(proj.loc[indicator_id, "years_used"]), target_year=ctx.target_year,
                projected=format_number(proj.loc[indicator_id, "projected"], decimals))
        if spec.get("advice"):
            text += " " + spec["advice"]
        if not verified:
            draft.notes.append(words["unverified"].format(target=_target_text(value), subject=spec["subject"],
                                                          source=source))
        return text

    def recognition_sentence(indicator_id: str) -> str | None:
        d = row(indicator_id)
        if not _usable(d) or pd.isna(d["numerator"]) or pd.isna(d["denominator"]) or not d["denominator"]:
            return None
        spec = words["recognised"][indicator_id]
        return words["recognition"].format(
            numerator=format_number(d["numerator"]), denominator=format_number(d["denominator"]),
            noun=spec["noun"], title=spec["title"],
            value=format_number(d["value"], int(cat.loc[indicator_id, "decimals"])))

    def literacy_classes_sentence() -> str | None:
        ids = words["literacy_classes_indicators"]
        rows = {key: row(ids[key]) for key in ("classes", "learners", "units_with")}
        if any(r is None or pd.isna(r["numerator"]) or r["status"] == STATUS_MISSING for r in rows.values()):
            return None
        if rows["classes"]["numerator"] == 0:
            return words["no_literacy_classes"].format(year=year, units_noun=entity.units_noun)
        return words["literacy_classes"].format(
            units_noun=entity.units_noun, classes=format_number(rows["classes"]["numerator"]),
            learners=format_number(rows["learners"]["numerator"]),
            units_with=format_number(rows["units_with"]["numerator"]),
            units_total=format_number(rows["units_with"]["denominator"]))

    for paragraph in words["paragraphs"]:
        sentences: list[str] = []
        for item in paragraph["items"]:
            if item == "standards" and ref.standard_rule["rule"] == "plan_target":
                sentences.append(_standards_share_sentence(list(words["standards"]), district, words, entity))
            elif item == "standards":
                sentences += _standards_sentences(list(words["standards"]), district, catalogue, standards,
                                                  words, subject)
            elif item == "literacy_classes":
                sentences.append(literacy_classes_sentence())
            elif item in words["rates"]:
                sentences.append(rate_sentence(item))
            elif item in words["recognised"]:
                sentences.append(recognition_sentence(item))
            else:
                raise KeyError(f"reference/annex.toml [narrative]: mục “{item}” không có mẫu câu.")
        sentences = [s for s in sentences if s]
        if sentences:
            draft.paragraphs.append(" ".join([paragraph["lead"], *sentences]))
    return draft
