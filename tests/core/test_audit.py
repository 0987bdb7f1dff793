from __future__ import annotations

import pytest
from django.test import Client

from dantoc.core import services
from dantoc.core.audit import log_access
from dantoc.core.models import AccessLog, AuditEntry
from dantoc.geo.models import AdminUnit, Kind, Level

pytestmark = pytest.mark.django_db


def _village(tree, name="Khuổi Cáp") -> AdminUnit:
    return AdminUnit(level=Level.VILLAGE, kind=Kind.BAN, name=name, parent=tree.xa_loc_binh)


def test_create_update_delete_are_audited_with_before_and_after(tree, users) -> None:
    v = services.create(users.commune, _village(tree))
    v = services.update(users.commune, v, {"name": "Khuổi Cáp Trên"}, expected_version=1)
    assert v.version == 2
    pk = v.pk
    services.delete(users.commune, v)
    entries = list(AuditEntry.objects.filter(object_id=str(pk)).order_by("id"))
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert entries[0].before is None and entries[0].after["name"] == "Khuổi Cáp"
    assert entries[1].changes() == [("name", "Khuổi Cáp", "Khuổi Cáp Trên")]
    assert entries[2].before["name"] == "Khuổi Cáp Trên" and entries[2].after is None
    assert all(e.actor == users.commune for e in entries)


def test_the_actor_of_an_entry_cannot_be_deleted(tree, users) -> None:
    from django.db.models import ProtectedError

    services.create(users.commune, _village(tree))
    with pytest.raises(ProtectedError) as refused:
        users.commune.delete()
    assert any(isinstance(o, AuditEntry) for o in refused.value.protected_objects)


def test_an_update_that_changes_nothing_writes_nothing(tree, users) -> None:
    v = services.create(users.commune, _village(tree))
    services.update(users.commune, v, {"name": "Khuổi Cáp"}, expected_version=1)
    assert AuditEntry.objects.filter(object_id=str(v.pk)).count() == 1


def test_second_save_of_a_stale_version_is_refused(tree, users) -> None:
    v = services.create(users.commune, _village(tree))
    # Two users opened version 1; the first saves.
    services.update(users.commune, v, {"name": "Bản A"}, expected_version=1)
    with pytest.raises(services.ConcurrentEditError) as err:
        services.update(users.officer, v, {"name": "Bản B"}, expected_version=1)
    assert "người khác" in str(err.value) and "Someone else" in str(err.value)
    v.refresh_from_db()
    assert v.name == "Bản A"


def test_history_page_shows_diffs_and_restores(client: Client, tree, users) -> None:
    v = services.create(users.commune, _village(tree))
    services.update(users.commune, v, {"name": "Khuổi Cáp Trên"}, expected_version=1)
    client.force_login(users.commune)
    page = client.get(f"/history/geo.adminunit/{v.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Khuổi Cáp Trên" in html and "Khuổi Cáp" in html
    first = AuditEntry.objects.filter(object_id=str(v.pk), action="create").get()
    r = client.post(f"/history/restore/{first.pk}/")
    assert r.status_code == 302
    v.refresh_from_db()
    assert v.name == "Khuổi Cáp"
    assert AuditEntry.objects.filter(object_id=str(v.pk)).first().action == "restore"


def test_a_deleted_record_can_be_restored(client: Client, tree, users) -> None:
    v = services.create(users.commune, _village(tree))
    pk = v.pk
    services.delete(users.commune, v)
    entry = AuditEntry.objects.get(object_id=str(pk), action="delete")
    restored = services.restore(users.admin, entry)
    assert AdminUnit.objects.get(pk=pk).name == "Khuổi Cáp"
    assert restored.path == f"{tree.xa_loc_binh.path}{pk}/"


def test_history_outside_the_area_is_hidden(client: Client, tree, users) -> None:
    other = services.create(
        users.officer, AdminUnit(level=Level.VILLAGE, kind=Kind.THON, name="Bản Xa", parent=tree.xa_cao_loc)
    )
    client.force_login(users.commune)
    assert client.get(f"/history/geo.adminunit/{other.pk}/").status_code == 404
    entry = AuditEntry.objects.get(object_id=str(other.pk))
    assert client.post(f"/history/restore/{entry.pk}/").status_code == 404


def test_viewer_cannot_restore(client: Client, tree, users) -> None:
    v = services.create(users.officer, _village(tree))
    services.update(users.officer, v, {"name": "Mới"}, expected_version=1)
    client.force_login(users.viewer)
    entry = AuditEntry.objects.filter(object_id=str(v.pk), action="create").get()
    assert client.post(f"/history/restore/{entry.pk}/").status_code == 403


def test_access_log_requires_a_reason(users) -> None:
    log_access(users.officer, AccessLog.Action.VIEW, "person 1", "xác minh hồ sơ hỗ trợ")
    assert AccessLog.objects.count() == 1
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        AccessLog.objects.create(user=users.officer, action="view", subject="p", reason="")
