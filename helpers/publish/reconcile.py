"""A hand-made (declared) annex table compared with the recomputed one, row by row."""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd
from babel.numbers import NumberFormatError, parse_decimal

from helpers.compute.rules import STATUS_MET, STATUS_NOT_MET
from helpers.ingest.submissions import declared_annex_path
from helpers.numbers import format_number, round_half_up
from helpers.paths import resolve_project_path
from helpers.reference import ReportingYear, nfc

RECONCILIATION_COLUMNS = ["indicator_id", "label", "declared_target", "declared_result", "declared_note",
                          "computed_result", "flags"]


def parse_declared_number(text: object) -> Decimal | None:
    """A number as written in a declared table ("10,3" → 10.3); None for words or blanks."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return None
    try:
        return parse_decimal(str(text).strip(), locale="vi", strict=True)
    except (NumberFormatError, InvalidOperation):
        return None


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
    units gives the declared share; (c) "Đạt" declared while the value is below target and the
    projection does not reach it; (d) value outside the plausibility range.
    """
    catalogue, year, district_code = ctx.ref.catalogue, ctx.year, ctx.entity.code
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
            declared_value = parse_declared_number(dec.result)
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
            if dec.note == STATUS_MET and d["status"] == STATUS_NOT_MET:
                likely = proj is not None and dec.indicator_id in proj.index
                likely = likely and pd.notna(proj.loc[dec.indicator_id, "likely"]) \
                    and bool(proj.loc[dec.indicator_id, "likely"])
                if not likely:
                    flags.append("(c) Ghi “Đạt” trong khi kết quả thấp hơn mục tiêu và ước tính "
                                 "xu hướng chưa đạt mục tiêu.")
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
