from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dantoc.accounts.models import Role, User
from dantoc.accounts.services import create_user
from dantoc.geo.models import AdminUnit


class Command(BaseCommand):
    help = "Create a user with a role and an area scope."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--scope", help="official code of the unit (default: the whole system, admins only)"
        )
        parser.add_argument("--scope-id", type=int, help="id of the unit, when its code is ambiguous")
        parser.add_argument("--password", help="prompted when omitted")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        if User.objects.filter(username=opts["username"]).exists():
            raise CommandError(f"Tên đăng nhập đã có / Username taken: {opts['username']}")
        scope = None
        if opts["scope_id"]:
            scope = AdminUnit.objects.filter(pk=opts["scope_id"]).first()
        elif opts["scope"]:
            found = list(AdminUnit.objects.filter(code=opts["scope"]).order_by("-valid_from")[:2])
            if len(found) > 1:
                raise CommandError(
                    "Mã đơn vị trùng giữa các thời kỳ, dùng --scope-id / Code is ambiguous, use --scope-id"
                )
            scope = found[0] if found else None
        if (opts["scope"] or opts["scope_id"]) and scope is None:
            raise CommandError("Không tìm thấy đơn vị / Unit not found")
        if scope is None and opts["role"] != Role.ADMIN:
            raise CommandError("Người dùng không phải quản trị cần --scope / Non-admin users need --scope")
        password = opts["password"] or getpass.getpass("Password: ")
        user = create_user(
            username=opts["username"],
            password=password,
            role=opts["role"],
            scope=scope,
            full_name=opts["full_name"],
            email=opts["email"],
        )
        self.stdout.write(f"created {user.username} ({user.role})")
