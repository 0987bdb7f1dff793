"""Writes on works, their status, physical progress, plan lines and disbursements.

Every function is atomic, checks the actor's scope (`ensure_can_write`) on the unit the record is
located at, writes its audit entry in the same transaction and raises bilingual `ValidationError`s
before anything is written. Updates take the version the user saw (`expected_version`) and raise
`ConcurrentEditError` when it moved.

Rules where the issue is silent:
- A work sits at a commune (or, before 1 July 2025, a district) valid during its plan year; a village
  given as the unit becomes the work's village and its commune the unit.
- A work's code is generated when missing: `CT-<year>-<seq>` (4 digits, next free number of the year).
- The first status (proposed) is recorded in `WorkStatusChange` on creation; a transition's date must
  not be in the future nor precede the previous transition. Entering "under construction" sets the
  actual start, entering "completed" the actual completion (when not set yet).
- Progress may go down only with a note saying why; a progress update cannot be added to a cancelled work.
- A disbursement's date lies in [1 January of the plan year, deadline], where the deadline is 31 January
  of the next year, or later when a carry-over decision of that plan year covers the payment (see
  `deadline`). Dates in the future are refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dantoc.core import audit
from dantoc.core import services as core
from dantoc.core.models import AuditEntry
from dantoc.core.scoping import ensure_can_write, unit_in_scope
from dantoc.core.services import ConcurrentEditError
from dantoc.core.text import fold, nfc
from dantoc.geo.models import AdminUnit, Level
from dantoc.programs.models import (
    CapitalPlanLine,
    CapitalType,
    Component,
    FundingSource,
    PlanDecision,
    Program,
)
from dantoc.works.models import (
    TRANSITIONS,
    Disbursement,
    ProgressUpdate,
    Work,
    WorkKind,
    WorkStatus,
    WorkStatusChange,
)

__all__ = [
    "ConcurrentEditError",
    "change_status",
    "create_work",
    "deadline",
    "delete_disbursement",
    "next_code",
    "record_disbursement",
    "record_progress",
    "set_plan_lines",
    "update_disbursement",
    "update_work",
]

WORK_FIELDS = {
    "code",
    "name",
    "kind",
    "program",
    "component",
    "year",
    "unit",
    "village",
    "investor",
    "owner",
    "total_investment_vnd",
    "planned_start",
    "planned_completion",
}
DISBURSEMENT_FIELDS = {"date", "amount_vnd", "source", "capital_type", "voucher_number", "plan_year"}
WORK_LEVELS = (Level.COMMUNE, Level.DISTRICT)
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
ATTACHMENT_EXTENSIONS = {
    ".pdf",
    ".jpg",
    ".jpeg",
    ".png",
    ".webp",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".odt",
    ".ods",
    ".zip",
}
CODE_RETRIES = 5


# --- helpers ---------------------------------------------------------------------------------------


def _err(message: str, field: str | None = None) -> ValidationError:
    return ValidationError({field: [message]} if field else message)


def _d(value: dt.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _today() -> dt.date:
    return timezone.localdate()


def _money(value: Any, field: str, *, positive: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value))
        except (TypeError, ValueError) as exc:
            raise _err(_("Số tiền phải là số đồng nguyên. / The amount must be whole đồng."), field) from exc
    if positive and value <= 0:
        raise _err(_("Số tiền phải lớn hơn 0. / The amount must be greater than zero."), field)
    if value < 0:
        raise _err(_("Số tiền không được âm. / The amount cannot be negative."), field)
    return value


def _valid_during(unit: AdminUnit, year: int) -> bool:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return (unit.valid_from is None or unit.valid_from <= last) and (
        unit.valid_to is None or unit.valid_to >= first
    )


def _ancestor_ids(unit: AdminUnit) -> list[int]:
    return [int(p) for p in unit.path.strip("/").split("/") if p]


def next_code(year: int) -> str:
    """The next free generated code of a year: `CT-2018-0001`, `CT-2018-0002`…"""
    prefix = f"CT-{year}-"
    last = (
        Work.objects.filter(code__startswith=prefix, code__regex=rf"^CT-{year}-[0-9]+$")
        .order_by(Length("code").desc(), "-code")
        .values_list("code", flat=True)
        .first()
    )
    seq = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def _check_work(values: dict[str, Any], current: Work | None = None) -> dict[str, Any]:
    """Normalise and validate a work's fields (all of them, after applying the changes)."""
    name = nfc(values.get("name") or "")
    if not name:
        raise _err(_("Hãy nhập tên công trình. / Enter the work's name."), "name")
    values["name"] = name
    kind = values.get("kind")
    if kind not in WorkKind.values:
        raise _err(_("Loại công trình không hợp lệ. / Unknown kind of work."), "kind")
    program: Program | None = values.get("program")
    if program is None:
        raise _err(_("Hãy chọn chương trình. / Choose the programme."), "program")
    year = values.get("year")
    if not isinstance(year, int) or not 1990 <= year <= 2100:
        raise _err(_("Năm kế hoạch không hợp lệ. / Invalid plan year."), "year")
    if year < program.start_year or (program.end_year is not None and year > program.end_year):
        period = f"{program.start_year}-{program.end_year or '…'}"
        raise _err(
            _(
                "Năm %(year)s nằm ngoài thời kỳ của chương trình (%(period)s). "
                "/ The year %(year)s is outside the programme's period (%(period)s)."
            )
            % {"year": year, "period": period},
            "year",
        )
    component: Component | None = values.get("component")
    if component is not None and component.program_id != program.pk:
        raise _err(
            _(
                "Dự án thành phần không thuộc chương trình đã chọn. "
                "/ The component is not part of the programme."
            ),
            "component",
        )
    unit: AdminUnit | None = values.get("unit")
    if unit is None:
        raise _err(_("Hãy chọn xã. / Choose the commune."), "unit")
    village: AdminUnit | None = values.get("village")
    if unit.level == Level.VILLAGE:
        if village is not None and village.pk != unit.pk:
            raise _err(
                _("Thôn không thuộc xã đã chọn. / The village is not in the chosen commune."), "village"
            )
        village, unit = unit, unit.parent
        if unit is None:
            raise _err(_("Thôn chưa có xã trực thuộc. / The village has no commune."), "unit")
    if unit.level not in WORK_LEVELS:
        raise _err(
            _(
                "Công trình phải đặt tại một xã (hoặc huyện trước 01/07/2025). / A work must be located at a "
                "commune (or, before 1 July 2025, a district)."
            ),
            "unit",
        )
    if not _valid_during(unit, year):
        raise _err(
            _("%(unit)s không còn hiệu lực trong năm %(year)s. / %(unit)s did not exist in %(year)s.")
            % {"unit": unit.full_name, "year": year},
            "unit",
        )
    if village is not None and (village.level != Level.VILLAGE or village.parent_id != unit.pk):
        raise _err(_("Thôn không thuộc xã đã chọn. / The village is not in the chosen commune."), "village")
    values["unit"], values["village"] = unit, village
    values["total_investment_vnd"] = _money(
        values.get("total_investment_vnd"), "total_investment_vnd", positive=False
    )
    start, end = values.get("planned_start"), values.get("planned_completion")
    if start and end and end < start:
        raise _err(
            _(
                "Ngày hoàn thành kế hoạch phải sau ngày khởi công. / The planned completion must not precede "
                "the planned start."
            ),
            "planned_completion",
        )
    values["investor"] = nfc(values.get("investor") or "")
    code = (values.get("code") or "").strip()
    if code:
        if len(code) > 32:
            raise _err(_("Mã công trình dài quá 32 ký tự. / The code is longer than 32 characters."), "code")
        clash = Work.objects.filter(code__iexact=code)
        if current is not None:
            clash = clash.exclude(pk=current.pk)
        if clash.exists():
            raise _err(
                _("Mã công trình %(code)s đã có. / The code %(code)s is already used.") % {"code": code},
                "code",
            )
    values["code"] = code
    owner = values.get("owner")
    if (
        owner is not None
        and (current is None or owner.pk != current.owner_id)
        and (not owner.can_write or not unit_in_scope(owner, unit))
    ):
        raise _err(
            _(
                "Cán bộ theo dõi phải là người được ghi dữ liệu của đơn vị này. / The responsible officer "
                "must be able to write records of this unit."
            ),
            "owner",
        )
    return values


