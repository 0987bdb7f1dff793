"""Text normalisation: NFC storage and tone-insensitive search keys."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def nfc(value: str) -> str:
    """Unicode NFC with collapsed white space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def _slow_fold(value: str) -> str:
    text = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", text).strip().lower()


def _fold_table() -> dict[int, str]:
    """Precomposed Latin letters that fold to one ASCII letter ("ự" → "u", "Đ" → "d")."""
    table: dict[int, str] = {}
    for code in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        ch = chr(code)
        folded = _slow_fold(ch)
        if folded != ch and folded.isascii() and len(folded) == 1:
            table[code] = folded
    return table


_FOLD_TABLE = _fold_table()


def fold(value: str) -> str:
    """Search key: lower case, no tone or vowel marks, đ → d ("Nhượng Bạn" → "nhuong ban").

    Precomposed (NFC) text folds by table lookup; anything else (decomposed marks, other scripts) takes
    the Unicode decomposition path. Both give the same result."""
    converted = value.translate(_FOLD_TABLE)
    if converted.isascii():
        return " ".join(converted.split()).lower()
    return _slow_fold(value)
