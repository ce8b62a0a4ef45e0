"""OLE compound files (CFB): a legacy .xls workbook, or an .xlsx saved with a password.

Both start with the same eight bytes. An .xlsx saved with a password ("Encrypt with password") is
not a zip archive but a compound file holding an ``EncryptedPackage`` stream (MS-OFFCRYPTO); an
.xls workbook holds a ``Workbook`` (or, Excel 5/95, ``Book``) stream of BIFF records. The names of
a compound file's streams are written in UTF-16 in its directory, so a file is told by its first
bytes and the names it holds, without reading it all.

The ``Workbook`` stream of an .xls file is read here (:func:`workbook_stream`) so that its records
can be checked before python-calamine reads the file: a sheet's declared dimensions and its cells'
row and column numbers decide what that reader allocates, and a file that claims billions of cells
makes it abort the whole process (an allocation failure in Rust is not an exception).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_NAMES = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
_WORKBOOK_NAMES = ("Workbook", "Book")

_FREE, _END_OF_CHAIN = 0xFFFFFFFF, 0xFFFFFFFE


class CompoundFileError(ValueError):
    """The compound file is damaged: its sectors or directory do not add up."""


def is_compound_file(data: bytes) -> bool:
    return data[:8] == SIGNATURE


def is_encrypted_package(data: bytes) -> bool:
    """An Office document saved with a password: a compound file naming an ``EncryptedPackage``
    (or ``EncryptionInfo``) stream. (An .xls workbook protected by a password is told by its
    FILEPASS record instead: see :func:`scan_workbook_stream`.)"""
    return is_compound_file(data) and any(name in data for name in _ENCRYPTED_NAMES)


def names_a_workbook_stream(data: bytes) -> bool:
    """Whether a compound file names a ``Workbook`` or ``Book`` stream (an .xls workbook), as its
    directory writes names: UTF-16, ended by a zero character."""
    return any((name + "\0").encode("utf-16-le") in data for name in _WORKBOOK_NAMES)


def workbook_stream(data: bytes) -> bytes | None:
    """The ``Workbook`` (or ``Book``) stream of the compound file ``data``, None if it has none;
    raises :class:`CompoundFileError` when the file is damaged."""
    if len(data) < 512 or not is_compound_file(data):
        raise CompoundFileError("not a compound file")
    sector_shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    if sector_shift not in (9, 12) or mini_shift != 6:
        raise CompoundFileError("unknown sector sizes")
    size, mini_size = 1 << sector_shift, 1 << mini_shift
    sectors = (len(data) - size) // size + (1 if (len(data) - size) % size else 0)
    fat_count, first_directory = struct.unpack_from("<II", data, 0x2C)
    mini_cutoff, first_mini_fat, mini_fat_count, first_difat, difat_count = struct.unpack_from("<IIIII", data, 0x38)

    def sector(n: int) -> bytes:
        if n >= sectors:
            raise CompoundFileError(f"sector {n} past the end")
        return data[size + n * size:size + (n + 1) * size]

    # the sectors of the allocation table: 109 listed in the header, the others in a chain
    fat_sectors = list(struct.unpack_from("<109I", data, 0x4C))
    per_sector = size // 4
    n, seen = first_difat, 0
    while n not in (_FREE, _END_OF_CHAIN) and seen <= difat_count:
        entries = struct.unpack(f"<{per_sector}I", sector(n))
        fat_sectors += entries[:-1]
        n, seen = entries[-1], seen + 1
    fat_sectors = [s for s in fat_sectors[:fat_count] if s not in (_FREE, _END_OF_CHAIN)]
    fat = []
    for s in fat_sectors:
        fat += struct.unpack(f"<{per_sector}I", sector(s))

    def chain(first: int, table: list[int]) -> list[int]:
        out, n = [], first
        while n not in (_FREE, _END_OF_CHAIN):
            if n >= len(table) or len(out) > len(table):
                raise CompoundFileError("broken sector chain")
            out.append(n)
            n = table[n]
        return out

    def read(first: int, length: int) -> bytes:
        content = b"".join(sector(n) for n in chain(first, fat))
        if len(content) < length:
            raise CompoundFileError("stream shorter than listed")
        return content[:length]

    directory = b"".join(sector(n) for n in chain(first_directory, fat))
    entries = []
    for at in range(0, len(directory) - 127, 128):
        name_length, kind = struct.unpack_from("<HB", directory, at + 64)
        start, length = struct.unpack_from("<IQ", directory, at + 116)
        if sector_shift == 9:
            length &= 0xFFFFFFFF                  # version 3: the high half is not used
        name = directory[at:at + max(0, min(name_length, 64) - 2)].decode("utf-16-le", "replace")
        entries.append((name, kind, start, length))
    if not entries:
        raise CompoundFileError("no directory")
    found = next((e for wanted in _WORKBOOK_NAMES for e in entries if e[1] == 2 and e[0] == wanted), None)
    if found is None:
        return None
    _, _, start, length = found
    if length > len(data):
        raise CompoundFileError("stream longer than the file")
    if length >= mini_cutoff:
        return read(start, length)
    _, _, root_start, root_length = entries[0]
    mini_stream = read(root_start, min(root_length, len(data)))
    mini_fat = []
    for s in chain(first_mini_fat, fat)[:mini_fat_count or None]:
        mini_fat += struct.unpack(f"<{per_sector}I", sector(s))
    content = b"".join(mini_stream[n * mini_size:(n + 1) * mini_size] for n in chain(start, mini_fat))
    if len(content) < length:
        raise CompoundFileError("stream shorter than listed")
    return content[:length]


# BIFF records (MS-XLS 2.3): the ones that place a cell, with where their row, column and cell
# format (XF index) are; the formats and cell formats of the workbook; a sheet's dimensions.
_BOF, _EOF, _BOUNDSHEET, _FILEPASS, _DIMENSIONS, _FORMAT, _XF = 0x0809, 0x000A, 0x0085, 0x002F, 0x0200, 0x041E, 0x00E0
_NUMBER_CELLS = {0x0203, 0x027E, 0x0006}           # NUMBER, RK, FORMULA: row, column, XF, a number
_OTHER_CELLS = {0x0201, 0x0204, 0x0205, 0x00FD, 0x00D6}   # BLANK, LABEL, BOOLERR, LABELSST, RSTRING
_MULRK, _MULBLANK = 0x00BD, 0x00BE
_ROW, _ROW_HIDDEN = 0x0208, 0x20                   # a row's record, and its fDyZero flag (hidden)
_PERCENT_BUILTIN = {9, 10}                         # "0%", "0.00%"


@dataclass
class SheetRecords:
    """What the BIFF records of one sheet say: its size, its number cells formatted as percents and
    its hidden rows."""

    name: str
    claimed_rows: int = 0            # from its DIMENSIONS record
    claimed_columns: int = 0
    last_row: int = -1               # the furthest cell placed (0-based)
    last_column: int = -1
    percent_cells: set[tuple[int, int]] = field(default_factory=set)
    hidden_rows: set[int] = field(default_factory=set)


@dataclass
class WorkbookRecords:
    encrypted: bool = False
    sheets: list[SheetRecords] = field(default_factory=list)


def scan_workbook_stream(stream: bytes, is_percent_format) -> WorkbookRecords:
    """The sheets of an .xls ``Workbook`` stream (their names, declared dimensions, furthest cell
    and number cells with a percent format), and whether it is protected by a password (FILEPASS).
    ``is_percent_format(code)`` tells whether a custom number format code is a percentage."""
    result = WorkbookRecords()
    formats: set[int] = set(_PERCENT_BUILTIN)
    xf_percent: list[bool] = []
    names: dict[int, str] = {}                     # BOF offset of a sheet → its name
    current: SheetRecords | None = None
    outer: list[SheetRecords | None] = []
    at, end = 0, len(stream)
    unpack = struct.unpack_from
    while at + 4 <= end:
        kind, length = unpack("<HH", stream, at)
        body = at + 4
        if body + length > end:
            break
        if kind in _NUMBER_CELLS or kind in _OTHER_CELLS:
            if current is not None and length >= 6:
                row, column, xf = unpack("<HHH", stream, body)
                current.last_row = max(current.last_row, row)
                current.last_column = max(current.last_column, column)
                if kind in _NUMBER_CELLS and xf < len(xf_percent) and xf_percent[xf]:
                    current.percent_cells.add((row, column))
        elif kind == _MULRK or kind == _MULBLANK:
            if current is not None and length >= 6:
                row, first = unpack("<HH", stream, body)
                (last,) = unpack("<H", stream, body + length - 2)
                current.last_row = max(current.last_row, row)
                current.last_column = max(current.last_column, last, first)
                if kind == _MULRK:
                    for i, column in enumerate(range(first, min(last, first + (length - 6) // 6 - 1) + 1)):
                        (xf,) = unpack("<H", stream, body + 4 + 6 * i)
                        if xf < len(xf_percent) and xf_percent[xf]:
                            current.percent_cells.add((row, column))
        elif kind == _ROW:
            if current is not None and length >= 13 and stream[body + 12] & _ROW_HIDDEN:
                current.hidden_rows.add(unpack("<H", stream, body)[0])
        elif kind == _BOF:                          # a sheet, or a chart or macro sheet inside one
            outer.append(current)
            current = SheetRecords(names[at]) if at in names else None
            if current is not None:
                result.sheets.append(current)
        elif kind == _EOF:
            current = outer.pop() if outer else None
        elif kind == _DIMENSIONS and current is not None:
            if length >= 14:
                first_row, last_row, first_column, last_column = unpack("<IIHH", stream, body)
            elif length >= 10:
                first_row, last_row, first_column, last_column = unpack("<HHHH", stream, body)
            else:
                first_row = last_row = first_column = last_column = 0
            current.claimed_rows = (last_row - first_row) & 0xFFFFFFFF
            if first_column > 0xFF or last_column < first_column:     # as python-calamine reads it
                first_column = 0
            current.claimed_columns = last_column - first_column
        elif kind == _BOUNDSHEET and length >= 8:
            (offset,) = unpack("<I", stream, body)
            names[offset] = _short_string(stream, body + 6, body + length)
        elif kind == _FILEPASS:
            result.encrypted = True
            return result
        elif kind == _FORMAT and length >= 5:
            (number,) = unpack("<H", stream, body)
            if is_percent_format(_unicode_string(stream, body + 2, body + length)):
                formats.add(number)
        elif kind == _XF and length >= 4:
            (number,) = unpack("<H", stream, body + 2)
            xf_percent.append(number in formats)
        at = body + length
    return result


def _short_string(stream: bytes, at: int, end: int) -> str:
    """A ShortXLUnicodeString (a sheet name): a byte of length, a byte of flags, the characters."""
    if at + 2 > end:
        return ""
    length, flags = stream[at], stream[at + 1]
    raw = stream[at + 2:min(end, at + 2 + length * (2 if flags & 1 else 1))]
    return raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")


def _unicode_string(stream: bytes, at: int, end: int) -> str:
    """An XLUnicodeString (a number format code): two bytes of length, a byte of flags, the characters."""
    if at + 3 > end:
        return ""
    (length,) = struct.unpack_from("<H", stream, at)
    flags = stream[at + 2]
    raw = stream[at + 3:min(end, at + 3 + length * (2 if flags & 1 else 1))]
    return raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")
