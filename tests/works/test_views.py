"""Works pages: list with filters and paging, create and edit (with a refused stale save), the work's page
with its status, progress and payment forms, attachments, scope."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dantoc.works import services
from dantoc.works.models import Disbursement, ProgressUpdate, Work, WorkStatus

from .conftest import make_work

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(client: Client, users) -> Client:
    client.force_login(users.officer)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def form_data(work: Work, **changes) -> dict[str, str]:
    data = {
        "program": str(work.program_id), "component": str(work.component_id or ""), "year": str(work.year),
        "unit": str(work.unit_id), "village": "", "code": work.code, "name": work.name, "kind": work.kind,
        "investor": work.investor, "total_investment_vnd": str(work.total_investment_vnd), "planned_start": "",
        "planned_completion": "", "version": str(work.version), "owner": str(work.owner_id or ""),
        "plan_lines": [str(pk) for pk in work.plan_lines.values_list("pk", flat=True)],
    }  # fmt: skip
    data.update(changes)
    return data


# --- list --------------------------------------------------------------------------------------------------


def test_list_filters_search_and_grouped_amounts(officer, cat, tree, users) -> None:
    o = users.officer
    road = make_work(o, cat, tree.dong_buc, name="Đường Nà Pàn", total_investment_vnd=1_234_567_000)
    make_work(o, cat, tree.ba_son, name="Cầu treo Bản Chắt", kind="bridge")
    services.record_disbursement(
        o, work=road, date=dt.date(2018, 6, 1), amount_vnd=617_283_500, source=cat.central
    )
    r = officer.get(reverse("works:list"))
    assert r.status_code == 200
    page = text(r)
    assert "1.234.567.000" in page and "617.283.500" in page and "50 %" in page
    assert "2 công trình" in page
    r = officer.get(reverse("works:list"), {"q": "duong na pan"})
    assert "Đường Nà Pàn" in text(r) and "Cầu treo" not in text(r)
    r = officer.get(
        reverse("works:list"), {"unit": tree.cao_loc.pk, "kind": "bridge", "program": "P135", "year": 2018}
    )
    assert "Cầu treo" in text(r) and "Đường Nà Pàn" not in text(r)


def test_list_pages_and_htmx_partial(officer, cat, tree, users) -> None:
    for i in range(55):
        make_work(users.officer, cat, tree.dong_buc, name=f"Đường số {i}")
    r = officer.get(reverse("works:list"))
    assert text(r).count('data-testid="work-row"') == 50 and "Trang 1/2" in text(r)
    r = officer.get(reverse("works:list"), {"page": 2}, HTTP_HX_REQUEST="true")
    body = text(r)
    assert body.count('data-testid="work-row"') == 5 and "<html" not in body and 'id="work-results"' in body


def test_list_is_scoped(client, cat, tree, users) -> None:
    make_work(users.officer, cat, tree.ba_son, name="Cầu treo Bản Chắt", kind="bridge")
    client.force_login(users.commune)
    r = client.get(reverse("works:list"))
    assert r.status_code == 200 and "Cầu treo" not in text(r) and "0 công trình" in text(r)
    assert 'data-testid="work-create"' in text(r)
    client.force_login(users.viewer)
    assert 'data-testid="work-create"' not in text(client.get(reverse("works:list")))


# --- create and edit -----------------------------------------------------------------------------------------


def test_create_form(officer, cat, tree) -> None:
    r = officer.get(reverse("works:create"))
    assert r.status_code == 200 and 'data-testid="work-form"' in text(r)
    data = {
        "program": cat.p135.pk, "year": "2018", "unit": tree.dong_buc.pk, "name": "Kênh mương Khòn Pịt",
        "kind": "irrigation", "total_investment_vnd": "1.500.000.000", "planned_start": "2018-03-01",
    }  # fmt: skip
    r = officer.post(reverse("works:create"), data)
    work = Work.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("works:detail", args=[work.pk])
    assert work.total_investment_vnd == 1_500_000_000 and work.code == "CT-2018-0001"
    assert work.planned_start == dt.date(2018, 3, 1)


def test_create_form_shows_service_errors_on_fields(officer, cat, tree) -> None:
    data = {"program": cat.p135.pk, "year": "2018", "unit": tree.xa_loc_binh.pk, "name": "X", "kind": "road",
            "total_investment_vnd": "1.000"}  # fmt: skip
    r = officer.post(reverse("works:create"), data)
    assert r.status_code == 422 and "did not exist in 2018" in text(r)
    r = officer.post(
        reverse("works:create"), {**data, "unit": tree.dong_buc.pk, "total_investment_vnd": "1,5"}
    )
    assert r.status_code == 422 and "Enter whole đồng" in text(r)
    assert not Work.objects.exists()


def test_village_options(officer, tree) -> None:
    r = officer.get(reverse("works:village-options"), {"unit": tree.xa_loc_binh.pk})
    assert "Thôn Nà Pàn" in text(r)


def test_edit_links_plan_lines(officer, work, cat) -> None:
    r = officer.get(reverse("works:edit", args=[work.pk]))
    assert r.status_code == 200 and "100/QĐ-UBND" in text(r)
    r = officer.post(
        reverse("works:edit", args=[work.pk]), form_data(work, name="Đường Nà Pàn (sửa)", plan_lines=[])
    )
    assert r.status_code == 302
    fresh = Work.objects.get(pk=work.pk)
    assert fresh.name == "Đường Nà Pàn (sửa)" and not fresh.plan_lines.exists()


def test_a_stale_save_is_refused_and_keeps_what_the_user_typed(officer, work, users) -> None:
    seen = form_data(work)  # the user opens the form
    services.update_work(
        users.district, work, {"investor": "Ban QLDA huyện Lộc Bình"}, work.version
    )  # someone else
    r = officer.post(reverse("works:edit", args=[work.pk]), {**seen, "name": "Tên tôi vừa gõ"})
    page = text(r)
    assert r.status_code == 409
    assert "Someone else changed this record" in page and 'data-testid="conflict"' in page
    assert 'value="Tên tôi vừa gõ"' in page and "Ban QLDA huyện Lộc Bình" in page
    stored = Work.objects.get(pk=work.pk)
    assert stored.name == "Đường vào bản Nà Pàn" and stored.investor == "Ban QLDA huyện Lộc Bình"
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version and int(version.group(1)) == stored.version
    # saving again, knowingly, applies what the user typed
    r = officer.post(
        reverse("works:edit", args=[work.pk]), {**seen, "name": "Tên tôi vừa gõ", "version": version.group(1)}
    )
    assert r.status_code == 302
    assert Work.objects.get(pk=work.pk).name == "Tên tôi vừa gõ"


# --- the work's page -------------------------------------------------------------------------------------------


def test_detail_shows_figures(officer, work, cat, users) -> None:
    services.record_disbursement(users.officer, work=work, date=dt.date(2018, 11, 20), amount_vnd=500_000_000,
                                 source=cat.central)  # fmt: skip
    r = officer.get(reverse("works:detail", args=[work.pk]))
    page = text(r)
    assert r.status_code == 200
    assert re.search(r'data-testid="work-disbursed">500\.000\.000 đồng<', page)
    assert re.search(r'data-testid="work-rate">25 %<', page)
    assert re.search(r'data-testid="work-investment-rate">50 %<', page)
    assert 'data-testid="work-status">Đề xuất<' in page and "2018" in page and "2.018" not in page


def test_status_form(officer, work) -> None:
    url = reverse("works:status", args=[work.pk])
    r = officer.post(
        url, {"status": "approved", "date": "2018-02-01", "note": "QĐ phê duyệt", "version": work.version}
    )
    assert r.status_code == 302 and Work.objects.get(pk=work.pk).status == WorkStatus.APPROVED
    r = officer.post(url, {"status": "handed_over", "date": "2018-02-02"})
    assert r.status_code == 422 and 'id="id_status_error"' in text(r)
    assert Work.objects.get(pk=work.pk).status == WorkStatus.APPROVED
    r = officer.post(url, {"status": "under_construction", "date": "2018-03-01", "version": work.version})
    assert r.status_code == 409 and "Someone else changed" in text(r)
    assert officer.get(url).status_code == 302


def test_progress_form_with_attachment_and_download(officer, work, client, users) -> None:
    url = reverse("works:progress", args=[work.pk])
    pdf = SimpleUploadedFile("bien-ban-nghiem-thu.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    r = officer.post(url, {"date": "2018-05-01", "percent": "45", "note": "", "attachment": pdf})
    assert r.status_code == 302
    update = ProgressUpdate.objects.get()
    assert update.percent == 45
    page = text(officer.get(reverse("works:detail", args=[work.pk])))
    assert "Hoàn thành 45% khối lượng" in page and 'data-testid="attachment-link"' in page
    download = officer.get(reverse("works:attachment", args=[update.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 x"
    assert "bien-ban-nghiem-thu.pdf" in download["Content-Disposition"]
    r = officer.post(url, {"date": "2018-06-01", "percent": "30"})
    assert r.status_code == 422 and "add a note saying why" in text(r)
    client.force_login(users.commune)
    assert client.get(reverse("works:attachment", args=[update.pk])).status_code == 404


def test_payment_form(officer, work, cat) -> None:
    url = reverse("works:payment", args=[work.pk])
    r = officer.post(url, {"date": "2018-11-20", "amount_vnd": "250.000.000", "source": cat.central.pk,
                           "capital_type": "", "plan_line": cat.line.pk, "voucher_number": "UNC 15"})  # fmt: skip
    assert r.status_code == 302
    d = Disbursement.objects.get()
    assert (d.amount_vnd, d.plan_line, d.capital_type, d.voucher_number) == (
        250_000_000,
        cat.line,
        "investment",
        "UNC 15",
    )
    r = officer.post(url, {"date": "2019-02-01", "amount_vnd": "1", "source": cat.central.pk})
    assert r.status_code == 422 and "31/01/2019" in text(r)
    assert Disbursement.objects.count() == 1


def test_pages_are_scoped(client, work, users, cat) -> None:
    client.force_login(users.commune)
    for name in ("works:detail", "works:edit", "works:status", "works:progress", "works:payment"):
        assert client.get(reverse(name, args=[work.pk])).status_code == 404, name
    assert client.post(reverse("works:payment", args=[work.pk]), {}).status_code == 404


def test_viewer_cannot_write(client, work, users, cat) -> None:
    client.force_login(users.viewer)
    page = text(client.get(reverse("works:detail", args=[work.pk])))
    assert 'data-testid="payment-form"' not in page and 'data-testid="work-edit"' not in page
    r = client.post(reverse("works:payment", args=[work.pk]), {"date": "2018-11-20", "amount_vnd": "5",
                                                                "source": cat.central.pk})  # fmt: skip
    assert r.status_code == 403
    assert not Disbursement.objects.exists()
