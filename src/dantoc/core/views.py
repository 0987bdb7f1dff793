"""Home page and record history (diffs and restore)."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dantoc.core import selectors, services
from dantoc.core.models import AuditEntry
from dantoc.core.scoping import scoped, scoped_view, unit_in_scope


# Models whose history can be shown: "app_label.model" of every scoped TrackedModel.
def _model(label: str) -> type[models.Model]:
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError) as exc:
        raise Http404 from exc
    if not getattr(model, "scope_path", None):
        raise Http404
    return model


@scoped_view
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"user_obj": request.user})


@scoped_view
def history(request: HttpRequest, model: str, pk: str) -> HttpResponse:
    model_cls = _model(model)
    entries = selectors.history(request.user, model_cls, pk)
    obj = scoped(model_cls._default_manager.all(), request.user).filter(pk=pk).first()
    return render(
        request,
        "core/history.html",
        {
            "entries": entries,
            "obj": obj,
            "model_label": model,
            "pk": pk,
            "verbose_name": model_cls._meta.verbose_name,
        },
    )


@scoped_view
@require_POST
def restore(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(AuditEntry, pk=entry_id)
    model_cls = entry.content_type.model_class()
    if model_cls is None or not getattr(model_cls, "scope_path", None):
        raise Http404
    label = f"{model_cls._meta.app_label}.{model_cls._meta.model_name}"
    selectors.history(request.user, model_cls, entry.object_id)  # 404 outside the user's area
    if not request.user.can_write:  # type: ignore[union-attr]
        raise PermissionDenied
    state = entry.after if entry.action != AuditEntry.Action.DELETE else entry.before
    unit_id = (state or {}).get("unit_id") or (state or {}).get("parent_id")
    if unit_id is not None:
        from dantoc.geo.models import AdminUnit

        if not unit_in_scope(request.user, AdminUnit.objects.filter(pk=unit_id).first()):
            raise PermissionDenied
    try:
        services.restore(request.user, entry)
        messages.success(request, _("Đã khôi phục phiên bản đã chọn. / The chosen version was restored."))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("core:history", model=label, pk=entry.object_id)
