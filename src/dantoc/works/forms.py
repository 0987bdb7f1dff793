"""Forms for works: list filters, a work, a status transition, a progress update, a payment."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dantoc.core.widgets import DateInput
from dantoc.geo.models import AdminUnit
from dantoc.programs.models import CapitalPlanLine, CapitalType, Component, PlanDecision
from dantoc.works import selectors
from dantoc.works.models import Work, WorkKind, WorkStatus

_GROUPING = re.compile(r"[.\s\u00a0_]")


class MoneyField(forms.IntegerField):
    """Whole đồng, typed as 1.000.000.000, 1 000 000 000 or 1000000000."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        text = _GROUPING.sub("", str(value))
        if not text.isdigit():
            raise forms.ValidationError(
                _("Nhập số đồng nguyên, ví dụ 1.250.000.000. / Enter whole đồng, e.g. 1.250.000.000."),
                code="invalid",
            )
        return int(text)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            return f"{value:,}".replace(",", ".")
        return value


def _unit_label(u: AdminUnit) -> str:
    label = u.full_name
    if u.parent_id and u.parent and u.parent.level != "province":
        label = f"{label}, {u.parent.full_name}"
    if u.valid_to is not None:
        label = f"{label} ({_('đến %(date)s') % {'date': date_format(u.valid_to, 'SHORT_DATE_FORMAT')}})"
    return label


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _unit_label(obj)


class FilterUnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        depth = max(0, obj.path.count("/") - 2)
        return "\u2003" * depth + _unit_label(obj)


def line_label(line: CapitalPlanLine) -> str:
    revision = PlanDecision.Revision(line.decision.revision).label
    amount = f"{line.amount_vnd:,}".replace(",", ".")
    return (
        f"{line.decision.year} · {line.decision.number} ({revision}) · {line.component.code} · "
        f"{line.unit.full_name} · {line.source.name} · {CapitalType(line.capital_type).label} · {amount} đ"
    )


class ComponentField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.program.code} · {obj.code} {obj.name}"


class PlanLineField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return line_label(obj)


class PlanLineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return line_label(obj)


def _user_label(user: Any) -> str:
    return f"{user.full_name or user.username} ({user.scope.full_name if user.scope_id else '—'})"


class WorkFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Tìm theo tên hoặc mã (gõ không dấu cũng được)"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    program = forms.ChoiceField(label=gettext_lazy("Chương trình"), required=False)
    year = forms.IntegerField(label=gettext_lazy("Năm"), required=False, min_value=1990, max_value=2100)
    unit = FilterUnitField(label=gettext_lazy("Địa bàn"), queryset=AdminUnit.objects.none(), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Trạng thái"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Loại công trình"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("— tất cả —"))]
        self.fields["program"].choices = everything + [  # type: ignore[attr-defined]
            (p.code, f"{p.code} · {p}") for p in selectors.programs()
        ]
        self.fields["status"].choices = everything + list(WorkStatus.choices)  # type: ignore[attr-defined]
        self.fields["kind"].choices = everything + list(WorkKind.choices)  # type: ignore[attr-defined]
        self.fields["unit"].queryset = selectors.filter_units(user)  # type: ignore[attr-defined]
        self.fields["unit"].empty_label = _("— toàn bộ phạm vi —")  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "q": data.get("q") or None,
            "program": data.get("program") or None,
            "year": data.get("year"),
            "unit": data.get("unit"),
            "status": data.get("status") or None,
            "kind": data.get("kind") or None,
        }


