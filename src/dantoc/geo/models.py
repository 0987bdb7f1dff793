"""Administrative units through time, their lineage, classifications, statistics and ethnic groups."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from dantoc.core.models import TrackedModel
from dantoc.core.text import fold, nfc


class Level(models.TextChoices):
    PROVINCE = "province", _("Tỉnh")
    DISTRICT = "district", _("Huyện")
    COMMUNE = "commune", _("Xã")
    VILLAGE = "village", _("Thôn")


LEVEL_DEPTH = {Level.PROVINCE: 0, Level.DISTRICT: 1, Level.COMMUNE: 2, Level.VILLAGE: 3}


class Kind(models.TextChoices):
    TINH = "tinh", _("Tỉnh")
    THANH_PHO_TW = "thanh_pho_tw", _("Thành phố trực thuộc trung ương")
    HUYEN = "huyen", _("Huyện")
    QUAN = "quan", _("Quận")
    THI_XA = "thi_xa", _("Thị xã")
    THANH_PHO = "thanh_pho", _("Thành phố thuộc tỉnh")
    THANH_PHO_THUOC_TP = "thanh_pho_thuoc_tp", _("Thành phố thuộc thành phố trực thuộc trung ương")
    XA = "xa", _("Xã")
    PHUONG = "phuong", _("Phường")
    THI_TRAN = "thi_tran", _("Thị trấn")
    DAC_KHU = "dac_khu", _("Đặc khu")
    THON = "thon", _("Thôn")
    BAN = "ban", _("Bản")
    KHOI = "khoi", _("Khối phố")
    TO_DAN_PHO = "to_dan_pho", _("Tổ dân phố")
    LANG = "lang", _("Làng")
    AP = "ap", _("Ấp")


KIND_LEVEL = {
    Kind.TINH: Level.PROVINCE,
    Kind.THANH_PHO_TW: Level.PROVINCE,
    Kind.HUYEN: Level.DISTRICT,
    Kind.QUAN: Level.DISTRICT,
    Kind.THI_XA: Level.DISTRICT,
    Kind.THANH_PHO: Level.DISTRICT,
    Kind.THANH_PHO_THUOC_TP: Level.DISTRICT,
    Kind.XA: Level.COMMUNE,
    Kind.PHUONG: Level.COMMUNE,
    Kind.THI_TRAN: Level.COMMUNE,
    Kind.DAC_KHU: Level.COMMUNE,
    Kind.THON: Level.VILLAGE,
    Kind.BAN: Level.VILLAGE,
    Kind.KHOI: Level.VILLAGE,
    Kind.TO_DAN_PHO: Level.VILLAGE,
    Kind.LANG: Level.VILLAGE,
    Kind.AP: Level.VILLAGE,
}


# Prefixes in names: all city kinds read "Thành phố …".
SHORT_PREFIX: dict[str, Any] = {
    Kind.THANH_PHO_TW: _("Thành phố"),
    Kind.THANH_PHO: _("Thành phố"),
    Kind.THANH_PHO_THUOC_TP: _("Thành phố"),
}


def valid_on(on: dt.date, prefix: str = "") -> Q:
    """Q for records valid on a date (valid_from <= on <= valid_to, open ends allowed)."""
    return (Q(**{f"{prefix}valid_from__isnull": True}) | Q(**{f"{prefix}valid_from__lte": on})) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": on})
    )


class AdminUnit(TrackedModel):
    """One administrative unit as it existed over a period.

    A unit that is renamed or moved under another parent gets a new row; the rows are linked by
    `UnitLineage`. Official codes are reused across structures, so identity is the row, not the code.
    `path` ("/1/25/311/") makes subtree queries a single indexed prefix match.
    """

    level = models.CharField(_("cấp"), max_length=10, choices=Level.choices)
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    code = models.CharField(_("mã"), max_length=16, blank=True, db_index=True)
    name = models.CharField(_("tên"), max_length=128)
    name_folded = models.CharField(max_length=128, editable=False, db_index=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("trực thuộc"),
    )
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    note = models.TextField(_("ghi chú"), blank=True)

    scope_path = "path"

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=F("valid_from")),
                name="adminunit_valid_period",
            ),
            models.UniqueConstraint(
                F("level"),
                F("code"),
                Coalesce("valid_from", Value(dt.date(1900, 1, 1))),
                condition=~Q(code=""),
                name="adminunit_code_per_structure",
            ),
            models.CheckConstraint(condition=Q(level__in=Level.values), name="adminunit_level_valid"),
        ]
        indexes = [models.Index(fields=["level", "valid_from", "valid_to"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        prefix = SHORT_PREFIX.get(self.kind) or self.get_kind_display()
        return self.name if self.name.lower().startswith(str(prefix).lower()) else f"{prefix} {self.name}"

    @property
    def is_current(self) -> bool:
        return self.valid_to is None or self.valid_to >= dt.date.today()

    def save(self, *args: object, **kwargs: object) -> None:
        self.name = nfc(self.name)
        self.name_folded = fold(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        expected = (self.parent.path if self.parent_id and self.parent else "/") + f"{self.pk}/"
        if self.path != expected:
            self.path = expected
            type(self).objects.filter(pk=self.pk).update(path=expected)

    def ancestors(self) -> models.QuerySet[AdminUnit]:
        ids = [int(p) for p in self.path.strip("/").split("/") if p]
        return AdminUnit.objects.filter(pk__in=ids).order_by("path")


class UnitChange(TrackedModel):
    """A change of structure: create, abolish, merge, split, rename, re-parent."""

    class ChangeKind(models.TextChoices):
        CREATE = "create", _("Thành lập")
        ABOLISH = "abolish", _("Giải thể")
        MERGE = "merge", _("Sáp nhập")
        SPLIT = "split", _("Chia tách")
        RENAME = "rename", _("Đổi tên")
        REPARENT = "reparent", _("Điều chỉnh trực thuộc")

    kind = models.CharField(_("loại thay đổi"), max_length=10, choices=ChangeKind.choices)
    effective_date = models.DateField(_("ngày hiệu lực"), db_index=True)
    basis_number = models.CharField(_("số văn bản"), max_length=64, blank=True)
    basis_date = models.DateField(_("ngày văn bản"), null=True, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("thay đổi đơn vị hành chính")
        verbose_name_plural = _("thay đổi đơn vị hành chính")
        ordering = ["-effective_date", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.effective_date:%d/%m/%Y}"

    @property
    def legal_basis(self) -> str:
        if not self.basis_number:
            return ""
        return f"{self.basis_number} ({self.basis_date:%d/%m/%Y})" if self.basis_date else self.basis_number


class UnitLineage(models.Model):
    """One edge of a change: territory of `predecessor` passing (wholly or by `share`) to `successor`."""

    change = models.ForeignKey(UnitChange, on_delete=models.CASCADE, related_name="edges")
    predecessor = models.ForeignKey(
        AdminUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="successor_edges"
    )
    successor = models.ForeignKey(
        AdminUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="predecessor_edges"
    )
    share = models.DecimalField(_("tỷ lệ"), max_digits=7, decimal_places=6, null=True, blank=True)
    is_primary = models.BooleanField(_("đơn vị kế thừa chính"), default=False)

    class Meta:
        verbose_name = _("quan hệ kế thừa")
        verbose_name_plural = _("quan hệ kế thừa")
        constraints = [
            models.CheckConstraint(
                condition=Q(predecessor__isnull=False) | Q(successor__isnull=False), name="lineage_has_an_end"
            ),
            models.CheckConstraint(
                condition=Q(share__isnull=True) | (Q(share__gt=0) & Q(share__lte=1)),
                name="lineage_share_range",
            ),
            models.UniqueConstraint(
                fields=["change", "predecessor", "successor"], name="lineage_edge_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} → {self.successor_id}"


class ClassificationType(models.Model):
    """Kinds of classification (region I/II/III, ĐBKK, border, ATK, P135, 30a…); admins can add more."""

    code = models.SlugField(_("mã"), max_length=32, unique=True)
    name = models.CharField(_("tên"), max_length=128)
    applies_to = models.CharField(_("áp dụng cho cấp"), max_length=10, choices=Level.choices)

    class Meta:
        verbose_name = _("loại phân loại")
        verbose_name_plural = _("loại phân loại")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class UnitClassification(TrackedModel):
    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="classifications")
    type = models.ForeignKey(
        ClassificationType, on_delete=models.PROTECT, related_name="+", verbose_name=_("phân loại")
    )
    valid_from = models.DateField(_("từ ngày"))
    valid_to = models.DateField(_("đến ngày"), null=True, blank=True)
    basis_number = models.CharField(_("số quyết định"), max_length=64)
    basis_date = models.DateField(_("ngày quyết định"), null=True, blank=True)

    scope_path = "unit__path"

    class Meta:
        verbose_name = _("phân loại đơn vị")
        verbose_name_plural = _("phân loại đơn vị")
        constraints = [
            models.UniqueConstraint(fields=["unit", "type", "valid_from"], name="classification_unique"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="classification_valid_period",
            ),
        ]
        indexes = [models.Index(fields=["type", "valid_from", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.type_id}"


class EthnicGroup(models.Model):
    """The 54 ethnic groups: code of Decision 1019/QĐ-TCTK and the 1979 code alongside."""

    code = models.CharField(_("mã"), max_length=2, unique=True)
    code_1979 = models.CharField(_("mã 1979"), max_length=2, blank=True)
    name = models.CharField(_("tên"), max_length=64)
    aliases = models.JSONField(_("tên gọi khác"), default=list, blank=True)

    class Meta:
        verbose_name = _("dân tộc")
        verbose_name_plural = _("dân tộc")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class UnitStatistic(TrackedModel):
    """Per unit, per year: population and households, optionally for one ethnic group."""

    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="statistics")
    year = models.PositiveSmallIntegerField(_("năm"))
    ethnic_group = models.ForeignKey(
        EthnicGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dân tộc"),
    )
    population = models.PositiveIntegerField(_("dân số"), null=True, blank=True)
    households = models.PositiveIntegerField(_("số hộ"), null=True, blank=True)
    em_households = models.PositiveIntegerField(_("hộ DTTS"), null=True, blank=True)
    em_population = models.PositiveIntegerField(_("nhân khẩu DTTS"), null=True, blank=True)
    poor_households = models.PositiveIntegerField(_("hộ nghèo"), null=True, blank=True)
    near_poor_households = models.PositiveIntegerField(_("hộ cận nghèo"), null=True, blank=True)

    scope_path = "unit__path"

    class Meta:
        verbose_name = _("số liệu đơn vị")
        verbose_name_plural = _("số liệu đơn vị")
        constraints = [
            models.UniqueConstraint(
                F("unit"), F("year"), Coalesce("ethnic_group", Value(0)), name="unitstatistic_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year}"
