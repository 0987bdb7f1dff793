"""Scope probes for core routes (see tests/core/test_endpoints.py)."""

from typing import Any

from dantoc.accounts.models import Role, User


def _other_history(tree: Any) -> dict[str, Any]:
    return {"model": "geo.adminunit", "pk": str(tree.ba_son.pk)}


def _other_job(tree: Any) -> dict[str, Any]:
    """An import job of another user (officer of Cao Lộc): the `xa` officer must not see it."""
    from dantoc.core.imports.models import ImportJob

    owner, _ = User.objects.get_or_create(
        username="probe-caoloc", defaults={"role": Role.OFFICER, "scope": tree.xa_cao_loc}
    )
    job = ImportJob.objects.create(user=owner, kind="villages", file="imports/x.xlsx", original_name="x.xlsx")
    return {"pk": job.pk}


PROBES = {
    "core:history": _other_history,
    "imports:job": _other_job,
    "imports:job-status": _other_job,
    "imports:job-errors": _other_job,
}
# The restore route names an audit entry; the view checks the entry's record against the area itself.
# Import templates and upload pages name a kind of data, not a record.
UNSCOPED = {"core:restore", "imports:template", "imports:upload"}
