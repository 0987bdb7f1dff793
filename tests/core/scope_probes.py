"""Scope probes for core routes (see tests/core/test_endpoints.py)."""

from typing import Any


def _other_history(tree: Any) -> dict[str, Any]:
    return {"model": "geo.adminunit", "pk": str(tree.ba_son.pk)}


PROBES = {"core:history": _other_history}
# The restore route names an audit entry; the view checks the entry's record against the area itself.
UNSCOPED = {"core:restore"}
