"""Personal-data rules in one place: who may see full ID numbers, reasons, and access-log subjects.

- ID numbers are masked (`•••••••••456`) everywhere by default.
- A full number is shown only when the user may (officers, leaders and admins with an area; never
  viewers) AND asks, giving a reason (AccessLog "reveal").
- Opening a person's full record needs a reason (AccessLog "view").
- Every export holding personal data needs a reason (AccessLog "export"); viewers export aggregates only.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from dantoc.core.scoping import user_scope_prefix
from dantoc.households.ids import mask_id_number

REASON_MIN = 5
REASON_MAX = 500


def may_reveal(user: Any) -> bool:
    """May this user see full ID numbers (when they ask and give a reason)?"""
    return bool(getattr(user, "can_see_personal_data", False)) and user_scope_prefix(user) is not None


def may_export_personal(user: Any) -> bool:
    return may_reveal(user)


def ensure_may_reveal(user: Any) -> None:
    if not may_reveal(user):
        raise PermissionDenied(
            _("Vai trò của bạn không được xem số định danh đầy đủ. / Your role may not see full ID numbers.")
        )


def ensure_may_export_personal(user: Any) -> None:
    if not may_export_personal(user):
        raise PermissionDenied(
            _(
                "Vai trò của bạn chỉ được xuất số liệu tổng hợp, không có dữ liệu cá nhân. "
                "/ Your role may export aggregate figures only, no personal data."
            )
        )


def clean_reason(reason: str | None, field: str = "reason") -> str:
    text = " ".join((reason or "").split())
    if len(text) < REASON_MIN:
        raise ValidationError(
            {
                field: [
                    _(
                        "Hãy nêu lý do (ít nhất %(n)s ký tự); lý do được ghi vào nhật ký truy cập. "
                        "/ State a reason (at least %(n)s characters); it is written to the "
                        "access log."
                    )
                    % {"n": REASON_MIN}
                ]
            }
        )
    return text[:REASON_MAX]


def shown_id(value: str | None, revealed: bool) -> str:
    return (value or "") if revealed else mask_id_number(value)


def person_subject(person: Any) -> str:
    """Access-log subject of one person: "person:<id> <name>" (search the log by the prefix)."""
    return f"person:{person.pk} {person.full_name}"


def person_subject_prefix(pk: int) -> str:
    return f"person:{pk} "


def list_subject(filters: dict[str, Any], count: int | None = None) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in filters.items() if v not in (None, "", False))
    text = f"persons list [{shown}]"
    if count is not None:
        text += f" ({count})"
    return text
