"""Migrate, load the demo data into a new database, print the demo accounts and serve."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from dantoc.core.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, database_is_empty


class Command(BaseCommand):
    help = "Migrate, load demo data when the database is new, and serve."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if database_is_empty():
            self.stdout.write("Loading demo data (first run)…")
            call_command("load_demo")
        self.stdout.write(f"\nDemo accounts (password: {DEMO_PASSWORD}):")
        for username, role, scope in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<9} {role:<8} {scope}")
        self.stdout.write("")
        call_command("serve", host=opts["host"], port=opts["port"])
