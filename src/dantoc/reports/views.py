"""Monitoring, late list and the program-summary report (thin: parse, select, render)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dantoc.core.scoping import scoped_view
from dantoc.programs.models import FundingSource, Program
from dantoc.reports import render as rendering
from dantoc.reports import selectors
from dantoc.reports.forms import FilterForm, Params
from dantoc.reports.program_summary import program_summary as build_summary
from dantoc.works import monitoring


def _selection(request: HttpRequest, p: Params) -> monitoring.Selection:
    year = p.year or selectors.default_year(request.user)
    root = selectors.resolve_unit(request.user, p.unit)
    return monitoring.Selection(
        year, p.on or monitoring.default_on(year), within=root, program=p.program, source=p.source
    )


def _query(sel: monitoring.Selection, p: Params, **extra: Any) -> str:
    values = {
        "year": sel.year,
        "on": sel.on.isoformat(),
        "unit": p.unit or "",
        "program": sel.program or "",
        "source": sel.source or "",
        "level": p.level or "",
        "pace": p.pace or "",
    }
    values.update(extra)
    return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _canonical(request: HttpRequest, response: HttpResponse, url: str) -> HttpResponse:
    """A filter changed through htmx puts the page's own URL in the address bar (dates as ISO), not the
    form's fields as typed (01/07/2026)."""
    if getattr(request, "htmx", False):
        response["HX-Push-Url"] = url
    return response


def _filters(request: HttpRequest, sel: monitoring.Selection, form: FilterForm) -> dict[str, Any]:
    return {
        "form": form,
        "sel": sel,
        "programs": Program.objects.all(),
        "sources": FundingSource.objects.all(),
        "unit_choices": selectors.unit_choices(request.user, selectors.default_root(request.user), sel.year),
    }


@scoped_view
def monitoring_page(request: HttpRequest) -> HttpResponse:
    """Cumulative disbursement against plan, month by month, by programme, unit and source."""
    form = FilterForm(request.GET)
    p = form.params()
    sel = _selection(request, p)
    url = reverse("reports:monitoring")
    ov = monitoring.overview(request.user, sel, level=p.level, pace=p.pace, monitoring_url=url)
    context = {
        **_filters(request, sel, form),
        "ov": ov,
        "chart": ov.chart(),
        "params": p,
        "late_url": f"{reverse('reports:late')}?{_query(sel, p)}",
        "program_url": f"{url}?{_query(sel, p, program='')}",
        "source_url": f"{url}?{_query(sel, p, source='')}",
        "unit_url": f"{url}?{_query(sel, p, unit='', level='')}",
        "levels": dict(form.fields["level"].choices),  # type: ignore[attr-defined]
    }
    template = "monitoring/_overview.html" if getattr(request, "htmx", False) else "monitoring/overview.html"
    return _canonical(request, render(request, template, context), f"{url}?{_query(sel, p)}")


@scoped_view
def late_page(request: HttpRequest) -> HttpResponse:
    """Late items (units below pace, works overdue, stale or below pace) with their owners, sortable."""
    form = FilterForm(request.GET)
    p = form.params()
    sel = _selection(request, p)
    items = monitoring.late_items(
        request.user, sel, pace=p.pace, level=p.level, monitoring_url=reverse("reports:monitoring")
    )
    sort = p.sort if p.sort in monitoring.SORTS else monitoring.DEFAULT_SORT
    items = monitoring.sort_items(items, sort, p.descending)
    columns = [
        ("kind", _("Loại")),
        ("name", _("Công trình, đơn vị")),
        ("unit", _("Địa bàn")),
        ("program", _("Chương trình")),
        ("owner", _("Người phụ trách")),
        ("flags", _("Vấn đề")),
        ("planned_completion", _("Hoàn thành (kế hoạch)")),
        ("days_overdue", _("Số ngày quá hạn")),
        ("last_update", _("Cập nhật tiến độ gần nhất")),
        ("days_since_update", _("Số ngày chưa cập nhật")),
        ("percent", _("Khối lượng (%)")),
        ("rate", _("Tỷ lệ giải ngân")),
        ("expected", _("Tiến độ dự kiến")),
    ]
    headers = []
    base = reverse("reports:late")
    for key, label in columns:
        next_desc = not (key == sort and p.descending)
        headers.append(
            {
                "key": key,
                "label": label,
                "active": key == sort,
                "descending": p.descending,
                "url": f"{base}?{_query(sel, p, sort=key, dir='desc' if next_desc else 'asc')}",
            }
        )
    context = {
        **_filters(request, sel, form),
        "items": items,
        "headers": headers,
        "params": p,
        "sort": sort,
        "monitoring_url": f"{reverse('reports:monitoring')}?{_query(sel, p)}",
    }
    template = "monitoring/_late_table.html" if getattr(request, "htmx", False) else "monitoring/late.html"
    direction = "desc" if p.descending else "asc"
    return _canonical(
        request, render(request, template, context), f"{base}?{_query(sel, p, sort=sort, dir=direction)}"
    )


@scoped_view
def program_summary_page(request: HttpRequest) -> HttpResponse:
    """The program-summary report as a page, or downloaded as JSON or xlsx (`?format=`)."""
    form = FilterForm(request.GET)
    p = form.params()
    year = p.year or selectors.default_year(request.user)
    root = selectors.resolve_unit(request.user, p.unit)
    report = build_summary(request.user, year, unit=root, structure=p.structure, on=p.on)
    name = f"bao-cao-chuong-trinh-{year}"
    if p.format == "json":
        response: HttpResponse = JsonResponse(report, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return response
    if p.format == "xlsx":
        preparer = getattr(request.user, "full_name", "") or ""
        response = HttpResponse(
            rendering.to_xlsx(report, preparer=preparer), content_type=rendering.XLSX_TYPE
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    query = {
        "year": year,
        "structure": p.structure,
        **({"unit": p.unit} if p.unit else {}),
        **({"on": p.on.isoformat()} if p.on else {}),
    }
    context = {
        **rendering.context(report, dt.date.today()),
        "form": form,
        "year": year,
        "structure": p.structure,
        "unit_choices": selectors.unit_choices(request.user, selectors.default_root(request.user), year),
        "selected_unit": root.pk if root else None,
        "json_url": f"{reverse('reports:program-summary')}?{urlencode({**query, 'format': 'json'})}",
        "xlsx_url": f"{reverse('reports:program-summary')}?{urlencode({**query, 'format': 'xlsx'})}",
    }
    return render(request, "reports/program_summary.html", context)
