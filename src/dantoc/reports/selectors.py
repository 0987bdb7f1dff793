"""Reads shared by the report and monitoring pages, the API and the `report` command."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _

from dantoc.core.scoping import unit_in_scope
from dantoc.geo import selectors as geo
from dantoc.geo.models import AdminUnit, valid_on


class SystemUser:
    """The `report` command's default reader: a system-wide administrator's view (reads only)."""

    pk = None
    id = None
    username = "system"
    full_name = ""
    is_authenticated = True
    is_active = True
    is_superuser = False
    is_system_admin = True
    can_write = False
    scope = None
    scope_id = None

    def __str__(self) -> str:
        return self.username


def report_user(username: str | None) -> Any:
    """The user a command runs as: a named active user, or the system-wide view."""
    if not username:
        return SystemUser()
    from dantoc.accounts.models import User

    user = User.objects.select_related("scope").filter(username=username, is_active=True).first()
    if user is None:
        raise LookupError(username)
    return user


def default_root(user: Any) -> AdminUnit | None:
    """The unit a report covers by default: the user's scope, or the only top-level unit valid today."""
    scope = getattr(user, "scope", None)
    if scope is not None:
        return scope
    tops = list(AdminUnit.objects.filter(parent__isnull=True).filter(valid_on(dt.date.today()))[:2])
    return tops[0] if len(tops) == 1 else None


def resolve_unit(user: Any, pk: int | None) -> AdminUnit | None:
    """The unit asked for (404 when unknown or outside the user's area), else the default root."""
    if pk is None:
        return default_root(user)
    found = AdminUnit.objects.filter(pk=pk).first()
    if found is None or not unit_in_scope(user, found):
        raise Http404(_("Không tìm thấy đơn vị trong phạm vi của bạn. / Unit not found in your area."))
    return found


def unit_choices(user: Any, root: AdminUnit | None, year: int) -> list[AdminUnit]:
    """Units a page offers as a filter: the root and its children in the year's structure."""
    ref = dt.date(year, 12, 31)
    if root is None:
        return list(geo.units(user, on=ref).filter(parent__isnull=True))
    return [root, *geo.children(root, ref).filter(path__startswith=root.path)]


def default_year(user: Any, today: dt.date | None = None) -> int:
    """The latest plan year with capital in the user's area (not after this year), else this year."""
    from django.db.models import Max

    from dantoc.core.scoping import scoped
    from dantoc.programs.models import CapitalPlanLine

    today = today or dt.date.today()
    found = (
        scoped(CapitalPlanLine.objects.all(), user)
        .filter(decision__year__lte=today.year)
        .aggregate(y=Max("decision__year"))["y"]
    )
    return int(found or today.year)
