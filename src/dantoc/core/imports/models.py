"""An import run in the background: the uploaded file, its progress and its result."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Đang chờ")
        RUNNING = "running", _("Đang chạy")
        DONE = "done", _("Đã nhập")
        CHECKED = "checked", _("Đã kiểm tra (chạy thử)")
        REJECTED = "rejected", _("Có lỗi, chưa ghi gì")
        FAILED = "failed", _("Lỗi hệ thống")

    FINISHED = (Status.DONE, Status.CHECKED, Status.REJECTED, Status.FAILED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("người nhập")
    )
    kind = models.CharField(_("loại dữ liệu"), max_length=40)
    file = models.FileField(_("tệp"), upload_to="imports/%Y/%m/", max_length=255)
    original_name = models.CharField(_("tên tệp"), max_length=255)
    dry_run = models.BooleanField(_("chạy thử"), default=False)
    options: models.JSONField[Any] = models.JSONField(_("tuỳ chọn"), default=dict, blank=True)
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.PENDING)
    phase = models.CharField(_("giai đoạn"), max_length=20, blank=True)
    progress = models.PositiveSmallIntegerField(_("tiến độ (%)"), default=0)
    result: models.JSONField[Any] = models.JSONField(_("kết quả"), null=True, blank=True)
    error_file = models.FileField(_("tệp lỗi"), upload_to="imports/%Y/%m/", max_length=255, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("bắt đầu"), null=True, blank=True)
    finished_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("lượt nhập dữ liệu")
        verbose_name_plural = _("lượt nhập dữ liệu")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="importjob_progress_range"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.original_name} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    def visible_to(self, user: Any) -> bool:
        return bool(
            user.is_authenticated and (user.pk == self.user_id or getattr(user, "is_system_admin", False))
        )
