"""Vietnamese text keys: NFC everywhere, an accent fold only to compare."""

from __future__ import annotations

import re
import unicodedata

from helpers.reference import nfc

__all__ = ["nfc", "fold", "label_key"]


def fold(text: str) -> str:
    """Lower-case, accents removed, đ → d, spaces collapsed: "Hương Văn" → "huong van"."""
    decomposed = unicodedata.normalize("NFD", str(text).lower().replace("đ", "d"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def label_key(text: object) -> str:
    """Key to compare a header or label cell: NFC, lower case, no trailing colon, single spaces."""
    if text is None:
        return ""
    cleaned = re.sub(r"[\s:：]+$", "", nfc(str(text)).strip().lower())
    return " ".join(cleaned.split())
