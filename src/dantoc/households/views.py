"""Households pages: person search, the person's record behind a reason, households, support, duplicates,
exports and the households-support report. Thin: selectors read, services write, `privacy` decides masking."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from dantoc.core.scoping import scoped_view, unit_in_scope
from dantoc.core.services import ConcurrentEditError
from dantoc.households import exports, privacy, report, selectors, services
from dantoc.households.forms import (
    ExportForm,
    HouseholdForm,
    PersonFilterForm,
    PersonForm,
    PovertyForm,
    ReasonForm,
    ReportForm,
    SupportForm,
    UnitPickForm,
    village_choices,
)
from dantoc.households.models import Person, SupportRecord

GRANT_SECONDS = 600  # an opened record stays open (and revealed numbers shown) for 10 minutes
EXPORT_LIMIT = 100_000


# --- helpers --------------------------------------------------------------------------------------------


def _grants(request: HttpRequest) -> dict[str, float]:
    now = time.time()
    grants = {k: v for k, v in request.session.get("hh_grants", {}).items() if v > now}
    return grants


def _grant(request: HttpRequest, kind: str, pk: int) -> None:
    grants = _grants(request)
    grants[f"{kind}:{pk}"] = time.time() + GRANT_SECONDS
    request.session["hh_grants"] = grants


def _granted(request: HttpRequest, kind: str, pk: int) -> bool:
    return f"{kind}:{pk}" in _grants(request)


def _post_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def _errors_to_form(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            for msg in msgs:
                form.add_error(field if field in form.fields else None, msg)
    else:
        for msg in exc.messages:
            form.add_error(None, msg)


def _filters(request: HttpRequest, data: Any) -> tuple[PersonFilterForm, selectors.PersonFilters]:
    user = request.user
    form = PersonFilterForm(data, units=selectors.unit_choices(user))
    f = selectors.PersonFilters()
    if form.is_valid():
        d = form.cleaned_data
        unit = selectors.unit(user, d["unit"]) if d.get("unit") else None
        f = selectors.PersonFilters(
            q=d["q"].strip(),
            unit=unit,
            village=d["village"].strip(),
            ethnic_group=d["ethnic_group"],
            sex=d["sex"],
            poverty=d["poverty"],
            year=d.get("year"),
            program=d["program"],
        )
    return form, f


def _query_string(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- persons --------------------------------------------------------------------------------------------


@scoped_view
def persons(request: HttpRequest) -> HttpResponse:
    """Search and list persons (IDs masked). POST with a reason shows this page's full ID numbers (logged)."""
    user = request.user
    form, f = _filters(request, request.GET)
    qs = selectors.persons(user, f)
    paged = selectors.paginate(qs, request.GET.get("page"), browse=not f.q)
    reveal_form = ReasonForm(request.POST if request.method == "POST" else None)
    revealed = False
    if request.method == "POST":
        if not privacy.may_reveal(user):
            raise PermissionDenied(
                _(
                    "Vai trò của bạn không được xem số định danh đầy đủ. "
                    "/ Your role may not see full ID numbers."
                )
            )
        if reveal_form.is_valid():
            subject = privacy.list_subject({**f.as_dict(), "page": paged.page.number}, len(paged.items))
            services.log_reveal(
                user, subject, reveal_form.cleaned_data["reason"], services.client_ip(request)
            )
            revealed = True
    rows = [(p, privacy.shown_id(p.id_number, revealed)) for p in paged.items]
    context = {
        "form": form,
        "paged": paged,
        "rows": rows,
        "revealed": revealed,
        "reveal_form": reveal_form,
        "may_reveal": privacy.may_reveal(user),
        "may_export": privacy.may_export_personal(user),
        "export_form": ExportForm(),
        "qs": _query_string(request),
        "searched": bool(request.GET),
    }
    if getattr(request, "htmx", False) and request.method == "GET":
        return render(request, "households/persons.html#results", context)
    return render(request, "households/persons.html", context)


@scoped_view
def persons_export(request: HttpRequest) -> HttpResponse:
    """The filtered list with personal data, as xlsx: a reason is required and logged; not for viewers."""
    if (refused := _post_only(request)) is not None:
        return refused
    user = request.user
    privacy.ensure_may_export_personal(user)
    _form, f = _filters(request, request.GET)
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(m) for ms in form.errors.values() for m in ms))
        return redirect(reverse("households:persons") + "?" + _query_string(request))
    qs = selectors.persons(user, f)
    rows = list(qs[:EXPORT_LIMIT])
    reveal = bool(form.cleaned_data["include_ids"])
    subject = privacy.list_subject(f.as_dict(), len(rows))
    content = services.export_persons(
        user, rows, subject, form.cleaned_data["reason"], reveal, services.client_ip(request)
    )
    response = HttpResponse(content, content_type=exports.XLSX)
    response["Content-Disposition"] = 'attachment; filename="nhan-khau.xlsx"'
    return response


