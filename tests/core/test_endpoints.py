"""Every endpoint is either explicitly public or login-protected and scoped — a new one cannot forget it.

The test walks every URL pattern and every API operation. For each it checks the declared access,
requests it anonymously, and — for endpoints that take an object id — requests it as the officer of
one commune with the id of an object outside that commune, which must not be served.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from dantoc.accounts.services import issue_token
from dantoc.api import PUBLIC_OPERATIONS, api

pytestmark = pytest.mark.django_db

API_PREFIX = "api/v1/"
# API schema and docs are public by design.
PUBLIC_API_PATHS = {"openapi.json", "docs"}


def walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


def html_routes() -> list[tuple[str, URLPattern]]:
    return [(route, p) for route, p in walk(get_resolver().url_patterns) if not route.startswith(API_PREFIX)]


def api_operations() -> list[tuple[str, str, Any]]:
    ops = []
    for router in api._get_bound_routers():
        prefix = router.prefix
        for path, path_view in router.path_operations.items():
            full = re.sub(r"/+", "/", f"/{prefix}/{path}").rstrip("/") or "/"
            for op in path_view.operations:
                for method in op.methods:
                    ops.append((method, full, op))
    return ops


def access_of(callback: Callable[..., Any]) -> str | None:
    seen = callback
    for _ in range(6):
        access = getattr(seen, "dantoc_access", None)
        if access:
            return str(access)
        seen = getattr(seen, "__wrapped__", None) or getattr(seen, "view_class", None)
        if seen is None:
            break
    return None


# For routes with parameters: each app's `tests/<app>/scope_probes.py` maps a route name to a factory of
# arguments naming an object OUTSIDE the `xa` user's commune (`PROBES`), and lists the routes whose
# parameters name global reference data or no object at all (`UNSCOPED`).
def _load_probes() -> tuple[dict[str, Callable[[Any], dict[str, Any]]], set[str]]:
    probes: dict[str, Callable[[Any], dict[str, Any]]] = {}
    unscoped: set[str] = set()
    for path in sorted(Path(__file__).resolve().parents[1].glob("*/scope_probes.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.scope_probes")
        probes.update(getattr(module, "PROBES", {}))
        unscoped |= set(getattr(module, "UNSCOPED", set()))
    return probes, unscoped


SCOPE_PROBES, PARAM_ROUTES_WITHOUT_OBJECT = _load_probes()


def test_every_html_route_declares_its_access() -> None:
    missing = [
        route for route, p in html_routes() if access_of(p.callback) not in {"public", "scoped", "admin"}
    ]
    assert not missing, f"routes without @public_view/@scoped_view/@admin_view: {missing}"


def test_every_api_operation_authenticates() -> None:
    ops = api_operations()
    assert ops, "no API operation found"
    unauth = [
        (m, path) for m, path, op in ops if not op.auth_callbacks and (m, path) not in PUBLIC_OPERATIONS
    ]
    assert not unauth, f"API operations without authentication: {unauth}"


def _fill(route: str, values: dict[str, Any]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(2)
        return str(values.get(name, 1 if m.group(1) in ("int", None) else "x"))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: sub(m), route).lstrip("^").rstrip("$")


def _qualified_names() -> dict[int, str]:
    names: dict[int, str] = {}

    def visit(patterns: list[Any], ns: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                visit(p.url_patterns, f"{ns}{p.namespace}:" if p.namespace else ns)
            elif p.name:
                names[id(p)] = ns + p.name

    visit(get_resolver().url_patterns, "")
    return names


def test_anonymous_requests_are_refused(client: Client, tree) -> None:
    names = _qualified_names()
    for route, p in html_routes():
        access = access_of(p.callback)
        url = _fill(route, {"pk": tree.province.pk, "model": "geo.adminunit", "entry_id": 1})
        response = client.get(url)
        if access == "public":
            assert response.status_code in (200, 302, 405), (url, response.status_code)
        else:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], (
                names.get(id(p)),
                url,
                response.status_code,
            )
    for method, path, _op in api_operations():
        if (method, path) in PUBLIC_OPERATIONS:
            continue
        url = "/api/v1" + re.sub(r"\{(\w+)\}", "1", path)
        response = client.generic(method, url, "{}", content_type="application/json")
        assert response.status_code == 401, (method, url, response.status_code)
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200


def test_out_of_scope_objects_are_not_served(client: Client, tree, users) -> None:
    names = _qualified_names()
    client.force_login(users.commune)
    unprobed = []
    for route, p in html_routes():
        if "<" not in route or access_of(p.callback) == "public":
            continue
        name = names.get(id(p), route)
        if name in PARAM_ROUTES_WITHOUT_OBJECT:
            continue
        probe = SCOPE_PROBES.get(name)
        if probe is None:
            unprobed.append(name)
            continue
        url = _fill(route, probe(tree))
        assert client.get(url).status_code in (403, 404), (name, url)
    assert not unprobed, f"add a scope probe for: {unprobed}"

    token = issue_token(users.commune)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for method, path, _op in api_operations():
        if method != "GET" or "{" not in path:
            continue
        url = "/api/v1" + re.sub(r"\{(\w+)\}", str(tree.ba_son.pk), path)
        assert client.get(url, **auth).status_code in (403, 404), url


def test_the_check_catches_an_unmarked_view() -> None:
    def bare_view(request: Any) -> None:
        return None

    assert access_of(bare_view) is None
