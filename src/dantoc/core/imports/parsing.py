"""Cell parsing: header keys, Vietnamese numbers, money units, dates."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from dantoc.core.text import fold

EXCEL_EPOCH = dt.date(1899, 12, 30)
MIN_YEAR, MAX_YEAR = 1900, 2100


# --- Headers ----------------------------------------------------------------------------------
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Money units as headers state them, on folded text: "(triệu đồng)", "(Tr.đ)", "ĐVT: tỷ đồng", "(1.000 đ)".
_MONEY_UNITS: list[tuple[re.Pattern[str], int]] = [
    (re.compile(r"\bty\s*(?:dong|vnd|d)?\b"), 10**9),
    (re.compile(r"\b(?:trieu\s*(?:dong|vnd|d)?|tr\.?\s*d(?:ong)?|trd)\b"), 10**6),
    (re.compile(r"\b(?:nghin|ngan)\s*(?:dong|vnd|d)?\b|\b1[.,]?000\s*(?:dong|vnd|d)\b"), 10**3),
    (re.compile(r"\b(?:dong|vnd|d)\b"), 1),
]
_UNIT_PARENS = re.compile(r"\(([^()]*)\)")
_DVT = re.compile(r"(?:don vi tinh|dvt)\s*[:.]?\s*(.+)$")


@lru_cache(maxsize=8192)
def header_key(text: object) -> str:
    """Comparable key of a header: folded, units in brackets dropped, letters and digits only."""
    if text is None:
        return ""
    folded = fold(str(text))
    folded = _UNIT_PARENS.sub(
        lambda m: "" if money_unit(m.group(1)) or _is_unit(m.group(1)) else m.group(0), folded
    )
    return _NON_ALNUM.sub("", folded)


_OTHER_UNITS = {"nguoi", "ho", "khau", "nhan khau", "%", "ha", "m2", "km", "so", "ngay", "nam", "dd/mm/yyyy"}


def _is_unit(text: str) -> bool:
    t = fold(text).strip()
    return t in _OTHER_UNITS or t.startswith(("don vi", "dvt"))


def money_unit(text: str | None) -> int | None:
    """Multiplier to whole đồng stated by a header or a unit cell ("(triệu đồng)" → 1,000,000), or None."""
    if not text:
        return None
    folded = fold(str(text))
    candidates = [m.group(1) for m in _UNIT_PARENS.finditer(folded)]
    dvt = _DVT.search(folded)
    if dvt:
        candidates.append(dvt.group(1))
    for candidate in candidates:
        for pattern, factor in _MONEY_UNITS:
            if pattern.search(candidate):
                return factor
    if len(folded) <= 16:  # a bare unit ("Triệu đồng") must be all there is
        for pattern, factor in _MONEY_UNITS:
            m = pattern.search(folded)
            if m and m.group(0).strip() == folded.strip():
                return factor
    return None


def unit_line_multiplier(text: str) -> int | None:
    """A table-wide unit line above the header ("ĐVT: triệu đồng", "Đơn vị tính: Tỷ đồng")."""
    folded = fold(text)
    m = _DVT.search(folded)
    if not m:
        return None
    for pattern, factor in _MONEY_UNITS:
        if pattern.search(m.group(1)):
            return factor
    return None


# --- Numbers ----------------------------------------------------------------------------------
_NUMBER_CHARS = re.compile(r"^[+-]?[0-9][0-9.,\s\u00a0']*$")
_VI_HINT = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$|^\d+,\d{1,2}$|^\d+,\d{4,}$")
_EN_HINT = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$|^\d+\.\d{1,2}$|^\d+\.\d{4,}$")
EMPTY_MARKS = frozenset({"-", "--", "—", "–", "x", "X", "0-", "…", "..."})


class NumberStyle:
    """Decimal separator of the file: "vi" (1.234.567,5) by default, "en" (1,234,567.5) when the file shows it."""

    VI = "vi"
    EN = "en"


def detect_number_style(samples: list[str]) -> str:
    vi = en = 0
    for s in samples:
        s = s.strip().lstrip("+-")
        if _VI_HINT.match(s):
            vi += 1
        elif _EN_HINT.match(s):
            en += 1
    return NumberStyle.EN if en > vi else NumberStyle.VI


def parse_decimal(value: object, style: str = NumberStyle.VI) -> Decimal | None:
    """A number from a cell: calamine floats, or text in Vietnamese or English notation.

    Raises ValueError when the text is not a number. Empty cells and "-" give None.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(value)
        return Decimal(repr(value)) if not value.is_integer() else Decimal(int(value))
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError(value)
    text = value.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if text in EMPTY_MARKS or text == "":
        return None
    negative = False
    if text.startswith("(") and text.endswith(")"):  # accounting negatives
        negative, text = True, text[1:-1]
    if not _NUMBER_CHARS.match(text):
        raise ValueError(value)
    if text[0] in "+-":
        negative, text = negative ^ (text[0] == "-"), text[1:]
    text = _normalise_separators(text, style)
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(value) from exc
    return -number if negative else number