def _check_lines(work: Work, lines: Iterable[CapitalPlanLine]) -> list[CapitalPlanLine]:
    """Plan lines a work may draw on: same programme, at the work's unit or one of its ancestors."""
    found = list(lines)
    ancestors = set(_ancestor_ids(work.unit))
    for line in found:
        if line.component.program_id != work.program_id:
            raise _err(
                _(
                    "Dòng kế hoạch %(line)s thuộc chương trình khác. / Plan line %(line)s belongs to another "
                    "programme."
                )
                % {"line": line.pk},
                "plan_lines",
            )
        if line.unit_id not in ancestors:
            raise _err(
                _(
                    "Dòng kế hoạch %(line)s giao cho đơn vị khác. "
                    "/ Plan line %(line)s is assigned to another unit."
                )
                % {"line": line.pk},
                "plan_lines",
            )
    return found


def _audit_lines(actor: Any, work: Work, before: list[int], after: list[int]) -> None:
    audit.record(actor, AuditEntry.Action.UPDATE, work, {"plan_lines": before}, {"plan_lines": after})
    Work.objects.filter(pk=work.pk).update(version=F("version") + 1)


# --- works -----------------------------------------------------------------------------------------


@transaction.atomic
def create_work(
    actor: Any,
    *,
    program: Program,
    year: int,
    unit: AdminUnit,
    name: str,
    kind: str,
    total_investment_vnd: int,
    code: str = "",
    component: Component | None = None,
    village: AdminUnit | None = None,
    investor: str = "",
    owner: Any = None,
    planned_start: dt.date | None = None,
    planned_completion: dt.date | None = None,
    plan_lines: Iterable[CapitalPlanLine] = (),
    proposed_on: dt.date | None = None,
) -> Work:
    """A new work, proposed; its owner defaults to the actor."""
    ensure_can_write(actor, unit)
    values = _check_work(
        {
            "program": program,
            "year": year,
            "unit": unit,
            "name": name,
            "kind": kind,
            "total_investment_vnd": total_investment_vnd,
            "code": code,
            "component": component,
            "village": village,
            "investor": investor,
            "owner": owner if owner is not None else actor,
            "planned_start": planned_start,
            "planned_completion": planned_completion,
        }
    )
    ensure_can_write(actor, values["unit"])
    generated = not values["code"]
    for attempt in range(CODE_RETRIES):
        if generated:
            values["code"] = next_code(year)
        work = Work(**values, name_folded=fold(values["name"]), status=WorkStatus.PROPOSED)
        try:
            with transaction.atomic():
                core.create(actor, work)
            break
        except IntegrityError:
            if not generated or attempt == CODE_RETRIES - 1:
                raise
    WorkStatusChange.objects.create(
        work=work, status=WorkStatus.PROPOSED, date=proposed_on or _today(), by=actor
    )
    lines = _check_lines(work, plan_lines)
    if lines:
        work.plan_lines.set(lines)
        _audit_lines(actor, work, [], sorted(line.pk for line in lines))
        work.refresh_from_db()
    return work


