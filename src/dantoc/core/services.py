"""Generic write path: every domain write is atomic and leaves its audit entry in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from dantoc.core import audit
from dantoc.core.models import AuditEntry, SiteSetting, TrackedModel


class ConcurrentEditError(ValidationError):
    """Raised when a record changed since the user opened it."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Bản ghi đã được người khác sửa sau khi bạn mở. Hãy xem lại thay đổi của họ rồi lưu lại. "
                "/ Someone else changed this record after you opened it. Review their change and save again."
            ),
            code="concurrent_edit",
        )


@transaction.atomic
def create[T: TrackedModel](actor: Any, instance: T) -> T:
    instance.full_clean()
    instance.save()
    audit.record(actor, AuditEntry.Action.CREATE, instance, None, audit.snapshot(instance))
    return instance


@transaction.atomic
def update[T: TrackedModel](
    actor: Any, instance: T, changes: dict[str, Any], expected_version: int | None = None
) -> T:
    """Apply `changes`; refuse if the stored version differs from `expected_version`."""
    model = type(instance)
    current = model._default_manager.select_for_update().get(pk=instance.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentEditError()
    before = audit.snapshot(current)
    for name, value in changes.items():
        setattr(current, name, value)
    current.full_clean()
    after = audit.snapshot(current)
    if after == before:
        return current
    current.save()
    model._default_manager.filter(pk=current.pk).update(version=F("version") + 1)
    current.refresh_from_db()
    audit.record(actor, AuditEntry.Action.UPDATE, current, before, after)
    return current


@transaction.atomic
def delete(actor: Any, instance: TrackedModel) -> None:
    before = audit.snapshot(instance)
    audit.record(actor, AuditEntry.Action.DELETE, instance, before, None)
    instance.delete()


def _coerce(field: models.Field[Any, Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if isinstance(field, models.DateField) and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return field.to_python(value)


@transaction.atomic
def restore(actor: Any, entry: AuditEntry) -> models.Model:
    """Bring a record back to the state recorded after `entry` (or before it, for a delete)."""
    model = entry.content_type.model_class()
    assert model is not None
    state = entry.after if entry.action != AuditEntry.Action.DELETE else entry.before
    if not state:
        raise ValidationError(
            _("Phiên bản này không có dữ liệu để khôi phục. / This version holds nothing to restore.")
        )
    fields = {f.attname: f for f in model._meta.concrete_fields}
    values = {k: _coerce(fields[k], v) for k, v in state.items() if k in fields}
    current = model._default_manager.select_for_update().filter(pk=entry.object_id).first()
    if current is None:
        obj = model(pk=entry.object_id, **values)
        obj.full_clean(validate_unique=False)
        obj.save(force_insert=True)
        audit.record(actor, AuditEntry.Action.RESTORE, obj, None, audit.snapshot(obj))
        return obj
    before = audit.snapshot(current)
    for k, v in values.items():
        setattr(current, k, v)
    current.full_clean()
    current.save()
    if isinstance(current, TrackedModel):
        model._default_manager.filter(pk=current.pk).update(version=F("version") + 1)
        current.refresh_from_db()
    audit.record(actor, AuditEntry.Action.RESTORE, current, before, audit.snapshot(current))
    return current


def set_setting(key: str, value: str) -> None:
    SiteSetting.objects.update_or_create(key=key, defaults={"value": value})
