"""Fixtures of the report tests: the P135/30A data set, and the browser harness's fixtures."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import browser_type_launch_args, login  # noqa: F401
from tests.reports.data import Dataset, build


@pytest.fixture
def dataset(tree: Any, users: Any) -> Dataset:
    return build(tree, users)
