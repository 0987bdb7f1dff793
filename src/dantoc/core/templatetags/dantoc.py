"""Template filters for money and numbers (available in every template)."""

from __future__ import annotations

from django import template

from dantoc.core import money

register = template.Library()


@register.filter
def dong(value: int | None) -> str:
    """226300000000 → "226.300.000.000 đồng"."""
    return money.dong(value)


@register.filter
def trieu_dong(value: int | None, decimals: int = 1) -> str:
    """8700000000 → "8.700 triệu đồng"."""
    return money.trieu(value, decimals)


@register.filter
def ty_dong(value: int | None, decimals: int = 1) -> str:
    """226300000000 → "226,3 tỷ đồng"."""
    return money.ty(value, decimals)


@register.filter
def grouped(value: int | float | None, decimals: int = 0) -> str:
    """A number with thousands grouped in the active language."""
    return "" if value is None else money.number(value, decimals)
