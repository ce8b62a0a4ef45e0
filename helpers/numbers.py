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


class NotACount(ValueError):
    """The cell does not hold a non-negative whole number; the message is Vietnamese."""


def parse_count(cell: object) -> int | None:
    """Return the count a cell holds, ``None`` for an empty cell.

    Accepts whole numbers stored as numbers and text typed the Vietnamese way ("1.234").
    Raises :class:`NotACount` with a Vietnamese reason for anything else.
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
        if not TYPED_NUMBER.fullmatch(text):
            raise NotACount("ô không chứa số")
        try:
            number = parse_decimal(text, locale="vi", strict=True)
        except (NumberFormatError, InvalidOperation) as exc:
            raise NotACount("ô không chứa số") from exc
    else:
        raise NotACount("ô không chứa số")
    if number != number.to_integral_value():
        raise NotACount("số đếm phải là số nguyên")
    if number < 0:
        raise NotACount("số đếm không được âm")
    return int(number)


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
