"""Query parameters of the monitoring, late-list and report pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dantoc.geo.models import Level
from dantoc.reports.program_summary import CURRENT, HISTORICAL

LEVELS = [
    ("", _("Tự động")),
    (Level.DISTRICT, _("Huyện")),
    (Level.COMMUNE, _("Xã")),
    (Level.VILLAGE, _("Thôn")),
]
PACES = [
    ("", _("Theo thiết lập")),
    ("linear", _("Đều đến 31/01 năm sau")),
    ("s-curve", _("Đường cong chữ S")),
]
STRUCTURES = [
    (HISTORICAL, _("Theo đơn vị tại thời điểm phát sinh")),
    (CURRENT, _("Quy đổi sang đơn vị hiện nay")),
]
FORMATS = [("html", "HTML"), ("json", "JSON"), ("xlsx", "Excel")]
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


@dataclass(frozen=True)
class Params:
    year: int | None
    on: dt.date | None
    unit: int | None
    program: str | None
    source: str | None
    level: str | None
    pace: str | None
    structure: str
    sort: str | None
    descending: bool
    format: str


class FilterForm(forms.Form):
    year = forms.IntegerField(label=_("Năm kế hoạch"), min_value=2000, max_value=2100, required=False)
    on = forms.DateField(label=_("Tính đến ngày"), required=False, input_formats=DATE_FORMATS)
    unit = forms.IntegerField(label=_("Đơn vị"), required=False, min_value=1)
    program = forms.CharField(label=_("Chương trình"), required=False, max_length=32)
    source = forms.CharField(label=_("Nguồn vốn"), required=False, max_length=32)
    level = forms.ChoiceField(label=_("Tổng hợp theo cấp"), choices=LEVELS, required=False)
    pace = forms.ChoiceField(label=_("Tiến độ dự kiến"), choices=PACES, required=False)
    structure = forms.ChoiceField(label=_("Cơ cấu đơn vị"), choices=STRUCTURES, required=False)
    sort = forms.CharField(required=False, max_length=32)
    dir = forms.ChoiceField(choices=[("", ""), ("asc", "asc"), ("desc", "desc")], required=False)
    format = forms.ChoiceField(choices=FORMATS, required=False)

    def params(self) -> Params:
        """Cleaned values; a field that does not validate falls back to its default."""
        self.is_valid()
        data: dict[str, Any] = {
            k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors
        }
        return Params(
            year=data.get("year"),
            on=data.get("on"),
            unit=data.get("unit"),
            program=data.get("program") or None,
            source=data.get("source") or None,
            level=data.get("level") or None,
            pace=data.get("pace") or None,
            structure=data.get("structure") or HISTORICAL,
            sort=data.get("sort") or None,
            descending=data.get("dir") != "asc",
            format=data.get("format") or "html",
        )
