"""Every write on households, persons, poverty status and support records: atomic, audited, scoped.

The unit a write is checked against is the household's village (`ensure_can_write`). Updates take the
version the user saw (optimistic concurrency). Reading a person's full record, revealing ID numbers and
exporting personal data write the personal-data access log (`log_*`).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from dantoc.core import audit
from dantoc.core import services as core
from dantoc.core.models import AccessLog, AuditEntry
from dantoc.core.scoping import ensure_can_write
from dantoc.geo.models import AdminUnit, EthnicGroup, Level
from dantoc.households import privacy
from dantoc.households.ids import validate_id_number
from dantoc.households.models import (
    Household,
    Person,
    PersonMerge,
    PovertyStatus,
    Relation,
    Sex,
    SupportKind,
    SupportRecord,
)
from dantoc.programs.models import CapitalPlanLine, Component, Program

MIN_YEAR, MAX_YEAR = 1990, 2100


# --- households -----------------------------------------------------------------------------------------


def _check_village(village: AdminUnit | None) -> AdminUnit:
    if village is None or village.level != Level.VILLAGE:
        raise ValidationError({"village": [_("Hãy chọn một thôn, bản, tổ dân phố. / Choose a village.")]})
    return village


@transaction.atomic
def create_household(
    user: Any, *, code: str, village: AdminUnit, address: str = "", phone: str = ""
) -> Household:
    _check_village(village)
    ensure_can_write(user, village)
    code = code.strip()
    if Household.objects.filter(code=code).exists():
        raise ValidationError(
            {
                "code": [
                    _("Mã hộ “%(code)s” đã có. / Household code “%(code)s” already exists.") % {"code": code}
                ]
            }
        )
    return core.create(
        user, Household(code=code, village=village, address=address.strip(), phone=phone.strip())
    )


@transaction.atomic
def update_household(
    user: Any, household: Household, changes: dict[str, Any], expected_version: int | None = None
) -> Household:
    ensure_can_write(user, household.village)
    if "village" in changes:
        ensure_can_write(user, _check_village(changes["village"]))
    if "code" in changes:
        code = str(changes["code"]).strip()
        if Household.objects.filter(code=code).exclude(pk=household.pk).exists():
            raise ValidationError(
                {
                    "code": [
                        _("Mã hộ “%(code)s” đã có. / Household code “%(code)s” already exists.")
                        % {"code": code}
                    ]
                }
            )
        changes["code"] = code
    return core.update(user, household, changes, expected_version)


def next_household_code(village: AdminUnit) -> str:
    """A free code "<village id>-<n>" for households entered without one."""
    prefix = f"{village.pk}-"
    n = Household.objects.filter(code__startswith=prefix).count() + 1
    while Household.objects.filter(code=f"{prefix}{n:04d}").exists():
        n += 1
    return f"{prefix}{n:04d}"


# --- persons --------------------------------------------------------------------------------------------

PERSON_FIELDS = (
    "full_name",
    "sex",
    "birth_date",
    "birth_year",
    "ethnic_group",
    "id_number",
    "relation",
    "household",
)


def _clean_person(values: dict[str, Any], pk: int | None) -> dict[str, Any]:
    """Normalise and check one person's values (ID number against birth year and sex, one head per household)."""
    errors: dict[str, list[str]] = {}
    name = " ".join(str(values.get("full_name") or "").split())
    if not name:
        errors.setdefault("full_name", []).append(_("Hãy nhập họ và tên. / Enter the full name."))
    values["full_name"] = name
    birth_date: dt.date | None = values.get("birth_date")
    birth_year = values.get("birth_year")
    if birth_date and not birth_year:
        birth_year = birth_date.year
    if birth_date and birth_year and birth_date.year != int(birth_year):
        errors.setdefault("birth_year", []).append(
            _(
                "Năm sinh %(y)s không khớp ngày sinh %(d)s. / Birth year %(y)s does not match birth date %(d)s."
            )
            % {"y": birth_year, "d": birth_date.strftime("%d/%m/%Y")}
        )
    if not birth_year:
        errors.setdefault("birth_year", []).append(
            _("Hãy nhập năm sinh hoặc ngày sinh. / Enter a birth year or date.")
        )
    elif not 1880 <= int(birth_year) <= dt.date.today().year:
        errors.setdefault("birth_year", []).append(
            _("Năm sinh %(y)s không hợp lệ. / Birth year %(y)s is not valid.") % {"y": birth_year}
        )
    values["birth_year"] = int(birth_year) if birth_year else None
    if values.get("sex") not in Sex.values:
        errors.setdefault("sex", []).append(_("Giới tính phải là Nam hoặc Nữ. / Sex must be male or female."))
    if values.get("relation") not in Relation.values:
        errors.setdefault("relation", []).append(
            _("Quan hệ với chủ hộ không hợp lệ. / Invalid relation to the head.")
        )
    if not isinstance(values.get("ethnic_group"), EthnicGroup):
        errors.setdefault("ethnic_group", []).append(_("Hãy chọn dân tộc. / Choose an ethnic group."))
    try:
        values["id_number"] = validate_id_number(
            values.get("id_number"), values["birth_year"], values.get("sex")
        )
    except ValidationError as exc:
        errors.setdefault("id_number", []).extend(exc.message_dict["id_number"])
    number = values.get("id_number")
    if number and "id_number" not in errors:
        other = Person.objects.filter(id_number=number).exclude(id_number="").exclude(pk=pk or 0).first()
        if other is not None:
            errors.setdefault("id_number", []).append(
                _(
                    "Số định danh này đã thuộc về một người khác (#%(pk)s); nếu là cùng một người, hãy gộp hồ sơ. "
                    "/ This ID number already belongs to another person (#%(pk)s); if it is the same person, "
                    "merge the records."
                )
                % {"pk": other.pk}
            )
    household = values.get("household")
    if (
        values.get("relation") == Relation.HEAD
        and household is not None
        and Person.objects.filter(household=household, relation=Relation.HEAD, merged_into__isnull=True)
        .exclude(pk=pk or 0)
        .exists()
    ):
        errors.setdefault("relation", []).append(
            _("Hộ này đã có chủ hộ. / This household already has a head.")
        )
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def create_person(user: Any, household: Household, **fields: Any) -> Person:
    ensure_can_write(user, household.village)
    values = _clean_person({**{k: fields.get(k) for k in PERSON_FIELDS}, "household": household}, None)
    return core.create(user, Person(**values))


