"""Import pages: the kinds and their templates, the upload form, a job's progress and result."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify

from dantoc.core.imports import registry
from dantoc.core.imports.base import ImportKind
from dantoc.core.imports.export import template_workbook
from dantoc.core.imports.forms import ImportForm
from dantoc.core.imports.models import ImportJob
from dantoc.core.imports.tasks import run_import_job
from dantoc.core.scoping import scoped_view

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ERRORS = 500


def _writer(request: HttpRequest) -> Any:
    user = request.user
    if not getattr(user, "can_write", False):
        raise PermissionDenied
    return user


def _kind(user: Any, slug: str) -> ImportKind:
    try:
        kind = registry.get(slug)
    except registry.UnknownKind:
        raise Http404 from None
    if kind.admin_only and not user.is_system_admin:
        raise PermissionDenied
    return kind


def _attachment(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    ascii_name = slugify(Path(filename).stem) or "import"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


@scoped_view
def index(request: HttpRequest) -> HttpResponse:
    user = _writer(request)
    kinds = [k for k in registry.all_kinds() if not k.admin_only or user.is_system_admin]
    jobs = ImportJob.objects.filter(user=user)[:20]
    return render(request, "imports/index.html", {"kinds": kinds, "jobs": jobs})


@scoped_view
def upload(request: HttpRequest, kind: str) -> HttpResponse:
    user = _writer(request)
    import_kind = _kind(user, kind)
    if request.method == "POST":
        form = ImportForm(import_kind, request.POST, request.FILES)
        if form.is_valid():
            upload_file = form.cleaned_data["file"]
            job = ImportJob(
                user=user,
                kind=import_kind.slug,
                original_name=Path(upload_file.name).name[:255],
                dry_run=form.cleaned_data["dry_run"],
                options=form.options(),
            )
            job.file.save(Path(upload_file.name).name, upload_file, save=False)
            job.save()
            result = run_import_job.enqueue(job.pk)
            ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
            return redirect("imports:job", pk=job.pk)
    else:
        form = ImportForm(import_kind)
    return render(request, "imports/upload.html", {"kind": import_kind, "form": form})


@scoped_view
def template(request: HttpRequest, kind: str) -> HttpResponse:
    import_kind = _kind(_writer(request), kind)
    return _attachment(template_workbook(import_kind), f"mau-nhap-{import_kind.slug}.xlsx")


def _job(request: HttpRequest, pk: int) -> ImportJob:
    job = get_object_or_404(ImportJob.objects.select_related("user"), pk=pk)
    if not job.visible_to(request.user):
        raise Http404
    return job


def _job_context(job: ImportJob) -> dict[str, Any]:
    result = job.result or {}
    try:
        label = registry.get(job.kind).label
    except registry.UnknownKind:
        label = job.kind
    return {
        "job": job,
        "result": result,
        "errors": (result.get("errors") or [])[:SHOWN_ERRORS],
        "kind_label": label,
    }


@scoped_view
def job(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "imports/job.html", _job_context(_job(request, pk)))


@scoped_view
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "imports/_job_status.html", _job_context(_job(request, pk)))


@scoped_view
def job_errors(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if not job.error_file:
        raise Http404
    with job.error_file.open("rb") as f:
        data = f.read()
    return _attachment(data, f"{Path(job.original_name).stem}-loi.xlsx")
