"""Reading counts as typed and writing numbers the Vietnamese way (decimal comma)."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pandas as pd
from babel.numbers import NumberFormatError, format_decimal, parse_decimal

# A number as typed in a Vietnamese sheet: ASCII digits, optional dot thousands, optional decimal
# comma, optional sign. Anything else (exponents, "inf", other scripts) is not a count.
TYPED_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?")
# A comma followed by exactly three digits ("1,000", "12,500", "1,000,000", "1,000.5", "2.000,000"):
# English thousands notation (one thousand) or a Vietnamese decimal comma (one); a count never
# guesses which.
COMMA_THOUSANDS = re.compile(r",[0-9]{3}(?![0-9])")
# Excel keeps 15 significant digits: a longer count was not typed as it is stored, and a count of
# people, classes or centres has far fewer digits.
MAX_COUNT_DIGITS = 15
MAX_COUNT = 10**MAX_COUNT_DIGITS - 1
COMMA_THOUSANDS_REASON = ("dấu phẩy đứng trước đúng ba chữ số: không rõ là dấu ngăn cách hàng nghìn kiểu Anh "
                          "(1,000 = một nghìn) hay dấu thập phân (1,000 = một); hãy ghi số không có dấu ngăn "
                          "cách (như 1000)")


class NotACount(ValueError):
    """The cell does not hold a non-negative whole number; the message is Vietnamese."""


def parse_count(cell: object) -> int | None:
    """Return the count a cell holds, ``None`` for an empty cell.

    Accepts whole numbers stored as numbers and text typed the Vietnamese way ("1.234": dot
    thousands; "1.000,0": a decimal comma, whole). Raises :class:`NotACount` with a Vietnamese
    reason for anything else: a fraction ("97,29", "1.000.000,5"), a negative number, more than
    :data:`MAX_COUNT_DIGITS` digits, and any text with a comma followed by exactly three digits
    ("1,000", "12,500", "1,000,000", "1,000.5"), which is English thousands notation or a decimal
    comma, never guessed.
    """
    if cell is None:
        return None
    if isinstance(cell, bool):
        raise NotACount("ô chứa giá trị đúng/sai, không phải số")
    if isinstance(cell, int):
        number = Decimal(cell)
    elif isinstance(cell, float):
        if math.isnan(cell) or math.isinf(cell):
            raise NotACount("ô không chứa số hợp lệ")
        number = Decimal(str(cell))
    elif isinstance(cell, str):
        text = cell.strip()
        if not text:
            return None
        if COMMA_THOUSANDS.search(text) and not text.lstrip("+-").startswith(","):
            raise NotACount(COMMA_THOUSANDS_REASON)
        if not TYPED_NUMBER.fullmatch(text):
            raise NotACount("ô không chứa số")
        try:
            number = parse_decimal(text, locale="vi", strict=True)
        except (NumberFormatError, InvalidOperation) as exc:
            raise NotACount("ô không chứa số") from exc
    else:
        raise NotACount("ô không chứa số")
    if number != number.to_integral_value():
        if isinstance(cell, str) and "." in cell and "," in cell:
            shown = format(number, "f").replace(".", ",")
            raise NotACount(f"số đếm phải là số nguyên; số có cả dấu chấm và dấu phẩy được đọc theo cách viết Việt "
                            f"Nam (dấu chấm ngăn cách hàng nghìn, dấu phẩy thập phân) là {shown}")
        raise NotACount("số đếm phải là số nguyên")
    if number < 0:
        raise NotACount("số đếm không được âm")
    if number > MAX_COUNT:
        raise NotACount(too_large_reason(int(number)))
    return int(number)


def too_large_reason(number: int) -> str:
    """Why a count of more than :data:`MAX_COUNT_DIGITS` digits is refused (Vietnamese)."""
    return (f"số quá lớn ({len(str(abs(number)))} chữ số): số đếm không thể lớn như vậy, và Excel chỉ giữ đúng "
            f"{MAX_COUNT_DIGITS} chữ số")


def round_half_up(value: float, decimals: int) -> Decimal:
    """Round as officials do (0,5 rounds up), not to even."""
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)


def format_number(value: float | int | None, decimals: int = 0) -> str:
    """Format a number for a reader: decimal comma, dot thousands, fixed decimals ("10,3")."""
    if value is None or pd.isna(value):
        return ""
    rounded = round_half_up(value, decimals)
    pattern = "#,##0" + ("." + "0" * int(decimals) if int(decimals) > 0 else "")
    return format_decimal(rounded, format=pattern, locale="vi")


def format_as_written(value: Decimal | float | int) -> str:
    """A number with just the digits it has, decimal comma, no thousands separator: 1,5 · 0,85 · 8
    (a bound or a value quoted back to whoever typed it, not a figure of the annex)."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return format(number.normalize(), "f").replace(".", ",")