@transaction.atomic
def update_person(
    user: Any, person: Person, changes: dict[str, Any], expected_version: int | None = None
) -> Person:
    """Correct a person's record (also the "correction" of a data subject's request)."""
    ensure_can_write(user, person.household.village)
    if person.merged_into_id:
        raise ValidationError(
            _(
                "Hồ sơ này đã được gộp vào hồ sơ khác; hãy sửa hồ sơ được giữ lại. "
                "/ This record was merged into another; correct the record that was kept."
            )
        )
    if "household" in changes and changes["household"] is not None:
        ensure_can_write(user, changes["household"].village)
    current = {k: getattr(person, k) for k in PERSON_FIELDS}
    merged = _clean_person({**current, **changes}, person.pk)
    return core.update(user, person, {k: merged[k] for k in PERSON_FIELDS}, expected_version)


# --- poverty status -------------------------------------------------------------------------------------


@transaction.atomic
def set_poverty_status(
    user: Any,
    household: Household,
    year: int,
    status: str,
    source: str = "",
    expected_version: int | None = None,
) -> PovertyStatus:
    """Record (or correct) a household's poverty status of a year."""
    ensure_can_write(user, household.village)
    if status not in PovertyStatus.Status.values:
        raise ValidationError({"status": [_("Phân loại hộ không hợp lệ. / Invalid poverty status.")]})
    _check_year(year)
    existing = PovertyStatus.objects.filter(household=household, year=year).first()
    if existing is None:
        return core.create(
            user, PovertyStatus(household=household, year=year, status=status, source=source.strip())
        )
    return core.update(user, existing, {"status": status, "source": source.strip()}, expected_version)


def _check_year(year: Any, field: str = "year") -> int:
    try:
        value = int(year)
    except (TypeError, ValueError):
        value = 0
    if not MIN_YEAR <= value <= MAX_YEAR:
        raise ValidationError(
            {field: [_("Năm %(y)s không hợp lệ. / Year %(y)s is not valid.") % {"y": year}]}
        )
    return value


# --- support records ------------------------------------------------------------------------------------


