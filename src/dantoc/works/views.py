"""Works pages: the list, a work with its status, progress and payments, the create and edit forms."""

from __future__ import annotations

from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django import forms as djforms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from dantoc.core.scoping import scoped_view
from dantoc.core.services import ConcurrentEditError
from dantoc.works import selectors, services
from dantoc.works.forms import PaymentForm, ProgressForm, StatusForm, WorkFilterForm, WorkForm
from dantoc.works.models import Work

PAGE_SIZE = 50


def _apply_errors(form: djforms.Form, exc: ValidationError) -> None:
    """Show a service's validation errors on the form's fields (or above the form)."""
    if hasattr(exc, "error_dict"):
        for name, msgs in exc.message_dict.items():
            for msg in msgs:
                form.add_error(name if name in form.fields else None, msg)
    else:
        for msg in exc.messages:
            form.add_error(None, msg)


def _pct(value: Decimal | None) -> Decimal | None:
    return None if value is None else value * 100


# --- list --------------------------------------------------------------------------------------------


@scoped_view
def work_list(request: HttpRequest) -> HttpResponse:
    form = WorkFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    qs = selectors.works(request.user, **filters).order_by("-year", "code")
    summary = selectors.works_totals(selectors.works(request.user, **filters, with_disbursed=False))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for w in page.object_list:
        w.investment_rate_pct = (  # type: ignore[attr-defined]
            Decimal(w.disbursed_vnd) * 100 / w.total_investment_vnd if w.total_investment_vnd else None  # type: ignore[attr-defined]
        )
    context = {"form": form, "page": page, "summary": summary, "can_write": request.user.can_write}  # type: ignore[union-attr]
    template = "works/list.html#results" if getattr(request, "htmx", False) else "works/list.html"
    return render(request, template, context)


@scoped_view
def village_options(request: HttpRequest) -> HttpResponse:
    """`<option>`s of the villages of a unit (htmx, when the work form's commune changes)."""
    raw = request.GET.get("unit", "")
    villages = selectors.villages(request.user, int(raw)) if raw.isdigit() else []
    return render(request, "works/_village_options.html", {"villages": villages})


# --- create and edit -----------------------------------------------------------------------------------


@scoped_view
def work_create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if request.method == "POST":
        form = WorkForm(request.POST, user=user)
        if form.is_valid():
            try:
                work = services.create_work(user, **form.values())
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(
                    request, _("Đã thêm công trình %(code)s. / Work %(code)s added.") % {"code": work.code}
                )
                return redirect("works:detail", pk=work.pk)
        return render(request, "works/form.html", {"form": form, "work": None}, status=422)
    form = WorkForm(user=user, initial={"year": timezone.localdate().year})
    return render(request, "works/form.html", {"form": form, "work": None})


def _conflicts(form: WorkForm, current: Work) -> list[dict[str, Any]]:
    """Fields where what the user typed differs from what is stored now."""
    rows = []
    for name, value in form.values().items():
        stored = getattr(current, name)
        if (value or None) != (stored or None):
            field = form.fields[name]
            rows.append({
                "label": field.label,
                "stored": stored if stored is not None else "—",
                "typed": value if value is not None else "—",
            })  # fmt: skip
    return rows


@scoped_view
def work_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    work = selectors.work(user, pk)
    if request.method != "POST":
        form = WorkForm(user=user, work=work, initial=WorkForm.initial_for(work))
        return render(request, "works/form.html", {"form": form, "work": work})
    form = WorkForm(request.POST, user=user, work=work)
    conflicts: list[dict[str, Any]] = []
    status = 422
    if form.is_valid():
        version = form.cleaned_data.get("version")
        try:
            with transaction.atomic():
                current = services.update_work(user, work, form.changes(work), version)
                lines = form.cleaned_data.get("plan_lines")
                if lines is not None:
                    services.set_plan_lines(user, current, lines)
        except ConcurrentEditError as exc:
            current = selectors.work(user, pk)
            conflicts = _conflicts(form, current)
            data = request.POST.copy()
            data["version"] = str(current.version)  # saving again applies what the user typed, knowingly
            form = WorkForm(data, user=user, work=current)
            form.is_valid()
            form.add_error(None, exc.messages[0])
            work, status = current, 409
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Đã lưu công trình. / The work was saved."))
            return redirect("works:detail", pk=pk)
    return render(
        request, "works/form.html", {"form": form, "work": work, "conflicts": conflicts}, status=status
    )


# --- the work's page -------------------------------------------------------------------------------------


def _detail(request: HttpRequest, pk: int, status: int = 200, **forms: Any) -> HttpResponse:
    d = selectors.work_detail(request.user, pk)
    work = d.work
    context = {
        "d": d,
        "work": work,
        "rate_pct": _pct(d.rate),
        "investment_rate_pct": _pct(d.investment_rate),
        "by_year": [{"y": y, "rate_pct": _pct(y.rate)} for y in d.by_year],
        "status_changes": selectors.status_changes(work),
        "progress": selectors.progress_updates(request.user, work),
        "can_write": request.user.can_write,  # type: ignore[union-attr]
        "status_form": forms.get("status_form") or StatusForm(work=work),
        "progress_form": forms.get("progress_form") or ProgressForm(),
        "payment_form": forms.get("payment_form") or PaymentForm(work=work),
        "open": forms.get("open", ""),
    }
    return render(request, "works/detail.html", context, status=status)


@scoped_view
def work_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


@scoped_view
def work_status(request: HttpRequest, pk: int) -> HttpResponse:
    work = selectors.work(request.user, pk)
    if request.method != "POST":
        return redirect("works:detail", pk=pk)
    form = StatusForm(request.POST, work=work)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.change_status(
                request.user, work, data["status"], date=data["date"], note=data["note"],
                expected_version=data.get("version"),
            )  # fmt: skip
        except ConcurrentEditError as exc:
            form.add_error(None, exc.messages[0])
            status = 409
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Đã chuyển trạng thái. / The status was changed."))
            return redirect("works:detail", pk=pk)
    return _detail(request, pk, status, status_form=form, open="status")


@scoped_view
def work_progress(request: HttpRequest, pk: int) -> HttpResponse:
    work = selectors.work(request.user, pk)
    if request.method != "POST":
        return redirect("works:detail", pk=pk)
    form = ProgressForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_progress(
                request.user, work, date=data["date"], percent=data["percent"], note=data["note"],
                attachment=data.get("attachment"),
            )  # fmt: skip
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Đã cập nhật tiến độ. / Progress recorded."))
            return redirect("works:detail", pk=pk)
    return _detail(request, pk, 422, progress_form=form, open="progress")


@scoped_view
def work_payment(request: HttpRequest, pk: int) -> HttpResponse:
    work = selectors.work(request.user, pk)
    if request.method != "POST":
        return redirect("works:detail", pk=pk)
    form = PaymentForm(request.POST, work=work)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_disbursement(
                request.user, work=work, plan_line=data.get("plan_line"), date=data["date"],
                amount_vnd=data["amount_vnd"], source=data["source"], capital_type=data.get("capital_type") or None,
                voucher_number=data.get("voucher_number") or "",
            )  # fmt: skip
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Đã ghi khoản giải ngân. / The payment was recorded."))
            return redirect("works:detail", pk=pk)
    return _detail(request, pk, 422, payment_form=form, open="payment")


@scoped_view
def progress_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """Download a progress update's attachment (scoped like the work)."""
    update = selectors.progress_update(request.user, pk)
    if not update.attachment:
        raise Http404
    name = PurePath(update.attachment.name or "tep").name
    return FileResponse(update.attachment.open("rb"), as_attachment=True, filename=name)
