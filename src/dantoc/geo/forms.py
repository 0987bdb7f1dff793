"""Forms for administrative units: the tree's date and search, a unit, a recorded change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dantoc.core.widgets import DateInput
from dantoc.geo import selectors
from dantoc.geo.models import KIND_LEVEL, AdminUnit, Kind, UnitChange
from dantoc.geo.services import NewUnit, SuccessorSpec

NEW_ROWS = 3  # rows for new successor units in the change form


def kind_choices(levels: set[str] | None = None) -> list[tuple[str, str]]:
    return [
        (str(k), str(label)) for k, label in Kind.choices if levels is None or KIND_LEVEL[Kind(k)] in levels
    ]


class TreeFilterForm(forms.Form):
    on = forms.DateField(label=gettext_lazy("Tại ngày"), required=False, widget=DateInput())
    q = forms.CharField(
        label=gettext_lazy("Tìm đơn vị (gõ không dấu cũng được)"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class UnitForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Loại"))
    name = forms.CharField(label=gettext_lazy("Tên"), max_length=128)
    code = forms.CharField(label=gettext_lazy("Mã"), max_length=16, required=False)
    valid_from = forms.DateField(
        label=gettext_lazy("Hiệu lực từ"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("Để trống: theo đơn vị cấp trên."),
    )
    valid_to = forms.DateField(
        label=gettext_lazy("Hiệu lực đến"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("Để trống: còn hiệu lực."),
    )
    note = forms.CharField(
        label=gettext_lazy("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    FIELDS = ("kind", "name", "code", "valid_from", "valid_to", "note")

    def __init__(self, *args: Any, levels: set[str], editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices(levels)  # type: ignore[attr-defined]
        if editing:  # open ends are not filled from the parent when editing
            self.fields["valid_from"].help_text = ""
            self.fields["version"].required = True

    @classmethod
    def initial_for(cls, unit: AdminUnit) -> dict[str, Any]:
        return {**{f: getattr(unit, f) for f in cls.FIELDS}, "version": unit.version}

    def changes(self, unit: AdminUnit) -> dict[str, Any]:
        """Only the fields that differ from the stored unit."""
        data = self.cleaned_data
        return {
            f: data[f]
            for f in self.FIELDS
            if data[f] != (getattr(unit, f) or ("" if f in ("code", "note") else None))
        }


class UnitIdsField(forms.Field):
    """Unit ids posted as a list (checkboxes filled by the htmx search)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        ids: list[int] = []
        for v in value or []:
            try:
                pk = int(v)
            except (TypeError, ValueError) as exc:
                raise forms.ValidationError(_("Mã đơn vị không hợp lệ. / Invalid unit id.")) from exc
            if pk not in ids:
                ids.append(pk)
        return ids


