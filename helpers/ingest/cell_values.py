"""Counts as officials type them: "1.234", "1 234", "-", "x", "Đạt", "97,29%", "24/26", formulas.

Every cell gets a defined outcome, never a silent NaN: a count (``ok``), no value (``missing``,
with a reason when the cell was not blank) or ``rejected`` with a Vietnamese reason. The words
and their meanings are reference data (``reference/cell_words.csv``); the strict reading of a
plain number is :func:`helpers.numbers.parse_count`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd
from babel.numbers import NumberFormatError, parse_decimal

from helpers.errors import WorkbookError
from helpers.numbers import COMMA_THOUSANDS, COMMA_THOUSANDS_REASON, NotACount, format_as_written, parse_count
from helpers.paths import REFERENCE_DIR
from helpers.reference import nfc, read_reference_csv

OK = "ok"
MISSING = "missing"
REJECTED = "rejected"
WORD_MEANINGS = ("zero", "missing", "reject")

# Spaces typed or exported inside numbers: normal, no-break, narrow no-break, thin.
_SPACES = "\u0020\u00a0\u202f\u2009"
_SPACED_THOUSANDS = re.compile(rf"^[0-9]{{1,3}}([{_SPACES}][0-9]{{3}})+$")
_PERCENT = re.compile(r"^(?P<number>[0-9.,\s\u00a0\u202f\u2009]+)\s*%$")
_FRACTION = re.compile(r"^(?P<a>[0-9][0-9.]*)\s*/\s*(?P<b>[0-9][0-9.]*)$")


@dataclass(frozen=True)
class ParsedCell:
    """The outcome of reading one count cell."""

    status: str                  # ok | missing | rejected
    value: int | None = None
    reason: str = ""             # why rejected or missing (Vietnamese), empty for a plain count
    fix: str = ""                # what was interpreted (Vietnamese), e.g. "“-” được hiểu là 0"


def cell_word_key(text: str) -> str:
    """How a cell's text is compared with ``reference/cell_words.csv``."""
    return " ".join(nfc(str(text)).strip().lower().split())


