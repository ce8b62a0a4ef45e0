"""Legacy Vietnamese encodings (TCVN3 ".VnTime", VNI "VNI-Times") converted to NFC Unicode.

Old commune files were typed with 8-bit fonts: the letters are stored as Latin-1 look-alikes
("H\u00adíng" for "Hướng") and only the font makes them readable. The encoding is decided by the
font of each cell (``.Vn…`` = TCVN3, ``VNI-…`` = VNI), never guessed from the text: per-cell
guessing corrupts real names (toolchain notes). The conversion tables are viparse's.
"""

from __future__ import annotations

import viparse

from helpers.reference import nfc

TCVN3 = "tcvn3"
VNI = "vni"
ENCODING_LABELS = {TCVN3: "TCVN3", VNI: "VNI"}


def encoding_for_font(font_name: str | None) -> str | None:
    """The legacy encoding a font implies (``tcvn3``, ``vni``) or None for a Unicode font."""
    if not font_name:
        return None
    name = str(font_name).strip().upper()
    if name.startswith(".VN"):
        return TCVN3
    if name.startswith("VNI"):
        return VNI
    return None


def to_unicode(text: str, encoding: str | None) -> str:
    """``text`` typed in ``encoding`` (None = already Unicode) as NFC Unicode."""
    if encoding is None:
        return nfc(text)
    return nfc(viparse.fix(text, encoding=encoding))
