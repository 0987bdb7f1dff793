"""Audit trail: snapshots of a record before and after each write."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from dantoc.core.models import AccessLog, AuditEntry


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or None
    return value


def snapshot(instance: models.Model) -> dict[str, Any]:
    """Concrete field values by attribute name (foreign keys as ids)."""
    exclude = set(getattr(instance, "audit_exclude", ()))
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude or field.primary_key or (not field.editable and field.name != "path"):
            continue
        if field.name == "path":
            continue
        data[field.attname] = _json_value(getattr(instance, field.attname))
    return data


def record(
    actor: Any,
    action: str,
    instance: models.Model,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=str(instance.pk),
        object_repr=str(instance)[:255],
        before=before,
        after=after,
    )


def log_access(user: Any, action: str, subject: str, reason: str, ip_address: str | None = None) -> AccessLog:
    return AccessLog.objects.create(
        user=user, action=action, subject=subject[:255], reason=reason.strip(), ip_address=ip_address
    )
