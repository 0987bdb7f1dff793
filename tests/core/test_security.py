from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


def test_pages_carry_a_csp_without_inline_script(client: Client) -> None:
    r = client.get("/accounts/login/")
    assert r.status_code == 200
    csp = r["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "<script>" not in r.content.decode()
    assert "Đăng nhập" in r.content.decode()


def test_production_settings_hash_with_argon2() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "dantoc.settings", "DANTOC_SECRET_KEY": "x" * 60},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_repeated_failed_logins_lock_the_account(client: Client, users, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post("/accounts/login/", {"username": "tinh", "password": "wrong"})
    r = client.post("/accounts/login/", {"username": "tinh", "password": "dantoc-test-pw"})
    assert r.status_code == 429
    assert "Tài khoản tạm khoá" in r.content.decode()


def test_admin_must_set_up_two_factor_outside_the_demo(client: Client, users) -> None:
    client.force_login(users.admin)
    r = client.get("/")
    assert r.status_code == 302 and r["Location"].endswith("/accounts/2fa/setup/")
    page = client.get("/accounts/2fa/setup/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=users.admin, confirmed=False)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    r = client.post("/accounts/2fa/setup/", {"token": f"{code:06d}"})
    assert r.status_code == 200 and 'data-testid="recovery-codes"' in r.content.decode()
    assert client.get("/").status_code == 200


def test_admin_in_the_demo_is_not_forced(client: Client, users, settings_demo) -> None:
    client.force_login(users.admin)
    assert client.get("/").status_code == 200


def test_a_user_with_a_device_must_verify_it(client: Client, users) -> None:
    device = TOTPDevice.objects.create(user=users.officer, name="t", confirmed=True)
    client.force_login(users.officer)
    r = client.get("/")
    assert r.status_code == 302 and "/accounts/2fa/verify/" in r["Location"]
    bad = client.post("/accounts/2fa/verify/", {"token": "000000"})
    assert bad.status_code == 200 and "Mã không đúng" in bad.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows down guessing after a failure
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    ok = client.post("/accounts/2fa/verify/?next=/", {"token": f"{code:06d}"})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200


def _set_up(client: Client, user) -> list[str]:
    client.force_login(user)
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    page = client.post("/accounts/2fa/setup/", {"token": f"{code:06d}"})
    assert page.status_code == 200
    return re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page.content.decode())


def test_recovery_codes_are_shown_once_and_each_works_once(users) -> None:
    codes = _set_up(Client(), users.officer)
    assert len(codes) == 10 and len(set(codes)) == 10
    other = Client()
    other.force_login(users.officer)
    assert "/accounts/2fa/verify/" in other.get("/")["Location"]
    r = other.post("/accounts/2fa/verify/?next=/", {"token": codes[0].upper()})
    assert r.status_code == 302 and other.get("/").status_code == 200
    third = Client()
    third.force_login(users.officer)
    r = third.post("/accounts/2fa/verify/", {"token": codes[0]})
    assert r.status_code == 200 and "Mã không đúng" in r.content.decode()  # used up
    # new codes (only once signed in with the second factor) replace the old ones
    page = other.post("/accounts/2fa/codes/")
    fresh = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page.content.decode())
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    StaticDevice.objects.filter(user=users.officer).update(throttling_failure_count=0)
    fourth = Client()
    fourth.force_login(users.officer)
    assert fourth.post("/accounts/2fa/verify/", {"token": codes[1]}).status_code == 200  # old code: refused
    assert fourth.post("/accounts/2fa/codes/").status_code == 302  # not verified: no new codes


def test_the_device_cannot_be_replaced_without_the_second_factor(client: Client, users) -> None:
    TOTPDevice.objects.create(user=users.officer, name="t", confirmed=True)
    client.force_login(users.officer)  # password only
    r = client.get("/accounts/2fa/setup/")
    assert r.status_code == 302 and "/accounts/2fa/verify/" in r["Location"]
    assert not TOTPDevice.objects.filter(user=users.officer, confirmed=False).exists()


def test_officer_without_device_is_not_forced(client: Client, users) -> None:
    client.force_login(users.officer)
    assert client.get("/").status_code == 200


def test_check_deploy_is_clean_on_a_production_configuration(tmp_path) -> None:
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith("DANTOC_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
        },
        "DJANGO_SETTINGS_MODULE": "dantoc.settings",
        "DANTOC_SECRET_KEY": "k" * 64 + "-production-like-secret-0123456789",
        "DANTOC_DEBUG": "0",
        "DANTOC_ALLOWED_HOSTS": "dantoc.langson.gov.vn",
        "DANTOC_VAR_DIR": str(tmp_path),
    }
    r = subprocess.run(
        [sys.executable, "-m", "dantoc.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no issues" in r.stdout
