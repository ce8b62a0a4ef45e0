"""A hand-made (declared) annex table compared with the recomputed one, row by row."""

from __future__ import annotations

import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd
from babel.numbers import NumberFormatError, parse_decimal

from helpers.compute.rules import STATUS_MET, STATUS_NOT_MET, status_of
from helpers.ingest.submissions import declared_annex_path
from helpers.numbers import format_number, round_half_up
from helpers.paths import resolve_project_path
from helpers.reference import ReportingYear, nfc
from helpers.text import fold

RECONCILIATION_COLUMNS = ["indicator_id", "label", "declared_target", "declared_result", "declared_note",
                          "computed_result", "flags"]


_VI_NUMBER = re.compile(r"\d{1,3}(\.\d{3})+(,\d+)?|\d+(,\d+)?")   # 1.234,5 · 97,29 · 42
_DOT_DECIMAL = re.compile(r"\d+\.(\d{1,2}|\d{4,})")               # 12.5 · 60.08: never thousands


class AmbiguousNumber(ValueError):
    """A declared figure that reads two ways ("12.500": 12,5 or twelve thousand five hundred)."""


def parse_declared_number(text: object) -> Decimal | None:
    """A figure as written in a declared table, with the reader of Vietnamese numbers: "10,3" →
    10.3, "60,08%" or "60,08 %" → 60.08, "1.234" → 1234; "12.5" → 12.5 (a dot followed by other
    than three digits cannot be thousands). None for words or blanks; :class:`AmbiguousNumber` for
    a dot followed by exactly three digits with no comma ("12.500"), which reads two ways."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return None
    written = nfc(str(text)).strip().replace("\u00a0", " ")
    written = re.sub(r"\s*%$", "", written).strip()
    if _DOT_DECIMAL.fullmatch(written):
        return Decimal(written)
    if not _VI_NUMBER.fullmatch(written):
        return None
    if re.fullmatch(r"\d{1,3}\.\d{3}", written):
        raise AmbiguousNumber(written)
    try:
        return parse_decimal(written, locale="vi", strict=True)
    except (NumberFormatError, InvalidOperation):
        return None


def _declared(text: object, flags: list[str], what: str) -> Decimal | None:
    """:func:`parse_declared_number`, with a flag when the figure reads two ways."""
    try:
        return parse_declared_number(text)
    except AmbiguousNumber as exc:
        flags.append(f"(e) Không rõ {what} “{exc}” là {str(exc).replace('.', ',')} hay {exc} (nghìn); "
                     "hãy ghi dấu phẩy thập phân.")
        return None


def _remark(note: str, words: dict) -> str:
    """The kind of a "Ghi chú" remark: met, not_met, blank or unknown (``reference/annex.toml`` [declared])."""
    key = fold(note).strip(" .")
    if not key:
        return "blank"
    for kind in ("met", "not_met"):
        if key in {fold(w) for w in words[kind]}:
            return kind
    return "unknown"


def read_declared(path: Path) -> pd.DataFrame | None:
    """A hand-made annex table (indicator_id, target, result, note), or None if there is none."""
    path = Path(path)
    if not path.exists():
        return None
    lines = [ln for ln in nfc(path.read_text(encoding="utf-8-sig")).splitlines(keepends=True)
             if not ln.startswith("#")]
    return pd.read_csv(io.StringIO("".join(lines)), dtype=str, keep_default_na=False)


def reconcile_declared(declared: pd.DataFrame, indicators: pd.DataFrame, projection: pd.DataFrame,
                       ctx: ReportingYear) -> pd.DataFrame:
    """Computed vs declared, row by row, with the reasons a declared figure cannot stand.

    Flags: (a) declared % differs from the recomputed one beyond rounding; (b) no whole number of
    units gives the declared share; (c) a remark that contradicts the figures: "Đạt" while the
    result is below its target (the declared one or the plan's) and the projection does not reach
    it, or "Chưa đạt" while it has reached it; (d) value outside the plausibility range; (e) a
    figure that reads two ways; (f) a remark the workbook does not know; (g) a declared target
    other than the plan's.
    """
    catalogue, year, district_code = ctx.ref.catalogue, ctx.year, ctx.entity.code
    words = ctx.ref.wording["declared"]
    district = indicators[(indicators["unit_code"] == district_code) & (indicators["year"] == year)]
    district = district.set_index("indicator_id")
    cat = catalogue.set_index("id")
    proj = projection.set_index("indicator_id") if len(projection) else None
    rows = []
    for dec in declared.itertuples(index=False):
        if dec.indicator_id not in cat.index or dec.indicator_id not in district.index:
            continue
        ind, d = cat.loc[dec.indicator_id], district.loc[dec.indicator_id]
        decimals = int(ind["decimals"])
        flags = []
        if ind["kind"] == "standard":
            computed = d["status"]
            if dec.result and dec.result != computed:
                flags.append(f"Đã báo cáo “{dec.result}” nhưng tính lại là “{computed}”.")
        else:
            computed = format_number(d["value"], decimals) if pd.notna(d["value"]) else d["status"]
            declared_value = _declared(dec.result, flags, "kết quả")
            declared_target = _declared(dec.target, flags, "mục tiêu")
            if declared_target is not None and pd.notna(d["target"]) and float(declared_target) != float(d["target"]):
                flags.append(f"(g) Mục tiêu đã báo cáo {format_number(declared_target, 1).rstrip('0').rstrip(',')} % "
                             f"khác mục tiêu theo kế hoạch {format_number(d['target'], 1).rstrip('0').rstrip(',')} %.")
            if declared_value is not None and pd.notna(d["value"]):
                places = -declared_value.as_tuple().exponent if declared_value.as_tuple().exponent < 0 else 0
                recomputed = round_half_up(d["value"], places)
                if recomputed != declared_value:
                    flags.append(f"(a) Tỷ lệ đã báo cáo {format_number(declared_value, places)} % khác tỷ lệ "
                                 f"tính lại từ số liệu {format_number(d['value'], max(places, decimals))} %.")
                den = d["denominator"]
                if pd.notna(den) and 0 < den <= 1000:
                    n = int(den)
                    if not any(round_half_up(100 * k / n, places) == declared_value for k in range(n + 1)):
                        flags.append(f"(b) Không có số nguyên nào trong {n} đơn vị cho tỷ lệ "
                                     f"{format_number(declared_value, places)} %.")
            remark = _remark(dec.note, words)
            direction = ctx.ref.directions.get(dec.indicator_id, "higher")
            below = d["status"] == STATUS_NOT_MET or (
                declared_value is not None and declared_target is not None
                and status_of(float(declared_value), float(declared_target), direction) == STATUS_NOT_MET)
            reached = d["status"] == STATUS_MET and (
                declared_value is None or declared_target is None
                or status_of(float(declared_value), float(declared_target), direction) == STATUS_MET)
            likely = proj is not None and dec.indicator_id in proj.index
            likely = likely and pd.notna(proj.loc[dec.indicator_id, "likely"]) \
                and bool(proj.loc[dec.indicator_id, "likely"])
            if remark == "met" and below and not likely:
                flags.append(f"(c) Ghi “{dec.note}” trong khi kết quả thấp hơn mục tiêu và ước tính "
                             "xu hướng chưa đạt mục tiêu.")
            elif remark == "not_met" and reached:
                flags.append(f"(c) Ghi “{dec.note}” trong khi kết quả đã đạt mục tiêu.")
            elif remark == "unknown":
                flags.append(f"(f) Ghi chú “{dec.note}” không phải là nhận định đã biết "
                             f"({', '.join(words['met'] + words['not_met'])}).")
            if pd.notna(d["value"]) and pd.notna(ind["plausible_max"]) and (
                    d["value"] > ind["plausible_max"] or d["value"] < ind["plausible_min"]):
                flags.append(f"(d) Giá trị ngoài khoảng hợp lý ({format_number(ind['plausible_min'])}-"
                             f"{format_number(ind['plausible_max'])} %).")
        rows.append({"indicator_id": dec.indicator_id, "label": ind["label"],
                     "declared_target": dec.target, "declared_result": dec.result,
                     "declared_note": dec.note, "computed_result": computed,
                     "flags": " ".join(flags)})
    return pd.DataFrame(rows, columns=RECONCILIATION_COLUMNS)


def load_declared(raw_dir: str | Path, year: int) -> pd.DataFrame | None:
    """The office's declared table of ``year`` (``data/raw/<year>/declared/``), or None."""
    return read_declared(declared_annex_path(resolve_project_path(raw_dir) / str(year), year))
