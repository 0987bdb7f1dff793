"""`scoped()`: the area filter, and the one shortcut it takes (an area that is the only top-level unit)."""

from __future__ import annotations

import pytest
from django.db.models import QuerySet

from dantoc.core.scoping import _always_located, scoped
from dantoc.geo.models import AdminUnit, Kind, Level
from dantoc.households.models import Household, Person, SupportRecord

pytestmark = pytest.mark.django_db


def _filtered(qs: QuerySet) -> bool:
    return qs.query.where.children != []


def test_records_always_located_at_a_unit() -> None:
    assert _always_located(AdminUnit, "path")
    assert _always_located(Person, "household__village__path")
    assert _always_located(SupportRecord, "household__village__path")
    assert _always_located(Household, "village__path")
    assert not _always_located(AdminUnit, "parent__path")  # the top unit has no parent


def test_the_only_province_needs_no_filter(tree, users) -> None:
    officer, commune = users.officer, users.commune
    assert not _filtered(scoped(Person.objects.all(), officer))
    assert _filtered(scoped(Person.objects.all(), commune))
    assert set(scoped(AdminUnit.objects.all(), officer)) == set(AdminUnit.objects.all())


def test_a_second_province_brings_the_filter_back(tree, users) -> None:
    other = AdminUnit(level=Level.PROVINCE, kind=Kind.TINH, code="04", name="Cao Bằng")
    other.save()
    outside = AdminUnit(level=Level.VILLAGE, kind=Kind.THON, name="Bản Khác", parent=other)
    outside.save()
    qs = scoped(AdminUnit.objects.all(), users.officer)
    assert _filtered(qs)
    assert outside not in set(qs) and tree.village in set(qs)
