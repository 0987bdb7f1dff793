"""Administrative-unit pages: the tree as of a date, search, a unit's page, unit and change forms.

Every view is login-protected and scoped; reads go through `geo.selectors`, writes through `geo.services`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dantoc.core.scoping import admin_view, scoped_view, unit_in_scope
from dantoc.core.services import ConcurrentEditError
from dantoc.geo import selectors, services
from dantoc.geo.forms import ChangeForm, TreeFilterForm, UnitForm
from dantoc.geo.models import AdminUnit, Level, UnitChange
from dantoc.geo.services import PARENT_LEVELS

PICK_ROLES = ("pred", "succ", "parent")
SEARCH_LIMIT = 100


def _on(request: HttpRequest) -> dt.date:
    form = TreeFilterForm(request.GET)
    on = form.cleaned_data.get("on") if form.is_valid() else None
    return on or selectors.default_on(request.user)


def may_edit(user: Any, unit: AdminUnit) -> bool:
    """Villages: anyone who can write in the area; other levels: system administrators."""
    if not getattr(user, "can_write", False) or not unit_in_scope(user, unit):
        return False
    return unit.level == Level.VILLAGE or bool(user.is_system_admin)


def child_levels(user: Any, parent: AdminUnit | None) -> set[str]:
    """Levels the user may add under `parent` (None: a province, for unscoped admins)."""
    if not getattr(user, "can_write", False) or (parent is not None and not unit_in_scope(user, parent)):
        return set()
    if parent is None:
        levels = {Level.PROVINCE.value} if unit_in_scope(user, None) else set()
    else:
        levels = {str(lv) for lv, parents in PARENT_LEVELS.items() if parent.level in parents}
    return levels if user.is_system_admin else levels & {Level.VILLAGE.value}


def _apply_errors(form: Any, exc: ValidationError, fields: bool = True) -> None:
    if hasattr(exc, "error_dict") and fields:
        for field, msgs in exc.message_dict.items():
            for msg in msgs:
                form.add_error(field if field in form.fields else None, msg)
    else:
        for msg in exc.messages:
            form.add_error(None, msg)


@scoped_view
def tree(request: HttpRequest) -> HttpResponse:
    """The unit tree as of a date (lazy children) and a tone-insensitive search over every period."""
    filters = TreeFilterForm(request.GET or None)
    on = _on(request)
    filters.is_valid()
    q = (request.GET.get("q") or "").strip()[:100]
    results = list(selectors.search(request.user, q)[:SEARCH_LIMIT]) if q else None
    context = {"filters": filters, "on": on, "q": q, "results": results, "limit": SEARCH_LIMIT}
    if request.htmx and request.htmx.target == "search-results":  # type: ignore[attr-defined]
        return render(request, "geo/tree.html#results", context)
    roots = selectors.roots(request.user, on)
    kids = (
        {r.pk: list(selectors.tree_children(request.user, r, on)) for r in roots} if len(roots) == 1 else {}
    )
    context.update(roots=[(r, kids.get(r.pk)) for r in roots])
    return render(request, "geo/tree.html", context)


@scoped_view
def children(request: HttpRequest, pk: int) -> HttpResponse:
    """One level of the tree (loaded by htmx when a node opens)."""
    parent = selectors.unit(request.user, pk)
    on = _on(request)
    return render(
        request,
        "geo/tree.html#children",
        {"items": selectors.tree_children(request.user, parent, on), "on": on},
    )


@scoped_view
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = selectors.unit(request.user, pk)
    user = request.user
    lineage = selectors.lineage(unit)
    context: dict[str, Any] = {
        "unit": unit,
        "ancestors": [a for a in unit.ancestors() if a.pk != unit.pk],
        "lineage": lineage,
        "subunits": selectors.subunits(user, unit),
        "classifications": selectors.classifications(user, unit),
        "statistics": selectors.statistics(user, unit),
        "can_edit": may_edit(user, unit),
        "can_add": bool(child_levels(user, unit)),
        "is_admin": bool(getattr(user, "is_system_admin", False)) and unit_in_scope(user, unit),
        "today": dt.date.today(),
    }
    if unit.is_current:
        context["former"] = selectors.lineage_closure(unit, forward=False)
    else:
        context["territory"] = selectors.territory_today(unit)
    unit.ended_by = lineage["successors"][0].change.kind if lineage["successors"] else None  # type: ignore[attr-defined]
    linked = {e.predecessor_id for e in lineage["predecessors"]} | {
        e.successor_id for e in lineage["successors"]
    }
    linked |= {u.pk for u, _hops in context.get("former", [])}
    linked |= {t.unit.pk for t in context.get("territory", []) if t.unit}
    linked |= {a.pk for a in context["ancestors"]}
    ids = [pk for pk in linked if pk is not None]
    context["visible"] = set(selectors.units(user).filter(pk__in=ids).values_list("pk", flat=True))
    return render(request, "geo/detail.html", context)


@scoped_view
def create(request: HttpRequest) -> HttpResponse:
    """Add a unit under `?parent=` (villages: officers in scope; other levels: admins)."""
    raw = request.GET.get("parent") or request.POST.get("parent")
    parent = selectors.unit(request.user, int(raw)) if raw and str(raw).isdigit() else None
    if raw and parent is None:
        raise Http404
    levels = child_levels(request.user, parent)
    if not levels:
        raise PermissionDenied(_("Bạn không được thêm đơn vị ở đây. / You may not add a unit here."))
    form = UnitForm(request.POST or None, levels=levels)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = services.create_unit(
                request.user,
                kind=data["kind"],
                name=data["name"],
                code=data["code"],
                parent=parent,
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                note=data["note"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Đã thêm %(unit)s.") % {"unit": unit.full_name})
            return redirect("geo:detail", pk=unit.pk)
    return render(request, "geo/unit_form.html", {"form": form, "parent": parent, "unit": None})


@scoped_view
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a unit. A save over someone else's newer change is refused; the form comes back as typed."""
    unit = selectors.unit(request.user, pk)
    if not may_edit(request.user, unit):
        raise PermissionDenied(_("Bạn không được sửa đơn vị này. / You may not edit this unit."))
    levels = {unit.level}
    current: AdminUnit | None = None
    if request.method == "POST":
        form = UnitForm(request.POST, levels=levels, editing=True)
        if form.is_valid():
            try:
                services.update_unit(request.user, unit, form.changes(unit), form.cleaned_data["version"])
            except ConcurrentEditError as exc:
                current = AdminUnit.objects.get(pk=unit.pk)
                data = request.POST.copy()
                data["version"] = str(current.version)  # saving again, after review, is deliberate
                form = UnitForm(data, levels=levels, editing=True)
                form.is_valid()
                form.add_error(None, exc.messages[0])
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Đã lưu %(unit)s.") % {"unit": unit.full_name})
                return redirect("geo:detail", pk=unit.pk)
    else:
        form = UnitForm(initial=UnitForm.initial_for(unit), levels=levels, editing=True)
    return render(
        request, "geo/unit_form.html", {"form": form, "parent": unit.parent, "unit": unit, "current": current}
    )


