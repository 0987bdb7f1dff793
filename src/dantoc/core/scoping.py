"""Area scoping: the one place that decides which records a user may see and change.

Every scoped model names the lookup to its unit's materialised path in `scope_path`
(e.g. "path" for AdminUnit, "unit__path" for a record located at a unit). Selectors pass
their querysets through `scoped()`; services call `ensure_in_scope()` before writing;
views and API operations are marked with `scoped_view`/`public_view` so that a test can
prove every endpoint is one or the other.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from dantoc.accounts.models import User
    from dantoc.geo.models import AdminUnit

Access = Literal["public", "scoped", "admin"]


def scope_path_of(model: type[Model]) -> str:
    path = getattr(model, "scope_path", None)
    if not path:
        raise TypeError(f"{model.__name__} declares no scope_path")
    return str(path)


def user_scope_prefix(user: Any) -> str | None:
    """Path prefix of the user's subtree; "" means everything; None means nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.scope_id is None:
        return "" if user.is_system_admin else None
    return str(user.scope.path)


def scoped[M: Model](qs: QuerySet[M], user: Any, path_lookup: str | None = None) -> QuerySet[M]:
    """Restrict a queryset to the records located in the user's area."""
    prefix = user_scope_prefix(user)
    if prefix is None:
        return qs.none()
    if prefix == "":
        return qs
    lookup = path_lookup or scope_path_of(qs.model)
    if _always_located(qs.model, lookup) and user.scope.parent_id is None and prefix == _sole_root_path(user):
        # The area is the root of every unit stored (a one-province installation) and every record is
        # located at a unit: the filter would keep every row, so the joins it needs are left out.
        return qs
    return qs.filter(**{f"{lookup}__startswith": prefix})


def _sole_root_path(user: Any) -> str | None:
    """The path of the only top-level unit, when there is exactly one. Read from the database once per
    user object, i.e. once per request: a process-wide cache could miss a province added elsewhere."""
    memo = user.__dict__.get("_dantoc_sole_root")
    if memo is None:
        from dantoc.geo.models import AdminUnit

        roots = list(AdminUnit.objects.filter(parent__isnull=True).values_list("path", flat=True)[:2])
        memo = user.__dict__["_dantoc_sole_root"] = (roots[0] if len(roots) == 1 else None,)
    return memo[0]


@cache
def _always_located(model: type[Model], lookup: str) -> bool:
    """Whether every row reaches a unit's path through `lookup` (non-null foreign keys all the way)."""
    current: Any = model
    *relations, last = lookup.split("__")
    for name in relations:
        field = current._meta.get_field(name)
        if not (field.many_to_one or field.one_to_one) or field.null or not field.concrete:
            return False
        current = field.related_model
    return bool(last == "path" and current._meta.label == "geo.AdminUnit")


def unit_in_scope(user: Any, unit: AdminUnit | None) -> bool:
    prefix = user_scope_prefix(user)
    if prefix is None:
        return False
    if prefix == "":
        return True
    return unit is not None and unit.path.startswith(prefix)


def ensure_in_scope(user: User, unit: AdminUnit | None) -> None:
    if not unit_in_scope(user, unit):
        raise PermissionDenied(_("Đơn vị này nằm ngoài phạm vi của bạn. / This unit is outside your area."))


def ensure_can_write(user: User, unit: AdminUnit | None) -> None:
    if not user.can_write:
        raise PermissionDenied(_("Vai trò của bạn chỉ được xem. / Your role is read-only."))
    ensure_in_scope(user, unit)


def ensure_admin(user: User) -> None:
    if not user.is_system_admin:
        raise PermissionDenied(_("Chỉ quản trị hệ thống được làm việc này. / System administrators only."))


def _mark[F: Callable[..., Any]](func: F, access: Access) -> F:
    func.dantoc_access = access  # type: ignore[attr-defined]
    return func


def public_view[F: Callable[..., Any]](func: F) -> F:
    """An endpoint anyone may open (login, language switch)."""
    return _mark(func, "public")


def scoped_view[F: Callable[..., Any]](func: F) -> F:
    """Login required; the view reads and writes only through scoped selectors and services."""
    return _mark(login_required(func), "scoped")


def admin_view[F: Callable[..., Any]](func: F) -> F:
    """Login required and system administrators only."""

    def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
        ensure_admin(request.user)
        return func(request, *args, **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return _mark(login_required(wrapper), "admin")  # type: ignore[return-value]
