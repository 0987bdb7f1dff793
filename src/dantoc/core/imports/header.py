"""Finding the header row below title rows and merged cells, and mapping its columns to a kind's."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from dantoc.core.imports import legacy, parsing
from dantoc.core.imports.columns import Column, Money
from dantoc.core.text import fold

HEADER_SCAN_ROWS = 30
STT_KEYS = {"stt", "tt", "sott", "sothutu", "thutu", "no", "so"}
# A sub-header that only says "total" keeps its group header's meaning ("Số hộ" / "Tổng số").
_TOTAL_SUBHEADERS = {"tongso", "tong", "cong", "tongcong", "soluong", "sl", "tongsoho"}
_NUMBERING_CELL = re.compile(r"^\(?(\d{1,3}|[a-z]{1,2})\)?(\s*=.*)?$", re.IGNORECASE)


@dataclass
class HeaderMatch:
    row_index: int  # index of the (first) header row in the scanned rows
    row_number: int  # its Excel row number
    rows_used: int  # 1, or 2 for a two-row header (group headers merged over sub-headers)
    columns: dict[str, int]  # kind column key → cell index
    texts: dict[str, str]  # kind column key → header as written (repaired)
    multipliers: dict[str, int] = field(default_factory=dict)  # money columns with a unit in their header
    stt_column: int | None = None
    legacy_encoding: str | None = None

    def score(self) -> int:
        return len(self.columns)


def _header_texts(value: Any) -> list[str]:
    """A header cell's text and, when it may be in a legacy encoding, its conversions."""
    if not isinstance(value, str):
        return [parsing.cell_text(value)] if value not in (None, "") else []
    text = " ".join(value.split())
    if not text:
        return []
    reading = legacy.read_cell(text)
    ordered = [reading.converted[reading.strong]] if reading.strong else []
    return [*ordered, text, *reading.converted.values()]


class AliasIndex:
    def __init__(self, columns: Sequence[Column]) -> None:
        self.by_key: dict[str, str] = {}
        for column in columns:
            for key in column.header_keys():
                self.by_key.setdefault(key, column.key)

    def match(self, texts: list[str]) -> tuple[str | None, str | None]:
        """(column key, the text that matched) for the first text whose key names a column."""
        for text in texts:
            found = self.by_key.get(parsing.header_key(text))
            if found:
                return found, text
        return None, None


def _filled(row: list[Any], merges: list[tuple[int, int]]) -> list[Any]:
    """A header row with horizontally merged cells repeated over their span."""
    if not merges:
        return row
    out = list(row)
    for c0, c1 in merges:
        if c0 < len(out):
            for c in range(c0 + 1, min(c1 + 1, len(out))):
                if out[c] in (None, ""):
                    out[c] = out[c0]
    return out


def _row_match(row: list[Any], index: AliasIndex, merges: list[tuple[int, int]]) -> HeaderMatch:
    columns: dict[str, int] = {}
    texts: dict[str, str] = {}
    stt = None
    merged_cols = {c for c0, c1 in merges for c in range(c0 + 1, c1 + 1)}
    encoding = None
    for j, value in enumerate(_filled(row, merges)):
        if j in merged_cols:
            continue  # a merged group header counts once, at its first cell
        candidates = _header_texts(value)
        key, text = index.match(candidates)
        if key and key not in columns:
            columns[key] = j
            texts[key] = text or ""
            if isinstance(value, str) and text != " ".join(value.split()):
                encoding = encoding or legacy.read_cell(" ".join(value.split())).strong
        elif stt is None and candidates and parsing.header_key(candidates[0]) in STT_KEYS:
            stt = j
    return HeaderMatch(0, 0, 1, columns, texts, stt_column=stt, legacy_encoding=encoding)


def _looks_like_data(row: list[Any]) -> bool:
    numeric = sum(1 for v in row if isinstance(v, int | float) and not isinstance(v, bool))
    return numeric > 1


def find_header(
    rows: list[tuple[int, list[Any]]],
    columns: Sequence[Column],
    merged: Sequence[tuple[tuple[int, int], tuple[int, int]]],
    col_offset: int = 0,
) -> HeaderMatch | None:
    """The best header among the first rows, with a second header row merged in when there is one."""
    index = AliasIndex(columns)
    by_row: dict[int, list[tuple[int, int]]] = {}
    for (r0, c0), (r1, c1) in merged:
        if c1 > c0:
            for r in range(r0, r1 + 1):
                by_row.setdefault(r, []).append((c0 - col_offset, c1 - col_offset))
    best: HeaderMatch | None = None
    for i, (number, row) in enumerate(rows[:HEADER_SCAN_ROWS]):
        if not any(v not in (None, "") for v in row):
            continue
        match = _row_match(row, index, by_row.get(number - 1, []))
        if match.score() and (best is None or match.score() > best.score()):
            match.row_index, match.row_number = i, number
            best = match
    if best is None:
        return None
    _merge_second_row(best, rows, index, by_row)
    return best


