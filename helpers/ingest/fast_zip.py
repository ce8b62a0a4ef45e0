"""Fast path: the members of a workbook's zip archive, read from its bytes and inflated with ISA-L.

Why it exists: before an .xlsx submission is read, its sheets and styles are searched for a
formula and a legacy (.Vn…/VNI-) font (``helpers.ingest.sheets``), once for every one of the
10,000 workbooks of a large year. ``zipfile.ZipFile`` builds a ``ZipInfo`` for each of a
workbook's dozen small members and inflates with zlib; :func:`zip_members` reads only the central
directory of a plain archive, as spreadsheet programs write it, and inflates with ISA-L (``isal``).

The plain equivalent is :func:`zipfile_members` (``zipfile`` and ``zlib``). It is also the way
out: an archive with a comment, zip64 records or anything that does not add up, and a member that
is encrypted, compressed otherwise or does not inflate to its size, go through ``zipfile``, which
refuses a damaged archive (``BadZipFile``, ``zlib.error``). tests/test_ingest.py compares the two
on workbooks, damaged, commented and zip64 ones included; ``bench/run_bench.py`` prints what each
costs per workbook and for cleaning 10,000 workbooks, and the README quotes the figures.
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib
from collections.abc import Callable

from isal import isal_zlib

Members = list[tuple[str, Callable[[], bytes]]]

# A plain zip archive, as spreadsheet programs write it (APPNOTE.TXT 4.3.6, 4.3.12 and 4.3.16).
# End record: entries on this disk and in all, directory size and offset, comment length.
_END_RECORD = struct.Struct("<4s4xHHLLH")
# Directory entry: flags, method, CRC-32, sizes, name/extra/comment lengths, local header offset.
_DIRECTORY_ENTRY = struct.Struct("<4s4xHH4xLLLHHH8xL")
_LOCAL_HEADER = struct.Struct("<4s22xHH")          # local header: name and extra lengths


def zipfile_members(data: bytes) -> Members:
    """The plain equivalent of :func:`zip_members`: ``zipfile`` reads the archive ``data``
    (raising ``BadZipFile`` or ``zlib.error`` for a damaged one)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    return [(info.filename, functools.partial(archive.read, info)) for info in archive.infolist()]


def _listed_members(data: bytes) -> list[tuple[str, tuple[int, int, int, int, int, int]]] | None:
    """The members of the zip archive ``data``: each name with its (flags, method, CRC-32,
    compressed size, size, local header offset), read from the central directory; None unless the archive is plain
    (no comment, no zip64 records, a directory that ends where the end record starts)."""
    end = len(data) - _END_RECORD.size
    if end < 0:
        return None
    signature, on_disk, count, size, offset, comment = _END_RECORD.unpack_from(data, end)
    if signature != b"PK\x05\x06" or comment or on_disk != count or offset + size != end:
        return None
    members, at = [], offset
    for _ in range(count):
        if at + _DIRECTORY_ENTRY.size > end:
            return None
        signature, flags, method, crc, packed, unpacked, name_length, extra_length, comment_length, header = (
            _DIRECTORY_ENTRY.unpack_from(data, at))
        if signature != b"PK\x01\x02":
            return None
        name = data[at + _DIRECTORY_ENTRY.size:at + _DIRECTORY_ENTRY.size + name_length]
        members.append((name.decode("utf-8" if flags & 0x800 else "cp437"),
                        (flags, method, crc, packed, unpacked, header)))
        at += _DIRECTORY_ENTRY.size + name_length + extra_length + comment_length
    return members if at == end else None


def _unpacked(data: bytes, flags: int, method: int, crc: int, packed: int, unpacked: int,
              header: int) -> bytes | None:
    """A member's content, inflated with ISA-L from where its local header says; None for an
    encrypted member, another method, or a content that does not inflate to its size and CRC-32
    (``zipfile`` then reads it, and refuses it if it is damaged)."""
    if flags & 0x1 or method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    if header + _LOCAL_HEADER.size > len(data):
        return None
    signature, name_length, extra_length = _LOCAL_HEADER.unpack_from(data, header)
    if signature != b"PK\x03\x04":
        return None
    start = header + _LOCAL_HEADER.size + name_length + extra_length
    content = data[start:start + packed]
    if method == zipfile.ZIP_DEFLATED:
        try:
            # never more than the listed size and a byte: a member that inflates past it (a zip
            # bomb that lists a small size) is refused, not inflated to its end
            content = isal_zlib.decompressobj(-zlib.MAX_WBITS).decompress(content, unpacked + 1)
        except isal_zlib.error:
            return None
    return content if len(content) == unpacked and isal_zlib.crc32(content) == crc else None


def zip_members(data: bytes) -> Members:
    """The names of the members of the zip archive ``data``, each with a function that returns its
    content: what :func:`zipfile_members` gives, read from the bytes directly where the archive
    and the member are plain, by ``zipfile`` otherwise."""
    return zip_contents(data)[0]


def zip_contents(data: bytes) -> tuple[Members, int]:
    """:func:`zip_members`, and the size of all the members once inflated as the archive's
    directory lists them (what a reader of the workbook would inflate; a member is never inflated
    past its listed size, here or by ``zipfile``)."""
    listed = _listed_members(data)
    if listed is None:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        return ([(info.filename, functools.partial(archive.read, info)) for info in infos],
                sum(info.file_size for info in infos))

    def content(name: str, where: tuple[int, int, int, int, int, int]) -> bytes:
        found = _unpacked(data, *where)
        if found is None:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return archive.read(name)
        return found

    return ([(name, functools.partial(content, name, where)) for name, where in listed],
            sum(where[4] for _, where in listed))
