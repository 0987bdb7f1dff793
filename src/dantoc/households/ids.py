"""ID numbers of persons: the 12-digit CCCD (personal identification number) and the old 9-digit CMND.

Pure functions, usable by forms, services and imports alike:

- `normalize_id_number("020 190 001 234")` → "020190001234" (spaces, dots and dashes removed; a number
  that a spreadsheet stored as a number and so lost its leading zero is padded back: 11 → 12, 8 → 9);
- `id_number_errors(value, birth_year, sex)` → bilingual messages (empty when the number is valid);
- `validate_id_number(...)` raises `ValidationError`; `mask_id_number("020190001456")` → "•••••••••456".

CCCD layout (Decree 137/2015/NĐ-CP, Circular 07/2016/TT-BCA, kept by Decree 70/2024/NĐ-CP):
digits 1–3 the province of birth registration (the 63 codes of the pre-2025 provinces, 001–096),
digit 4 century and sex (0/1: 1900s male/female, 2/3: 2000s, 4/5: 2100s, 6/7: 2200s, 8/9: 2300s),
digits 5–6 the last two digits of the birth year, digits 7–12 a serial number.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MASK = "•"
VISIBLE = 3

# Province codes of the CCCD (Circular 07/2016/TT-BCA, Annex I): the 63 provinces before 1 July 2025.
PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hoà Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hoá",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hoà",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu",
    "079": "Thành phố Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}
LANG_SON = "020"

_SEPARATORS = re.compile(r"[\s.\-_/]+")
_DIGITS = re.compile(r"^[0-9]+$")


def normalize_id_number(raw: object) -> str:
    """Digits only; "" for nothing. Spreadsheet numbers that lost their leading zero are padded back."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = _SEPARATORS.sub("", str(raw).strip().lstrip("'"))
    if _DIGITS.match(text):
        if len(text) == 11:
            return "0" + text
        if len(text) == 8:
            return "0" + text
    return text


def century_digit(birth_year: int, sex: str | None) -> set[str]:
    """The 4th CCCD digit(s) allowed for a birth year (and sex "M"/"F" when known)."""
    base = (birth_year // 100 - 19) * 2
    if base < 0 or base > 8:
        return set()
    if sex == "M":
        return {str(base)}
    if sex == "F":
        return {str(base + 1)}
    return {str(base), str(base + 1)}


def id_kind(value: str) -> str:
    """ "cccd", "cmnd" or "" (unknown shape)."""
    if _DIGITS.match(value or ""):
        if len(value) == 12:
            return "cccd"
        if len(value) == 9:
            return "cmnd"
    return ""


def id_number_errors(value: str, birth_year: int | None = None, sex: str | None = None) -> list[str]:
    """Why `value` (normalised) is not a valid ID number for a person born in `birth_year` of `sex`."""
    if not value:
        return []
    kind = id_kind(value)
    if not kind:
        return [
            _(
                "Số định danh phải gồm 12 chữ số (CCCD) hoặc 9 chữ số (CMND cũ), không có chữ: “%(v)s”. "
                "/ An ID number has 12 digits (CCCD) or 9 digits (old CMND), digits only: “%(v)s”."
            )
            % {"v": value}
        ]
    if kind == "cmnd":
        return []
    errors: list[str] = []
    province = value[:3]
    if province not in PROVINCE_CODES:
        errors.append(
            _(
                "Mã tỉnh “%(code)s” ở 3 chữ số đầu của CCCD không tồn tại (hợp lệ: 001–096 theo "
                "Thông tư 07/2016/TT-BCA). / “%(code)s” in the first 3 digits of the CCCD is not a "
                "province code (valid: 001–096 as in Circular 07/2016/TT-BCA)."
            )
            % {"code": province}
        )
    digit, yy = value[3], value[4:6]
    if birth_year is not None:
        allowed = century_digit(birth_year, None)
        if not allowed:
            errors.append(
                _(
                    "Năm sinh %(y)s nằm ngoài khoảng mà CCCD mã hoá (1900–2399). "
                    "/ Birth year %(y)s is outside the range a CCCD encodes (1900–2399)."
                )
                % {"y": birth_year}
            )
        elif digit not in allowed:
            errors.append(
                _(
                    "Chữ số thứ 4 của CCCD (“%(d)s”, thế kỷ và giới tính) không khớp năm sinh %(y)s "
                    "(phải là %(allowed)s). / The 4th CCCD digit (“%(d)s”, century and sex) does not "
                    "match birth year %(y)s (must be %(allowed)s)."
                )
                % {"d": digit, "y": birth_year, "allowed": "/".join(sorted(allowed))}
            )
        elif sex in ("M", "F") and digit not in century_digit(birth_year, sex):
            errors.append(
                _(
                    "Chữ số thứ 4 của CCCD (“%(d)s”) chỉ giới tính %(cccd_sex)s nhưng hồ sơ ghi %(sex)s. "
                    "/ The 4th CCCD digit (“%(d)s”) says %(cccd_sex_en)s but the record says %(sex_en)s."
                )
                % {
                    "d": digit,
                    "cccd_sex": _sex_vi(int(digit) % 2),
                    "sex": _sex_vi(sex == "F"),
                    "cccd_sex_en": _sex_en(int(digit) % 2),
                    "sex_en": _sex_en(sex == "F"),
                }
            )
        if yy != f"{birth_year % 100:02d}":
            errors.append(
                _(
                    "Chữ số thứ 5–6 của CCCD (“%(yy)s”) phải là hai số cuối của năm sinh %(y)s. "
                    "/ CCCD digits 5–6 (“%(yy)s”) must be the last two digits of birth year %(y)s."
                )
                % {"yy": yy, "y": birth_year}
            )
    return errors


def _sex_vi(female: int | bool) -> str:
    return "nữ" if female else "nam"


def _sex_en(female: int | bool) -> str:
    return "female" if female else "male"


def birth_year_from_cccd(value: str) -> int | None:
    """The birth year a CCCD encodes (None for a CMND or a malformed number)."""
    if id_kind(value) != "cccd":
        return None
    century = 1900 + (int(value[3]) // 2) * 100
    return century + int(value[4:6])


def validate_id_number(
    value: object, birth_year: int | None = None, sex: str | None = None, field: str = "id_number"
) -> str:
    """The normalised number, or `ValidationError` {field: [messages]}."""
    normalised = normalize_id_number(value)
    errors = id_number_errors(normalised, birth_year, sex)
    if errors:
        raise ValidationError({field: errors})
    return normalised


def mask_id_number(value: str | None) -> str:
    """ "020190001456" → "•••••••••456"; "" stays "" (nothing to hide)."""
    if not value:
        return ""
    hidden = max(len(value) - VISIBLE, 0)
    return MASK * hidden + value[hidden:]


@dataclass(frozen=True)
class DuplicateId:
    id_number: str
    keys: tuple[Hashable, ...]


def duplicate_id_numbers(values: Iterable[tuple[Hashable, object]]) -> list[DuplicateId]:
    """Exact duplicates inside one set of rows: (row key, raw ID number) → numbers held by several rows.

    Blank numbers are ignored; numbers are compared after `normalize_id_number`.
    """
    seen: dict[str, list[Hashable]] = defaultdict(list)
    for key, raw in values:
        number = normalize_id_number(raw)
        if number:
            seen[number].append(key)
    return [DuplicateId(n, tuple(keys)) for n, keys in seen.items() if len(keys) > 1]
