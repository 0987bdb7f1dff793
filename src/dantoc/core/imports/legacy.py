"""Legacy Vietnamese encodings (TCVN3 "ABC" and VNI Windows) in spreadsheet cells: detect and convert.

A cell typed with a `.VnTime` (TCVN3) or `VNI-Times` (VNI) font holds the font's byte codes read
as Windows-1252 characters: "L¹ng S¬n" is TCVN3 for "Lạng Sơn", "Laïng Sôn" is VNI for it.

Tables: TCVN 5712:1993 (VN3, the "ABC" set used by .Vn fonts: lower-case toned letters and the
upper-case base letters Ă Â Ê Ô Ơ Ư Đ; upper-case toned letters come from the .VnTimeH font, which
draws lower-case codes in capitals, so they convert to lower case) and the VNI Windows font layout
(a base letter followed by a mark character; đ, ơ, ư and the i family are single characters).

Detection is per cell, backed by a per-column verdict: a cell is converted when it cannot be
Vietnamese Unicode as it stands (it holds characters Vietnamese never uses, or its words are not
Vietnamese syllables) and exactly one legacy table turns every affected word into a Vietnamese
syllable. Cells that read correctly both ways ("Mông" is Unicode, or TCVN3 for "Mụng") follow the
verdict of their column, learned from the unambiguous cells of the same file. Plain ASCII and text
holding any Vietnamese letter outside Latin-1 (ạ, ơ, ư, đ…) are Unicode and are never touched.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

MEMO_LIMIT = 20_000
TCVN3 = "tcvn3"
VNI = "vni"
UNICODE = "unicode"

# --- TCVN3 (VN3): one character per letter -------------------------------------------------
_TCVN3_ROWS = {
    # base: (plain, sắc, huyền, hỏi, ngã, nặng) as TCVN3 characters ("" when the letter is ASCII)
    "a": ("", "\u00b8", "\u00b5", "\u00b6", "\u00b7", "\u00b9"),
    "ă": ("\u00a8", "\u00be", "\u00bb", "\u00bc", "\u00bd", "\u00c6"),
    "â": ("\u00a9", "\u00ca", "\u00c7", "\u00c8", "\u00c9", "\u00cb"),
    "e": ("", "\u00d0", "\u00cc", "\u00ce", "\u00cf", "\u00d1"),
    "ê": ("\u00aa", "\u00d5", "\u00d2", "\u00d3", "\u00d4", "\u00d6"),
    "i": ("", "\u00dd", "\u00d7", "\u00d8", "\u00dc", "\u00de"),
    "o": ("", "\u00e3", "\u00df", "\u00e1", "\u00e2", "\u00e4"),
    "ô": ("\u00ab", "\u00e8", "\u00e5", "\u00e6", "\u00e7", "\u00e9"),
    "ơ": ("\u00ac", "\u00ed", "\u00ea", "\u00eb", "\u00ec", "\u00ee"),
    "u": ("", "\u00f3", "\u00ef", "\u00f1", "\u00f2", "\u00f4"),
    "ư": ("\u00ad", "\u00f8", "\u00f5", "\u00f6", "\u00f7", "\u00f9"),
    "y": ("", "\u00fd", "\u00fa", "\u00fb", "\u00fc", "\u00fe"),
}
_TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")  # combining: sắc, huyền, hỏi, ngã, nặng


def _tcvn3_table() -> dict[str, str]:
    table: dict[str, str] = {
        "\u00ae": "đ",
        "\u00a7": "Đ",
        "\u00a1": "Ă",
        "\u00a2": "Â",
        "\u00a3": "Ê",
        "\u00a4": "Ô",
        "\u00a5": "Ơ",
        "\u00a6": "Ư",
    }
    for base, codes in _TCVN3_ROWS.items():
        for code, tone in zip(codes, _TONES, strict=True):
            if code:
                table[code] = unicodedata.normalize("NFC", base + tone)
    return table


TCVN3_TABLE: dict[str, str] = _tcvn3_table()
_TCVN3_TRANSLATE = str.maketrans(TCVN3_TABLE)

# --- VNI Windows: base letter + mark --------------------------------------------------------
# Marks after a, e, o, u, y (lower case; the upper-case marks are the same letters in capitals).
_VNI_MARKS = {
    "\u00f9": "\u0301",
    "\u00f8": "\u0300",
    "\u00fb": "\u0309",
    "\u00f5": "\u0303",
    "\u00ef": "\u0323",
}
# Marks after a, e, o that add a circumflex (â ê ô) with a tone, and after a that add a breve (ă).
_VNI_CIRCUMFLEX = {
    "\u00e2": "",
    "\u00e1": "\u0301",
    "\u00e0": "\u0300",
    "\u00e5": "\u0309",
    "\u00e3": "\u0303",
    "\u00e4": "\u0323",
}
_VNI_BREVE = {
    "\u00ea": "",
    "\u00e9": "\u0301",
    "\u00e8": "\u0300",
    "\u00fa": "\u0309",
    "\u00fc": "\u0303",
    "\u00eb": "\u0323",
}
# Single characters: đ, ơ, ư and the i family (í and ì are themselves), ỵ.
_VNI_SINGLE = {
    "\u00f1": "đ",
    "\u00f4": "ơ",
    "\u00f6": "ư",
    "\u00ed": "í",
    "\u00ec": "ì",
    "\u00e6": "ỉ",
    "\u00f3": "ĩ",
    "\u00f2": "ị",
    "\u00ee": "ỵ",
}


def _vni_table() -> dict[str, str]:
    nfc = unicodedata.normalize
    table: dict[str, str] = {}
    for lower in (True, False):

        def case(s: str, lower: bool = lower) -> str:
            return s if lower else s.upper()

        for single, letter in _VNI_SINGLE.items():
            table[case(single)] = case(letter)
        for base in ("a", "e", "o", "u", "y", "ô", "ö"):
            target = {"ô": "ơ", "ö": "ư"}.get(base, base)
            for mark, tone in _VNI_MARKS.items():
                table[case(base + mark)] = case(nfc("NFC", target + tone))
        for base in ("a", "e", "o"):
            for mark, tone in _VNI_CIRCUMFLEX.items():
                table[case(base + mark)] = case(nfc("NFC", base + "\u0302" + tone))
        for mark, tone in _VNI_BREVE.items():
            table[case("a" + mark)] = case(nfc("NFC", "a\u0306" + tone))
    return table


VNI_TABLE: dict[str, str] = _vni_table()
_VNI_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(VNI_TABLE, key=len, reverse=True)))


def tcvn3_to_unicode(text: str) -> str:
    return unicodedata.normalize("NFC", text.translate(_TCVN3_TRANSLATE))


def vni_to_unicode(text: str) -> str:
    return unicodedata.normalize("NFC", _VNI_PATTERN.sub(lambda m: VNI_TABLE[m.group(0)], text))


CONVERTERS = {TCVN3: tcvn3_to_unicode, VNI: vni_to_unicode}

# --- Detection ------------------------------------------------------------------------------
# Windows-1252 characters of bytes 0x80-0x9F: legacy text may hold them, Vietnamese Unicode never does.
_CP1252_C1 = "".join(bytes([b]).decode("cp1252", errors="ignore") for b in range(0x80, 0xA0))
# Anything beyond Latin-1 and those: a real Unicode letter (ạ ơ ư đ…), so the text is Unicode.
_BEYOND_LEGACY = re.compile("[^\x00-\xff" + re.escape(_CP1252_C1) + "]")
_VI_LATIN1_LETTERS = frozenset("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")
# Symbols a Unicode cell may hold when they stand outside a word ("m²", "25°C", "2×3").
_SYMBOLS = frozenset("\u00a0°±²³×÷·«»§©®½¼¾µ¢£¥¿¡\u00b4")
# Typographic punctuation (Windows-1252 0x80-0x9F), fine anywhere.
_PUNCTUATION = frozenset("\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u2022\u20ac")

_TONE_MARKS = frozenset(_TONES[1:])
_INITIAL = r"(?:ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|sl|pj|[bcdđghklmnpqrstvx])?"
# Nuclei that may take a final consonant, and those that end the syllable themselves.
_OPEN_NUCLEI = [
    "a",
    "ă",
    "â",
    "e",
    "ê",
    "i",
    "o",
    "ô",
    "ơ",
    "u",
    "ư",
    "y",
    "iê",
    "yê",
    "oa",
    "oă",
    "oe",
    "oo",
    "ôô",
    "uâ",
    "uê",
    "uô",
    "uơ",
    "uy",
    "ươ",
    "uyê",
]
_CLOSED_NUCLEI = [
    "ai",
    "ao",
    "au",
    "ay",
    "âu",
    "ây",
    "eo",
    "êu",
    "ia",
    "iu",
    "oi",
    "ôi",
    "ơi",
    "ua",
    "ui",
    "ưa",
    "ưi",
    "ưu",
    "iêu",
    "oai",
    "oao",
    "oay",
    "oeo",
    "uây",
    "uôi",
    "uya",
    "uyu",
    "ươi",
    "ươu",
    "yêu",
]


def _alternation(items: list[str]) -> str:
    return "|".join(sorted(items, key=len, reverse=True))


_SYLLABLE = re.compile(
    rf"^{_INITIAL}(?:(?:{_alternation(_OPEN_NUCLEI)})(?:ch|nh|ng|[cmnpt])?|(?:{_alternation(_CLOSED_NUCLEI)}))$"
)


@lru_cache(maxsize=65536)
def is_vietnamese_syllable(word: str) -> bool:
    """A plausible Vietnamese (or Tày–Nùng place-name) syllable in any of the usual letter cases."""
    if not (word.islower() or word.isupper() or (word[0].isupper() and word[1:].islower())):
        return False
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(1 for ch in decomposed if ch in _TONE_MARKS)
    if tones > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    return bool(_SYLLABLE.match(bare))


# Latin letters as Vietnamese (and legacy text) uses them; ×, ÷ and µ are not letters here.
_LETTERS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_WORD = re.compile(f"[{_LETTERS}]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _is_high(ch: str) -> bool:
    return "\x80" <= ch <= "\xff" or ch in _CP1252_C1


# A character Vietnamese Unicode text never holds (legacy letters, stray Latin-1 letters).
_SUSPECT = re.compile(
    "["
    + re.escape(
        "".join(
            ch
            for ch in [chr(c) for c in range(0x80, 0x100)] + list(_CP1252_C1)
            if ch not in _VI_LATIN1_LETTERS and ch not in _PUNCTUATION and ch not in _SYMBOLS
        )
    )
    + "]"
)
# A symbol between two letters is a legacy letter ("B×nh" is TCVN3 for Bình).
_SYMBOL_IN_WORD = re.compile(f"[{_LETTERS}][{re.escape(''.join(sorted(_SYMBOLS)))}][{_LETTERS}]")


def _reads_as_vietnamese(text: str) -> bool:
    """Every non-ASCII character is a Vietnamese letter inside a syllable, or a symbol outside a word."""
    if _SUSPECT.search(text) or _SYMBOL_IN_WORD.search(text):
        return False
    return all(w.isascii() or is_vietnamese_syllable(w) for w in _WORD.findall(text))


def _unexplained(text: str, encoding: str) -> bool:
    """Whether `text` holds a non-ASCII character the legacy table cannot have produced."""
    rest = _VNI_PATTERN.sub("", text) if encoding == VNI else text
    table = TCVN3_TABLE if encoding == TCVN3 else {}
    return any(
        _is_high(ch) and ch not in table and ch not in _SYMBOLS and ch not in _PUNCTUATION for ch in rest
    )


@dataclass(frozen=True, slots=True)
class Reading:
    """How one cell reads: `strong` is a legacy encoding the cell must be in; `possible` those it may be in."""

    strong: str | None
    possible: tuple[str, ...]
    unicode_ok: bool
    converted: dict[str, str]


_PLAIN = Reading(None, (), True, {})


@lru_cache(maxsize=16384)
def read_cell(text: str) -> Reading:
    if text.isascii() or _BEYOND_LEGACY.search(text):
        return _PLAIN
    unicode_ok = _reads_as_vietnamese(text)
    converted: dict[str, str] = {}
    possible: list[str] = []
    for name, convert in CONVERTERS.items():
        if _unexplained(text, name):
            continue
        out = convert(text)
        if out != unicodedata.normalize("NFC", text) and _reads_as_vietnamese(out):
            converted[name] = out
            possible.append(name)
    strong = possible[0] if not unicode_ok and len(possible) == 1 else None
    return Reading(strong, tuple(possible), unicode_ok, converted)


def detect(values: Iterable[str]) -> str | None:
    """The legacy encoding a set of cells is in, or None for Unicode (or not enough evidence)."""
    votes: Counter[str] = Counter()
    for value in values:
        if not value or value.isascii():
            continue
        if _BEYOND_LEGACY.search(value):
            votes[UNICODE] += 1
            continue
        reading = read_cell(value)
        if reading.strong:
            votes[reading.strong] += 1
        elif reading.unicode_ok and not reading.possible:
            votes[UNICODE] += 1
    if not votes:
        return None
    best, count = max(
        ((k, v) for k, v in votes.items() if k != UNICODE), key=lambda kv: kv[1], default=("", 0)
    )
    return best if best and count >= votes[UNICODE] else None


class TextRepairer:
    """Repairs the text cells of one file: legacy encodings converted, everything NFC, spaces collapsed.

    `learn()` sets the per-column verdicts from a sample of rows; `repair()` is memoised per value.
    """

    def __init__(self) -> None:
        self.sheet_verdict: str | None = None
        self.column_verdicts: dict[int, str | None] = {}
        self._memo: dict[tuple[str, str | None], tuple[str, str | None]] = {}
        self.converted: Counter[str] = Counter()  # cells converted, by encoding

    @property
    def converted_cells(self) -> int:
        return sum(self.converted.values())

    @property
    def encoding_used(self) -> str | None:
        return self.converted.most_common(1)[0][0] if self.converted else None

    SAMPLE_PER_COLUMN = 400  # distinct non-ASCII values per column used to decide

    def learn(self, rows: Iterable[list[object]], extra: Iterable[str] = ()) -> None:
        columns: dict[int, dict[str, None]] = {}
        everything: list[str] = [v for v in extra if v]
        for row in rows:
            for j, value in enumerate(row):
                if isinstance(value, str) and value and not value.isascii():
                    seen = columns.setdefault(j, {})
                    if len(seen) < self.SAMPLE_PER_COLUMN and value not in seen:
                        seen[value] = None
                        everything.append(value)
        self.sheet_verdict = detect(everything)
        self.column_verdicts = {j: detect(values) for j, values in columns.items()}
        self.legacy_seen = self.sheet_verdict is not None or any(self.column_verdicts.values())

    legacy_seen = False
    # The verdict of the row being parsed (set by the engine when the file shows legacy text):
    # a row is usually typed in one font, so its clear cells decide for its ambiguous ones.
    row_verdict: str | None = None

    def start_row(self, cells: Iterable[object]) -> None:
        """Take the verdict of one row from its unambiguous cells (only when the file has legacy text)."""
        votes: Counter[str] = Counter()
        for value in cells:
            if not isinstance(value, str) or value.isascii():
                continue
            if _BEYOND_LEGACY.search(value):
                votes[UNICODE] += 1
                continue
            reading = read_cell(value)
            if reading.strong:
                votes[reading.strong] += 1
            elif reading.unicode_ok and not reading.possible:
                votes[UNICODE] += 1
        ranked = votes.most_common(2)
        if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
            self.row_verdict = None
        else:
            self.row_verdict = ranked[0][0]

    def verdict(self, column: int | None) -> str | None:
        if self.row_verdict is not None:
            return None if self.row_verdict == UNICODE else self.row_verdict
        if column is not None and self.column_verdicts.get(column) is not None:
            return self.column_verdicts[column]
        return self.sheet_verdict

    def repair(self, text: str, column: int | None = None) -> str:
        if text.isascii():
            return " ".join(text.split())
        verdict = self.verdict(column)
        key = (text, verdict)
        found = self._memo.get(key)
        if found is None:
            out, encoding = self._convert(text, verdict)
            found = (" ".join(out.split()), encoding)
            if (
                len(self._memo) < MEMO_LIMIT
            ):  # repeated names (communes, kinds) hit; unique ones would only grow it
                self._memo[key] = found
        if found[1]:
            self.converted[found[1]] += 1
        return found[0]

    def _convert(self, text: str, verdict: str | None) -> tuple[str, str | None]:
        if _BEYOND_LEGACY.search(text) or (verdict is None and _reads_as_vietnamese(text)):
            return unicodedata.normalize("NFC", text), None  # Unicode: the common case, kept cheap
        reading = read_cell(text)
        choice = reading.strong
        if choice is None and verdict in reading.possible:
            choice = verdict
        if choice is None and not reading.unicode_ok and verdict in CONVERTERS and not reading.possible:
            # Wholly legacy column: convert what the table knows even if a word is not a syllable.
            out = CONVERTERS[verdict](text)
            if not _BEYOND_LEGACY.search(text) and out != text:
                return out, verdict
        if choice is None:
            return unicodedata.normalize("NFC", text), None
        return reading.converted[choice], choice


def repair_text(text: str, encoding: str | None = None) -> str:
    """One value on its own: converted when unambiguous (or when `encoding` is given), NFC."""
    return TextRepairer()._convert(text, None)[0] if encoding is None else _force(text, encoding)


def _force(text: str, encoding: str) -> str:
    if text.isascii() or _BEYOND_LEGACY.search(text):
        return unicodedata.normalize("NFC", text)
    return CONVERTERS[encoding](text)
