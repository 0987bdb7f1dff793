"""Base models, the audit trail and the personal-data access log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TrackedModel(models.Model):
    """Domain record: timestamps and a version counter for optimistic concurrency."""

    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    version = models.PositiveIntegerField(_("phiên bản"), default=1, editable=False)

    class Meta:
        abstract = True

    # Fields excluded from audit snapshots.
    audit_exclude: tuple[str, ...] = ("created_at", "updated_at", "version")


class AuditEntry(models.Model):
    """One create, update, delete or restore of a domain record, with values before and after."""

    class Action(models.TextChoices):
        CREATE = "create", _("Tạo mới")
        UPDATE = "update", _("Cập nhật")
        DELETE = "delete", _("Xoá")
        RESTORE = "restore", _("Khôi phục")

    # An import writes one entry per record, so the log carries only the index its reads use (a record's
    # history: content type, object, time). Its references are kept by Django (PROTECT) rather than by
    # database constraints, each of which would cost a lookup per entry written.
    at = models.DateTimeField(_("thời điểm"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người thực hiện"),
        db_index=False,
        db_constraint=False,
    )
    action = models.CharField(_("thao tác"), max_length=10, choices=Action.choices)
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("đối tượng"), max_length=255)
    before: models.JSONField[Any] = models.JSONField(_("trước"), null=True, blank=True)
    after: models.JSONField[Any] = models.JSONField(_("sau"), null=True, blank=True)

    class Meta:
        verbose_name = _("nhật ký thay đổi")
        verbose_name_plural = _("nhật ký thay đổi")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def changes(self) -> list[tuple[str, Any, Any]]:
        before = self.before or {}
        after = self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class AccessLog(models.Model):
    """Who viewed or exported personal data, when, and why."""

    class Action(models.TextChoices):
        VIEW = "view", _("Xem hồ sơ đầy đủ")
        EXPORT = "export", _("Xuất dữ liệu cá nhân")
        REVEAL = "reveal", _("Hiện số định danh")

    at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("người dùng")
    )
    action = models.CharField(_("thao tác"), max_length=10, choices=Action.choices)
    subject = models.CharField(_("đối tượng"), max_length=255)
    reason = models.TextField(_("lý do"))
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("nhật ký truy cập dữ liệu cá nhân")
        verbose_name_plural = _("nhật ký truy cập dữ liệu cá nhân")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="accesslog_reason_required")
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.subject}"


class SiteSetting(models.Model):
    """Key/value settings kept in the database (e.g. whether demo data is loaded)."""

    key = models.CharField(max_length=64, unique=True)
    value = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("thiết lập")
        verbose_name_plural = _("thiết lập")

    def __str__(self) -> str:
        return self.key


from dantoc.core.imports.models import ImportJob  # noqa: E402, F401
