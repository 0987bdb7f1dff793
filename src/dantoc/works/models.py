"""Investment works (công trình), their status history, physical progress and disbursements."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dantoc.core.models import TrackedModel
from dantoc.programs.models import CapitalPlanLine, CapitalType, Component, FundingSource, Program


class WorkKind(models.TextChoices):
    ROAD = "road", _("Đường giao thông")
    BRIDGE = "bridge", _("Cầu, ngầm")
    SCHOOL = "school", _("Trường, lớp học")
    IRRIGATION = "irrigation", _("Thuỷ lợi")
    WATER = "water", _("Nước sinh hoạt")
    POWER = "power", _("Điện")
    CULTURAL_HOUSE = "cultural_house", _("Nhà văn hoá")
    MARKET = "market", _("Chợ")
    HEALTH_POST = "health_post", _("Trạm y tế")
    OTHER = "other", _("Khác")


class WorkStatus(models.TextChoices):
    PROPOSED = "proposed", _("Đề xuất")
    APPROVED = "approved", _("Đã phê duyệt")
    UNDER_CONSTRUCTION = "under_construction", _("Đang thi công")
    COMPLETED = "completed", _("Hoàn thành")
    HANDED_OVER = "handed_over", _("Đã bàn giao")
    SUSPENDED = "suspended", _("Tạm dừng")
    CANCELLED = "cancelled", _("Huỷ bỏ")


# Allowed transitions of the status workflow.
TRANSITIONS: dict[str, set[str]] = {
    WorkStatus.PROPOSED: {WorkStatus.APPROVED, WorkStatus.CANCELLED},
    WorkStatus.APPROVED: {WorkStatus.UNDER_CONSTRUCTION, WorkStatus.SUSPENDED, WorkStatus.CANCELLED},
    WorkStatus.UNDER_CONSTRUCTION: {WorkStatus.COMPLETED, WorkStatus.SUSPENDED, WorkStatus.CANCELLED},
    WorkStatus.COMPLETED: {WorkStatus.HANDED_OVER},
    WorkStatus.HANDED_OVER: set(),
    WorkStatus.SUSPENDED: {WorkStatus.APPROVED, WorkStatus.UNDER_CONSTRUCTION, WorkStatus.CANCELLED},
    WorkStatus.CANCELLED: set(),
}


class Work(TrackedModel):
    code = models.CharField(_("mã công trình"), max_length=32, unique=True)
    name = models.CharField(_("tên công trình"), max_length=255)
    name_folded = models.CharField(max_length=255, editable=False, db_index=True)
    kind = models.CharField(_("loại công trình"), max_length=16, choices=WorkKind.choices)
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="works", verbose_name=_("chương trình")
    )
    component = models.ForeignKey(
        Component,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="works",
        verbose_name=_("dự án thành phần"),
    )
    year = models.PositiveSmallIntegerField(_("năm kế hoạch"), db_index=True)
    unit = models.ForeignKey(
        "geo.AdminUnit", on_delete=models.PROTECT, related_name="works", verbose_name=_("xã")
    )
    village = models.ForeignKey(
        "geo.AdminUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("thôn, bản"),
    )
    investor = models.CharField(_("chủ đầu tư"), max_length=255, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cán bộ theo dõi"),
    )
    total_investment_vnd = models.BigIntegerField(_("tổng mức đầu tư (đồng)"))
    planned_start = models.DateField(_("khởi công (kế hoạch)"), null=True, blank=True)
    planned_completion = models.DateField(_("hoàn thành (kế hoạch)"), null=True, blank=True)
    actual_start = models.DateField(_("khởi công (thực tế)"), null=True, blank=True)
    actual_completion = models.DateField(_("hoàn thành (thực tế)"), null=True, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=WorkStatus.choices, default=WorkStatus.PROPOSED, db_index=True
    )
    plan_lines = models.ManyToManyField(
        CapitalPlanLine, blank=True, related_name="works", verbose_name=_("dòng kế hoạch vốn")
    )

    scope_path = "unit__path"

    class Meta:
        verbose_name = _("công trình")
        verbose_name_plural = _("công trình")
        ordering = ["-year", "code"]
        indexes = [models.Index(fields=["program", "year", "status"]), models.Index(fields=["unit", "year"])]
        constraints = [
            models.CheckConstraint(condition=Q(total_investment_vnd__gte=0), name="work_total_nonnegative"),
            models.CheckConstraint(
                condition=Q(planned_completion__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_completion__gte=F("planned_start")),
                name="work_planned_dates",
            ),
            models.CheckConstraint(condition=Q(status__in=WorkStatus.values), name="work_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class WorkStatusChange(models.Model):
    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(_("trạng thái"), max_length=20, choices=WorkStatus.choices)
    date = models.DateField(_("ngày"))
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.work_id} {self.status} {self.date}"


class ProgressUpdate(TrackedModel):
    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="progress_updates")
    date = models.DateField(_("ngày"))
    percent = models.PositiveSmallIntegerField(_("khối lượng hoàn thành (%)"))
    note = models.TextField(_("ghi chú"), blank=True)
    attachment = models.FileField(_("tệp đính kèm"), upload_to="progress/%Y/", blank=True)

    scope_path = "work__unit__path"

    class Meta:
        verbose_name = _("cập nhật tiến độ")
        verbose_name_plural = _("cập nhật tiến độ")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["work", "-date"])]
        constraints = [models.CheckConstraint(condition=Q(percent__lte=100), name="progress_percent_range")]

    def __str__(self) -> str:
        return f"{self.work_id} {self.date} {self.percent}%"


class Disbursement(TrackedModel):
    """A dated payment against a work or a capital plan line, counted against a plan year.

    A year's capital may be disbursed until 31 January of the next year (or the decision's extended
    deadline for carried-over capital); the database refuses a payment outside that window.
    """

    work = models.ForeignKey(
        Work, on_delete=models.PROTECT, null=True, blank=True, related_name="disbursements"
    )
    plan_line = models.ForeignKey(
        CapitalPlanLine, on_delete=models.PROTECT, null=True, blank=True, related_name="disbursements"
    )
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+")
    plan_year = models.PositiveSmallIntegerField(_("năm kế hoạch"))
    date = models.DateField(_("ngày"))
    amount_vnd = models.BigIntegerField(_("số tiền (đồng)"))
    source = models.ForeignKey(
        FundingSource, on_delete=models.PROTECT, related_name="+", verbose_name=_("nguồn vốn")
    )
    capital_type = models.CharField(_("loại vốn"), max_length=12, choices=CapitalType.choices)
    voucher_number = models.CharField(_("số chứng từ"), max_length=64, blank=True)

    scope_path = "unit__path"

    class Meta:
        verbose_name = _("giải ngân")
        verbose_name_plural = _("giải ngân")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["plan_year", "date"]),
            models.Index(fields=["work", "date"]),
            models.Index(fields=["unit", "plan_year"]),
            # Covers the monitoring and report roll-ups (no table lookups).
            models.Index(
                fields=["plan_year", "work", "plan_line", "unit", "source", "date", "amount_vnd"],
                name="disbursement_rollup_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(work__isnull=False) | Q(plan_line__isnull=False), name="disbursement_has_target"
            ),
            models.CheckConstraint(condition=Q(amount_vnd__gt=0), name="disbursement_amount_positive"),
            models.CheckConstraint(
                condition=Q(date__year=F("plan_year")) | Q(date__year=F("plan_year") + 1),
                name="disbursement_within_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.amount_vnd}"

    @staticmethod
    def default_deadline(plan_year: int) -> dt.date:
        return dt.date(plan_year + 1, 1, 31)
