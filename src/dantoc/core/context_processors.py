from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from dantoc.core import selectors
from dantoc.core.widgets import DATE_PATTERN


def site(request: HttpRequest) -> dict[str, Any]:
    return {"ORG_NAME": settings.ORG_NAME, "DEMO_DATA": selectors.demo_loaded(), "DATE_PATTERN": DATE_PATTERN}
