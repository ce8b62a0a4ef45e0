"""Commune tables ("wide" sheets): one row per commune, one column per field, headers in Vietnamese.

Headers are merged across cells and split over two or three rows, in any column order, with
spelling variants and unit suffixes. Each column's header rows are joined top to bottom and
matched against ``reference/header_aliases.csv`` (plus every catalogue label and field id) on a
normalised key (:func:`header_key`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.errors import WorkbookError
from helpers.paths import REFERENCE_DIR
from helpers.reference import nfc, read_reference_csv
from helpers.text import fold

UNIT_NAME = "@unit_name"
UNIT_CODE = "@unit_code"
ORDER = "@order"
NOTE = "@note"
YEAR = "@year"
RATE = "@rate"
ROLES = (UNIT_NAME, UNIT_CODE, ORDER, NOTE, YEAR, RATE)
_NUMBERING = re.compile(r"^\(?\s*\d{1,3}\s*\)?$")


def header_key(text: object) -> str:
    """Normalised header: "Dân số từ 15 đến 60 tuổi (người)" → "dan so 15-60 tuoi"."""
    if text is None:
        return ""
    key = fold(nfc(str(text)).replace("\n", " "))
    key = re.sub(r"[\u2010-\u2015\u2212]", "-", key)
    key = re.sub(r"\(([^()]*)\)", lambda m: f" {m.group(1)} " if re.search(r"\d", m.group(1)) else " ", key)
    key = re.sub(r"\btu\s+(\d+)\s+(?:den|-)\s+(\d+)", r"\1-\2", key)
    key = re.sub(r"(\d)\s*-\s*(\d)", r"\1-\2", key)
    key = re.sub(r"[,.;:/\\|_\"'“”]+", " ", key)
    return " ".join(key.split())


def is_numbering(text: object) -> bool:
    """A column-numbering cell such as "(1)", "2"."""
    return text is not None and bool(_NUMBERING.match(str(text).strip()))


class HeaderAliases:
    """Header text → catalogue field or role, from the catalogue and ``reference/header_aliases.csv``."""

    def __init__(self, fields: pd.DataFrame, reference_dir: Path = REFERENCE_DIR):
        table = read_reference_csv(Path(reference_dir) / "header_aliases.csv")
        known = set(fields["field"]) | set(ROLES)
        unknown = table[~table["field"].isin(known)]
        if len(unknown):
            raise WorkbookError(f"reference/header_aliases.csv: “{unknown['alias'].iloc[0]}” trỏ tới trường "
                                f"“{unknown['field'].iloc[0]}” không có trong reference/fields.csv.")
        self.exact: dict[str, str] = {}
        self.prefixes: list[tuple[str, str]] = []
        # The catalogue's own ids and labels; a label shared by two fields is not an alias.
        label_counts = fields["label"].map(header_key).value_counts()
        for fid, label in zip(fields["field"], fields["label"], strict=True):
            self.exact[header_key(fid)] = fid
            if label_counts[header_key(label)] == 1:
                self.exact[header_key(label)] = fid
        written: dict[str, str] = {}
        for alias, target in zip(table["alias"], table["field"], strict=True):
            if alias.endswith("*"):
                self.prefixes.append((header_key(alias[:-1]), target))
                continue
            key = header_key(alias)
            if written.get(key, target) != target:
                raise WorkbookError(f"reference/header_aliases.csv: tiêu đề “{alias}” được gán cho hai trường "
                                    f"({written[key]}, {target}).")
            written[key] = self.exact[key] = target

    def lookup_key(self, key: str) -> str | None:
        if not key:
            return None
        if key in self.exact:
            return self.exact[key]
        for prefix, target in self.prefixes:
            if prefix and key.startswith(prefix):
                return target
        return None

    def lookup(self, parts: list[str]) -> str | None:
        """The field of a column whose header rows read ``parts`` (top to bottom): the whole
        joined header first, then its lower parts."""
        keys = [header_key(p) for p in parts if header_key(p)]
        for start in range(len(keys)):
            target = self.lookup_key(" ".join(keys[start:]))
            if target:
                return target
        return None


@dataclass
class TableHeader:
    """Where a commune table's header is and what each column holds."""

    first_row: int                                   # 0-based, inclusive
    last_row: int
    columns: dict[int, str]                          # column → field or role
    labels: dict[int, str]                           # column → joined header text (as written)
    unknown: dict[int, str] = field(default_factory=dict)       # columns no alias matched
    duplicates: dict[int, str] = field(default_factory=dict)    # columns repeating a field

    def column_of(self, role: str) -> int | None:
        return next((c for c, f in self.columns.items() if f == role), None)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def find_table_header(grid: list[list[object]], aliases: HeaderAliases, rules: dict) -> TableHeader | None:
    """The header of a commune table in a (merge-filled) grid, or None when there is none."""
    search = min(len(grid), int(rules["header"]["search_rows"]))
    max_rows = int(rules["header"]["max_header_rows"])
    for r in range(search):
        unit_col = next((c for c, v in enumerate(grid[r]) if not _blank(v) and not _is_number(v)
                         and aliases.lookup([str(v)]) == UNIT_NAME), None)
        if unit_col is None:
            continue
        last = r
        while last + 1 < len(grid) and last + 1 - r < max_rows:
            below = grid[last + 1]
            unit_cell = below[unit_col]
            if any(_is_number(v) for v in below):
                break
            if not (_blank(unit_cell) or unit_cell == grid[r][unit_col]):
                break
            if all(_blank(v) for v in below):
                break
            last += 1
        header_rows = [list(row) for row in grid[r:last + 1]]
        # An exported (unmerged) group header stands above its first column only: extend it right.
        for i in range(len(header_rows) - 1):
            for c in range(1, len(header_rows[i])):
                if _blank(header_rows[i][c]) and not _blank(header_rows[i + 1][c]) \
                        and not _blank(header_rows[i + 1][c - 1]) and not _blank(header_rows[i][c - 1]) \
                        and c - 1 != unit_col:
                    header_rows[i][c] = header_rows[i][c - 1]
        columns, labels, unknown, duplicates = {}, {}, {}, {}
        seen: dict[str, int] = {}
        for c in range(len(grid[r])):
            parts: list[str] = []
            for row in header_rows:
                text = "" if _blank(row[c]) else " ".join(nfc(str(row[c])).split())
                if text and (not parts or parts[-1] != text):
                    parts.append(text)
            if not parts:
                continue
            label = " / ".join(parts)
            target = aliases.lookup(parts)
            labels[c] = label
            if target is None:
                unknown[c] = label
            elif target in seen and target not in (RATE, NOTE):
                duplicates[c] = target
            else:
                seen.setdefault(target, c)
                columns[c] = target
        if not any(t not in ROLES for t in columns.values()):
            continue
        return TableHeader(r, last, columns, labels, unknown, duplicates)
    return None


def year_in_title(grid: list[list[object]], above_row: int) -> list[int]:
    """Years written as "năm 2023" in the title rows above a table."""
    years = []
    for row in grid[:above_row]:
        for value in row:
            if isinstance(value, str):
                years += [int(y) for y in re.findall(r"\bnam(?:\s+hoc)?\s+(20\d\d)\b", fold(value))]
    return years


def column_letter(c: int) -> str:
    """Excel column letter of a 0-based column index (0 → A)."""
    letters = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