def _merge_second_row(
    best: HeaderMatch,
    rows: list[tuple[int, list[Any]]],
    index: AliasIndex,
    by_row: dict[int, list[tuple[int, int]]],
) -> None:
    """Two-row headers: a group header ("Số hộ") over sub-headers ("Tổng số", "DTTS", "Nghèo")."""
    if best.row_index + 1 >= len(rows):
        return
    _number, sub = rows[best.row_index + 1]
    if sub is None or _looks_like_data(sub) or is_numbering_row(sub):
        return
    top_number, top_row = rows[best.row_index]
    top = _filled(top_row, by_row.get(top_number - 1, []))
    added: dict[str, int] = {}
    texts: dict[str, str] = {}
    taken = dict(best.columns)
    for j, value in enumerate(sub):
        sub_texts = _header_texts(value)
        if not sub_texts:
            continue
        top_texts = _header_texts(top[j]) if j < len(top) else []
        combined = [f"{t} {s}" for t in top_texts[:1] for s in sub_texts]
        key, text = index.match(combined + sub_texts)
        if key is None and top_texts and parsing.header_key(sub_texts[0]) in _TOTAL_SUBHEADERS:
            key, text = index.match(top_texts)
            if key and taken.get(key) not in (None, j) and key in best.columns:
                # the group header was matched at its first cell: move it under "Tổng số"
                taken.pop(key, None)
        if key and key not in added and (key not in taken or taken[key] == j):
            added[key] = j
            texts[key] = text or ""
    if not added:
        return
    # Columns re-mapped from the second row replace the group header's own match.
    for key, j in added.items():
        best.columns = {k: v for k, v in best.columns.items() if v != j or k == key}
        best.columns[key] = j
        best.texts[key] = texts[key]
    best.rows_used = 2


def is_numbering_row(row: list[Any]) -> bool:
    """A row under the header numbering the columns: "1 2 3 4", "(1) (2) (3)", "A B 1 2 3=1+2".

    Letters come first and run A, B, C…; numbers then increase. Two labels are enough only when both
    are numbers starting at 1.
    """
    labels: list[int | str] = []
    for v in row:
        if v in (None, ""):
            continue
        if isinstance(v, float | int) and not isinstance(v, bool):
            if not float(v).is_integer():
                return False
            labels.append(int(v))
            continue
        m = _NUMBERING_CELL.match(v.strip()) if isinstance(v, str) else None
        if not m:
            return False
        token = m.group(1)
        labels.append(int(token) if token.isdigit() else token.upper())
    letters = [x for x in labels if isinstance(x, str)]
    numbers = [x for x in labels if isinstance(x, int)]
    if labels[: len(letters)] != letters or any(len(x) != 1 for x in letters):
        return False
    if [ord(x) for x in letters] != list(range(ord("A"), ord("A") + len(letters))):
        return False
    if any(b <= a for a, b in pairwise(numbers)):
        return False
    if len(labels) >= 3:
        return True
    return len(labels) == 2 and not letters and numbers[0] == 1


_ROMAN = re.compile(r"^(?=[IVXLC])M*(C[MD]|D?C{0,3})(X[CL]|L?X{0,3})(I[XV]|V?I{0,3})\.?$")
_TOTAL = re.compile(
    r"^(tong cong|tong so|tong|cong|total|grand total)\s*[:.]?$|^tong cong\b|^cong (huyen|xa|tinh|toan)\b"
)
_FOOTER = re.compile(
    r"^(nguoi lap( bieu| bang)?|thu truong( don vi| co quan)?|ke toan truong)\s*[:.]?$|"
    r"\(ky,? (ghi ro )?ho (va )?ten|\(ky ten,? dong dau\)"
)


def is_section_marker(value: Any) -> bool:
    """An STT cell that numbers a group ("I", "II", "A", "B") rather than a row."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return bool(_ROMAN.match(text)) or (len(text) == 1 and text.isalpha() and text.isupper())


def is_total_text(value: Any) -> bool:
    return isinstance(value, str) and bool(_TOTAL.match(fold(value).strip()))


def is_footer_text(value: Any) -> bool:
    return isinstance(value, str) and bool(_FOOTER.search(fold(value).strip()))


def money_multipliers(
    match: HeaderMatch, columns: Sequence[Column], header_rows: list[list[Any]], table_unit: int | None
) -> dict[str, int]:
    """Per money column: the unit its header states, else the table's unit line, else the column default."""
    out: dict[str, int] = {}
    for column in columns:
        if not isinstance(column, Money) or column.key not in match.columns:
            continue
        j = match.columns[column.key]
        stated = None
        for row in header_rows:
            if j < len(row):
                for text in _header_texts(row[j]):
                    stated = parsing.money_unit(text)
                    if stated:
                        break
            if stated:
                break
        out[column.key] = stated or table_unit or column.default_multiplier
    return out