def load_cell_words(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """The words typed in number columns and their meaning (zero, missing, reject)."""
    words = read_reference_csv(Path(reference_dir) / "cell_words.csv")
    bad = words[~words["meaning"].isin(WORD_MEANINGS)]
    if len(bad):
        raise WorkbookError(f"reference/cell_words.csv: nghĩa “{bad['meaning'].iloc[0]}” của “{bad['word'].iloc[0]}” "
                            f"không hợp lệ; chọn một trong: {', '.join(WORD_MEANINGS)}.")
    words["key"] = words["word"].map(cell_word_key)
    return words.drop_duplicates("key").reset_index(drop=True)


def _words_index(words: pd.DataFrame | None) -> dict[str, tuple[str, str]]:
    if words is None:
        words = load_cell_words()
    return {k: (m, msg) for k, m, msg in zip(words["key"], words["meaning"], words["message"], strict=True)}


def parse_vietnamese_decimal(text: str) -> Decimal | None:
    """A decimal typed the Vietnamese way ("97,29", "1.234", "1 234"), or None if it is not one."""
    text = nfc(str(text)).strip()
    if _SPACED_THOUSANDS.match(text):
        text = re.sub(f"[{_SPACES}]", "", text)
    if not re.fullmatch(r"[0-9][0-9.,]*", text):
        return None
    try:
        return parse_decimal(text, locale="vi", strict=True)
    except (NumberFormatError, InvalidOperation, ValueError):
        return None


def percent_format_reason(value: int | float) -> str:
    """Why a number in a cell formatted as a percentage is not read as a count (Vietnamese)."""
    try:
        number = Decimal(str(value))
        shown, percent = format_as_written(number), format_as_written(number * 100)
    except (InvalidOperation, ValueError):
        shown = percent = str(value)
    return (f"ô được định dạng phần trăm (%) trong Excel: giá trị {shown} hiện ra là “{percent}%”; cần số người "
            "(số lượng), không phải tỷ lệ: hãy đổi định dạng ô sang dạng số (Number) và ghi số lượng")


class CellReader:
    """Reads count cells with the meanings of ``reference/cell_words.csv``."""

    def __init__(self, words: pd.DataFrame | None = None):
        self.words = _words_index(words)

    def parse_count(self, cell: object, *, formula_without_value: bool = False,
                    percent_format: bool = False) -> ParsedCell:
        """Read one cell meant to hold a count of people, classes, units …

        ``percent_format``: the cell's Excel number format is a percentage ("0%", "0.00%"): a number
        in it is a rate as Excel shows it (1 shows as “100%”), not a count."""
        if formula_without_value:
            return ParsedCell(REJECTED, reason="ô chứa công thức chưa có giá trị tính sẵn (hãy mở tệp bằng Excel, "
                                               "tính lại và lưu trước khi gửi)")
        if cell is None:
            return ParsedCell(MISSING)
        if percent_format and isinstance(cell, int | float) and not isinstance(cell, bool):
            return ParsedCell(REJECTED, reason=percent_format_reason(cell))
        if isinstance(cell, str):
            return self._parse_text(cell)
        try:
            return ParsedCell(OK, parse_count(cell))
        except NotACount as exc:
            return ParsedCell(REJECTED, reason=str(exc))

    def _parse_text(self, cell: str) -> ParsedCell:
        text = nfc(cell).strip()
        if not text:
            return ParsedCell(MISSING)
        key = cell_word_key(text)
        if key in self.words:
            meaning, message = self.words[key]
            if meaning == "zero":
                return ParsedCell(OK, 0, fix=message)
            if meaning == "missing":
                return ParsedCell(MISSING, reason=message)
            return ParsedCell(REJECTED, reason=message)
        percent = _PERCENT.match(text)
        if percent:
            number = parse_vietnamese_decimal(percent.group("number"))
            if number is not None:
                over = f"; tỷ lệ {format_as_written(number)} % lớn hơn 100 %" if number > 100 else ""
                return ParsedCell(REJECTED, reason=f"ô ghi tỷ lệ “{text}”: cần số người (số lượng), "
                                                   f"không phải tỷ lệ{over}")
        fraction = _FRACTION.match(text)
        if fraction:
            return ParsedCell(REJECTED, reason=f"ô ghi phân số “{text}”: cần một số nguyên; ghi riêng tử số "
                                               f"({fraction.group('a')}) và mẫu số ({fraction.group('b')}) "
                                               "vào hai cột tương ứng")
        spaced = bool(_SPACED_THOUSANDS.match(text))
        if spaced:
            text = re.sub(f"[{_SPACES}]", "", text)
        if re.fullmatch(r"-\s*[0-9.,]+", text) and parse_vietnamese_decimal(text.lstrip("-").strip()) is not None:
            return ParsedCell(REJECTED, reason=f"số đếm không được âm (“{cell.strip()}”)")
        if not re.fullmatch(r"[0-9][0-9.,]*", text):   # babel would also read "1E3", "+5", "٣"
            return ParsedCell(REJECTED, reason=f"ô không chứa số (“{cell.strip()}”)")
        if COMMA_THOUSANDS.search(text):      # "1,000", "12,500": English thousands or a decimal comma
            return ParsedCell(REJECTED, reason=f"ô ghi “{cell.strip()}”: {COMMA_THOUSANDS_REASON}")
        try:
            value = parse_count(text)
        except NotACount as exc:
            return ParsedCell(REJECTED, reason=f"{exc} (“{cell.strip()}”)")
        if value is None:
            return ParsedCell(MISSING)
        fix = "số có dấu cách giữa các nhóm chữ số (như “1 234”) được đọc là số nguyên" if spaced else ""
        return ParsedCell(OK, value, fix=fix)

    def parse_rate(self, cell: object) -> Decimal | None:
        """A percentage typed in a rate column (97,29 or "97,29%"), None when it is not a number."""
        if cell is None or isinstance(cell, bool):
            return None
        if isinstance(cell, int | float):
            return Decimal(str(cell)) if cell == cell else None
        text = nfc(str(cell)).strip()
        percent = _PERCENT.match(text)
        return parse_vietnamese_decimal(percent.group("number") if percent else text)
