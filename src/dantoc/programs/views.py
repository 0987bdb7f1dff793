"""Pages: the programme catalogue, a programme with its component tree and plan totals, admin edit forms,
plan decisions (list, detail, a form with htmx "add line" rows)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dantoc.core.scoping import admin_view, scoped_view, unit_in_scope
from dantoc.geo.models import AdminUnit
from dantoc.programs import forms, selectors, services
from dantoc.programs.models import PlanDecision, Program

DEFAULT_YEAR = 2018  # the founding article's year; used when nothing is planned yet


def _add_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's validation error on the form field it names (or on the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- catalogue -------------------------------------------------------------------------------------


@scoped_view
def program_list(request: HttpRequest) -> HttpResponse:
    items = list(selectors.programs(q=request.GET.get("q") or None))
    totals: dict[str, dict[int, int]] = {}
    for row in selectors.plan_totals(request.user, by=("program", "year")):
        totals.setdefault(row["program"], {})[row["year"]] = row["plan_vnd"]
    rows = [
        {"program": p, "components": p.components.count(), "years": sorted(totals.get(p.code, {}).items())}
        for p in items
    ]
    return render(request, "programs/list.html", {"rows": rows, "q": request.GET.get("q", "")})


def _tree_totals(program: Program, user: Any, year: int | None) -> list[dict[str, Any]]:
    """Component tree rows with plan and carry-over per component, parents including their children."""
    tree = selectors.component_tree(program)
    own: dict[int, tuple[int, int]] = {}
    for r in selectors.plan_totals(user, by=("component",), program=program, year=year):
        own[r["component"]] = (r["plan_vnd"], r["carry_over_vnd"])
    parent_of = {c.pk: c.parent_id for c, _d in tree}
    rolled: dict[int, list[int]] = {c.pk: [0, 0] for c, _d in tree}
    for pk, (plan, carry) in own.items():
        node: int | None = pk
        while node is not None and node in rolled:
            rolled[node][0] += plan
            rolled[node][1] += carry
            node = parent_of.get(node)
    return [
        {
            "component": c,
            "depth": d,
            "indent": "\u2003" * d,
            "plan": rolled[c.pk][0],
            "carry": rolled[c.pk][1],
        }
        for c, d in tree
    ]


@scoped_view
def program_detail(request: HttpRequest, code: str) -> HttpResponse:
    program = selectors.program(code)
    user = request.user
    years = selectors.plan_years(user, program)
    year = _int(request.GET.get("year"))
    if year not in years:
        year = years[-1] if years else None
    by_year = selectors.plan_totals(user, by=("year",), program=program)
    by_source = (
        selectors.plan_totals(user, by=("source", "capital_type"), program=program, year=year) if year else []
    )
    by_unit = (
        selectors.plan_totals(user, by=("unit",), unit_level="district", program=program, year=year)
        if year
        else []
    )
    unit_names = {u.pk: u.full_name for u in AdminUnit.objects.filter(pk__in=[r["unit"] for r in by_unit])}
    sources = {s.code: s.name for s in selectors.funding_sources()}
    for r in by_source:
        r["source_name"] = sources.get(r["source"], r["source"])
    for r in by_unit:
        r["unit_name"] = unit_names.get(r["unit"], "")
    by_unit.sort(key=lambda r: -r["plan_vnd"])
    return render(
        request,
        "programs/detail.html",
        {
            "program": program,
            "years": years,
            "year": year,
            "by_year": by_year,
            "by_source": by_source,
            "by_unit": by_unit,
            "tree": _tree_totals(program, user, year),
            "total": sum(r["plan_vnd"] for r in by_year if r["year"] == year),
        },
    )


@admin_view
def program_create(request: HttpRequest) -> HttpResponse:
    form = forms.ProgramForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_program(request.user, **form.values())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Đã thêm chương trình %(code)s.") % {"code": created.code})
            return redirect("programs:detail", code=created.code)
    return render(request, "programs/program_form.html", {"form": form, "program": None})


@admin_view
def program_edit(request: HttpRequest, code: str) -> HttpResponse:
    program = selectors.program(code)
    form = forms.ProgramForm(request.POST or None, initial=forms.ProgramForm.initial_for(program))
    if request.method == "POST" and form.is_valid():
        try:
            updated = services.update_program(
                request.user, program, form.values(), form.cleaned_data["version"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Đã lưu chương trình %(code)s.") % {"code": updated.code})
            return redirect("programs:detail", code=updated.code)
    return render(request, "programs/program_form.html", {"form": form, "program": program})


@admin_view
def component_create(request: HttpRequest, code: str) -> HttpResponse:
    program = selectors.program(code)
    initial = {"parent": _int(request.GET.get("parent"))}
    form = forms.ComponentForm(request.POST or None, program=program, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_component(request.user, program, **form.values())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Đã thêm dự án thành phần."))
            return redirect("programs:detail", code=program.code)
    return render(
        request, "programs/component_form.html", {"form": form, "program": program, "component": None}
    )


@admin_view
def component_edit(request: HttpRequest, pk: int) -> HttpResponse:
    component = selectors.component(pk)
    program = component.program
    form = forms.ComponentForm(
        request.POST or None,
        program=program,
        exclude=component,
        initial=forms.ComponentForm.initial_for(component),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_component(request.user, component, form.values(), form.cleaned_data["version"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Đã lưu dự án thành phần."))
            return redirect("programs:detail", code=program.code)
    return render(
        request, "programs/component_form.html", {"form": form, "program": program, "component": component}
    )


# --- plan decisions --------------------------------------------------------------------------------


@scoped_view
def plan_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    year = _int(request.GET.get("year"))
    program = request.GET.get("program") or None
    revision = request.GET.get("revision") or None
    qs = selectors.plan_decisions(user, year=year, program=program, revision=revision)
    decisions = list(qs[:300])
    return render(
        request,
        "programs/plan_list.html",
        {
            "decisions": decisions,
            "count": qs.count(),
            "year": year,
            "program": program,
            "revision": revision,
            "years": selectors.plan_years(user),
            "programs": selectors.programs(),
            "revisions": PlanDecision.Revision.choices,
            "total": selectors.plan_total(user, year, program) if year else None,
            "carry": selectors.plan_total(user, year, program, carry_over=True) if year else None,
        },
    )


def _can_edit(user: Any, decision: PlanDecision, lines: list[Any]) -> bool:
    return (
        bool(user.can_write)
        and unit_in_scope(user, decision.unit)
        and all(unit_in_scope(user, ln.unit) for ln in lines)
    )


@scoped_view
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    decision = selectors.plan_decision(request.user, pk)
    lines = list(selectors.decision_lines(request.user, decision))
    return render(
        request,
        "programs/plan_detail.html",
        {
            "decision": decision,
            "lines": lines,
            "total": sum(ln.amount_vnd for ln in lines),
            "can_edit": _can_edit(request.user, decision, lines),
            "partial": getattr(decision, "line_count", 0) < decision.lines.count(),
        },
    )


def _formset_data(request: HttpRequest, add: bool) -> Any:
    data = request.POST.copy()
    if add:
        key = "lines-TOTAL_FORMS"
        data[key] = str((_int(data.get(key)) or 0) + 1)
    return data


def _decision_form_page(request: HttpRequest, decision: PlanDecision | None) -> HttpResponse:
    """Shared by create and edit: GET shows the form; an htmx POST with `add_line` (or `refresh`) re-renders
    the lines with one more row (or with the units of the chosen year); a plain POST saves."""
    user = request.user
    lines = list(selectors.decision_lines(user, decision)) if decision else []
    if decision is not None and not _can_edit(user, decision, lines):
        raise PermissionDenied(_("Bạn không sửa được quyết định này. / You cannot edit this decision."))
    default_year = decision.year if decision else (max(selectors.plan_years(user) or [DEFAULT_YEAR]))
    adding = request.method == "POST" and ("add_line" in request.POST or "refresh" in request.POST)
    if request.method == "POST":
        year = forms.plan_year(request.POST, default_year)
        data = _formset_data(request, "add_line" in request.POST)
        form = forms.DecisionForm(data, user=user, year=year)
        formset = forms.LineFormSet(data, prefix="lines", user=user, year=year)
    else:
        year = default_year
        initial = (
            forms.DecisionForm.initial_for(decision)
            if decision
            else {
                "year": year,
                "revision": PlanDecision.Revision.INITIAL,
                "date": dt.date.today(),
                "unit": getattr(user, "scope_id", None),
            }
        )
        form = forms.DecisionForm(initial=initial, user=user, year=year)
        formset = forms.LineFormSet(
            prefix="lines",
            user=user,
            year=year,
            initial=forms.line_initial(lines) if decision else [{}],
        )
    if request.method == "POST" and not adding and form.is_valid() and formset.is_valid():
        values = form.values()
        try:
            if decision is None:
                saved = services.create_plan_decision(user, lines=formset.specs(), **values)
            else:
                saved = services.update_plan_decision(
                    user, decision, values, form.cleaned_data["version"], lines=formset.specs()
                )
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                form.add_error(None, str(exc))
            else:
                _add_errors(form, exc)
        else:
            messages.success(request, _("Đã lưu quyết định %(number)s.") % {"number": saved.number})
            return redirect("programs:plan-detail", pk=saved.pk)
    return render(
        request,
        "programs/plan_form.html",
        {
            "form": form,
            "formset": formset,
            "decision": decision,
            "show_errors": not adding,
        },
    )


@scoped_view
def plan_create(request: HttpRequest) -> HttpResponse:
    if not request.user.can_write:  # type: ignore[union-attr]
        raise PermissionDenied(_("Vai trò của bạn chỉ được xem. / Your role is read-only."))
    return _decision_form_page(request, None)


@scoped_view
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision_form_page(request, selectors.plan_decision(request.user, pk))


@scoped_view
def plan_delete(request: HttpRequest, pk: int) -> HttpResponse:
    decision = selectors.plan_decision(request.user, pk)
    if request.method != "POST":
        return redirect("programs:plan-detail", pk=decision.pk)
    try:
        services.delete_plan_decision(request.user, decision, _int(request.POST.get("version")))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("programs:plan-detail", pk=decision.pk)
    messages.success(request, _("Đã xoá quyết định %(number)s.") % {"number": decision.number})
    return redirect("programs:plans")
