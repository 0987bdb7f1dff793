"""Two-factor enforcement: a user with a TOTP device must verify it; admins must have one (outside the demo)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from dantoc.core.selectors import demo_loaded

EXEMPT_PREFIXES = ("/static/", "/i18n/", "/api/")


def two_factor_required(user: object) -> bool:
    return bool(getattr(user, "is_system_admin", False)) and not (settings.DEMO_MODE or demo_loaded())


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(EXEMPT_PREFIXES):
            allowed = {
                reverse("accounts:2fa-verify"),
                reverse("accounts:2fa-setup"),
                reverse("accounts:logout"),
            }
            if request.path not in allowed and not user.is_verified():
                from django_otp import user_has_device

                if user_has_device(user):
                    return redirect(f"{reverse('accounts:2fa-verify')}?next={request.path}")
                if two_factor_required(user):
                    return redirect("accounts:2fa-setup")
        return self.get_response(request)
