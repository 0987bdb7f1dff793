"""Import pages and the background task: upload, progress, result, error workbook, templates, access."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, include, path

import dantoc.urls
from dantoc.core.imports import urls as import_urls
from dantoc.core.imports.models import ImportJob
from dantoc.core.imports.tasks import ProgressRecorder, execute
from dantoc.geo.models import AdminUnit, Level
from tests.core.test_imports_support import read_back, xlsx

# The lead includes the import URLs at /imports/; until then this module is the URLconf of its tests.
urlpatterns = [path("imports/", include("dantoc.core.imports.urls")), *dantoc.urls.urlpatterns]
pytestmark = pytest.mark.urls(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

GOOD = [["UBND TỈNH LẠNG SƠN"], ["Xã", "Thôn, bản"], ["Xã Lộc Bình", "Thôn Mới"]]
BAD = [["UBND TỈNH LẠNG SƠN"], ["Xã", "Thôn, bản"], ["Xã Lộc Bình", "Thôn Mới"], ["Xã Cao Lộc", "Thôn Lạ"]]


def upload(
    client: Any, rows: list[list[Any]], dry_run: bool = False, kind: str = "villages", **options: str
) -> Any:
    data: dict[str, Any] = {"file": SimpleUploadedFile("thon.xlsx", xlsx(rows), content_type=XLSX)}
    if dry_run:
        data["dry_run"] = "on"
    data.update({f"opt_{k}": v for k, v in options.items()})
    return client.post(f"/imports/{kind}/", data)


def test_every_import_view_is_scoped() -> None:
    for pattern in import_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        assert getattr(pattern.callback, "dantoc_access", None) == "scoped", pattern.name


def test_anonymous_users_go_to_the_login_page(client: Any, db: Any) -> None:
    response = client.get("/imports/")
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_read_only_roles_are_refused(client: Any, users: Any) -> None:
    client.force_login(users.viewer)
    assert client.get("/imports/").status_code == 403
    assert client.get("/imports/villages/").status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert not ImportJob.objects.exists()


def test_index_lists_the_kinds_and_their_templates(client: Any, users: Any) -> None:
    client.force_login(users.officer)
    response = client.get("/imports/")
    assert response.status_code == 200
    html = response.content.decode()
    for slug in ("villages", "classifications", "unit-statistics"):
        assert f'data-testid="kind-{slug}"' in html
    assert 'data-testid="kind-units"' not in html  # structure changes are for administrators
    assert client.get("/imports/units/").status_code == 403
    template = client.get("/imports/templates/villages.xlsx")
    assert template.status_code == 200 and template["Content-Type"] == XLSX
    assert "attachment" in template["Content-Disposition"]
    assert read_back(template.content)[0][:3] == ["Xã", "Huyện", "Thôn, bản"]
    assert client.get("/imports/nosuchkind/").status_code == 404


def test_upload_page_documents_the_columns(client: Any, users: Any) -> None:
    client.force_login(users.officer)
    html = client.get("/imports/villages/").content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert "Tên thôn, bản" in html  # an alias
    assert 'name="opt_on"' in html  # the kind's option
    assert "<script" not in html.split("</head>")[1]  # no inline script (CSP)


def test_upload_runs_the_task_and_shows_the_result(client: Any, users: Any, tree: Any) -> None:
    client.force_login(users.commune)
    response = upload(client, GOOD)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/jobs/{job.pk}/"
    assert job.status == ImportJob.Status.DONE and job.progress == 100 and job.user == users.commune
    assert job.result["created"] == 1 and job.result["errors"] == []
    assert AdminUnit.objects.filter(level=Level.VILLAGE, name="Mới", parent=tree.xa_loc_binh).exists()
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-status="done"' in html and "hx-get" not in html  # finished: no more polling
    assert '<progress max="100" value="100"' in html


def test_dry_run_writes_nothing(client: Any, users: Any, tree: Any) -> None:
    client.force_login(users.officer)
    upload(client, GOOD, dry_run=True)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.CHECKED and job.result["created"] == 1
    assert not AdminUnit.objects.filter(name="Mới").exists()


def test_rejected_upload_lists_row_errors_and_gives_back_the_workbook(
    client: Any, users: Any, tree: Any
) -> None:
    client.force_login(users.commune)
    upload(client, BAD)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REJECTED
    assert [e["row"] for e in job.result["errors"]] == [4]
    assert not AdminUnit.objects.filter(name="Mới").exists()
    html = client.get(f"/imports/jobs/{job.pk}/").content.decode()
    assert 'data-testid="errors"' in html and "ngoài phạm vi" in html
    assert f"/imports/jobs/{job.pk}/errors.xlsx" in html
    workbook = client.get(f"/imports/jobs/{job.pk}/errors.xlsx")
    assert workbook.status_code == 200 and workbook["Content-Type"] == XLSX
    sheet = read_back(workbook.content)
    assert sheet[1][2] == "Lỗi / Errors" and "ngoài phạm vi" in sheet[3][2]


def test_the_status_partial_polls_until_the_job_ends(client: Any, users: Any) -> None:
    client.force_login(users.officer)
    job = ImportJob(user=users.officer, kind="villages", original_name="thon.xlsx", progress=40, phase="read")
    job.file.save("thon.xlsx", ContentFile(xlsx(GOOD)), save=True)
    partial = client.get(f"/imports/jobs/{job.pk}/status/", headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in html
    assert f'hx-get="/imports/jobs/{job.pk}/status/"' in html and 'hx-trigger="every 1s"' in html
    assert '<progress max="100" value="40"' in html


def test_a_finished_job_shows_the_notices_of_its_kind(client: Any, users: Any) -> None:
    client.force_login(users.officer)
    job = ImportJob(user=users.officer, kind="households", original_name="nk.xlsx", progress=100)
    job.status = ImportJob.Status.DONE
    job.result = {
        "rows": 3,
        "created": 3,
        "notices": [
            {"message": "Cặp người có thể là một: 1.", "route": "households:duplicates", "query": "unit=7",
             "label": "Hồ sơ có thể trùng"},
            {"message": "Chỉ một lời nhắn."},
        ],
    }  # fmt: skip
    job.file.save("nk.xlsx", ContentFile(xlsx(GOOD)), save=True)
    html = client.get(f"/imports/jobs/{job.pk}/status/", headers={"HX-Request": "true"}).content.decode()
    assert html.count('data-testid="notice"') == 2
    assert 'href="/households/duplicates/?unit=7">Hồ sơ có thể trùng</a>' in html


def test_other_users_cannot_see_a_job(client: Any, users: Any, tree: Any) -> None:
    client.force_login(users.commune)
    upload(client, BAD)
    job = ImportJob.objects.get()
    client.force_login(users.district)
    assert client.get(f"/imports/jobs/{job.pk}/").status_code == 404
    assert client.get(f"/imports/jobs/{job.pk}/errors.xlsx").status_code == 404
    assert client.get(f"/imports/jobs/{job.pk}/status/").status_code == 404


def test_options_given_with_the_file(client: Any, users: Any, tree: Any) -> None:
    client.force_login(users.officer)
    rows = [["Xã", "Thôn"], ["Đồng Bục", "Thôn Cũ"]]
    upload(client, rows, on="2024-01-01")
    job = ImportJob.objects.get()
    assert job.options == {"on": "2024-01-01"} and job.status == ImportJob.Status.DONE, job.result
    assert AdminUnit.objects.filter(name="Cũ", parent=tree.dong_buc).exists()


def test_the_task_body_records_progress(users: Any, tree: Any) -> None:
    job = ImportJob(user=users.officer, kind="villages", original_name="thon.xlsx")
    job.file.save("thon.xlsx", ContentFile(xlsx(GOOD)), save=True)
    recorder = ProgressRecorder(job.pk)
    recorder("read", 50, 100)
    job.refresh_from_db()
    assert job.progress == 31 and job.phase == "read"  # halfway through reading (2 % → 60 %)
    result = execute(job)
    job.refresh_from_db()
    assert result.created == 1 and job.status == ImportJob.Status.DONE and job.finished_at is not None
