"""Text helpers for Vietnamese: normalising and folding."""

from __future__ import annotations

import unicodedata


def nfc(value: str) -> str:
    """The composed (NFC) form: keyboards send either, comparisons need one."""
    return unicodedata.normalize("NFC", value)


def fold(value: str) -> str:
    """Lower case without diacritics, for searching: "Cục Trẻ em" -> "cuc tre em"."""
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())
