"""Writes on accounts: users and API tokens."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from dantoc.accounts.models import ApiToken, Role, User, hash_token
from dantoc.core import audit
from dantoc.core.models import AuditEntry
from dantoc.geo.models import AdminUnit


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str | None,
    role: str,
    scope: AdminUnit | None,
    full_name: str = "",
    email: str = "",
    actor: Any = None,
) -> User:
    user = User(username=username, role=role, scope=scope, full_name=full_name, email=email)
    if role == Role.ADMIN:
        user.is_staff = True
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    after = {"username": username, "role": role, "scope_id": scope.pk if scope else None}
    audit.record(actor, AuditEntry.Action.CREATE, user, None, after)
    return user


@transaction.atomic
def issue_token(user: User) -> str:
    """Create a token and return it in clear; only its hash is kept."""
    raw = ApiToken.generate()
    ApiToken.objects.create(user=user, key_hash=hash_token(raw), prefix=raw[:8])
    return raw


def user_for_token(raw: str) -> User | None:
    token = ApiToken.objects.select_related("user", "user__scope").filter(key_hash=hash_token(raw)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


RECOVERY_CODES = 10
RECOVERY_DEVICE = "recovery"


@transaction.atomic
def issue_recovery_codes(user: User) -> list[str]:
    """New one-time recovery codes for two-factor sign-in (the old ones stop working). Shown once: only the
    codes themselves are stored, by django-otp, and each is deleted when used."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    audit.record(user, AuditEntry.Action.CREATE, device, None, {"recovery_codes": len(codes)})
    return codes
