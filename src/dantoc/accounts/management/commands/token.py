from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dantoc.accounts.models import User
from dantoc.accounts.services import issue_token


class Command(BaseCommand):
    help = "Print a new API token for a user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"Không có người dùng / No such user: {opts['username']}")
        self.stdout.write(issue_token(user))