def _normalise_separators(text: str, style: str) -> str:
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        # The separator that comes last is the decimal one.
        if text.rfind(",") > text.rfind("."):
            return _grouped(text, ".", ",")
        return _grouped(text, ",", ".")
    if dots > 1:
        return _grouped(text, ".", None)
    if commas > 1:
        return _grouped(text, ",", None)
    sep = "." if dots else "," if commas else None
    if sep is None:
        return text
    head, tail = text.split(sep)
    if len(tail) == 3 and 1 <= len(head) <= 3 and head != "0":
        # "1.234" / "1,234": grouping in the file's own style.
        grouping = "." if style == NumberStyle.VI else ","
        if sep == grouping:
            return head + tail
    return f"{head}.{tail}"


def _grouped(text: str, group: str, decimal: str | None) -> str:
    whole, _, frac = text.partition(decimal) if decimal else (text, "", "")
    parts = whole.split(group)
    if not parts[0] or any(len(p) != 3 for p in parts[1:]) or len(parts[0]) > 3:
        raise ValueError(text)
    if decimal and (not frac or group in frac):
        raise ValueError(text)
    return "".join(parts) + (f".{frac}" if frac else "")


def parse_int(value: object, style: str = NumberStyle.VI) -> int | None:
    number = parse_decimal(value, style)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError(value)
    return int(number)


def parse_money(value: object, multiplier: int = 1, style: str = NumberStyle.VI) -> int | None:
    """Whole đồng: the number times the header's unit, rounded half up."""
    number = parse_decimal(value, style)
    if number is None:
        return None
    return int((number * multiplier).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


# --- Dates ------------------------------------------------------------------------------------
_DMY = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_MY = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")
_LONG = re.compile(r"ngay\s*(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{2,4})")


def _year2(yy: int) -> int:
    pivot = (dt.date.today().year % 100) + 10
    return 2000 + yy if yy <= pivot else 1900 + yy


def parse_date(value: object, *, year_end: bool = False) -> dt.date | None:
    """A date from a cell: date objects, Excel serial numbers, a bare year, or text.

    Text: dd/mm/yyyy, d/m/yy (also with "." or "-"), yyyy-mm-dd, mm/yyyy, a bare year, and
    "ngày 16 tháng 6 năm 2025". A bare year or month is its first day, or its last with `year_end`.
    Raises ValueError on anything else.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float | Decimal):
        number = float(value)
        if not number.is_integer() and not (number > MAX_YEAR):
            raise ValueError(value)
        whole = int(number)
        if MIN_YEAR <= whole <= MAX_YEAR:
            return dt.date(whole, 12, 31) if year_end else dt.date(whole, 1, 1)
        if 1 <= whole <= 2958465:
            return EXCEL_EPOCH + dt.timedelta(days=whole)
        raise ValueError(value)
    if not isinstance(value, str):
        raise ValueError(value)
    text = value.strip()
    if text in EMPTY_MARKS:
        return None
    m = _DMY.match(text)
    if m:
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        return dt.date(_year2(y) if len(m.group(3)) == 2 else y, mo, d)
    m = _YMD.match(text)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _MY.match(text)
    if m:
        mo, y = int(m.group(1)), int(m.group(2))
        if year_end:
            nxt = dt.date(y + (mo == 12), mo % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        return dt.date(y, mo, 1)
    m = _YEAR.match(text)
    if m:
        y = int(m.group(1))
        if not MIN_YEAR <= y <= MAX_YEAR:
            raise ValueError(value)
        return dt.date(y, 12, 31) if year_end else dt.date(y, 1, 1)
    m = _LONG.search(fold(text))
    if m:
        y = int(m.group(3))
        return dt.date(_year2(y) if y < 100 else y, int(m.group(2)), int(m.group(1)))
    if text.isdigit():  # a serial number typed as text
        return parse_date(int(text), year_end=year_end)
    raise ValueError(value)


def parse_year(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.year
    year = parse_int(value if not isinstance(value, str) else value.strip().replace(".", "").replace(",", ""))
    if year is None:
        return None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(value)
    return year


def cell_text(value: object) -> str:
    """A cell as the user sees it, for messages and text columns (1234567.0 → "1234567")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return f"{value:%d/%m/%Y %H:%M}" if (value.hour, value.minute) != (0, 0) else f"{value:%d/%m/%Y}"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