class ChangeForm(forms.Form):
    """Record a change; which parts apply depends on the kind (CSS shows only those)."""

    kind = forms.ChoiceField(label=gettext_lazy("Loại thay đổi"), choices=UnitChange.ChangeKind.choices)
    effective_date = forms.DateField(label=gettext_lazy("Ngày hiệu lực"), widget=DateInput())
    basis_number = forms.CharField(
        label=gettext_lazy("Số văn bản (căn cứ pháp lý)"), max_length=64, required=False
    )
    basis_date = forms.DateField(label=gettext_lazy("Ngày văn bản"), required=False, widget=DateInput())
    note = forms.CharField(
        label=gettext_lazy("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    predecessors = UnitIdsField(required=False)
    successors = UnitIdsField(required=False)
    new_parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    primary = forms.CharField(required=False, widget=forms.HiddenInput)
    new_name = forms.CharField(label=gettext_lazy("Tên mới"), max_length=128, required=False)
    new_kind = forms.ChoiceField(label=gettext_lazy("Loại mới (nếu đổi)"), required=False)
    new_code = forms.CharField(label=gettext_lazy("Mã mới (nếu đổi)"), max_length=16, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        blank = [("", _("— giữ nguyên —"))]
        self.fields["new_kind"].choices = blank + kind_choices()  # type: ignore[attr-defined]
        for i in range(NEW_ROWS):
            self.fields[f"n{i}_kind"] = forms.ChoiceField(
                label=_("Loại"), required=False, choices=[("", "—"), *kind_choices()]
            )
            self.fields[f"n{i}_name"] = forms.CharField(label=_("Tên"), max_length=128, required=False)
            self.fields[f"n{i}_code"] = forms.CharField(label=_("Mã"), max_length=16, required=False)
            self.fields[f"n{i}_share"] = forms.DecimalField(
                label=_("Tỷ lệ (phần trăm)"),
                required=False,
                min_value=Decimal("0.01"),
                max_value=Decimal(100),
                decimal_places=4,
            )
        self.units: dict[int, AdminUnit] = {}
        # Rendered outside the <form> element (next to the unit pickers), tied to it by the form attribute.
        for name, field in self.fields.items():
            if name.startswith(("new_", "n0_", "n1_", "n2_")):
                field.widget.attrs["form"] = "change-form"

    def main_fields(self) -> list[forms.BoundField]:
        return [self[f] for f in ("kind", "effective_date", "basis_number", "basis_date", "note")]

    def new_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"n{i}_{part}"] for part in ("kind", "name", "code", "share")] for i in range(NEW_ROWS)]

    def chosen(self, field: str) -> list[AdminUnit]:
        """Units picked so far (to show them again when the form comes back with errors)."""
        raw = self.data.getlist(field) if hasattr(self.data, "getlist") else []
        ids = [int(v) for v in raw if str(v).isdigit()]
        found = selectors.units(self.user).filter(pk__in=ids).in_bulk()
        return [found[i] for i in dict.fromkeys(ids) if i in found]

    def share_of(self, unit_id: int) -> str:
        return str(self.data.get(f"share_{unit_id}", "")) if self.is_bound else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ids = set(data.get("predecessors") or []) | set(data.get("successors") or [])
        if data.get("new_parent"):
            ids.add(data["new_parent"])
        self.units = selectors.units(self.user).filter(pk__in=ids).in_bulk()
        if len(self.units) != len(ids):
            raise forms.ValidationError(
                _(
                    "Có đơn vị không tìm thấy hoặc nằm ngoài phạm vi của bạn. "
                    "/ A unit was not found or is outside your area."
                )
            )
        self._request = self._build(data)
        return data

    def _share(self, raw: Any) -> Decimal | None:
        if raw in (None, ""):
            return None
        try:
            value = Decimal(str(raw).replace(",", "."))
        except ArithmeticError as exc:
            raise forms.ValidationError(_("Tỷ lệ không hợp lệ. / Invalid share.")) from exc
        return value / 100

    def request(self) -> dict[str, Any]:
        """Arguments for `services.record_change`, from a valid form."""
        return self._request

    def _build(self, data: dict[str, Any]) -> dict[str, Any]:
        primary = data.get("primary") or ""
        successors = [
            SuccessorSpec(
                unit=self.units[pk],
                share=self._share(self.data.get(f"share_{pk}")),
                primary=primary == f"u{pk}",
            )
            for pk in data.get("successors") or []
        ]
        for i in range(NEW_ROWS):
            name = (data.get(f"n{i}_name") or "").strip()
            if not name:
                continue
            share = data.get(f"n{i}_share")
            successors.append(
                SuccessorSpec(
                    new=NewUnit(
                        kind=data.get(f"n{i}_kind") or "", name=name, code=data.get(f"n{i}_code") or ""
                    ),
                    share=share / 100 if share is not None else None,
                    primary=primary == f"n{i}",
                )
            )
        return {
            "kind": data.get("kind", ""),
            "date": data.get("effective_date"),
            "predecessors": [self.units[pk] for pk in data.get("predecessors") or []],
            "successors": successors,
            "basis_number": data.get("basis_number") or "",
            "basis_date": data.get("basis_date"),
            "note": data.get("note") or "",
            "new_name": data.get("new_name") or "",
            "new_kind": data.get("new_kind") or None,
            "new_code": data.get("new_code") or None,
            "new_parent": self.units.get(data["new_parent"]) if data.get("new_parent") else None,
        }
