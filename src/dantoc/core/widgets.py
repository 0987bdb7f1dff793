"""Form widgets shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_lazy

DATE_PATTERN = r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}"


# a calendar page, drawn in the text colour (no icon font or emoji needed)
_CALENDAR_ICON = SafeString(
    '<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false">'
    '<rect x="1.5" y="2.5" width="13" height="12" rx="1.5" fill="none" stroke="currentColor"/>'
    '<path d="M1.5 6h13M5 1v3M11 1v3" stroke="currentColor"/>'
    '<path d="M4 8.5h2v2H4zM7 8.5h2v2H7zM10 8.5h2v2h-2z" fill="currentColor"/></svg>'
)


class DateInput(forms.DateInput):
    """A date typed day first (dd/mm/yyyy) whatever the browser's language.

    The browser's own date field shows mm/dd/yyyy in an English-language browser, where 01/07/2026 reads
    as 7 January. Dates are shown and typed as 01/07/2026; ISO dates (2026-07-01) are accepted too, as by
    every date field of both languages (`dantoc/formats`). A button beside the field opens the browser's
    calendar (an unnamed date input, never submitted); the day picked there is written into the field
    day first (`app.js`)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {
            "placeholder": "dd/mm/yyyy",
            "pattern": DATE_PATTERN,
            "title": gettext_lazy("Ngày dạng ngày/tháng/năm, ví dụ 01/07/2026"),
            "size": 10,
            "autocomplete": "off",
        }
        super().__init__(attrs={**defaults, **(attrs or {})}, format="%d/%m/%Y")

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        field = super().render(name, value, attrs, renderer)
        label = gettext("Chọn ngày trên lịch")
        return format_html(
            '<span class="date-field">{}<button type="button" class="date-pick" data-date-pick '
            'title="{}" aria-label="{}">{}</button>'
            '<input type="date" class="date-native" tabindex="-1" aria-hidden="true"></span>',
            field,
            label,
            label,
            _CALENDAR_ICON,
        )
