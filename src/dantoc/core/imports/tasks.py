"""Background imports: a Django task runs one ImportJob and records its progress and result."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from dantoc.core.imports.engine import ImportResult, run_import
from dantoc.core.imports.export import error_workbook
from dantoc.core.imports.models import ImportJob

log = logging.getLogger(__name__)

MAX_STORED_ERRORS = 2000
# Share of the bar for each phase: (start, end) in per cent.
PHASES = {"read": (2, 60), "prepare": (60, 75), "plan": (75, 85), "write": (85, 99), "batch": (2, 99)}


class ProgressRecorder:
    """Writes the job's progress at most every half second and only when the percentage moves."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.last = -1
        self.last_at = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        start, end = PHASES.get(phase, (0, 99))
        pct = start + (end - start) * (min(done, total) / total if total else 1)
        value = int(pct)
        now = time.monotonic()
        if value <= self.last or (now - self.last_at < 0.5 and value < end):
            return
        self.last, self.last_at = value, now
        ImportJob.objects.filter(pk=self.job_id).update(progress=value, phase=phase)


def _source(job: ImportJob) -> Any:
    """A local path when the storage has one (calamine reads it directly), else the file's bytes."""
    try:
        path = Path(job.file.path)
    except NotImplementedError:
        path = None
    if path is not None and path.is_file():
        return path
    with job.file.open("rb") as f:
        return f.read()


def execute(job: ImportJob) -> ImportResult:
    """Run `job` now (the task body; also usable from a shell)."""
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), progress=1, phase="read"
    )
    source = _source(job)
    result = run_import(
        job.kind,
        source,
        user=job.user,
        filename=job.original_name,
        dry_run=job.dry_run,
        options=job.options or {},
        progress=ProgressRecorder(job.pk),
    )
    job.refresh_from_db()
    if result.errors and result.layout.get("header_rows"):
        data = error_workbook(source, result, filename=job.original_name)
        stem = Path(job.original_name).stem[:80] or "import"
        job.error_file.save(f"{stem}-loi.xlsx", ContentFile(data), save=False)
    job.result = result.summary(max_errors=MAX_STORED_ERRORS)
    if result.errors:
        job.status = ImportJob.Status.REJECTED
    else:
        job.status = ImportJob.Status.CHECKED if job.dry_run else ImportJob.Status.DONE
    job.progress = 100
    job.phase = ""
    job.finished_at = timezone.now()
    job.save()
    return result


@task()
def run_import_job(job_id: int) -> dict[str, Any]:
    job = ImportJob.objects.select_related("user", "user__scope").get(pk=job_id)
    try:
        result = execute(job)
    except Exception:
        log.exception("import job %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED,
            finished_at=timezone.now(),
            progress=100,
            result={
                "rows": 0,
                "created": 0,
                "updated": 0,
                "unchanged": 0,
                "errors_total": 1,
                "errors": [
                    {
                        "row": None,
                        "column": None,
                        "message": _(
                            "Lỗi hệ thống khi nhập, không có gì thay đổi. Hãy báo quản trị. / "
                            "The import failed on our side and nothing was written. Please tell the administrator."
                        ),
                    }
                ],
            },
        )
        raise
    return result.as_dict() | {"errors": result.errors[:100]}
