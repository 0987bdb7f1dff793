"""The HTTP API under /api/v1/: every operation authenticates and reads through scoped selectors."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from dantoc.accounts.api import router as accounts_router
from dantoc.core.api_auth import API_AUTH
from dantoc.geo.api import router as geo_router
from dantoc.households.api import router as households_router
from dantoc.programs.api import router as programs_router
from dantoc.reports.api import router as reports_router
from dantoc.works.api import router as works_router

api = NinjaAPI(
    title="dantoc API",
    version="1",
    description="Ethnic-affairs information system. Authenticate with `Authorization: Bearer <token>`.",
    auth=API_AUTH,
    urls_namespace="api-v1",
)

# Operations reachable without a token (the test of every endpoint checks against this list).
PUBLIC_OPERATIONS = {("POST", "/auth/token")}


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": "Chưa xác thực hoặc mã truy cập không hợp lệ. / Not authenticated or invalid token."},
        status=401,
    )


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.errors}, status=422)


api.add_router("/", accounts_router)
api.add_router("/", geo_router)
api.add_router("/", programs_router)
api.add_router("/", works_router)
api.add_router("/", reports_router)
api.add_router("/", households_router)