@admin_view
def change(request: HttpRequest) -> HttpResponse:
    """Record a merge, split, rename, re-parent, creation or abolition."""
    initial: dict[str, Any] = {"kind": request.GET.get("kind") or UnitChange.ChangeKind.MERGE}
    form = ChangeForm(request.POST or None, user=request.user, initial=initial)
    preset = request.GET.get("unit")
    if request.method == "POST" and form.is_valid():
        try:
            recorded = services.record_change(request.user, **form.request())
        except ValidationError as exc:
            _apply_errors(form, exc, fields=False)
        else:
            messages.success(request, _("Đã ghi nhận thay đổi: %(change)s.") % {"change": str(recorded)})
            edge = recorded.edges.order_by("pk").first()
            target = edge.successor_id or edge.predecessor_id if edge else None
            return redirect("geo:detail", pk=target) if target else redirect("geo:tree")
    chosen = {
        "pred": form.chosen("predecessors"),
        "succ": form.chosen("successors"),
        "parent": form.chosen("new_parent"),
    }
    if not form.is_bound and preset and preset.isdigit():
        chosen["pred"] = [selectors.unit(request.user, int(preset))]
    for u in chosen["succ"]:
        u.share_input = form.share_of(u.pk)  # type: ignore[attr-defined]
    primary = form.data.get("primary", "") if form.is_bound else ""
    return render(request, "geo/change_form.html", {"form": form, "chosen": chosen, "primary": primary})


def _role(request: HttpRequest) -> str:
    role = request.GET.get("role", "pred")
    if role not in PICK_ROLES:
        raise Http404
    return role


@admin_view
def pick(request: HttpRequest) -> HttpResponse:
    """Autocomplete for the change form: units matching `q` (valid around the effective date when given)."""
    role = _role(request)
    q = request.GET.get(f"q_{role}") or request.GET.get("q") or ""
    raw_date = request.GET.get("effective_date") or ""
    on: dt.date | None = None
    try:  # as typed in the form: day first, or ISO
        on = forms.DateField().to_python(raw_date) if raw_date else None
    except ValidationError:
        on = None
    if on is not None and role == "pred":
        on -= dt.timedelta(days=1)
    found = list(selectors.search(request.user, q, on=on)[:20]) if q.strip() else []
    return render(request, "geo/change_form.html#pick_results", {"found": found, "role": role})


@admin_view
def picked(request: HttpRequest, pk: int) -> HttpResponse:
    """One chosen unit as a form row (checkbox, and share/primary for successors)."""
    role = _role(request)
    return render(
        request,
        "geo/change_form.html#picked",
        {"u": selectors.unit(request.user, pk), "role": role, "form": None},
    )
