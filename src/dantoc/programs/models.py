"""Programmes as data: programme → component tree, funding sources, capital plans (decisions and lines)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dantoc.core.models import TrackedModel


class Program(TrackedModel):
    """A national target programme, programme or policy (P135, 30A, NTP-DTTS-2021…)."""

    code = models.CharField(_("mã"), max_length=32, unique=True)
    name = models.CharField(_("tên"), max_length=255)
    short_name = models.CharField(_("tên ngắn"), max_length=64, blank=True)
    start_year = models.PositiveSmallIntegerField(_("từ năm"))
    end_year = models.PositiveSmallIntegerField(_("đến năm"), null=True, blank=True)
    basis_number = models.CharField(_("căn cứ pháp lý (số)"), max_length=64, blank=True)
    basis_date = models.DateField(_("ngày ban hành"), null=True, blank=True)
    owner_agency = models.CharField(_("cơ quan chủ trì"), max_length=255, blank=True)
    description = models.TextField(_("mô tả"), blank=True)

    class Meta:
        verbose_name = _("chương trình")
        verbose_name_plural = _("chương trình")
        ordering = ["start_year", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__isnull=True) | Q(end_year__gte=F("start_year")), name="program_years"
            )
        ]

    def __str__(self) -> str:
        return self.short_name or self.name


class Component(TrackedModel):
    """Project, sub-project or content of a programme (a tree)."""

    class Level(models.TextChoices):
        PROJECT = "project", _("Dự án")
        SUBPROJECT = "subproject", _("Tiểu dự án")
        CONTENT = "content", _("Nội dung")

    class Category(models.TextChoices):
        INFRASTRUCTURE = "infrastructure", _("Hạ tầng")
        PRODUCTION = "production", _("Hỗ trợ phát triển sản xuất")
        CAPACITY = "capacity", _("Nâng cao năng lực")
        LAND = "land", _("Đất ở, đất sản xuất")
        HOUSING = "housing", _("Nhà ở")
        WATER = "water", _("Nước sinh hoạt")
        TRAINING = "training", _("Đào tạo nghề, việc làm")
        OTHER = "other", _("Khác")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="components")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    code = models.CharField(_("mã"), max_length=32)
    name = models.CharField(_("tên"), max_length=255)
    level = models.CharField(_("cấp"), max_length=12, choices=Level.choices, default=Level.PROJECT)
    category = models.CharField(_("nhóm"), max_length=16, choices=Category.choices, default=Category.OTHER)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        verbose_name = _("dự án thành phần")
        verbose_name_plural = _("dự án thành phần")
        ordering = ["program", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["program", "code"], name="component_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FundingSource(models.Model):
    code = models.SlugField(_("mã"), max_length=32, unique=True)
    name = models.CharField(_("tên"), max_length=128)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("nguồn vốn")
        verbose_name_plural = _("nguồn vốn")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class CapitalType(models.TextChoices):
    INVESTMENT = "investment", _("Vốn đầu tư phát triển")
    RECURRENT = "recurrent", _("Vốn sự nghiệp")


class PlanDecision(TrackedModel):
    """A decision assigning, adjusting or carrying over capital of one plan year; its total is its lines'."""

    class Revision(models.TextChoices):
        INITIAL = "initial", _("Giao đầu năm")
        ADJUSTMENT = "adjustment", _("Điều chỉnh")
        CARRY_OVER = "carry_over", _("Kéo dài sang năm sau")

    year = models.PositiveSmallIntegerField(_("năm kế hoạch"), db_index=True)
    revision = models.CharField(_("loại"), max_length=12, choices=Revision.choices, default=Revision.INITIAL)
    authority = models.CharField(_("cơ quan giao"), max_length=255)
    number = models.CharField(_("số quyết định"), max_length=64)
    date = models.DateField(_("ngày quyết định"))
    unit = models.ForeignKey(
        "geo.AdminUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("cấp giao")
    )
    disburse_until = models.DateField(
        _("giải ngân đến ngày"), help_text=_("Mặc định 31/01 năm sau; vốn kéo dài: 31/12 năm sau.")
    )
    note = models.TextField(_("ghi chú"), blank=True)

    scope_path = "unit__path"

    class Meta:
        verbose_name = _("quyết định giao vốn")
        verbose_name_plural = _("quyết định giao vốn")
        ordering = ["-year", "date", "number"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number", "unit"], name="plandecision_unique"),
            models.CheckConstraint(
                condition=Q(disburse_until__year__gt=F("year")), name="plandecision_deadline"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.year})"


class CapitalPlanLine(TrackedModel):
    """Capital of the decision's plan year for a component at a unit, from a source, of a type.

    An adjustment line carries the change (positive or negative). A carry-over line extends the
    disbursement deadline of that much of the year's capital (to the decision's `disburse_until`);
    it is not added to the year's plan.
    """

    decision = models.ForeignKey(PlanDecision, on_delete=models.CASCADE, related_name="lines")
    component = models.ForeignKey(
        Component, on_delete=models.PROTECT, related_name="plan_lines", verbose_name=_("dự án thành phần")
    )
    unit = models.ForeignKey(
        "geo.AdminUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("đơn vị thực hiện")
    )
    source = models.ForeignKey(
        FundingSource, on_delete=models.PROTECT, related_name="+", verbose_name=_("nguồn vốn")
    )
    capital_type = models.CharField(_("loại vốn"), max_length=12, choices=CapitalType.choices)
    amount_vnd = models.BigIntegerField(_("số tiền (đồng)"))

    scope_path = "unit__path"

    class Meta:
        verbose_name = _("dòng kế hoạch vốn")
        verbose_name_plural = _("dòng kế hoạch vốn")
        indexes = [models.Index(fields=["component", "unit"])]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "component", "unit", "source", "capital_type"], name="planline_unique"
            ),
            models.CheckConstraint(condition=~Q(amount_vnd=0), name="planline_amount_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.decision_id} {self.component_id} {self.unit_id} {self.amount_vnd}"
