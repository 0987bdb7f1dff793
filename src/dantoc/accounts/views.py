"""Login, logout, password change, two-factor set-up and verification."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.i18n import set_language as django_set_language
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from dantoc.accounts import services
from dantoc.core.scoping import public_view, scoped_view

login = public_view(
    auth_views.LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True)
)
logout = public_view(auth_views.LogoutView.as_view())
password_change = scoped_view(
    auth_views.PasswordChangeView.as_view(
        template_name="accounts/password_change.html",
        success_url=reverse_lazy("accounts:password-change-done"),
    )
)
password_change_done = scoped_view(
    auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html")
)
set_language = public_view(django_set_language)


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Mã xác thực 6 số (hoặc một mã dự phòng)"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _qr_svg(data: str) -> str:
    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue().decode()


def _codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    return render(request, "accounts/2fa_codes.html", {"codes": codes})


@scoped_view
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user_has_device(user) and not user.is_verified():  # type: ignore[union-attr]
        # replacing the device of an account needs that device (or a recovery code) first
        return redirect(f"{reverse('accounts:2fa-verify')}?next={reverse('accounts:2fa-setup')}")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
        user=user, name="TOTP", confirmed=False
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            TOTPDevice.objects.filter(user=user, confirmed=True).delete()
            device.confirmed = True
            device.save()
            otp_login(request, device)
            messages.success(request, _("Đã bật xác thực hai lớp. / Two-factor authentication is on."))
            return _codes_page(request, services.issue_recovery_codes(user))  # type: ignore[arg-type]
        form.add_error("token", _("Mã không đúng hoặc đã hết hạn. / The code is wrong or has expired."))
    secret = device.bin_key.hex()
    return render(
        request,
        "accounts/2fa_setup.html",
        {
            "form": form,
            "qr": _qr_svg(device.config_url),
            "secret": secret,
            "has_confirmed": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        },
    )


@scoped_view
def two_factor_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes (POST), for a user signed in with the second factor."""
    user = request.user
    if request.method != "POST":
        return redirect("accounts:2fa-setup")
    if not user.is_verified():  # type: ignore[union-attr]
        return redirect(f"{reverse('accounts:2fa-verify')}?next={reverse('accounts:2fa-setup')}")
    return _codes_page(request, services.issue_recovery_codes(user))  # type: ignore[arg-type]


@scoped_view
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    next_url = request.GET.get("next") or request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if request.method == "POST" and form.is_valid():
        token = "".join(form.cleaned_data["token"].split()).lower()
        devices = [
            *TOTPDevice.objects.filter(user=request.user, confirmed=True),
            *StaticDevice.objects.filter(user=request.user, confirmed=True),  # recovery codes, each once
        ]
        for device in devices:
            if device.verify_token(token):
                otp_login(request, device)
                return redirect(next_url or "core:home")
        form.add_error("token", _("Mã không đúng hoặc đã hết hạn. / The code is wrong or has expired."))
    return render(request, "accounts/2fa_verify.html", {"form": form, "next": next_url})
