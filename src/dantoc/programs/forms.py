"""Forms for the catalogue (programmes, components) and plan decisions with their lines."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dantoc.core.widgets import DateInput
from dantoc.geo.models import AdminUnit
from dantoc.programs import selectors
from dantoc.programs.models import CapitalType, Component, FundingSource, PlanDecision, Program
from dantoc.programs.services import LineSpec

_AMOUNT = re.compile(r"^-?\d+$")


class AmountField(forms.Field):
    """Whole đồng, typed as "1.234.567", "1 234 567" or "1234567" (negative for a cut)."""

    widget = forms.TextInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off", "maxlength": "24"})

    def to_python(self, value: Any) -> int | None:
        text = str(value or "").strip()
        if not text:
            return None
        text = re.sub(r"[\s.\u00a0]|đ(ồng)?$", "", text.replace("−", "-"))
        if not _AMOUNT.match(text):
            raise forms.ValidationError(
                _("Nhập số tiền nguyên theo đồng, ví dụ 1.234.567. / Enter whole đồng, e.g. 1.234.567.")
            )
        return int(text)


class ProgramForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Mã"), max_length=32)
    name = forms.CharField(
        label=gettext_lazy("Tên"), max_length=255, widget=forms.Textarea(attrs={"rows": 2})
    )
    short_name = forms.CharField(label=gettext_lazy("Tên ngắn"), max_length=64, required=False)
    start_year = forms.IntegerField(label=gettext_lazy("Từ năm"), min_value=1990, max_value=2100)
    end_year = forms.IntegerField(
        label=gettext_lazy("Đến năm"), min_value=1990, max_value=2100, required=False
    )
    basis_number = forms.CharField(label=gettext_lazy("Căn cứ pháp lý (số)"), max_length=64, required=False)
    basis_date = forms.DateField(label=gettext_lazy("Ngày ban hành"), required=False, widget=DateInput())
    owner_agency = forms.CharField(label=gettext_lazy("Cơ quan chủ trì"), max_length=255, required=False)
    description = forms.CharField(
        label=gettext_lazy("Mô tả"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    FIELDS = (
        "code",
        "name",
        "short_name",
        "start_year",
        "end_year",
        "basis_number",
        "basis_date",
        "owner_agency",
        "description",
    )

    @classmethod
    def initial_for(cls, program: Program) -> dict[str, Any]:
        return {**{f: getattr(program, f) for f in cls.FIELDS}, "version": program.version}

    def values(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in self.FIELDS}


class ComponentForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Mã"), max_length=32)
    name = forms.CharField(
        label=gettext_lazy("Tên"), max_length=255, widget=forms.Textarea(attrs={"rows": 2})
    )
    parent = forms.ModelChoiceField(
        label=gettext_lazy("Thuộc dự án"),
        queryset=Component.objects.none(),
        required=False,
        empty_label=gettext_lazy("(cấp cao nhất)"),
    )
    level = forms.ChoiceField(label=gettext_lazy("Cấp"), choices=Component.Level.choices)
    category = forms.ChoiceField(label=gettext_lazy("Nhóm"), choices=Component.Category.choices)
    order = forms.IntegerField(label=gettext_lazy("Thứ tự"), min_value=0, required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    FIELDS = ("code", "name", "parent", "level", "category", "order")

    def __init__(self, *args: Any, program: Program, exclude: Component | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = Component.objects.filter(program=program).order_by("order", "code")
        if exclude is not None:
            qs = qs.exclude(pk=exclude.pk)
        self.fields["parent"].queryset = qs  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, component: Component) -> dict[str, Any]:
        return {**{f: getattr(component, f) for f in cls.FIELDS}, "version": component.version}

    def values(self) -> dict[str, Any]:
        data = {f: self.cleaned_data[f] for f in self.FIELDS}
        if data["order"] is None:
            data.pop("order")
        return data


class DecisionForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Năm kế hoạch"), min_value=2000, max_value=2100)
    revision = forms.ChoiceField(label=gettext_lazy("Loại quyết định"), choices=PlanDecision.Revision.choices)
    authority = forms.CharField(label=gettext_lazy("Cơ quan giao"), max_length=255)
    number = forms.CharField(label=gettext_lazy("Số quyết định"), max_length=64)
    date = forms.DateField(label=gettext_lazy("Ngày quyết định"), widget=DateInput())
    unit = forms.ModelChoiceField(label=gettext_lazy("Cấp giao vốn"), queryset=AdminUnit.objects.none())
    disburse_until = forms.DateField(
        label=gettext_lazy("Giải ngân đến ngày"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("Để trống: 31/01 năm sau; vốn kéo dài: 31/12 năm sau."),
    )
    note = forms.CharField(
        label=gettext_lazy("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    FIELDS = ("year", "revision", "authority", "number", "date", "unit", "disburse_until", "note")

    def __init__(self, *args: Any, user: Any, year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = selectors.units_for_lines(user, year)  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, decision: PlanDecision) -> dict[str, Any]:
        return {**{f: getattr(decision, f) for f in cls.FIELDS}, "version": decision.version}

    def values(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in self.FIELDS}


def component_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Components grouped by programme, for a select with optgroups."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for c in selectors.components():
        label = f"{c.code} {c.name}"
        groups.setdefault(f"{c.program.code} - {c.program}", []).append((c.pk, label[:90]))
    return list(groups.items())


class LineForm(forms.Form):
    component = forms.TypedChoiceField(label=gettext_lazy("Dự án thành phần"), coerce=int)
    unit = forms.ModelChoiceField(label=gettext_lazy("Đơn vị thực hiện"), queryset=AdminUnit.objects.none())
    source = forms.ModelChoiceField(
        label=gettext_lazy("Nguồn vốn"), queryset=FundingSource.objects.none(), to_field_name="code"
    )
    capital_type = forms.ChoiceField(label=gettext_lazy("Loại vốn"), choices=CapitalType.choices)
    amount = AmountField(label=gettext_lazy("Số tiền (đồng)"))

    def __init__(self, *args: Any, units: Any, components: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["component"].choices = [("", "—"), *components]  # type: ignore[attr-defined]
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["source"].queryset = selectors.funding_sources()  # type: ignore[attr-defined]

    def has_changed(self) -> bool:
        """A row counts once something is typed or chosen (the capital type always has a value)."""
        return any(self[name].data not in (None, "") for name in ("component", "unit", "source", "amount"))


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, user: Any, year: int, **kwargs: Any) -> None:
        self.units = selectors.units_for_lines(user, year)
        self.components = component_choices()
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"units": self.units, "components": self.components}

    def _kept(self) -> list[dict[str, Any]]:
        """Cleaned rows, without blank added rows and rows marked for removal."""
        return [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]

    def specs(self) -> list[LineSpec]:
        rows = self._kept()
        comps = Component.objects.select_related("program").in_bulk([d["component"] for d in rows])
        out: list[LineSpec] = []
        for d in rows:
            out.append(
                LineSpec(comps[d["component"]], d["unit"], d["source"], d["capital_type"], d["amount"])
            )
        return out


LineFormSet: type[BaseLineFormSet] = forms.formset_factory(  # type: ignore[assignment]
    LineForm, formset=BaseLineFormSet, extra=0, max_num=500, can_delete=True
)


def line_initial(lines: Any) -> list[dict[str, Any]]:
    return [
        {
            "component": ln.component_id,
            "unit": ln.unit_id,
            "source": ln.source.code,
            "capital_type": ln.capital_type,
            "amount": ln.amount_vnd,
        }
        for ln in lines
    ]


def plan_year(data: Any, default: int | None = None) -> int:
    """The plan year named in submitted data (to choose the units offered), or a default."""
    try:
        year = int(str(data.get("year", "")).strip())
        if 2000 <= year <= 2100:
            return year
    except (TypeError, ValueError, AttributeError):
        pass
    return default or dt.date.today().year
