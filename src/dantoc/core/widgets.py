"""Form widgets shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

DATE_PATTERN = r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}"


class DateInput(forms.DateInput):
    """A date typed day first (dd/mm/yyyy) whatever the browser's language.

    The browser's own date picker shows mm/dd/yyyy in an English-language browser, where 01/07/2026 reads
    as 7 January. Dates are shown and typed as 01/07/2026; ISO dates (2026-07-01) are accepted too, as by
    every date field of both languages (`dantoc/formats`)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {
            "placeholder": "dd/mm/yyyy",
            "pattern": DATE_PATTERN,
            "title": gettext_lazy("Ngày dạng ngày/tháng/năm, ví dụ 01/07/2026"),
            "size": 10,
            "autocomplete": "off",
        }
        super().__init__(attrs={**defaults, **(attrs or {})}, format="%d/%m/%Y")
