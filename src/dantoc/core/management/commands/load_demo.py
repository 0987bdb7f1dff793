from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dantoc.core.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, database_is_empty, load_demo


class Command(BaseCommand):
    help = "Load the demo data (synthetic records on the real administrative units)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="load into a database that already holds data"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["force"] and not database_is_empty():
            raise CommandError(
                "Cơ sở dữ liệu đã có dữ liệu; dùng --force để vẫn nạp dữ liệu mẫu. "
                "/ The database is not empty; use --force to load the demo data anyway."
            )
        load_demo()
        self.stdout.write(
            f"Demo data loaded. Accounts (password {DEMO_PASSWORD}): "
            + ", ".join(u for u, _r, _s in DEMO_ACCOUNTS)
        )
