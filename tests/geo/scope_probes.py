"""Scope probes for geo routes (see tests/core/test_endpoints.py)."""

from typing import Any


def _other_unit(tree: Any) -> dict[str, Any]:
    return {"pk": tree.ba_son.pk}


PROBES = {
    "geo:detail": _other_unit,
    "geo:children": _other_unit,
    "geo:edit": _other_unit,
    "geo:picked": _other_unit,
}
UNSCOPED: set[str] = set()
