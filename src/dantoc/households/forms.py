"""Forms of the households pages (filters, reasons, records)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dantoc.core.widgets import DateInput
from dantoc.geo.models import AdminUnit, EthnicGroup, Level, valid_on
from dantoc.households.models import PovertyStatus, Relation, Sex, SupportKind
from dantoc.households.privacy import REASON_MAX, REASON_MIN
from dantoc.programs.models import Component, Program


def _choices(form: forms.Form, name: str, choices: Any) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


POVERTY_CHOICES = [("", _("Tất cả")), *PovertyStatus.Status.choices, ("unknown", _("Chưa rà soát"))]


def _unit_label(u: AdminUnit) -> str:
    period = ""
    if u.valid_to is not None:
        period = f" ({_('đến')} {u.valid_to:%d/%m/%Y})"
    return ("— " if u.level == Level.COMMUNE else "") + u.full_name + period


class PersonFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Họ tên hoặc số định danh"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": _("vd. vi thi mai, hoặc 12 số CCCD"),
            }
        ),
    )
    unit = forms.TypedChoiceField(label=_("Đơn vị"), required=False, coerce=int, empty_value=None)
    village = forms.CharField(label=_("Thôn, bản"), required=False, max_length=64)
    ethnic_group = forms.ChoiceField(label=_("Dân tộc"), required=False)
    sex = forms.ChoiceField(label=_("Giới tính"), required=False, choices=[("", _("Tất cả")), *Sex.choices])
    poverty = forms.ChoiceField(label=_("Phân loại hộ"), required=False, choices=POVERTY_CHOICES)
    program = forms.ChoiceField(label=_("Được hỗ trợ theo chương trình"), required=False)
    year = forms.TypedChoiceField(label=_("Năm"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, units: list[AdminUnit] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "unit", [("", _("Toàn bộ phạm vi"))] + [(u.pk, _unit_label(u)) for u in units or []])
        _choices(
            self,
            "ethnic_group",
            [("", _("Tất cả"))] + [(g.code, g.name) for g in EthnicGroup.objects.order_by("code")],
        )
        _choices(
            self,
            "program",
            [("", _("Không lọc"))]
            + [(p.code, f"{p.code} — {p}") for p in Program.objects.order_by("start_year", "code")],
        )
        this_year = dt.date.today().year
        _choices(self, "year", [("", "—")] + [(y, str(y)) for y in range(this_year, 2009, -1)])


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do"),
        min_length=REASON_MIN,
        max_length=REASON_MAX,
        help_text=_("Lý do được ghi vào nhật ký truy cập dữ liệu cá nhân (Nghị định 356/2025/NĐ-CP)."),
        widget=forms.TextInput(attrs={"size": 60, "placeholder": _("vd. Xác minh hồ sơ hỗ trợ năm 2018")}),
    )


class ExportForm(ReasonForm):
    include_ids = forms.BooleanField(label=_("Kèm số định danh đầy đủ"), required=False)
    format = forms.ChoiceField(choices=[("xlsx", "xlsx"), ("json", "json")], required=False)


class HouseholdForm(forms.Form):
    code = forms.CharField(
        label=_("Mã hộ"), max_length=32, required=False, help_text=_("Để trống: hệ thống tự cấp mã.")
    )
    village = forms.TypedChoiceField(label=_("Thôn, bản"), coerce=int)
    address = forms.CharField(label=_("Địa chỉ"), max_length=255, required=False)
    phone = forms.CharField(label=_("Điện thoại"), max_length=20, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, villages: list[AdminUnit] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups: dict[str, list[tuple[int, str]]] = {}
        for v in villages or []:
            groups.setdefault(v.parent.full_name if v.parent else "", []).append((v.pk, v.full_name))
        _choices(self, "village", [("", "—"), *groups.items()])


def village_choices(user: Any) -> list[AdminUnit]:
    from dantoc.core.scoping import scoped

    return list(
        scoped(AdminUnit.objects.filter(level=Level.VILLAGE), user)
        .filter(valid_on(dt.date.today()))
        .select_related("parent")
        .order_by("parent__name_folded", "name_folded")
    )


class PersonForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=128)
    sex = forms.ChoiceField(label=_("Giới tính"), choices=Sex.choices)
    birth_date = forms.DateField(label=_("Ngày sinh"), required=False, widget=DateInput())
    birth_year = forms.IntegerField(
        label=_("Năm sinh"),
        required=False,
        min_value=1880,
        max_value=2100,
        help_text=_("Khi chỉ biết năm sinh."),
    )
    ethnic_group = forms.ModelChoiceField(label=_("Dân tộc"), queryset=EthnicGroup.objects.order_by("code"))
    id_number = forms.CharField(label=_("Số CCCD/CMND"), max_length=20, required=False)
    relation = forms.ChoiceField(label=_("Quan hệ với chủ hộ"), choices=Relation.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def _this_year() -> int:
    return dt.date.today().year


class PovertyForm(forms.Form):
    year = forms.IntegerField(label=_("Năm"), min_value=1990, max_value=2100, initial=_this_year)
    status = forms.ChoiceField(label=_("Phân loại hộ"), choices=PovertyStatus.Status.choices)
    source = forms.CharField(label=_("Nguồn (kết quả rà soát)"), max_length=255, required=False)


class ComponentField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.program.code} · {obj.code} {obj.name}"


class SupportForm(forms.Form):
    component = ComponentField(
        label=_("Chương trình / dự án thành phần"),
        queryset=Component.objects.select_related("program").order_by("program__code", "order", "code"),
    )
    year = forms.IntegerField(label=_("Năm"), min_value=1990, max_value=2100, initial=_this_year)
    kind = forms.ChoiceField(label=_("Nội dung hỗ trợ"), choices=SupportKind.choices)
    quantity = forms.DecimalField(
        label=_("Số lượng"), min_value=0, max_digits=12, decimal_places=2, initial=1
    )
    measure = forms.CharField(label=_("Đơn vị tính"), max_length=32, required=False)
    value_vnd = forms.IntegerField(label=_("Thành tiền (đồng)"), min_value=0)
    note = forms.CharField(label=_("Ghi chú"), max_length=255, required=False)


class UnitPickForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("Xã, thôn"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, units: list[AdminUnit] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "unit", [("", "—")] + [(u.pk, _unit_label(u)) for u in units or []])


class ReportForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Năm"), coerce=int)
    unit = forms.TypedChoiceField(label=_("Đơn vị"), coerce=int, required=False, empty_value=None)
    structure = forms.ChoiceField(
        label=_("Cơ cấu đơn vị hành chính"),
        required=False,
        choices=[
            ("", _("Tự chọn theo năm")),
            ("historical", _("Tại thời điểm báo cáo")),
            ("current", _("Hiện nay")),
        ],
    )

    def __init__(self, *args: Any, units: list[AdminUnit] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "unit", [("", _("Toàn bộ phạm vi"))] + [(u.pk, _unit_label(u)) for u in units or []])
        this_year = dt.date.today().year
        _choices(self, "year", [(y, str(y)) for y in range(this_year, 2009, -1)])