class WorkForm(forms.Form):
    """Create or correct a work. `version` carries the version the user opened (optimistic concurrency)."""

    program = forms.ModelChoiceField(label=gettext_lazy("Chương trình"), queryset=selectors.programs())
    component = ComponentField(
        label=gettext_lazy("Dự án thành phần"), queryset=Component.objects.none(), required=False
    )
    year = forms.IntegerField(label=gettext_lazy("Năm kế hoạch"), min_value=1990, max_value=2100)
    unit = UnitChoiceField(label=gettext_lazy("Xã (địa điểm)"), queryset=AdminUnit.objects.none())
    village = forms.ModelChoiceField(
        label=gettext_lazy("Thôn, bản"), queryset=AdminUnit.objects.none(), required=False
    )
    code = forms.CharField(
        label=gettext_lazy("Mã công trình"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("Để trống: hệ thống tự cấp mã (CT-năm-số thứ tự)."),
    )
    name = forms.CharField(label=gettext_lazy("Tên công trình"), max_length=255)
    kind = forms.ChoiceField(label=gettext_lazy("Loại công trình"), choices=WorkKind.choices)
    investor = forms.CharField(label=gettext_lazy("Chủ đầu tư"), max_length=255, required=False)
    total_investment_vnd = MoneyField(label=gettext_lazy("Tổng mức đầu tư (đồng)"), min_value=0)
    planned_start = forms.DateField(
        label=gettext_lazy("Khởi công (kế hoạch)"), required=False, widget=DateInput()
    )
    planned_completion = forms.DateField(
        label=gettext_lazy("Hoàn thành (kế hoạch)"), required=False, widget=DateInput()
    )
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Cán bộ theo dõi"), queryset=AdminUnit.objects.none(), required=False
    )
    plan_lines = PlanLineField(
        label=gettext_lazy("Dòng kế hoạch vốn công trình sử dụng"),
        queryset=CapitalPlanLine.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    FIELDS = (
        "program", "component", "year", "unit", "village", "code", "name", "kind", "investor",
        "total_investment_vnd", "planned_start", "planned_completion", "owner",
    )  # fmt: skip

    def __init__(self, *args: Any, user: Any, work: Work | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.work = work
        self.fields["unit"].queryset = selectors.work_units(user)  # type: ignore[attr-defined]
        self.fields["unit"].widget.attrs.update({
            "hx-get": reverse("works:village-options"),
            "hx-trigger": "change",
            "hx-target": "#id_village",
            "hx-swap": "innerHTML",
        })  # fmt: skip
        self.fields["component"].queryset = Component.objects.select_related("program").order_by(  # type: ignore[attr-defined]
            "program__code", "order", "code"
        )
        unit_id = self.data.get("unit") if self.is_bound else (self.initial.get("unit") or None)
        unit_pk = getattr(unit_id, "pk", unit_id)
        villages = (
            selectors.villages(user, int(str(unit_pk)))
            if str(unit_pk or "").isdigit()
            else AdminUnit.objects.none()
        )
        self.fields["village"].queryset = villages  # type: ignore[attr-defined]
        if work is None:
            del self.fields["plan_lines"]
            del self.fields["owner"]
        else:
            self.fields["plan_lines"].queryset = selectors.plan_line_options(work)  # type: ignore[attr-defined]
            self.fields["owner"].queryset = selectors.owner_options(work)  # type: ignore[attr-defined]
            self.fields["owner"].label_from_instance = _user_label  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, work: Work) -> dict[str, Any]:
        return {
            **{f: getattr(work, f) for f in cls.FIELDS},
            "plan_lines": list(work.plan_lines.values_list("pk", flat=True)),
            "version": work.version,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        component, program = data.get("component"), data.get("program")
        if component is not None and program is not None and component.program_id != program.pk:
            self.add_error(
                "component",
                _(
                    "Dự án thành phần không thuộc chương trình đã chọn. "
                    "/ The component is not part of the programme."
                ),
            )
        return data

    def values(self) -> dict[str, Any]:
        return {f: self.cleaned_data.get(f) for f in self.FIELDS}

    def changes(self, work: Work) -> dict[str, Any]:
        """Fields that differ from the stored work."""
        return {
            f: v
            for f, v in self.values().items()
            if v
            != (
                getattr(work, f)
                if getattr(work, f) is not None
                else ("" if f in ("code", "investor") else None)
            )
        }


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Chuyển sang"))
    date = forms.DateField(label=gettext_lazy("Ngày"), widget=DateInput(), initial=timezone.localdate)
    note = forms.CharField(label=gettext_lazy("Ghi chú"), max_length=255, required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, work: Work, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = selectors.next_statuses(work)  # type: ignore[attr-defined]
        self.fields["version"].initial = work.version


class ProgressForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Ngày"), widget=DateInput(), initial=timezone.localdate)
    percent = forms.IntegerField(label=gettext_lazy("Khối lượng hoàn thành (%)"), min_value=0, max_value=100)
    note = forms.CharField(
        label=gettext_lazy("Ghi chú"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Bắt buộc khi tiến độ thấp hơn lần trước."),
    )
    attachment = forms.FileField(
        label=gettext_lazy("Tệp đính kèm (biên bản, ảnh…)"),
        required=False,
        help_text=gettext_lazy("PDF, ảnh, Word, Excel, tối đa 20 MB."),
    )


class PaymentForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Ngày giải ngân"), widget=DateInput(), initial=timezone.localdate
    )
    amount_vnd = MoneyField(label=gettext_lazy("Số tiền (đồng)"), min_value=1)
    source = forms.ModelChoiceField(label=gettext_lazy("Nguồn vốn"), queryset=selectors.funding_sources())
    capital_type = forms.ChoiceField(label=gettext_lazy("Loại vốn"), required=False)
    plan_line = PlanLineChoiceField(
        label=gettext_lazy("Dòng kế hoạch vốn"), queryset=CapitalPlanLine.objects.none(), required=False
    )
    voucher_number = forms.CharField(label=gettext_lazy("Số chứng từ"), max_length=64, required=False)

    def __init__(self, *args: Any, work: Work, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["capital_type"].choices = [  # type: ignore[attr-defined]
            ("", _("— theo kế hoạch vốn —")),
            *CapitalType.choices,
        ]
        lines = work.plan_lines.select_related("decision", "component", "unit", "source")
        if lines.exists():
            self.fields["plan_line"].queryset = lines  # type: ignore[attr-defined]
        else:
            del self.fields["plan_line"]
