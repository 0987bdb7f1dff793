"""Scope probes for works routes (see tests/core/test_endpoints.py): objects at Ba Sơn, outside `xa`'s commune."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dantoc.programs.models import Program
from dantoc.works.models import ProgressUpdate, Work


def _work(tree: Any) -> Work:
    program, _ = Program.objects.get_or_create(
        code="P135", defaults={"name": "Chương trình 135", "start_year": 2016}
    )
    return Work.objects.create(
        code=f"PROBE-{Work.objects.count() + 1}",
        name="Đường Ba Sơn",
        name_folded="duong ba son",
        kind="road",
        program=program,
        year=2018,
        unit=tree.ba_son,
        total_investment_vnd=1,
    )


def _other_work(tree: Any) -> dict[str, Any]:
    return {"pk": _work(tree).pk}


def _other_progress(tree: Any) -> dict[str, Any]:
    update = ProgressUpdate.objects.create(work=_work(tree), date=dt.date(2018, 5, 1), percent=10)
    return {"pk": update.pk}


PROBES = {
    "works:detail": _other_work,
    "works:edit": _other_work,
    "works:status": _other_work,
    "works:progress": _other_work,
    "works:payment": _other_work,
    "works:attachment": _other_progress,
}
UNSCOPED: set[str] = set()