@transaction.atomic
def update_work(actor: Any, work: Work, changes: dict[str, Any], expected_version: int | None) -> Work:
    """Correct a work's fields. Status and actual dates change only through `change_status`."""
    current = Work.objects.select_for_update(of=("self",)).select_related("unit", "program").get(pk=work.pk)
    ensure_can_write(actor, current.unit)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentEditError()
    unknown = set(changes) - WORK_FIELDS
    if unknown:
        raise _err(
            _("Không sửa được trường: %(fields)s. / These fields cannot be edited: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    values = {f: getattr(current, f) for f in WORK_FIELDS}
    values.update(changes)
    values = _check_work(values, current)
    if values["unit"].pk != current.unit_id:
        ensure_can_write(actor, values["unit"])
    has_payments = current.disbursements.exists()
    if has_payments and values["unit"].pk != current.unit_id:
        raise _err(
            _(
                "Công trình đã có giải ngân, không đổi được xã. / The work has payments; its commune cannot "
                "change."
            ),
            "unit",
        )
    if has_payments and values["year"] != current.year:
        raise _err(
            _(
                "Công trình đã có giải ngân, không đổi được năm kế hoạch. / The work has payments; its plan "
                "year cannot change."
            ),
            "year",
        )
    if values["program"].pk != current.program_id and current.plan_lines.exists():
        raise _err(
            _(
                "Hãy bỏ các dòng kế hoạch vốn trước khi đổi chương trình. / Unlink the plan lines before "
                "changing the programme."
            ),
            "program",
        )
    if not values["code"]:
        values["code"] = current.code
    changed = {f: v for f, v in values.items() if v != getattr(current, f)}
    if not changed:
        return current
    if "name" in changed:
        changed["name_folded"] = fold(changed["name"])
    return core.update(actor, current, changed, expected_version)


@transaction.atomic
def set_plan_lines(
    actor: Any, work: Work, lines: Iterable[CapitalPlanLine], expected_version: int | None = None
) -> Work:
    """Replace the capital plan lines a work draws on."""
    current = Work.objects.select_for_update(of=("self",)).select_related("unit").get(pk=work.pk)
    ensure_can_write(actor, current.unit)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentEditError()
    found = _check_lines(current, lines)
    before = sorted(current.plan_lines.values_list("pk", flat=True))
    after = sorted({line.pk for line in found})
    if before != after:
        current.plan_lines.set(after)
        _audit_lines(actor, current, before, after)
        current.refresh_from_db()
    return current


@transaction.atomic
def change_status(
    actor: Any,
    work: Work,
    status: str,
    *,
    date: dt.date | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Work:
    """Move a work along the workflow (`works.models.TRANSITIONS`), recording the date of the transition."""
    current = Work.objects.select_for_update(of=("self",)).select_related("unit").get(pk=work.pk)
    ensure_can_write(actor, current.unit)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentEditError()
    if status not in WorkStatus.values:
        raise _err(_("Trạng thái không hợp lệ. / Unknown status."), "status")
    if status not in TRANSITIONS[current.status]:
        raise _err(
            _(
                "Không thể chuyển từ «%(old)s» sang «%(new)s». "
                "/ A work cannot move from “%(old)s” to “%(new)s”."
            )
            % {"old": WorkStatus(current.status).label, "new": WorkStatus(status).label},
            "status",
        )
    on = date or _today()
    if on > _today():
        raise _err(
            _("Ngày chuyển trạng thái không được sau hôm nay. / The date cannot be in the future."), "date"
        )
    last = current.status_changes.order_by("-date", "-id").values_list("date", flat=True).first()
    if last is not None and on < last:
        raise _err(
            _(
                "Ngày chuyển trạng thái không được trước lần chuyển trước (%(date)s). "
                "/ The date cannot precede the previous change (%(date)s)."
            )
            % {"date": _d(last)},
            "date",
        )
    changes: dict[str, Any] = {"status": status}
    if status == WorkStatus.UNDER_CONSTRUCTION and current.actual_start is None:
        changes["actual_start"] = on
    if status == WorkStatus.COMPLETED and current.actual_completion is None:
        changes["actual_completion"] = on
        if current.actual_start is None:
            changes["actual_start"] = on
    WorkStatusChange.objects.create(work=current, status=status, date=on, note=nfc(note)[:255], by=actor)
    return core.update(actor, current, changes)


# --- progress ----------------------------------------------------------------------------------------


def _check_attachment(attachment: UploadedFile | None) -> None:
    if attachment is None:
        return
    ext = PurePath(attachment.name or "").suffix.lower()
    if ext not in ATTACHMENT_EXTENSIONS:
        raise _err(
            _("Tệp đính kèm phải là %(exts)s. / The attachment must be one of %(exts)s.")
            % {"exts": ", ".join(sorted(ATTACHMENT_EXTENSIONS))},
            "attachment",
        )
    if (attachment.size or 0) > ATTACHMENT_MAX_BYTES:
        raise _err(_("Tệp đính kèm lớn hơn 20 MB. / The attachment is larger than 20 MB."), "attachment")


@transaction.atomic
def record_progress(
    actor: Any,
    work: Work,
    *,
    date: dt.date,
    percent: int,
    note: str = "",
    attachment: UploadedFile | None = None,
) -> ProgressUpdate:
    """A physical-progress update; a lower figure than the last one needs a note saying why."""
    current = Work.objects.select_for_update(of=("self",)).select_related("unit").get(pk=work.pk)
    ensure_can_write(actor, current.unit)
    if current.status == WorkStatus.CANCELLED:
        raise _err(
            _(
                "Công trình đã huỷ, không cập nhật tiến độ. / The work is cancelled; no progress can be "
                "recorded."
            )
        )
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise _err(
            _("Khối lượng hoàn thành phải từ 0 đến 100%. / Progress must be between 0 and 100%."), "percent"
        )
    if date > _today():
        raise _err(_("Ngày cập nhật không được sau hôm nay. / The date cannot be in the future."), "date")
    note = (note or "").strip()
    previous = current.progress_updates.filter(date__lte=date).order_by("-date", "-id").first()
    if previous is not None and percent < previous.percent and not note:
        raise _err(
            _(
                "Tiến độ thấp hơn lần trước (%(pct)s%% ngày %(date)s): hãy ghi rõ lý do. "
                "/ Progress is lower than the last update (%(pct)s%% on %(date)s): add a note saying why."
            )
            % {"pct": previous.percent, "date": _d(previous.date)},
            "note",
        )
    _check_attachment(attachment)
    update = ProgressUpdate(work=current, date=date, percent=percent, note=note)
    if attachment is not None:
        update.attachment = attachment  # stored by the field when the row is saved
    return core.create(actor, update)


# --- disbursements -----------------------------------------------------------------------------------


def deadline(
    plan_year: int, *, work: Work | None = None, plan_line: CapitalPlanLine | None = None
) -> dt.date:
    """Last day a payment of `plan_year`'s capital may be made for this work or plan line.

    31 January of the next year; later when the payment draws on carried-over capital: its plan line is
    a carry-over line (that decision's `disburse_until`), or else its work draws on carry-over lines of
    the plan year (the latest of their decisions' `disburse_until`). Capped at 31 December of the next
    year (the database's window). `selectors.with_counted` applies the same rule set-based.
    """
    default = Disbursement.default_deadline(plan_year)
    extended: dt.date | None = None
    if plan_line is not None and plan_line.decision.revision == PlanDecision.Revision.CARRY_OVER:
        extended = plan_line.decision.disburse_until
    elif work is not None and work.pk:
        extended = work.plan_lines.filter(
            decision__year=plan_year, decision__revision=PlanDecision.Revision.CARRY_OVER
        ).aggregate(m=Max("decision__disburse_until"))["m"]
    end = max(default, extended) if extended else default
    return min(end, dt.date(plan_year + 1, 12, 31))


def _default_capital_type(work: Work | None, plan_line: CapitalPlanLine | None, source: FundingSource) -> str:
    if plan_line is not None:
        return plan_line.capital_type
    if work is not None:
        types = set(work.plan_lines.filter(source=source).values_list("capital_type", flat=True)) or set(
            work.plan_lines.values_list("capital_type", flat=True)
        )
        if len(types) == 1:
            return types.pop()
    return CapitalType.INVESTMENT


def _check_window(on: dt.date, plan_year: int, work: Work | None, plan_line: CapitalPlanLine | None) -> None:
    if on > _today():
        raise _err(
            _("Ngày giải ngân không được sau hôm nay. / The payment date cannot be in the future."), "date"
        )
    start = dt.date(plan_year, 1, 1)
    end = deadline(plan_year, work=work, plan_line=plan_line)
    if not start <= on <= end:
        raise _err(
            _(
                "Vốn kế hoạch năm %(year)s chỉ được giải ngân từ %(start)s đến %(end)s. "
                "/ Capital of the %(year)s plan may be disbursed only from %(start)s to %(end)s."
            )
            % {"year": plan_year, "start": _d(start), "end": _d(end)},
            "date",
        )


@transaction.atomic
def record_disbursement(
    actor: Any,
    *,
    date: dt.date,
    amount_vnd: int,
    source: FundingSource,
    work: Work | None = None,
    plan_line: CapitalPlanLine | None = None,
    capital_type: str | None = None,
    voucher_number: str = "",
    plan_year: int | None = None,
) -> Disbursement:
    """A payment against a work, a plan line, or a work from one of its plan lines."""
    if work is None and plan_line is None:
        raise _err(_("Hãy chọn công trình hoặc dòng kế hoạch vốn. / Choose a work or a plan line."), "work")
    if work is not None:
        work = Work.objects.select_related("unit").get(pk=work.pk)
    if work is not None and plan_line is not None and not work.plan_lines.filter(pk=plan_line.pk).exists():
        raise _err(
            _("Dòng kế hoạch vốn chưa gắn với công trình. / The plan line is not linked to the work."),
            "plan_line",
        )
    unit = work.unit if work is not None else plan_line.unit  # type: ignore[union-attr]
    ensure_can_write(actor, unit)
    if plan_year is None:
        plan_year = work.year if work is not None else plan_line.decision.year  # type: ignore[union-attr]
    amount = _money(amount_vnd, "amount_vnd", positive=True)
    if source is None:
        raise _err(_("Hãy chọn nguồn vốn. / Choose the funding source."), "source")
    kind = capital_type or _default_capital_type(work, plan_line, source)
    if kind not in CapitalType.values:
        raise _err(_("Loại vốn không hợp lệ. / Unknown capital type."), "capital_type")
    _check_window(date, plan_year, work, plan_line)
    payment = Disbursement(
        work=work,
        plan_line=plan_line,
        unit=unit,
        plan_year=plan_year,
        date=date,
        amount_vnd=amount,
        source=source,
        capital_type=kind,
        voucher_number=nfc(voucher_number or "")[:64],
    )
    return core.create(actor, payment)


@transaction.atomic
def update_disbursement(
    actor: Any, payment: Disbursement, changes: dict[str, Any], expected_version: int | None
) -> Disbursement:
    """Correct a payment (date, amount, source, capital type, voucher, plan year)."""
    current = (
        Disbursement.objects.select_for_update(of=("self",))
        .select_related("unit", "work", "plan_line")
        .get(pk=payment.pk)
    )
    ensure_can_write(actor, current.unit)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentEditError()
    unknown = set(changes) - DISBURSEMENT_FIELDS
    if unknown:
        raise _err(
            _("Không sửa được trường: %(fields)s. / These fields cannot be edited: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    values = {f: getattr(current, f) for f in DISBURSEMENT_FIELDS}
    values.update(changes)
    values["amount_vnd"] = _money(values["amount_vnd"], "amount_vnd", positive=True)
    if values["capital_type"] not in CapitalType.values:
        raise _err(_("Loại vốn không hợp lệ. / Unknown capital type."), "capital_type")
    if values["source"] is None:
        raise _err(_("Hãy chọn nguồn vốn. / Choose the funding source."), "source")
    values["voucher_number"] = nfc(values["voucher_number"] or "")[:64]
    if values["date"] != current.date or values["plan_year"] != current.plan_year:
        _check_window(values["date"], values["plan_year"], current.work, current.plan_line)
    changed = {f: v for f, v in values.items() if v != getattr(current, f)}
    if not changed:
        return current
    return core.update(actor, current, changed, expected_version)


@transaction.atomic
def delete_disbursement(actor: Any, payment: Disbursement, expected_version: int | None) -> None:
    current = Disbursement.objects.select_for_update(of=("self",)).select_related("unit").get(pk=payment.pk)
    ensure_can_write(actor, current.unit)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentEditError()
    core.delete(actor, current)
