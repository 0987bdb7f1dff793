"""The bulk writer under the imports: rows, timestamps and extra columns as each database stores them."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from dantoc.core.imports import bulk
from dantoc.geo.models import AdminUnit, Kind, Level

pytestmark = pytest.mark.django_db


def test_new_rows_get_their_keys_and_the_time_they_were_written(tree) -> None:
    before = timezone.now()
    records = [
        {"level": Level.VILLAGE, "kind": Kind.THON, "name": f"Bản Thử {i}", "parent_id": tree.xa_loc_binh.pk}
        for i in range(3)
    ]
    with transaction.atomic():
        ids = bulk.insert_new(AdminUnit, records)
    after = timezone.now()
    stored = AdminUnit.objects.filter(pk__in=ids).order_by("pk")
    assert [u.name for u in stored] == ["Bản Thử 0", "Bản Thử 1", "Bản Thử 2"]
    assert [r["id"] for r in records] == ids
    # the same instant on every row, whatever form it travelled in (text on PostgreSQL's COPY)
    assert len({(u.created_at, u.updated_at) for u in stored}) == 1
    assert before <= stored[0].created_at <= after and stored[0].updated_at == stored[0].created_at


@pytest.mark.parametrize(
    "names",
    [
        # what an array literal would need quoted
        ["Bản Thử, Một", 'Bản "Hai"', "Bản {Ba}", "Bản\\Bốn", "NULL"],
        ["Bản Thử, Một", ""],  # an empty value: sent as a plain array
        ["Bản Thử, Một", "Bản\x1fNăm"],  # the separator itself: sent as a plain array
    ],
)
def test_text_and_id_lists_find_exactly_the_values_given(tree, names) -> None:
    made = []
    for n in filter(None, names):
        unit = AdminUnit.objects.create(
            level=Level.VILLAGE, kind=Kind.THON, name="x", parent=tree.xa_loc_binh
        )
        AdminUnit.objects.filter(pk=unit.pk).update(name=n)  # as given, not as a form would tidy it
        unit.refresh_from_db()
        made.append(unit)
    found = AdminUnit.objects.filter(name__in=bulk.text_list(names)).order_by("pk")
    assert [u.name for u in found] == [u.name for u in made]
    assert not AdminUnit.objects.filter(name__in=bulk.text_list(["Bản Thử"])).exists()
    ids = [u.pk for u in made]
    assert list(AdminUnit.objects.filter(pk__in=bulk.id_list(ids)).order_by("pk")) == made
    assert not AdminUnit.objects.filter(pk__in=bulk.id_list([])).exists()
