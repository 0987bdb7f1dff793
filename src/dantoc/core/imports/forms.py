"""The upload form: a file, dry run, and the inputs a kind takes with its file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dantoc.core.imports.base import ImportKind
from dantoc.core.imports.columns import Choice, Date, Year
from dantoc.core.imports.reading import SUPPORTED_EXTENSIONS
from dantoc.core.widgets import DateInput

DEFAULT_MAX_BYTES = 100 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Tệp dữ liệu (xlsx, xls, ods, csv)"))
    dry_run = forms.BooleanField(
        label=gettext_lazy("Chạy thử: chỉ kiểm tra, không ghi"),
        required=False,
        initial=True,
    )

    def __init__(self, kind: ImportKind, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        for option in kind.options:
            column = option.column
            field: forms.Field
            if isinstance(column, Date):
                field = forms.DateField(widget=DateInput(), input_formats=["%d/%m/%Y", "%Y-%m-%d"])
            elif isinstance(column, Year):
                field = forms.IntegerField(min_value=1900, max_value=2100)
            elif isinstance(column, Choice):
                field = forms.ChoiceField(
                    choices=[("", "—"), *((v, n[0] if n else v) for v, n in column.choices.items())]
                )
            else:
                field = forms.CharField(max_length=255)
            field.required = False
            field.label = column.label
            field.help_text = column.help
            self.fields[f"opt_{option.key}"] = field
        self.fields["file"].widget.attrs["accept"] = ",".join(sorted(SUPPORTED_EXTENSIONS))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in SUPPORTED_EXTENSIONS:
            raise forms.ValidationError(
                _("Chỉ nhận tệp xlsx, xls, ods hoặc csv. / Only xlsx, xls, ods or csv files.")
            )
        limit = getattr(settings, "DANTOC_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
        if upload.size > limit:
            raise forms.ValidationError(_("Tệp quá lớn. / The file is too large."))
        return upload

    def options(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for option in self.kind.options:
            value = self.cleaned_data.get(f"opt_{option.key}")
            if value in (None, ""):
                continue
            out[option.key] = value.isoformat() if isinstance(value, dt.date) else value
        return out