def resolve_component(program_code: str | None, component_code: str | None = None) -> Component:
    """The component a support record names: by code, or the programme's one production component."""
    program = (
        Program.objects.filter(code__iexact=(program_code or "").strip()).first() if program_code else None
    )
    if component_code:
        qs = Component.objects.filter(code__iexact=component_code.strip())
        if program is not None:
            qs = qs.filter(program=program)
        found = qs.select_related("program").first()
        if found is None:
            raise ValidationError(
                {
                    "component": [
                        _("Không có dự án thành phần “%(c)s”. / No component “%(c)s”.")
                        % {"c": component_code}
                    ]
                }
            )
        return found
    if program is None:
        raise ValidationError(
            {
                "program": [
                    _("Không có chương trình “%(p)s”. / No programme “%(p)s”.") % {"p": program_code or ""}
                ]
            }
        )
    production = list(
        program.components.filter(category=Component.Category.PRODUCTION).order_by("order", "code")
    )
    if len(production) == 1:
        return production[0]
    codes = ", ".join(c.code for c in production) or "—"
    raise ValidationError(
        {
            "component": [
                _(
                    "Chương trình %(p)s có %(n)s dự án thành phần hỗ trợ sản xuất (%(codes)s): hãy ghi rõ dự án thành phần. "
                    "/ Programme %(p)s has %(n)s production components (%(codes)s): name the component."
                )
                % {"p": program.code, "n": len(production), "codes": codes}
            ]
        }
    )


