"""Money and number formatting in Vietnamese notation (amounts are whole đồng)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats
from django.utils.translation import gettext as _


def number(value: int | float | Decimal, decimals: int = 0) -> str:
    """Locale-aware grouping: 1.234.567 / 226,3 under `vi`."""
    q = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = formats.number_format(q, decimal_pos=decimals, use_l10n=True, force_grouping=True)
    if decimals:
        sep = formats.get_format("DECIMAL_SEPARATOR")
        text = text.rstrip("0").rstrip(sep) if sep in text else text
    return text


def dong(value: int | None) -> str:
    if value is None:
        return ""
    return _("%(amount)s đồng") % {"amount": number(value)}


def trieu(value: int | None, decimals: int = 1) -> str:
    if value is None:
        return ""
    return _("%(amount)s triệu đồng") % {"amount": number(Decimal(value) / 10**6, decimals)}


def ty(value: int | None, decimals: int = 1) -> str:
    if value is None:
        return ""
    return _("%(amount)s tỷ đồng") % {"amount": number(Decimal(value) / 10**9, decimals)}
