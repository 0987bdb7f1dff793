"""How API operations report the services' exceptions (one mapping for every app)."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from dantoc.core.services import ConcurrentEditError


def validation_errors(exc: DjangoValidationError) -> list[dict[str, Any]]:
    """Domain validation errors in the shape of Ninja's own 422 (`loc`, `msg`, `type`)."""
    if hasattr(exc, "error_dict"):
        return [
            {"loc": ["body", name], "msg": msg, "type": "value_error"}
            for name, msgs in exc.message_dict.items()
            for msg in msgs
        ]
    return [{"loc": ["body"], "msg": msg, "type": "value_error"} for msg in exc.messages]


def domain_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Map the services' exceptions: 403 permission, 404 unseen object, 409 stale version, 422 invalid."""

    # Resolve string annotations in the operation's own module: Ninja reads them through the wrapper.
    with contextlib.suppress(NameError):
        func.__annotations__ = inspect.get_annotations(func, eval_str=True)

    @functools.wraps(func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(request, *args, **kwargs)
        except PermissionDenied as exc:
            return 403, {"detail": str(exc) or _("Không có quyền. / Forbidden.")}
        except Http404:
            return 404, {
                "detail": _(
                    "Không tìm thấy, hoặc nằm ngoài phạm vi của bạn. / Not found, or outside your area."
                )
            }
        except ConcurrentEditError as exc:
            return 409, {"detail": exc.messages[0]}
        except DjangoValidationError as exc:
            return 422, {"detail": validation_errors(exc)}

    return wrapper
