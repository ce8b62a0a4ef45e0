"""Unit names however written ("P. Tứ Hạ", "phuong Tu Ha", "XÃ HƯƠNG TOÀN") resolved to GSO codes.

Tiers, in order: exact name (case and the "phường/xã/thị trấn" prefix ignored); the same without
accents when exactly one commune matches; a fuzzy match only when it is clearly better than the
next candidate (``reference/ingest.toml`` [units]). Two communes that differ only by accents
("Hương Văn" / "Hương Vân" typed without accents) are reported as ambiguous, never guessed; an
unknown name is rejected with the closest candidates listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd
from rapidfuzz import fuzz

from helpers.reference import load_ingest_rules, nfc
from helpers.text import fold

EXACT = "exact"
ACCENTS = "accent-insensitive"
FUZZY = "fuzzy"
CODE = "code"
AMBIGUOUS = "ambiguous"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class UnitMatch:
    """How one written name was resolved."""

    written: str
    method: str                      # exact | accent-insensitive | fuzzy | ambiguous | unknown
    code: str = ""
    full_name: str = ""
    candidates: tuple[str, ...] = field(default_factory=tuple)   # "Phường Hương Văn (20011)" …

    @property
    def resolved(self) -> bool:
        return self.method in (EXACT, ACCENTS, FUZZY, CODE)

    def message(self) -> str:
        """The Vietnamese sentence for the quality report (what was done, or why not)."""
        listed = ", ".join(self.candidates)
        if self.method == EXACT:
            return f"đã nhận “{self.written}” là {self.full_name} ({self.code})"
        if self.method == ACCENTS:
            return f"đã nhận “{self.written}” (so khớp không dấu) là {self.full_name} ({self.code})"
        if self.method == FUZZY:
            return f"đã nhận “{self.written}” (gần đúng) là {self.full_name} ({self.code}); hãy kiểm tra lại"
        if self.method == AMBIGUOUS:
            return (f"tên đơn vị “{self.written}” không rõ là đơn vị nào ({listed}); "
                    "hãy ghi tên có dấu hoặc mã đơn vị")
        return f"tên đơn vị “{self.written}” không có trong danh sách phường, xã" + (
            f"; gần nhất: {listed}" if listed else "")


class UnitNames:
    """Resolve written names against a year's communes (``code``, ``name``, ``type``, ``full_name``)."""

    def __init__(self, communes: pd.DataFrame, rules: dict | None = None):
        rules = rules or load_ingest_rules()
        self.rules = rules["units"]
        self.communes = communes.reset_index(drop=True)
        self.prefixes = sorted((fold(p) for p in self.rules["prefixes"]), key=len, reverse=True)
        self.types = {fold(t) for t in self.communes["type"]}

    def strip_prefix(self, text: str) -> str:
        """The name without "P.", "phường", "xã", "thị trấn", "TT." … (accents and case ignored)."""
        name = " ".join(nfc(str(text)).strip().split())
        folded = fold(name)
        for prefix in self.prefixes:
            if re.match(rf"^{re.escape(prefix)}(\.\s*|\s+)\S", folded):
                cut = len(re.match(rf"^{re.escape(prefix)}(\.\s*|\s+)", folded).group(0))
                return name[cut:].strip()
        return name

    def _label(self, i: int) -> str:
        return f"{self.communes.loc[i, 'full_name']} ({self.communes.loc[i, 'code']})"

    def _match(self, written: str, method: str, i: int) -> UnitMatch:
        return UnitMatch(written, method, str(self.communes.loc[i, "code"]), str(self.communes.loc[i, "full_name"]))

    def resolve(self, written: object) -> UnitMatch:
        text = " ".join(nfc(str(written or "")).strip().split())
        core = self.strip_prefix(text)
        names = list(self.communes["name"])
        lower = core.lower()
        exact = [i for i, n in enumerate(names) if n.lower() == lower]
        if len(exact) == 1:
            return self._match(text, EXACT, exact[0])
        folded = fold(core)
        loose = [i for i, n in enumerate(names) if fold(n) == folded]
        if len(loose) == 1:
            return self._match(text, ACCENTS, loose[0])
        if len(loose) > 1:
            return UnitMatch(text, AMBIGUOUS, candidates=tuple(self._label(i) for i in loose))
        scores = sorted(((fuzz.ratio(folded, fold(n)), i) for i, n in enumerate(names)), reverse=True)
        if not scores or not folded:
            return UnitMatch(text, UNKNOWN)
        best_score, best = scores[0]
        second_score = scores[1][0] if len(scores) > 1 else 0
        if best_score >= self.rules["fuzzy_min_score"] and best_score - second_score >= self.rules["fuzzy_margin"]:
            return self._match(text, FUZZY, best)
        listed = tuple(self._label(i) for _, i in scores[: int(self.rules["candidates_listed"])])
        if best_score >= self.rules["fuzzy_min_score"]:
            return UnitMatch(text, AMBIGUOUS, candidates=listed)
        return UnitMatch(text, UNKNOWN, candidates=listed)
