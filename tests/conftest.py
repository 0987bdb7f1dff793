"""Shared fixtures: a small Lạng Sơn tree in both structures and one user per role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from dantoc.accounts.models import Role, User
from dantoc.accounts.services import create_user
from dantoc.geo.models import AdminUnit, Kind, Level, UnitChange, UnitLineage

REFORM = dt.date(2025, 7, 1)
BEFORE = dt.date(2025, 6, 30)
PASSWORD = "dantoc-test-pw"


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """Transactional tests flush the database after each test, and with it the reference data that
    migrations seed (ethnic groups, classification types, the programme catalogue): put it back."""
    if "transactional_db" not in request.fixturenames and "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    from dantoc.geo.classification_types import ensure_classification_types
    from dantoc.geo.ethnic import ensure_ethnic_groups
    from dantoc.programs.catalogue import ensure_catalogue

    ensure_ethnic_groups()
    ensure_classification_types()
    ensure_catalogue()


@dataclass
class Tree:
    province: AdminUnit
    loc_binh: AdminUnit  # district, until 30/06/2025
    cao_loc: AdminUnit  # district, until 30/06/2025
    tt_loc_binh: AdminUnit  # thị trấn of Lộc Bình district
    dong_buc: AdminUnit
    nhuong_ban: AdminUnit  # abolished in 2020
    ba_son: AdminUnit  # commune of Cao Lộc district
    xa_loc_binh: AdminUnit  # current commune (from 01/07/2025)
    xa_cao_loc: AdminUnit  # current commune
    village: AdminUnit  # a village of the current Xã Lộc Bình


def _unit(
    level: str, kind: str, code: str, name: str, parent: AdminUnit | None, valid_from=None, valid_to=None
):
    u = AdminUnit(
        level=level, kind=kind, code=code, name=name, parent=parent, valid_from=valid_from, valid_to=valid_to
    )
    u.save()
    return u


@pytest.fixture
def tree(db) -> Tree:
    p = _unit(Level.PROVINCE, Kind.TINH, "20", "Lạng Sơn", None)
    lb = _unit(Level.DISTRICT, Kind.HUYEN, "189", "Lộc Bình", p, valid_to=BEFORE)
    cl = _unit(Level.DISTRICT, Kind.HUYEN, "180", "Cao Lộc", p, valid_to=BEFORE)
    tt = _unit(Level.COMMUNE, Kind.THI_TRAN, "6325", "Lộc Bình", lb, valid_to=BEFORE)
    db_ = _unit(Level.COMMUNE, Kind.XA, "6370", "Đồng Bục", lb, valid_to=BEFORE)
    nb = _unit(Level.COMMUNE, Kind.XA, "6355", "Nhượng Bạn", lb, valid_to=dt.date(2020, 1, 9))
    bs = _unit(Level.COMMUNE, Kind.XA, "6013", "Ba Sơn", cl, valid_to=BEFORE)
    xlb = _unit(Level.COMMUNE, Kind.XA, "6325", "Lộc Bình", p, valid_from=REFORM)
    xcl = _unit(Level.COMMUNE, Kind.XA, "5995", "Cao Lộc", p, valid_from=REFORM)
    v = _unit(Level.VILLAGE, Kind.THON, "", "Nà Pàn", xlb)
    change = UnitChange.objects.create(
        kind=UnitChange.ChangeKind.MERGE,
        effective_date=REFORM,
        basis_number="1672/NQ-UBTVQH15",
        basis_date=dt.date(2025, 6, 16),
    )
    for pred in (tt, db_):
        UnitLineage.objects.create(change=change, predecessor=pred, successor=xlb)
    c2 = UnitChange.objects.create(
        kind=UnitChange.ChangeKind.MERGE,
        effective_date=REFORM,
        basis_number="1672/NQ-UBTVQH15",
        basis_date=dt.date(2025, 6, 16),
    )
    UnitLineage.objects.create(change=c2, predecessor=bs, successor=xcl)
    return Tree(p, lb, cl, tt, db_, nb, bs, xlb, xcl, v)


@dataclass
class Users:
    admin: User
    leader: User
    officer: User
    district: User
    commune: User
    viewer: User


@pytest.fixture
def users(tree: Tree) -> Users:
    def mk(name: str, role: str, scope: AdminUnit | None) -> User:
        return create_user(username=name, password=PASSWORD, role=role, scope=scope)

    return Users(
        admin=mk("admin", Role.ADMIN, tree.province),
        leader=mk("lanhdao", Role.LEADER, tree.province),
        officer=mk("tinh", Role.OFFICER, tree.province),
        district=mk("locbinh", Role.OFFICER, tree.loc_binh),
        commune=mk("xa", Role.OFFICER, tree.xa_loc_binh),
        viewer=mk("xem", Role.VIEWER, tree.province),
    )


@pytest.fixture
def settings_demo(settings):
    """Admins are not forced into 2FA (as in the demo)."""
    settings.DEMO_MODE = True
    return settings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that drive a browser (they use Playwright's `page`) carry the `browser` marker."""
    for item in items:
        if "page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
