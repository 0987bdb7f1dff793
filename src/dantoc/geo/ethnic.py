"""The 54 ethnic groups of Vietnam as data, and matching the names found in real files.

`code`: Decision 1019/QĐ-TCTK of 12/11/2008 (2009 and 2019 censuses).
`code_1979`: Decision 121-TCTK/PPCĐ of 02/03/1979 (a different order: Hoa 04, Mường 06, Ngái 11…).
Names follow the spelling of the 2019 census publications; `aliases` hold other names and spellings
that are not mere hyphen/space/apostrophe/tone variants (those match through `ethnic_key`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from dantoc.core.text import fold, nfc
from dantoc.geo.models import EthnicGroup


@dataclass(frozen=True)
class EthnicGroupData:
    code: str
    code_1979: str
    name: str
    aliases: tuple[str, ...] = ()


def _g(code: str, code_1979: str, name: str, *aliases: str) -> EthnicGroupData:
    return EthnicGroupData(code, code_1979, name, aliases)


# Ambiguous other names are left out on purpose: Mán (Dao, Sán Dìu, Sán Chay), Thổ (a group of its own,
# also an old name of Tày and Khơ me people), Trại, Xá Khao (Kháng and La Ha), Lao (Lào and La Hủ),
# Nông/Nồng (Mnông and Nùng), Xá Lá Vàng (Chứt, Mảng, Thổ, La Hủ).
ETHNIC_GROUPS: tuple[EthnicGroupData, ...] = (
    _g("01", "01", "Kinh", "Việt"),
    _g("02", "02", "Tày", "Ngạn", "Phén", "Thù Lao", "Pa Dí"),
    _g(
        "03",
        "03",
        "Thái",
        "Thái Đen",
        "Thái Trắng",
        "Tày Đăm",
        "Tày Khao",
        "Tày Mười",
        "Tày Thanh",
        "Hàng Tổng",
        "Pa Thay",
        "Thổ Đà Bắc",
    ),
    _g("04", "06", "Mường", "Mol", "Mual", "Ao Tá"),
    _g("05", "05", "Khơ me", "Khmer", "Khmer Krôm", "Khơ me Krôm", "Việt gốc Miên"),
    _g(
        "06", "04", "Hoa", "Hán", "Triều Châu", "Phúc Kiến", "Quảng Đông", "Hải Nam", "Xạ Phạng", "Minh Hương"
    ),
    _g(
        "07",
        "07",
        "Nùng",
        "Nùng Phàn Slinh",
        "Phàn Slinh",
        "Nùng Cháo",
        "Nùng An",
        "Nùng Inh",
        "Nùng Lòi",
        "Nùng Giang",
        "Nùng Xuồng",
        "Khèn Lài",
        "Quý Rin",
    ),
    _g(
        "08", "08", "Mông", "H'Mông", "Mèo", "Mèo Hoa", "Mèo Xanh", "Mèo Đỏ", "Mèo Đen", "Ná Mẻo", "Mán Trắng"
    ),
    _g(
        "09",
        "09",
        "Dao",
        "Dao Đỏ",
        "Dao Tiền",
        "Dao Thanh Y",
        "Dao Quần Chẹt",
        "Dao Quần Trắng",
        "Dao Lô Gang",
        "Dao Lan Tẻn",
        "Dao Áo Dài",
        "Kìm Miền",
        "Kìm Mùn",
    ),
    _g("10", "10", "Gia Rai", "Jrai", "Jarai", "Giơ Rai", "Chơ Rai", "Tơ Buăn"),
    _g("11", "12", "Ê Đê", "Rhađê", "Rađê"),
    _g("12", "13", "Ba Na", "Bahnar", "Gơ Lar", "Tơ Lô", "Giơ Lâng", "Rơ Ngao", "Krem", "Roh"),
    _g("13", "15", "Sán Chay", "Cao Lan", "Sán Chỉ", "Cao Lan-Sán Chỉ", "Mán Cao Lan", "Hờn Bạn", "Sơn Tử"),
    _g("14", "17", "Chăm", "Chăm Hroi", "Chiêm Thành", "Chăm Pa"),
    _g("15", "16", "Cơ Ho", "K'Ho", "Koho", "Xrê", "Nốp", "Tu Lốp", "Cơ Don", "Lạch"),
    _g(
        "16",
        "14",
        "Xơ Đăng",
        "Xê Đăng",
        "Sedang",
        "Xơ Teng",
        "Hđang",
        "Tơ Đrá",
        "Mơ Nâm",
        "Ha Lăng",
        "Ca Dong",
        "Kmrâng",
        "Con Lan",
        "Bri La",
    ),
    _g("17", "18", "Sán Dìu", "Sán Dẻo", "Trại Đất", "Mán Quần Cộc", "Mán Váy Xẻ"),
    _g("18", "19", "Hrê", "Chăm Rê", "Chom", "Krẹ Lũy"),
    _g("19", "21", "Ra Glai", "Raglay", "Roglai", "Ra Clây", "Rai", "Noang", "La Oang"),
    _g("20", "20", "Mnông", "Pnông", "Prâng", "Bu Đâng", "Biat", "Rơ Lâm"),
    _g("21", "24", "Thổ", "Kẹo", "Mọn", "Cuối", "Đan Lai", "Ly Hà", "Tày Poọng", "Con Kha"),
    _g("22", "22", "Xtiêng", "Stiêng", "Xa Điêng"),
    _g("23", "29", "Khơ Mú", "Khmu", "Kmhmu", "Xá Cẩu", "Mứn Xen", "Pu Thênh", "Tềnh", "Tày Hay"),
    _g("24", "23", "Bru Vân Kiều", "Bru", "Vân Kiều", "Măng Coong", "Tri", "Khùa"),
    _g("25", "26", "Cơ Tu", "Ca Tu", "Katu", "Kơ Tu"),
    _g("26", "25", "Giáy", "Nhắng", "Dẩng", "Pầu Thìn", "Pu Nà", "Cùi Chu"),
    _g("27", "31", "Tà Ôi", "Pa Cô", "Pa Hi", "Ba Hi", "Tôi Ôi"),
    _g("28", "28", "Mạ", "Châu Mạ", "Mạ Ngăn", "Mạ Xóp", "Mạ Tô", "Mạ Krung"),
    _g("29", "27", "Gié Triêng", "Gié", "Triêng", "Ta Riêng", "Veh", "La Ve", "Bnoong"),
    _g("30", "30", "Co", "Cor", "Col", "Cùa", "Trầu"),
    _g("31", "32", "Chơ Ro", "Châu Ro", "Dơ Ro", "Chro"),
    _g("32", "34", "Xinh Mun", "Xinh Mul", "Puộc", "Pụa"),
    _g("33", "35", "Hà Nhì", "Hani", "U Ni", "Xá U Ni", "Hà Nhì Già"),
    _g("34", "36", "Chu Ru", "Chơ Ru"),
    _g("35", "37", "Lào", "Lào Bốc", "Lào Nọi", "Phu Thay", "Phu Lào"),
    _g("36", "38", "La Chí", "Cù Tê", "La Quả"),
    _g("37", "33", "Kháng", "Mơ Kháng", "Xá Súa", "Xá Dón", "Xá Dẩng", "Xá Hốc", "Xá Ái", "Quảng Lâm"),
    _g("38", "40", "Phù Lá", "Bồ Khô Pạ", "Mu Di Pạ Xá", "Xá Phó", "Phó", "Va Xơ"),
    _g("39", "41", "La Hủ", "Khù Xung", "Cò Xung", "Khả Quy", "Pu Đang"),
    _g("40", "39", "La Ha", "Khlá Phlạo", "Xá Cha", "Xá Táu Nhạ"),
    _g("41", "46", "Pà Thẻn", "Pà Hưng", "Tống"),
    _g("42", "42", "Lự", "Nhuồn", "Duồn"),
    _g("43", "11", "Ngái", "Xín", "Đản", "Khách Gia"),
    _g("44", "44", "Chứt", "Rục", "Sách", "Mày", "Arem", "Mã Liềng"),
    _g("45", "43", "Lô Lô", "Mun Di", "Màn Di", "Ô Man", "Lu Lộc Màn"),
    _g("46", "45", "Mảng", "Mảng Ư", "Xá Mảng", "Niểng O", "Xá Bá O"),
    _g("47", "47", "Cờ Lao", "Ke Lao", "Gelao"),
    _g("48", "49", "Bố Y", "Chủng Chá", "Trọng Gia", "Tu Dí", "Tu Din"),
    _g("49", "48", "Cống", "Xắm Khống", "Mấng Nhé", "Xá Xeng", "Phuy A"),
    _g("50", "50", "Si La", "Cù Dề Xừ", "Khả Pẻ"),
    _g("51", "51", "Pu Péo", "Ka Pèo", "Pen Ti Lô Lô"),
    _g("52", "54", "Rơ Măm"),
    _g("53", "52", "Brâu", "Brao"),
    _g("54", "53", "Ơ Đu", "Tày Hạt"),
)

_PREFIX = re.compile(r"^(?:dan toc|nguoi)\s+")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_PARENS = re.compile(r"\(([^()]*)\)")


def ethnic_key(value: str) -> str:
    """Matching key: folded, no "dân tộc"/"người" prefix, letters and digits only ("H'Mông" → "hmong")."""
    return _NOT_ALNUM.sub("", _PREFIX.sub("", fold(value)))


def _candidates(value: str) -> list[str]:
    """Keys to try: the whole text, then the text outside brackets, then each bracketed part."""
    keys = [ethnic_key(value)]
    if "(" in value:
        keys.append(ethnic_key(_PARENS.sub(" ", value)))
        keys.extend(ethnic_key(part) for part in _PARENS.findall(value))
    return list(dict.fromkeys(k for k in keys if k))


class GroupLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def aliases(self) -> Sequence[str]: ...


class UnknownEthnicGroup(ValueError):
    """A name that matches no group; `suggestion` is the closest group (or None if nothing is close)."""

    def __init__(self, name: str, suggestion: GroupLike | None) -> None:
        self.name = nfc(name)
        self.suggestion = suggestion
        params = {"name": self.name, "suggestion": suggestion.name if suggestion else ""}
        if suggestion is None:
            message = _('Không có dân tộc "%(name)s". / Unknown ethnic group "%(name)s".') % params
        else:
            message = (
                _(
                    'Không có dân tộc "%(name)s". Có phải "%(suggestion)s"? / '
                    'Unknown ethnic group "%(name)s". Did you mean "%(suggestion)s"?'
                )
                % params
            )
        super().__init__(message)


class EthnicMatcher[G]:
    """In-memory index of groups by code, name and alias; no database access after construction.

    Build it once per import (`EthnicMatcher(EthnicGroup.objects.all())`) and call `.match()` per row.
    Groups are anything with `code`, `name` and `aliases` (see GroupLike): model rows or ETHNIC_GROUPS.
    Keys claimed by two groups are ambiguous: they match neither and are listed in `conflicts`.
    """

    SUGGESTION_CUTOFF = 50.0
    MEMO_SIZE = 4096

    def __init__(self, groups: Iterable[G]) -> None:
        self.groups: list[G] = list(groups)
        views = [(g, cast(GroupLike, g)) for g in self.groups]
        self._by_code: dict[str, G] = {v.code: g for g, v in views}
        self._by_key: dict[str, tuple[G, str]] = {}
        self.conflicts: dict[str, list[str]] = {}
        for g, v in views:  # official names first: they win over another group's alias
            self._add(ethnic_key(v.name), g, v.code)
        for g, v in views:
            for alias in v.aliases or ():
                self._add(ethnic_key(alias), g, v.code)
        for key in self.conflicts:
            self._by_key.pop(key, None)
        self._keys = list(self._by_key)
        self._key_groups = [g for g, _code in self._by_key.values()]
        self._seen: dict[str, G | None] = {}  # a list repeats a handful of spellings thousands of times

    def _add(self, key: str, group: G, code: str) -> None:
        if not key:
            return
        current = self._by_key.get(key)
        if current is None:
            self._by_key[key] = (group, code)
        elif current[1] != code:
            codes = self.conflicts.setdefault(key, [current[1]])
            if code not in codes:
                codes.append(code)

    def __len__(self) -> int:
        return len(self.groups)

    def get(self, name: str | int | None) -> G | None:
        """The group for a name, alias or 1019 code ("08", "8", 8), or None."""
        if name is None:
            return None
        text = str(name)
        if text in self._seen:
            return self._seen[text]
        found = self._lookup(text)
        if len(self._seen) < self.MEMO_SIZE:
            self._seen[text] = found
        return found

    def _lookup(self, text: str) -> G | None:
        for key in _candidates(text):
            if key.isdigit():
                found = self._by_code.get(f"{int(key):02d}")
            else:
                hit = self._by_key.get(key)
                found = hit[0] if hit else None
            if found is not None:
                return found
        return None

    def suggest(self, name: str) -> G | None:
        """The closest group by edit distance on matching keys, if reasonably close."""
        best: tuple[float, int] | None = None
        for key in _candidates(name):
            hit = process.extractOne(key, self._keys, scorer=fuzz.ratio, score_cutoff=self.SUGGESTION_CUTOFF)
            if hit is not None and (best is None or hit[1] > best[0]):
                best = (hit[1], hit[2])
        return self._key_groups[best[1]] if best else None

    def match(self, name: str | int | None) -> G:
        """The group for a name, alias or code; raises UnknownEthnicGroup with a suggestion."""
        found = self.get(name)
        if found is None:
            text = "" if name is None else str(name)
            raise UnknownEthnicGroup(text, cast(GroupLike | None, self.suggest(text)))
        return found


# A per-process cache of the matcher over the database rows: cleared on every save/delete of a group
# in this process and by ensure_ethnic_groups(); rebuilt after a TTL so other processes' edits show up.
CACHE_TTL = 300.0
_cache: tuple[float, EthnicMatcher[EthnicGroup]] | None = None


def ethnic_matcher() -> EthnicMatcher[EthnicGroup]:
    """The cached matcher over the EthnicGroup table (one query when (re)built)."""
    global _cache
    now = time.monotonic()
    if _cache is not None and now - _cache[0] < CACHE_TTL:
        return _cache[1]
    matcher = EthnicMatcher(EthnicGroup.objects.all())
    _cache = (now, matcher) if len(matcher) else None
    return matcher


def clear_ethnic_cache(**_kwargs: Any) -> None:
    global _cache
    _cache = None


post_save.connect(clear_ethnic_cache, sender=EthnicGroup, dispatch_uid="dantoc.geo.ethnic.post_save")
post_delete.connect(clear_ethnic_cache, sender=EthnicGroup, dispatch_uid="dantoc.geo.ethnic.post_delete")


def match_ethnic_group(name: str) -> EthnicGroup:
    """The group for a name, alias or code, ignoring case, tone marks, hyphens, apostrophes and spaces."""
    return ethnic_matcher().match(name)


def _merged_aliases(data: Sequence[str], existing: Sequence[str]) -> list[str]:
    """The data's aliases, then aliases added by hand that the data does not already cover."""
    seen = {ethnic_key(a) for a in data}
    extra = [a for a in existing if ethnic_key(a) not in seen]
    return [*data, *extra]


def ensure_ethnic_groups() -> int:
    """Insert or update the 54 groups in one statement; returns how many rows were created or changed.

    Names and 1979 codes are reset to the data; aliases added by hand are kept.
    """
    with transaction.atomic():
        existing = {g.code: g for g in EthnicGroup.objects.all()}
        rows: list[EthnicGroup] = []
        for item in ETHNIC_GROUPS:
            current = existing.get(item.code)
            aliases = _merged_aliases(item.aliases, (current.aliases or []) if current else [])
            wanted = (item.code_1979, item.name, aliases)
            if current and (current.code_1979, current.name, current.aliases) == wanted:
                continue
            rows.append(
                EthnicGroup(code=item.code, code_1979=item.code_1979, name=item.name, aliases=aliases)
            )
        if rows:
            EthnicGroup.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["code"],
                update_fields=["code_1979", "name", "aliases"],
            )
    clear_ethnic_cache()
    return len(rows)
