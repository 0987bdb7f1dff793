from __future__ import annotations

import datetime as dt

from django import forms
from django.template import Context, Template
from django.utils import formats, translation

from dantoc.core import money


def test_vi_groups_thousands_with_dots() -> None:
    with translation.override("vi"):
        assert formats.localize(1234567, use_l10n=True) == "1.234.567"
        assert money.number(1234567) == "1.234.567"
        assert money.number(226.3, 1) == "226,3"


def test_vi_date_input_is_day_first() -> None:
    class F(forms.Form):
        d = forms.DateField(localize=True)

    with translation.override("vi"):
        f = F({"d": "01/07/2026"})
        assert f.is_valid(), f.errors
        assert f.cleaned_data["d"] == dt.date(2026, 7, 1)
        f = F({"d": "13/07/2026"})
        assert f.is_valid(), f.errors
        assert f.cleaned_data["d"] == dt.date(2026, 7, 13)
        assert not F({"d": "07/13/2026"}).is_valid()
        assert formats.date_format(dt.date(2026, 7, 1), "SHORT_DATE_FORMAT") == "01/07/2026"


def test_money_filters() -> None:
    with translation.override("vi"):
        out = Template("{{ v|ty_dong }}|{{ v|dong }}|{{ w|trieu_dong }}|{{ v|grouped }}").render(
            Context({"v": 226300000000, "w": 8700000000})
        )
        assert out == "226,3 tỷ đồng|226.300.000.000 đồng|8.700 triệu đồng|226.300.000.000"
        assert money.ty(226_000_000_000) == "226 tỷ đồng"
        assert money.dong(1234567) == "1.234.567 đồng"


def test_english_keeps_its_own_grouping() -> None:
    with translation.override("en"):
        assert formats.localize(1234567, use_l10n=True) == "1,234,567"