@scoped_view
def persons_aggregates(request: HttpRequest) -> HttpResponse:
    """Counts by commune, ethnic group and sex — no personal data (what viewers may export)."""
    _form, f = _filters(request, request.GET)
    content = exports.aggregates_xlsx(selectors.person_aggregates(request.user, f))
    response = HttpResponse(content, content_type=exports.XLSX)
    response["Content-Disposition"] = 'attachment; filename="tong-hop-nhan-khau.xlsx"'
    return response


@scoped_view
def person(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's full record, behind a form asking for the reason (written to the access log)."""
    user = request.user
    p = selectors.person(user, pk)
    if request.method == "POST":
        form = ReasonForm(request.POST)
        if form.is_valid():
            services.log_view(user, p, form.cleaned_data["reason"], services.client_ip(request))
            _grant(request, "view", p.pk)
            return redirect("households:person", pk=p.pk)
        return render(request, "households/person_reason.html", {"person": p, "form": form})
    if not _granted(request, "view", p.pk):
        return render(request, "households/person_reason.html", {"person": p, "form": ReasonForm()})
    h = p.household
    revealed = _granted(request, "reveal", p.pk) and privacy.may_reveal(user)
    can_write = bool(getattr(user, "can_write", False)) and unit_in_scope(user, h.village)
    context = {
        "person": p,
        "household": h,
        "id_shown": privacy.shown_id(p.id_number, revealed),
        "revealed": revealed,
        "may_reveal": privacy.may_reveal(user),
        "may_export": privacy.may_export_personal(user),
        "can_write": can_write and not p.merged_into_id,
        "can_unmerge": can_write and bool(p.merged_into_id),
        "members": selectors.members(h),
        "poverty": selectors.poverty_history(h),
        "support": selectors.household_support(h),
        "duplicates": selectors.duplicate_candidates_for(p),
        "reason_form": ReasonForm(),
        "export_form": ExportForm(),
    }
    return render(request, "households/person.html", context)


@scoped_view
def person_unmerge(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo the merge of this (merged) record: it becomes active again and what moved goes back."""
    p = selectors.person(request.user, pk)
    if (refused := _post_only(request)) is not None:
        return refused
    decision = selectors.merge_of(request.user, p)
    if decision is None:
        raise Http404
    try:
        services.undo_merge(request.user, decision)
        messages.success(request, _("Đã hoàn tác việc gộp. / The merge was undone."))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("households:person", pk=p.pk)


@scoped_view
def person_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    p = selectors.person(request.user, pk)
    if (refused := _post_only(request)) is not None:
        return refused
    form = ReasonForm(request.POST)
    if form.is_valid():
        services.log_reveal(
            request.user, privacy.person_subject(p), form.cleaned_data["reason"], services.client_ip(request)
        )
        _grant(request, "reveal", p.pk)
    else:
        messages.error(request, "; ".join(str(m) for ms in form.errors.values() for m in ms))
    return redirect("households:person", pk=p.pk)


@scoped_view
def person_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything held on this person (an access request), JSON or xlsx; logged as an export."""
    p = selectors.person(request.user, pk)
    if (refused := _post_only(request)) is not None:
        return refused
    privacy.ensure_may_export_personal(request.user)
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(m) for ms in form.errors.values() for m in ms))
        return redirect("households:person", pk=p.pk)
    fmt = form.cleaned_data.get("format") or "json"
    content, content_type, name = services.export_person_data(
        request.user, p, form.cleaned_data["reason"], fmt, services.client_ip(request)
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@scoped_view
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a person's record (also for a data subject's correction request)."""
    user = request.user
    p = selectors.person(user, pk)
    if not _granted(request, "view", p.pk):
        return redirect("households:person", pk=p.pk)
    initial = {
        "full_name": p.full_name,
        "sex": p.sex,
        "birth_date": p.birth_date,
        "birth_year": p.birth_year,
        "ethnic_group": p.ethnic_group,
        "id_number": "",
        "relation": p.relation,
        "version": p.version,
    }
    form = PersonForm(request.POST or None, initial=initial)
    # The number is never put in the form (that would show it without a reveal): blank keeps it.
    masked = privacy.shown_id(p.id_number, False)
    form.fields["id_number"].help_text = (
        _("Để trống để giữ số hiện tại (%(masked)s); nhập số mới để đính chính.") % {"masked": masked}
        if p.id_number
        else _("Chưa có số định danh.")
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        if not (data.get("id_number") or "").strip():
            data.pop("id_number")
        try:
            services.update_person(user, p, data, version)
            messages.success(request, _("Đã lưu. / Saved."))
            return redirect("households:person", pk=p.pk)
        except ConcurrentEditError as exc:
            form.add_error(None, exc.messages[0])
        except ValidationError as exc:
            _errors_to_form(form, exc)
    return render(
        request, "households/person_form.html", {"form": form, "person": p, "household": p.household}
    )


# --- households -----------------------------------------------------------------------------------------


@scoped_view
def households(request: HttpRequest) -> HttpResponse:
    user = request.user
    form, pf = _filters(request, request.GET)
    f = selectors.HouseholdFilters(
        q=pf.q,
        unit=pf.unit,
        village=pf.village,
        poverty=pf.poverty,
        year=pf.year,
        program=pf.program,
        ethnic_group=pf.ethnic_group,
        sex=pf.sex,
    )
    paged = selectors.paginate(
        selectors.households(user, f), request.GET.get("page"), key="code", browse=not f.q
    )
    ids = [h.pk for h in paged.items]
    heads = selectors.heads_of(ids)
    counts = selectors.member_counts(ids)
    rows = [(h, heads.get(h.pk), counts.get(h.pk, 0)) for h in paged.items]
    return render(
        request,
        "households/households.html",
        {
            "form": form,
            "paged": paged,
            "rows": rows,
            "qs": _query_string(request),
            "can_write": bool(getattr(user, "can_write", False)),
        },
    )


@scoped_view
def household(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    h = selectors.household(user, pk)
    can_write = bool(getattr(user, "can_write", False)) and unit_in_scope(user, h.village)
    support = selectors.household_support(h)
    context = {
        "household": h,
        "members": [(m, privacy.shown_id(m.id_number, False)) for m in selectors.members(h)],
        "poverty": selectors.poverty_history(h),
        "support": support,
        "totals": selectors.support_totals(support),
        "can_write": can_write,
        "poverty_form": PovertyForm(),
    }
    return render(request, "households/household.html", context)


@scoped_view
def household_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = HouseholdForm(
        request.POST or None, villages=village_choices(user), initial={"village": request.GET.get("village")}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        village = selectors.unit(user, d["village"])
        try:
            h = services.create_household(
                user,
                code=d["code"].strip() or services.next_household_code(village),
                village=village,
                address=d["address"],
                phone=d["phone"],
            )
            messages.success(
                request, _("Đã thêm hộ %(code)s. / Household %(code)s added.") % {"code": h.code}
            )
            return redirect("households:member-create", pk=h.pk)
        except (ValidationError, PermissionDenied) as exc:
            _errors_to_form(form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
    return render(request, "households/household_form.html", {"form": form})


@scoped_view
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    h = selectors.household(user, pk)
    form = HouseholdForm(
        request.POST or None,
        villages=village_choices(user) or [h.village],
        initial={
            "code": h.code,
            "village": h.village_id,
            "address": h.address,
            "phone": h.phone,
            "version": h.version,
        },
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        changes: dict[str, Any] = {"code": d["code"] or h.code, "address": d["address"], "phone": d["phone"]}
        if d["village"] != h.village_id:
            changes["village"] = selectors.unit(user, d["village"])
        try:
            services.update_household(user, h, changes, d.get("version"))
            messages.success(request, _("Đã lưu. / Saved."))
            return redirect("households:household", pk=h.pk)
        except ConcurrentEditError as exc:
            form.add_error(None, exc.messages[0])
        except ValidationError as exc:
            _errors_to_form(form, exc)
    return render(request, "households/household_form.html", {"form": form, "household": h})


@scoped_view
def member_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    h = selectors.household(user, pk)
    has_head = Person.objects.filter(household=h, relation="head", merged_into__isnull=True).exists()
    form = PersonForm(request.POST or None, initial={"relation": "child" if has_head else "head"})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("version", None)
        try:
            services.create_person(user, h, **data)
            messages.success(request, _("Đã thêm nhân khẩu. / Person added."))
            if "another" in request.POST:
                return redirect("households:member-create", pk=h.pk)
            return redirect("households:household", pk=h.pk)
        except ValidationError as exc:
            _errors_to_form(form, exc)
    return render(request, "households/person_form.html", {"form": form, "household": h})


@scoped_view
def poverty(request: HttpRequest, pk: int) -> HttpResponse:
    h = selectors.household(request.user, pk)
    if (refused := _post_only(request)) is not None:
        return refused
    form = PovertyForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.set_poverty_status(request.user, h, d["year"], d["status"], d["source"])
            messages.success(request, _("Đã lưu phân loại hộ. / Poverty status saved."))
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
    else:
        messages.error(request, "; ".join(str(m) for ms in form.errors.values() for m in ms))
    return redirect("households:household", pk=h.pk)


@scoped_view
def support_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    h = selectors.household(user, pk)
    form = SupportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.create_support_record(
                user,
                h,
                component=d["component"],
                year=d["year"],
                kind=d["kind"],
                quantity=d["quantity"],
                measure=d["measure"],
                value_vnd=d["value_vnd"],
                note=d["note"],
            )
            messages.success(request, _("Đã ghi nhận hỗ trợ. / Support recorded."))
            return redirect("households:household", pk=h.pk)
        except ValidationError as exc:
            _errors_to_form(form, exc)
    return render(request, "households/support_form.html", {"form": form, "household": h})


@scoped_view
def support_delete(request: HttpRequest, pk: int) -> HttpResponse:
    record: SupportRecord = selectors.support_record(request.user, pk)
    if (refused := _post_only(request)) is not None:
        return refused
    household_pk = record.household_id
    try:
        services.delete_support_record(request.user, record)
        messages.success(request, _("Đã xoá bản ghi hỗ trợ. / Support record deleted."))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("households:household", pk=household_pk)


# --- duplicates -----------------------------------------------------------------------------------------


@scoped_view
def duplicates(request: HttpRequest) -> HttpResponse:
    """Likely duplicates in a commune or village: merge or keep apart (never merged automatically)."""
    user = request.user
    units = [u for u in selectors.unit_choices(user) if u.level == "commune"]
    form = UnitPickForm(request.GET or None, units=units)
    scope = getattr(user, "scope", None)
    within = None
    if form.is_valid() and form.cleaned_data.get("unit"):
        within = selectors.unit(user, form.cleaned_data["unit"])
    elif scope is not None and scope.level in ("commune", "village"):
        within = scope
    pairs = selectors.likely_duplicates(user, within) if within is not None else []
    return render(
        request,
        "households/duplicates.html",
        {
            "form": form,
            "within": within,
            "pairs": pairs,
            "can_write": bool(getattr(user, "can_write", False)),
        },
    )


@scoped_view
def duplicates_decide(request: HttpRequest) -> HttpResponse:
    if (refused := _post_only(request)) is not None:
        return refused
    user = request.user
    try:
        a = selectors.person(user, int(request.POST.get("a", "0")))
        b = selectors.person(user, int(request.POST.get("b", "0")))
    except ValueError as exc:
        raise Http404 from exc
    decision = request.POST.get("decision")
    try:
        if decision == "merge":
            keep_b = request.POST.get("keep") == "b"
            kept, other = (b, a) if keep_b else (a, b)
            services.merge_persons(user, kept, other)
            messages.success(
                request,
                _("Đã gộp %(other)s vào %(kept)s. / Merged %(other)s into %(kept)s.")
                % {"other": f"#{other.pk}", "kept": f"#{kept.pk}"},
            )
        elif decision == "apart":
            services.keep_apart(user, a, b)
            messages.success(
                request, _("Đã ghi nhận: hai người khác nhau. / Recorded: two different people.")
            )
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect(request.POST.get("next") or reverse("households:duplicates"))


# --- report ---------------------------------------------------------------------------------------------


@scoped_view
def support_report(request: HttpRequest) -> HttpResponse:
    """Report households-support (aggregates; viewers too): on the page, or as xlsx / json / html."""
    user = request.user
    units = selectors.unit_choices(user)
    params: QueryDict = request.GET
    if not params:  # opened from the menu: the last year with support, for the whole scope
        this_year = dt.date.today().year
        year = min(selectors.latest_support_year() or this_year, this_year)  # the form offers no later year
        params = QueryDict(f"year={year}")
    form = ReportForm(params, units=units)
    data = None
    if form.is_valid():
        d = form.cleaned_data
        unit = selectors.unit(user, d["unit"]) if d.get("unit") else None
        try:
            data = report.build(d["year"], unit, d.get("structure") or None, user=user)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        fmt = request.GET.get("format")
        if data is not None and fmt in report.FORMATS:
            content, content_type, name = report.render(data, fmt)
            response = HttpResponse(content, content_type=content_type)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    return render(request, "households/report.html", {"form": form, "data": data, "qs": params.urlencode()})