def _clean_support(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    try:
        values["year"] = _check_year(values.get("year"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if values.get("kind") not in SupportKind.values:
        errors["kind"] = [_("Nội dung hỗ trợ không hợp lệ. / Invalid kind of support.")]
    try:
        quantity = Decimal(str(values.get("quantity") if values.get("quantity") is not None else 1))
        if quantity <= 0:
            raise InvalidOperation
        values["quantity"] = quantity
    except (InvalidOperation, ValueError):
        errors["quantity"] = [_("Số lượng phải lớn hơn 0. / Quantity must be greater than 0.")]
    value = values.get("value_vnd")
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or int(value) != value or value < 0:
        errors["value_vnd"] = [
            _("Thành tiền là số đồng nguyên, không âm. / The value is whole đồng, not negative.")
        ]
    else:
        values["value_vnd"] = int(value)
    line: CapitalPlanLine | None = values.get("plan_line")
    component: Component | None = values.get("component")
    if line is not None and component is not None:
        if line.component_id != component.pk:
            errors["plan_line"] = [
                _(
                    "Dòng kế hoạch vốn thuộc dự án thành phần khác. "
                    "/ The plan line belongs to another component."
                )
            ]
        elif "year" in values and line.decision.year != values["year"]:
            errors["plan_line"] = [
                _("Dòng kế hoạch vốn thuộc năm %(y)s. / The plan line is of year %(y)s.")
                % {"y": line.decision.year}
            ]
    if errors:
        raise ValidationError(errors)
    values["measure"] = str(values.get("measure") or "").strip()
    values["note"] = str(values.get("note") or "").strip()
    return values


SUPPORT_FIELDS = ("component", "year", "kind", "quantity", "measure", "value_vnd", "plan_line", "note")


@transaction.atomic
def create_support_record(
    user: Any,
    household: Household,
    *,
    component: Component,
    year: int,
    kind: str,
    value_vnd: int,
    quantity: Any = 1,
    measure: str = "",
    plan_line: CapitalPlanLine | None = None,
    note: str = "",
) -> SupportRecord:
    ensure_can_write(user, household.village)
    values = _clean_support(
        {
            "component": component,
            "year": year,
            "kind": kind,
            "quantity": quantity,
            "measure": measure,
            "value_vnd": value_vnd,
            "plan_line": plan_line,
            "note": note,
        }
    )
    return core.create(user, SupportRecord(household=household, **values))


@transaction.atomic
def update_support_record(
    user: Any, record: SupportRecord, changes: dict[str, Any], expected_version: int | None = None
) -> SupportRecord:
    ensure_can_write(user, record.household.village)
    current = {k: getattr(record, k) for k in SUPPORT_FIELDS}
    merged = _clean_support({**current, **changes})
    return core.update(user, record, {k: merged[k] for k in changes if k in SUPPORT_FIELDS}, expected_version)


@transaction.atomic
def delete_support_record(user: Any, record: SupportRecord, expected_version: int | None = None) -> None:
    ensure_can_write(user, record.household.village)
    if expected_version is not None and record.version != expected_version:
        raise core.ConcurrentEditError()
    core.delete(user, record)


# --- merge / keep apart ---------------------------------------------------------------------------------


def _decision(a: Person, b: Person) -> PersonMerge | None:
    return PersonMerge.objects.filter(Q(kept=a, other=b) | Q(kept=b, other=a)).first()


def _same_pair_error() -> ValidationError:
    return ValidationError(_("Hãy chọn hai hồ sơ khác nhau. / Choose two different records."))


def _lock_pair(user: Any, kept_id: int, other_id: int) -> tuple[Person, Person]:
    """Both persons of a merge, locked for the rest of the transaction, each in the user's area."""
    locked = {
        p.pk: p
        for p in Person.objects.select_for_update()
        .filter(pk__in=[kept_id, other_id])
        .select_related("household", "household__village")
    }
    kept, other = locked[kept_id], locked[other_id]
    ensure_can_write(user, kept.household.village)
    ensure_can_write(user, other.household.village)
    return kept, other


@transaction.atomic
def merge_persons(
    user: Any,
    kept: Person,
    other: Person,
    *,
    kept_version: int | None = None,
    other_version: int | None = None,
) -> PersonMerge:
    """Merge `other` into `kept` — only on a person's decision, never automatically.

    `other` stays (marked `merged_into`) so that history is kept. Blank ID number or birth date of `kept`
    are filled from `other`. When `other` heads another household, that household's support records, its
    poverty statuses of years `kept`'s household lacks, and its other members move to `kept`'s household.
    A PersonMerge row holds the decision and a snapshot of both records and of what moved.
    """
    if kept.pk == other.pk:
        raise _same_pair_error()
    kept, other = _lock_pair(user, kept.pk, other.pk)
    if (kept_version is not None and kept.version != kept_version) or (
        other_version is not None and other.version != other_version
    ):
        raise core.ConcurrentEditError()
    if kept.merged_into_id or other.merged_into_id:
        raise ValidationError(
            _("Một trong hai hồ sơ đã được gộp trước đó. / One of the records was already merged.")
        )
    previous = _decision(kept, other)
    if previous is not None:
        raise ValidationError(
            _("Cặp hồ sơ này đã được quyết định (%(d)s). / This pair was already decided (%(d)s).")
            % {"d": previous.get_decision_display()}
        )
    snapshot: dict[str, Any] = {
        "kept": audit.snapshot(kept),
        "other": audit.snapshot(other),
        "moved": {"support_records": [], "poverty": [], "members": []},
        "filled": [],
    }
    fill = {
        f: getattr(other, f)
        for f in ("id_number", "birth_date")
        if not getattr(kept, f) and getattr(other, f)
    }
    if "id_number" in fill:
        try:
            validate_id_number(fill["id_number"], kept.birth_year, kept.sex)
        except ValidationError:
            del fill["id_number"]  # it does not fit the kept record: it stays on the merged one
    if "birth_date" in fill and fill["birth_date"].year != kept.birth_year:
        del fill["birth_date"]
    if other.household_id != kept.household_id and other.relation == Relation.HEAD:
        src, dst = other.household, kept.household
        for record in SupportRecord.objects.filter(household=src).order_by("pk"):
            core.update(user, record, {"household": dst})
            snapshot["moved"]["support_records"].append(record.pk)
        taken = set(PovertyStatus.objects.filter(household=dst).values_list("year", flat=True))
        for status in PovertyStatus.objects.filter(household=src).order_by("year"):
            if status.year not in taken:
                core.update(user, status, {"household": dst})
                snapshot["moved"]["poverty"].append(status.pk)
        for member in Person.objects.filter(household=src, merged_into__isnull=True).exclude(pk=other.pk):
            core.update(user, member, {"household": dst})
            snapshot["moved"]["members"].append(member.pk)
    core.update(
        user, other, {"merged_into": kept, "id_number": "" if "id_number" in fill else other.id_number}
    )
    if fill:
        core.update(user, kept, fill)
        snapshot["filled"] = sorted(fill)
    decision = PersonMerge.objects.create(
        kept=kept, other=other, decision=PersonMerge.Decision.MERGED, snapshot=snapshot, by=user
    )
    audit.record(user, AuditEntry.Action.CREATE, decision, None, audit.snapshot(decision))
    return decision


@transaction.atomic
def undo_merge(user: Any, decision: PersonMerge) -> Person:
    """Undo a merge: the merged record is active again, what moved goes back to its household, fields filled
    from it are taken back (unless changed since), and the decision is removed so the pair can be decided
    again. Everything is audited; the merged record comes back as it was."""
    decision = PersonMerge.objects.select_for_update().get(pk=decision.pk)
    if decision.decision != PersonMerge.Decision.MERGED:
        raise ValidationError(_("Quyết định này không phải là gộp. / This decision is not a merge."))
    kept, other = _lock_pair(user, decision.kept_id, decision.other_id)
    if other.merged_into_id != kept.pk:
        raise ValidationError(
            _("Hồ sơ đã gộp đã bị thay đổi sau đó; không hoàn tác được. / The merged record changed since; "
              "the merge cannot be undone.")
        )  # fmt: skip
    snap = decision.snapshot
    home = Household.objects.get(pk=snap["other"]["household_id"])
    moved = snap.get("moved", {})
    for model, key in ((SupportRecord, "support_records"), (PovertyStatus, "poverty"), (Person, "members")):
        items = model.objects.filter(pk__in=moved.get(key, []), household_id=kept.household_id).order_by("pk")
        for item in items:
            core.update(user, item, {"household": home})
    now = audit.snapshot(kept)
    taken_back = [
        f for f in snap.get("filled", []) if now[f] == snap["other"][f]
    ]  # unchanged since the merge
    if taken_back:
        fields = {f: cast("models.Field[Any, Any]", Person._meta.get_field(f)) for f in taken_back}
        core.update(user, kept, {f: fields[f].to_python(snap["kept"][f]) for f in taken_back})
    number = snap["other"]["id_number"] if "id_number" in taken_back else other.id_number
    core.update(user, other, {"merged_into": None, "id_number": number})
    audit.record(user, AuditEntry.Action.DELETE, decision, audit.snapshot(decision), None)
    decision.delete()
    return other


@transaction.atomic
def keep_apart(user: Any, a: Person, b: Person) -> PersonMerge:
    """Record that two likely duplicates are different people, so the pair is not proposed again."""
    if a.pk == b.pk:
        raise _same_pair_error()
    ensure_can_write(user, a.household.village)
    ensure_can_write(user, b.household.village)
    previous = _decision(a, b)
    if previous is not None:
        return previous
    first, second = (a, b) if a.pk < b.pk else (b, a)
    decision = PersonMerge.objects.create(
        kept=first,
        other=second,
        decision=PersonMerge.Decision.KEPT_APART,
        by=user,
        snapshot={"kept": audit.snapshot(first), "other": audit.snapshot(second)},
    )
    audit.record(user, AuditEntry.Action.CREATE, decision, None, audit.snapshot(decision))
    return decision


# --- personal-data access log ---------------------------------------------------------------------------


def log_view(user: Any, person: Person, reason: str, ip: str | None = None) -> AccessLog:
    """Opening a person's full record."""
    return audit.log_access(
        user, AccessLog.Action.VIEW, privacy.person_subject(person), privacy.clean_reason(reason), ip
    )


def log_reveal(user: Any, subject: str, reason: str, ip: str | None = None) -> AccessLog:
    """Showing full ID numbers (of one person, or of a page of a list)."""
    privacy.ensure_may_reveal(user)
    return audit.log_access(user, AccessLog.Action.REVEAL, subject, privacy.clean_reason(reason), ip)


def log_export(user: Any, subject: str, reason: str, ip: str | None = None) -> AccessLog:
    privacy.ensure_may_export_personal(user)
    return audit.log_access(user, AccessLog.Action.EXPORT, subject, privacy.clean_reason(reason), ip)


def export_person_data(
    user: Any, person: Person, reason: str, fmt: str = "json", ip: str | None = None
) -> tuple[bytes, str, str]:
    """Everything held on one person, for that person (an access request): JSON or xlsx; logged."""
    from dantoc.households import exports, selectors

    with transaction.atomic():
        log_export(user, privacy.person_subject(person), reason, ip)
        data = selectors.person_data(person)
    stem = f"du-lieu-ca-nhan-{person.pk}"
    if fmt == "xlsx":
        return exports.person_data_xlsx(data), exports.XLSX, f"{stem}.xlsx"
    body = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return body, "application/json", f"{stem}.json"


def export_persons(
    user: Any, rows: Any, subject: str, reason: str, reveal: bool, ip: str | None = None
) -> bytes:
    """A list of persons with personal data (names, ethnic group; ID numbers masked unless `reveal`)."""
    from dantoc.households import exports

    with transaction.atomic():
        log_export(user, subject, reason, ip)
        if reveal:
            log_reveal(user, subject, reason, ip)
    return exports.persons_xlsx(rows, reveal=reveal)


def client_ip(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") or None
