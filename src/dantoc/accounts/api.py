from __future__ import annotations

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Schema

from dantoc.accounts import services
from dantoc.accounts.models import User

router = Router(tags=["accounts"])


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str


class ErrorOut(Schema):
    detail: str


class ScopeOut(Schema):
    id: int | None
    code: str
    name: str
    level: str


class MeOut(Schema):
    username: str
    full_name: str
    role: str
    scope: ScopeOut | None


@router.post("/auth/token", auth=None, response={200: TokenOut, 401: ErrorOut})
def obtain_token(request: HttpRequest, payload: TokenIn) -> tuple[int, dict[str, str]]:
    """Exchange a username and password for a bearer token (lock-out rules apply)."""
    try:
        user = authenticate(request, username=payload.username, password=payload.password)
    except PermissionDenied:
        user = None
    if not isinstance(user, User) or not user.is_active:
        return 401, {"detail": "Sai tên đăng nhập hoặc mật khẩu. / Wrong username or password."}
    return 200, {"token": services.issue_token(user)}


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, object]:
    user = request.auth  # type: ignore[attr-defined]
    scope = user.scope
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "scope": {"id": scope.pk, "code": scope.code, "name": scope.full_name, "level": scope.level}
        if scope
        else None,
    }
