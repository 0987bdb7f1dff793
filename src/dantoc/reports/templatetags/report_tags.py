"""Filters for report and monitoring pages: `{% load report_tags %}`."""

from __future__ import annotations

from typing import Any

from django import template

from dantoc.core import money

register = template.Library()


@register.filter
def percent(value: float | None, decimals: int = 1) -> str:
    """0.98 → "98,0 %" (empty when there is no rate)."""
    if value is None or value == "":
        return "—"
    return f"{money.number(float(value) * 100, decimals)} %"


@register.filter
def get(mapping: dict[str, Any] | None, key: str) -> Any:
    """`{{ counts|get:"completed" }}`."""
    return (mapping or {}).get(key)


@register.filter
def raw(value: float | None) -> str:
    """A rate as a plain decimal for data attributes ("0.98"), empty when there is none."""
    return "" if value is None else f"{float(value):.6f}"


@register.filter
def indent(depth: int) -> str:
    """CSS class for a tree depth (no inline style under the Content-Security-Policy)."""
    return f"depth-{min(int(depth or 0), 4)}"
