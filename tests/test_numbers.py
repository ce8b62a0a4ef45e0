"""Counts as typed by commune officials, numbers as written for readers (decimal comma)."""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.numbers import NotACount, format_number, parse_count, round_half_up

# --------------------------------------------------------------------------- parse_count


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (0, 0),
        (7, 7),
        (1234, 1234),
        (3.0, 3),  # a whole number stored by Excel as a float
        (250.0, 250),
        ("12", 12),
        ("1.234", 1234),  # Vietnamese thousands separator
        (" 1.234 ", 1234),
        ("1.234.567", 1234567),
        ("0", 0),
    ],
)
def test_parse_count_accepts_whole_numbers(cell, expected):
    result = parse_count(cell)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize("cell", [None, "", "   ", "\t\n"])
def test_parse_count_blank_is_none(cell):
    assert parse_count(cell) is None


@pytest.mark.parametrize(
    "cell",
    [
        "97,29",  # a percentage typed with a decimal comma is not a count
        "10,5",
        "-3",
        -3,
        -1.0,
        2.5,
        "Đạt",
        "x",
        "1.2.3",  # not a valid grouping
        "1.23",  # a dot followed by two digits is not a thousands group
        "12 %",
        True,
        False,
        math.nan,
        math.inf,
        -math.inf,
        [1],
        object(),
    ],
)
def test_parse_count_rejects_non_counts(cell):
    with pytest.raises(NotACount) as info:
        parse_count(cell)
    # the message is for the analyst: a non-empty (Vietnamese) sentence
    assert str(info.value).strip()


def test_not_a_count_is_a_value_error():
    # callers (submissions) catch NotACount; it must stay a ValueError subclass
    assert issubclass(NotACount, ValueError)


numberish_text = st.text(alphabet="0123456789.,-+ eE\u00a0", max_size=14)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.one_of(st.text(), numberish_text))
def test_parse_count_on_any_text_raises_only_not_a_count(text):
    try:
        result = parse_count(text)
    except NotACount:
        return
    if result is None:
        assert text.strip() == ""
        return
    assert type(result) is int
    assert result >= 0
    assert any(ch.isdigit() for ch in text), f"{text!r} gave {result} without any digit"


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_parse_count_reads_back_format_number(n):
    # what the workbook writes for a reader ("1.234.567") reads back as the same count
    assert parse_count(format_number(n)) == n
    assert parse_count(str(n)) == n
    assert parse_count(float(n)) == n  # exact: n < 2**53


@pytest.mark.parametrize("text", ["Infinity", "inf", "sNaN", "1e12.306692", "1e999999", "1e3", "1_000", "١٢"])
def test_parse_count_special_decimals(text):
    with pytest.raises(NotACount):
        parse_count(text)


# --------------------------------------------------------------------------- format_number


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (10.3, 1, "10,3"),
        (97.29, 2, "97,29"),
        (1234567, 0, "1.234.567"),
        (1234.5, 1, "1.234,5"),
        (42, 0, "42"),
        (0, 1, "0,0"),
        (50, 2, "50,00"),
        (10.299, 1, "10,3"),
        (66.6666666, 1, "66,7"),
        (100 * 100 / 1100, 2, "9,09"),
    ],
)
def test_format_number_vietnamese_style(value, decimals, expected):
    assert format_number(value, decimals) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (0.5, 0, "1"),
        (1.5, 0, "2"),
        (2.5, 0, "3"),  # round-half-even would give "2"
        (10.25, 1, "10,3"),  # as written (repr), not as the binary float 10.2499…
        (1.005, 2, "1,01"),
        (0.05, 1, "0,1"),
        (0.49, 0, "0"),
    ],
)
def test_format_number_rounds_half_up(value, decimals, expected):
    assert format_number(value, decimals) == expected


@pytest.mark.parametrize("value", [None, pd.NA, math.nan, float("nan")])
def test_format_number_missing_is_empty(value):
    assert format_number(value) == ""
    assert format_number(value, 2) == ""


def test_format_number_accepts_decimal_and_numpy_scalars():
    import numpy as np

    assert format_number(Decimal("10.25"), 1) == "10,3"
    assert format_number(np.float64(97.285), 2) == "97,29"
    assert format_number(np.int64(1000), 0) == "1.000"


def test_round_half_up_returns_decimal_with_requested_places():
    assert round_half_up(2.5, 0) == Decimal("3")
    assert round_half_up(49.45, 1) == Decimal("49.5")
    assert round_half_up(12, 1) == Decimal("12.0")
    assert str(round_half_up(12, 1)) == "12.0"
