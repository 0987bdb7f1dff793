"""Pages: search, the reason form before a record, masking everywhere, exports, duplicates, forms, report."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from dantoc.core.models import AccessLog
from dantoc.households.models import Household, Person, PersonMerge, SupportRecord

from .conftest import person

pytestmark = pytest.mark.django_db
FULL = "020186001456"
MASKED = "•••••••••456"


def cells(content: bytes) -> list[str]:
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def test_search_without_tone_marks_in_any_order(client: Client, world, users) -> None:
    client.force_login(users.officer)
    for q in ("vi thi mai", "mai vi", "THỊ MAI", "vi th m"):
        r = client.get(reverse("households:persons"), {"q": q})
        assert "Vi Thị Mai" in r.content.decode(), q
    r = client.get(reverse("households:persons"), {"q": "mai vu"})
    assert "Vi Thị Mai" not in r.content.decode()


def test_search_by_id_number_and_village(client: Client, world, users) -> None:
    client.force_login(users.officer)
    assert "Vi Thị Mai" in client.get(reverse("households:persons"), {"q": FULL}).content.decode()
    body = client.get(reverse("households:persons"), {"village": "na pan"}).content.decode()
    assert "Vi Thị Mai" in body and "Lương Văn Tùng" not in body
    body = client.get(reverse("households:persons"), {"village": "khuoi"}).content.decode()
    assert "Lương Văn Tùng" in body and "Vi Thị Mai" not in body


def test_htmx_search_returns_the_results_fragment(client: Client, world, users) -> None:
    client.force_login(users.officer)
    r = client.get(reverse("households:persons"), {"q": "vi thi"}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert 'id="person-results"' in body and "<html" not in body and "Vi Thị Mai" in body


def test_lists_mask_ids(client: Client, world, users) -> None:
    for u in (users.officer, users.viewer):
        client.force_login(u)
        body = client.get(reverse("households:persons")).content.decode()
        assert MASKED in body and FULL not in body
        body = client.get(reverse("households:household", args=[world.household.pk])).content.decode()
        assert MASKED in body and FULL not in body


def test_reveal_on_the_list_needs_a_reason_and_is_logged(client: Client, world, users) -> None:
    client.force_login(users.officer)
    url = reverse("households:persons") + "?q=vi+thi+mai"
    body = client.post(url, {"reason": ""}).content.decode()
    assert FULL not in body and not AccessLog.objects.exists()
    body = client.post(url, {"reason": "Đối chiếu danh sách hỗ trợ"}).content.decode()
    assert FULL in body
    log = AccessLog.objects.get()
    assert log.action == "reveal" and "vi thi mai" in log.subject


def test_viewer_cannot_reveal(client: Client, world, users) -> None:
    client.force_login(users.viewer)
    r = client.post(reverse("households:persons"), {"reason": "Tôi cần xem số"})
    assert r.status_code == 403
    r = client.post(reverse("households:person-reveal", args=[world.head.pk]), {"reason": "Tôi cần xem số"})
    assert r.status_code == 403
    assert not AccessLog.objects.exists()


def test_person_record_behind_a_reason(client: Client, world, users) -> None:
    client.force_login(users.commune)
    url = reverse("households:person", args=[world.head.pk])
    body = client.get(url).content.decode()
    assert 'data-testid="reason-form"' in body and 'data-testid="person-record"' not in body
    r = client.post(url, {"reason": "Xác minh hộ nghèo 2018"})
    assert r.status_code == 302
    log = AccessLog.objects.get()
    assert (log.action, log.reason, log.user) == ("view", "Xác minh hộ nghèo 2018", users.commune)
    body = client.get(url).content.decode()
    assert 'data-testid="person-record"' in body and MASKED in body and FULL not in body
    client.post(reverse("households:person-reveal", args=[world.head.pk]), {"reason": "Đối chiếu CCCD"})
    assert FULL in client.get(url).content.decode()
    assert list(AccessLog.objects.order_by("pk").values_list("action", flat=True)) == ["view", "reveal"]


def test_viewer_opens_a_record_but_sees_a_masked_id(client: Client, world, users) -> None:
    client.force_login(users.viewer)
    url = reverse("households:person", args=[world.head.pk])
    client.post(url, {"reason": "Kiểm tra số liệu"})
    body = client.get(url).content.decode()
    assert 'data-testid="person-record"' in body and MASKED in body and FULL not in body
    assert 'data-testid="reveal-form"' not in body and 'data-testid="person-export"' not in body


def test_out_of_area_person_is_404(client: Client, world, users) -> None:
    client.force_login(users.commune)
    r = client.post(reverse("households:person", args=[world.other_head.pk]), {"reason": "Thử phạm vi"})
    assert r.status_code == 404 and not AccessLog.objects.exists()


def test_list_export_is_logged_and_masked_unless_asked(client: Client, world, users) -> None:
    client.force_login(users.officer)
    url = reverse("households:persons-export") + "?q=mai"
    r = client.post(url, {"reason": "Gửi danh sách cho xã"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    values = cells(r.content)
    assert "Vi Thị Mai" in values and MASKED in values and FULL not in values
    assert AccessLog.objects.get().action == "export"
    r = client.post(url, {"reason": "Đối chiếu với công an xã", "include_ids": "on"})
    assert FULL in cells(r.content)
    assert sorted(AccessLog.objects.values_list("action", flat=True)) == ["export", "export", "reveal"]


def test_viewer_exports_aggregates_only(client: Client, world, users) -> None:
    client.force_login(users.viewer)
    r = client.post(reverse("households:persons-export"), {"reason": "Báo cáo định kỳ"})
    assert r.status_code == 403
    r = client.get(reverse("households:aggregates"))
    assert r.status_code == 200
    values = cells(r.content)
    assert "Vi Thị Mai" not in values and FULL not in values and MASKED not in values
    assert "Nùng" in values
    r = client.post(reverse("households:person-export", args=[world.head.pk]), {"reason": "Yêu cầu của dân"})
    assert r.status_code == 403


def test_access_request_export_of_one_person(client: Client, world, users) -> None:
    client.force_login(users.commune)
    r = client.post(
        reverse("households:person-export", args=[world.head.pk]),
        {"reason": "Yêu cầu truy cập của bà Mai", "format": "xlsx"},
    )
    assert r.status_code == 200
    assert FULL in cells(r.content)
    assert AccessLog.objects.get().action == "export"


def test_household_forms(client: Client, world, users) -> None:
    client.force_login(users.commune)
    r = client.post(
        reverse("households:household-create"), {"code": "", "village": world.village.pk, "address": "Nà Pàn"}
    )
    hh = Household.objects.exclude(pk__in=[world.household.pk, world.other_household.pk]).get()
    assert r.status_code == 302 and hh.code.startswith(f"{world.village.pk}-")
    r = client.post(
        reverse("households:member-create", args=[hh.pk]),
        {
            "full_name": "Hoàng Thị Hoa",
            "sex": "F",
            "birth_date": "05/03/1990",
            "ethnic_group": world.tay.pk,
            "id_number": "020190000555",
            "relation": "head",
        },
    )
    assert r.status_code == 302
    p = Person.objects.get(household=hh)
    assert p.birth_date.isoformat() == "1990-03-05" and p.birth_year == 1990
    r = client.post(
        reverse("households:member-create", args=[hh.pk]),
        {
            "full_name": "Hoàng Văn An",
            "sex": "M",
            "birth_year": "1988",
            "ethnic_group": world.tay.pk,
            "id_number": "020290000556",
            "relation": "spouse",
        },
    )
    assert (
        r.status_code == 200 and "1988" in r.content.decode()
    )  # bad CCCD: the form comes back with the error
    r = client.post(reverse("households:poverty", args=[hh.pk]), {"year": 2024, "status": "near_poor"})
    assert r.status_code == 302 and hh.poverty.get().status == "near_poor"
    r = client.post(
        reverse("households:support-create", args=[hh.pk]),
        {
            "component": world.production.pk,
            "year": 2024,
            "kind": "livestock",
            "quantity": "2",
            "measure": "con",
            "value_vnd": "6000000",
        },
    )
    assert r.status_code == 302 and SupportRecord.objects.get(household=hh).value_vnd == 6_000_000
    body = client.get(reverse("households:household", args=[hh.pk])).content.decode()
    assert "6.000.000 đồng" in body and "Hộ cận nghèo" in body
    # the year of a new classification starts at this year
    assert f'name="year" value="{dt.date.today().year}"' in body
    body = client.get(reverse("households:support-create", args=[hh.pk])).content.decode()
    assert f'name="year" value="{dt.date.today().year}"' in body


def test_person_edit_with_a_stale_version(client: Client, world, users) -> None:
    client.force_login(users.commune)
    client.post(reverse("households:person", args=[world.head.pk]), {"reason": "Đính chính theo đơn"})
    url = reverse("households:person-edit", args=[world.head.pk])
    data = {
        "full_name": "Vi Thị Mai",
        "sex": "F",
        "birth_year": "1986",
        "ethnic_group": world.nung.pk,
        "id_number": FULL,
        "relation": "head",
        "version": "1",
    }
    assert client.post(url, {**data, "full_name": "Vi Thị Mài"}).status_code == 302
    r = client.post(url, data)
    assert r.status_code == 200 and "Someone else changed" in r.content.decode()


def test_duplicates_page_merge_and_keep_apart(client: Client, world, users) -> None:
    twin = person(world.household, "Vi Thi Mai", "F", 1986, world.nung, "sibling")
    other = person(world.household, "Hoang Van Nam", "M", 2010, world.nung, "sibling")
    client.force_login(users.commune)
    body = client.get(reverse("households:duplicates")).content.decode()
    assert body.count('data-testid="dup-pair"') == 2 and FULL not in body
    decide = reverse("households:duplicates-decide")
    client.post(decide, {"a": world.head.pk, "b": twin.pk, "decision": "apart"})
    client.post(decide, {"a": world.child.pk, "b": other.pk, "decision": "merge", "keep": "a"})
    assert set(PersonMerge.objects.values_list("decision", flat=True)) == {"kept_apart", "merged"}
    other.refresh_from_db()
    assert other.merged_into_id == world.child.pk
    assert 'data-testid="dup-pair"' not in client.get(reverse("households:duplicates")).content.decode()

    # the merged record offers to undo the merge (after the reason asked for opening a record)
    page = reverse("households:person", args=[other.pk])
    client.post(page, {"reason": "Kiểm tra hồ sơ gộp nhầm"})
    assert 'data-testid="unmerge"' in client.get(page).content.decode()
    client.post(reverse("households:person-unmerge", args=[other.pk]))
    other.refresh_from_db()
    assert other.merged_into_id is None and PersonMerge.objects.filter(decision="merged").count() == 0
    assert 'data-testid="unmerge"' not in client.get(page).content.decode()


def test_report_page_and_downloads(client: Client, world, users) -> None:
    SupportRecord.objects.create(
        household=world.household,
        component=world.production,
        year=2018,
        kind="livestock",
        value_vnd=5_000_000,
    )
    client.force_login(users.viewer)
    r = client.get(reverse("households:report"), {"year": 2018})
    body = r.content.decode()
    assert 'data-testid="program-30A"' in body and "5.000.000 đồng" in body
    # opened from the menu, without a year: the last year with support, downloads included
    body = client.get(reverse("households:report")).content.decode()
    assert 'data-testid="program-30A"' in body and "5.000.000 đồng" in body
    assert 'href="?year=2018&amp;format=xlsx"' in body
    r = client.get(reverse("households:report"), {"year": 2018, "format": "xlsx"})
    assert r.status_code == 200 and 5_000_000 in [
        c.value for row in openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows() for c in row
    ]
    r = client.get(reverse("households:report"), {"year": 2018, "format": "json"})
    assert r.json()["programs"][0]["households"] == 1
