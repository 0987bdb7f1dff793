"""Households, persons (sensitive personal data), poverty status and support records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dantoc.core import lookups  # noqa: F401  (registers `digits` and `length`, used by constraints)
from dantoc.core.models import TrackedModel
from dantoc.core.text import fold, nfc


class Household(TrackedModel):
    code = models.CharField(_("mã hộ"), max_length=32, unique=True)
    village = models.ForeignKey(
        "geo.AdminUnit", on_delete=models.PROTECT, related_name="households", verbose_name=_("thôn, bản")
    )
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)

    scope_path = "village__path"

    class Meta:
        verbose_name = _("hộ gia đình")
        verbose_name_plural = _("hộ gia đình")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Sex(models.TextChoices):
    MALE = "M", _("Nam")
    FEMALE = "F", _("Nữ")


class Relation(models.TextChoices):
    HEAD = "head", _("Chủ hộ")
    SPOUSE = "spouse", _("Vợ/chồng")
    CHILD = "child", _("Con")
    PARENT = "parent", _("Bố/mẹ")
    GRANDCHILD = "grandchild", _("Cháu")
    SIBLING = "sibling", _("Anh/chị/em")
    OTHER = "other", _("Khác")


class Person(TrackedModel):
    """A member of a household. Ethnicity and ID number are sensitive personal data.

    `save()` stores the name in NFC and its search key `name_folded`; bulk writes must set both
    (`nfc(name)`, `fold(name)`). The name index follows `name_folded` by itself (households.search)."""

    # indexed by person_household_cover, which starts with it
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members", db_index=False)
    full_name = models.CharField(_("họ và tên"), max_length=128)
    # on PostgreSQL without its LIKE copy (migration 0007): names are matched exactly or by `name_prefixes`
    name_folded = models.CharField(max_length=128, editable=False, db_index=True)
    sex = models.CharField(_("giới tính"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("ngày sinh"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("năm sinh"))
    ethnic_group = models.ForeignKey(
        "geo.EthnicGroup", on_delete=models.PROTECT, related_name="+", verbose_name=_("dân tộc")
    )
    id_number = models.CharField(_("số định danh (CCCD/CMND)"), max_length=12, blank=True)
    relation = models.CharField(_("quan hệ với chủ hộ"), max_length=12, choices=Relation.choices)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("đã gộp vào"),
        db_index=False,  # person_merged_into: the few merged rows only
    )

    scope_path = "household__village__path"

    class Meta:
        verbose_name = _("nhân khẩu")
        verbose_name_plural = _("nhân khẩu")
        ordering = ["household", "id"]
        # Few indexes: every one is paid for on each of the many rows an import writes.
        indexes = [
            # members of a household and its head, read from the index alone (reports, lists)
            models.Index(
                fields=["household", "merged_into", "relation", "ethnic_group", "sex"],
                name="person_household_cover",
            ),
            models.Index(
                fields=["merged_into"], condition=Q(merged_into__isnull=False), name="person_merged_into"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"], condition=~Q(id_number=""), name="person_id_number_unique"
            ),
            models.CheckConstraint(
                # `digits` (core.lookups) rather than a regex, which SQLite would check in Python per row
                condition=Q(id_number="") | (Q(id_number__digits=True) & Q(id_number__length__in=[9, 12])),
                name="person_id_number_format",
            ),
            models.CheckConstraint(
                condition=Q(birth_year__gte=1880) & Q(birth_year__lte=2100), name="person_birth_year_range"
            ),
            models.CheckConstraint(condition=Q(sex__in=["M", "F"]), name="person_sex_valid"),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(relation="head", merged_into__isnull=True),
                name="person_one_head_per_household",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: object, **kwargs: object) -> None:
        self.full_name = nfc(self.full_name)
        self.name_folded = fold(self.full_name)
        fields = kwargs.get("update_fields")
        if fields is not None and "full_name" in fields:  # type: ignore[operator]
            kwargs["update_fields"] = {*fields, "name_folded"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class PovertyStatus(TrackedModel):
    class Status(models.TextChoices):
        POOR = "poor", _("Hộ nghèo")
        NEAR_POOR = "near_poor", _("Hộ cận nghèo")
        ESCAPED = "escaped", _("Thoát nghèo")
        NONE = "none", _("Không thuộc diện")

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="poverty")
    year = models.PositiveSmallIntegerField(_("năm"))
    status = models.CharField(_("phân loại hộ"), max_length=10, choices=Status.choices)
    source = models.CharField(_("nguồn (kết quả rà soát)"), max_length=255, blank=True)

    scope_path = "household__village__path"

    class Meta:
        verbose_name = _("phân loại hộ theo năm")
        verbose_name_plural = _("phân loại hộ theo năm")
        constraints = [models.UniqueConstraint(fields=["household", "year"], name="poverty_one_per_year")]
        indexes = [
            models.Index(fields=["year", "status"]),
            models.Index(fields=["household", "year", "status"], name="poverty_household_cover"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year} {self.status}"


class SupportKind(models.TextChoices):
    CASH = "cash", _("Tiền mặt")
    LIVESTOCK = "livestock", _("Con giống")
    SEEDLINGS = "seedlings", _("Cây giống")
    FERTILISER = "fertiliser", _("Phân bón")
    MACHINERY = "machinery", _("Máy móc, công cụ")
    PRODUCTION_LAND = "production_land", _("Đất sản xuất")
    HOUSING = "housing", _("Nhà ở")
    DOMESTIC_WATER = "domestic_water", _("Nước sinh hoạt")
    VOCATIONAL_TRAINING = "vocational_training", _("Đào tạo nghề")
    OTHER = "other", _("Khác")


class SupportRecord(TrackedModel):
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="support_records")
    component = models.ForeignKey(
        "programs.Component",
        on_delete=models.PROTECT,
        related_name="support_records",
        verbose_name=_("dự án thành phần"),
    )
    year = models.PositiveSmallIntegerField(_("năm"), db_index=True)
    kind = models.CharField(_("nội dung hỗ trợ"), max_length=20, choices=SupportKind.choices)
    quantity = models.DecimalField(_("số lượng"), max_digits=12, decimal_places=2, default=1)
    measure = models.CharField(_("đơn vị tính"), max_length=32, blank=True)
    value_vnd = models.BigIntegerField(_("thành tiền (đồng)"))
    plan_line = models.ForeignKey(
        "programs.CapitalPlanLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="support_records",
        verbose_name=_("dòng kế hoạch vốn"),
    )
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)

    scope_path = "household__village__path"

    class Meta:
        verbose_name = _("bản ghi hỗ trợ")
        verbose_name_plural = _("bản ghi hỗ trợ")
        indexes = [
            models.Index(fields=["year", "component"]),
            # a year's support by household, read from the index alone (the households-support report)
            models.Index(
                fields=["year", "household", "component", "kind", "value_vnd", "quantity"],
                name="support_year_household_cover",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value_vnd__gte=0), name="support_value_nonnegative"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="support_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year} {self.kind}"


class PersonMerge(models.Model):
    """A decision on a likely duplicate: merged (history kept) or kept apart."""

    class Decision(models.TextChoices):
        MERGED = "merged", _("Đã gộp")
        KEPT_APART = "kept_apart", _("Giữ riêng")

    kept = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    other = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    snapshot = models.JSONField(default=dict)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    scope_path = "kept__household__village__path"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kept", "other"], name="personmerge_pair_unique")]

    def __str__(self) -> str:
        return f"{self.kept_id} ~ {self.other_id}: {self.decision}"


class SupportSummary(models.Model):
    """Derived, never edited: a year's support in one village at every grain the households-support report
    groups by (households counted once per group, persons their non-merged members). Rebuilt from the
    records by `households.summary` in the same transaction as any change to them, so that a province's
    report sums a few thousand rows instead of re-deriving them (as an analytics table does)."""

    class Grain(models.TextChoices):
        PROFILE = "p", "program × ethnic group × sex × poverty"
        TOTAL = "t", "all programmes"
        COMPONENT = "c", "component"
        KIND = "k", "program × kind"
        COMPONENT_KIND = "ck", "component × kind"

    year = models.PositiveSmallIntegerField()
    village = models.ForeignKey("geo.AdminUnit", on_delete=models.CASCADE, related_name="+")
    grain = models.CharField(max_length=2, choices=Grain.choices)
    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, null=True, related_name="+")
    component = models.ForeignKey("programs.Component", on_delete=models.CASCADE, null=True, related_name="+")
    kind = models.CharField(max_length=20, blank=True)
    ethnic_group = models.ForeignKey("geo.EthnicGroup", on_delete=models.CASCADE, null=True, related_name="+")
    sex = models.CharField(max_length=1, blank=True)
    status = models.CharField(max_length=10, blank=True)
    households = models.PositiveIntegerField()
    persons = models.PositiveIntegerField()
    value_vnd = models.BigIntegerField()
    quantity = models.DecimalField(max_digits=14, decimal_places=2, null=True)

    scope_path = "village__path"

    class Meta:
        indexes = [models.Index(fields=["year", "grain", "village"], name="support_summary_year")]
        constraints = [models.CheckConstraint(condition=Q(households__gt=0), name="support_summary_nonempty")]

    def __str__(self) -> str:
        return f"{self.year} {self.village_id} {self.grain}"
