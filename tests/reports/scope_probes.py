"""Scope probes for report routes (see tests/core/test_endpoints.py).

The report pages take no object id in their path: the unit comes as `?unit=`, and a unit outside the
reader's area answers 404 (tests/reports/test_views.py::test_monitoring_refuses_a_unit_outside_the_area).
"""

from typing import Any

PROBES: dict[str, Any] = {}
UNSCOPED: set[str] = set()
