"""Dates are shown and typed day first in both languages, whatever the browser's own locale."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.utils import translation

from dantoc.core.widgets import DATE_PATTERN, DateInput


class _Form(forms.Form):
    on = forms.DateField(widget=DateInput())


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("typed", ["01/07/2026", "1/7/2026", "2026-07-01"])
def test_typed_day_first_or_iso(language: str, typed: str) -> None:
    with translation.override(language):
        form = _Form({"on": typed})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["on"] == dt.date(2026, 7, 1)  # 1 July, never 7 January


def test_rendered_as_text_day_first() -> None:
    html = str(_Form(initial={"on": dt.date(2026, 7, 1)})["on"])
    assert 'type="text"' in html and 'value="01/07/2026"' in html
    assert 'placeholder="dd/mm/yyyy"' in html and "pattern=" in html


def test_the_pattern_accepts_what_the_field_accepts() -> None:
    import re

    rule = re.compile(f"^(?:{DATE_PATTERN})$")  # as the browser applies `pattern`
    assert all(rule.match(v) for v in ("01/07/2026", "1/7/2026", "2026-07-01"))
    assert not any(rule.match(v) for v in ("07-01", "1 July 2026", "2026/07/01"))


def test_a_calendar_button_beside_the_field_submits_nothing_of_its_own() -> None:
    html = str(_Form(initial={"on": dt.date(2026, 7, 1)})["on"])
    assert "data-date-pick" in html and 'type="button"' in html
    native = html[html.index('type="date"') - 10 :]
    assert "name=" not in native  # the browser's date input is never submitted
    form = _Form({"on": "01/07/2026"})
    assert form.is_valid() and list(form.data) == ["on"]
