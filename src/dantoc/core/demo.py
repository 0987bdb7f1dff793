"""Demo data: loaded only by `dantoc load-demo` (and `dantoc run` on a new database)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from dantoc.accounts.models import Role, User
from dantoc.accounts.services import create_user
from dantoc.core.selectors import DEMO_KEY
from dantoc.core.services import set_setting
from dantoc.geo.models import AdminUnit, Level, valid_on

DEMO_PASSWORD = "dantoc-demo"  # noqa: S105 - the published demo password
# username, role, scope (as printed by `dantoc run`)
DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    ("admin", "admin", "Tỉnh Lạng Sơn (quản trị hệ thống / system admin)"),
    ("lanhdao", "leader", "Tỉnh Lạng Sơn"),
    ("tinh", "officer", "Tỉnh Lạng Sơn"),
    ("locbinh", "officer", "Huyện Lộc Bình (trước 01/07/2025 / before 1 July 2025)"),
    ("xa", "officer", "Xã Lộc Bình (hiện nay / current)"),
    ("xem", "viewer", "Tỉnh Lạng Sơn"),
]
FULL_NAMES = {
    "admin": "Quản trị hệ thống",
    "lanhdao": "Hoàng Văn Thắng",
    "tinh": "Nông Thị Hạnh",
    "locbinh": "Lộc Văn Bình",
    "xa": "Vi Thị Mai",
    "xem": "Lương Minh Đức",
}


def database_is_empty() -> bool:
    return not User.objects.exists() and not AdminUnit.objects.exists()


def _scopes() -> dict[str, AdminUnit]:
    province = AdminUnit.objects.get(level=Level.PROVINCE, code="20", valid_to__isnull=True)
    loc_binh = AdminUnit.objects.get(level=Level.DISTRICT, name="Lộc Bình", path__startswith=province.path)
    commune = AdminUnit.objects.filter(
        valid_on(dt.date(2026, 1, 1)), level=Level.COMMUNE, name="Lộc Bình", path__startswith=province.path
    ).get()
    return {
        "admin": province,
        "lanhdao": province,
        "tinh": province,
        "locbinh": loc_binh,
        "xa": commune,
        "xem": province,
    }


@transaction.atomic
def _accounts() -> None:
    scopes = _scopes()
    for username, role, _label in DEMO_ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            create_user(
                username=username,
                password=DEMO_PASSWORD,
                role=Role(role),
                scope=scopes[username],
                full_name=FULL_NAMES[username],
            )
        else:
            user.set_password(DEMO_PASSWORD)
            user.role, user.scope, user.is_active = role, scopes[username], True
            user.save()


def load_demo() -> None:
    from dantoc.geo import demo as geo_demo
    from dantoc.households import demo as households_demo
    from dantoc.programs import demo as programs_demo
    from dantoc.works import demo as works_demo

    geo_demo.load()
    _accounts()
    programs_demo.load()  # after the accounts: works name their owners
    works_demo.load()
    households_demo.load()  # after the programmes: support records point at 30A's components
    set_setting(DEMO_KEY, "1")
