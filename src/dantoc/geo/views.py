from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dantoc.core.scoping import scoped_view
from dantoc.geo import selectors


@scoped_view
def tree(request: HttpRequest) -> HttpResponse:
    on = dt.date.today()
    return render(request, "geo/tree.html", {"units": selectors.units(request.user, on=on)[:200], "on": on})


@scoped_view
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = selectors.unit(request.user, pk)
    return render(request, "geo/detail.html", {"unit": unit, "lineage": selectors.lineage(unit)})
