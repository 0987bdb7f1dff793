"""Reads shared by every module."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.http import Http404

from dantoc.core.models import AuditEntry, SiteSetting
from dantoc.core.scoping import scoped

DEMO_KEY = "demo_loaded"


def demo_loaded() -> bool:
    try:
        return SiteSetting.objects.filter(key=DEMO_KEY, value="1").exists()
    except Exception:  # database not migrated yet
        return False


def scoped_object(user: Any, model: type[models.Model], pk: Any) -> models.Model:
    """One record of `model` the user may see, or 404 (also for records outside the area)."""
    obj = scoped(model._default_manager.all(), user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def history(user: Any, model: type[models.Model], pk: Any) -> QuerySet[AuditEntry]:
    """Audit entries of one record. A deleted record's history is visible to admins only."""
    ct = ContentType.objects.get_for_model(model)
    entries = AuditEntry.objects.filter(content_type=ct, object_id=str(pk)).select_related("actor")
    visible = scoped(model._default_manager.all(), user).filter(pk=pk).exists()
    if not visible and not (getattr(user, "is_system_admin", False) and entries.exists()):
        raise Http404
    return entries
