"""Template filters of the households pages."""

from __future__ import annotations

from django import template

from dantoc.households.ids import mask_id_number

register = template.Library()


@register.filter
def masked(value: str | None) -> str:
    """An ID number masked to its last three digits ("•••••••••456")."""
    return mask_id_number(value)
