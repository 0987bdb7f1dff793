"""`dantoc import KIND FILE [--dry-run] [--format json] [--errors-out FILE] [--user USERNAME]`.

Prints {"rows", "created", "updated", "unchanged", "errors": [{"row", "column", "message"}]}.
Exit status: 0 imported (or a clean dry run), 1 rejected with nothing written, 2 usage error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dantoc.core.imports import registry
from dantoc.core.imports.base import SystemActor
from dantoc.core.imports.engine import run_import
from dantoc.core.imports.export import error_workbook
from dantoc.core.imports.reading import SUPPORTED_EXTENSIONS

USAGE = 2
REJECTED = 1


class Command(BaseCommand):
    help = "Nhập dữ liệu từ bảng tính (xlsx, xls, ods, csv). / Import a spreadsheet (xlsx, xls, ods, csv)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "kind", help="import kind, e.g. villages, units, classifications, unit-statistics"
        )
        parser.add_argument("file", help="the spreadsheet to import")
        parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
        parser.add_argument("--format", choices=("json", "text"), default="text", dest="output_format")
        parser.add_argument(
            "--errors-out", metavar="FILE", help="write the error workbook (xlsx) here on errors"
        )
        parser.add_argument("--user", metavar="USERNAME", help="act as this user (their role and area)")
        parser.add_argument(
            "--option",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="an input the kind takes with the file, e.g. on=2025-07-01",
        )
        parser.add_argument("--sheet", help="the sheet to read (default: the first with the right columns)")

    def handle(self, *args: Any, **opts: Any) -> None:
        slug = opts["kind"]
        try:
            kind = registry.get(slug)
        except registry.UnknownKind:
            known = ", ".join(k.slug for k in registry.all_kinds())
            raise CommandError(f"unknown import kind {slug!r}; known: {known}", returncode=USAGE) from None
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}", returncode=USAGE)
        if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
            raise CommandError(
                f"unsupported file type {path.suffix!r}; use xlsx, xls, ods or csv", returncode=USAGE
            )
        user: Any = SystemActor()
        if opts.get("user"):
            model = get_user_model()
            try:
                user = model.objects.select_related("scope").get(username=opts["user"])
            except model.DoesNotExist:
                raise CommandError(f"no such user: {opts['user']}", returncode=USAGE) from None
        options: dict[str, str] = {}
        for item in opts["option"]:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise CommandError(f"--option wants KEY=VALUE, got {item!r}", returncode=USAGE)
            options[key.strip()] = value.strip()

        result = run_import(
            kind, path, user=user, filename=path.name, dry_run=opts["dry_run"], options=options
        )
        if opts["output_format"] == "json":
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        else:
            self._text(result, opts["dry_run"])
        if result.errors and opts.get("errors_out") and result.layout.get("header_rows"):
            Path(opts["errors_out"]).write_bytes(error_workbook(path, result, filename=path.name))
        if result.errors:
            raise CommandError(
                f"rejected: {len(result.errors)} error(s), nothing written", returncode=REJECTED
            )

    def _text(self, result: Any, dry_run: bool) -> None:
        head = "dry run" if dry_run else "imported" if result.ok else "rejected"
        self.stdout.write(
            f"{head}: {result.rows} rows, {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {len(result.errors)} errors"
        )
        for error in result.errors:
            where = f"row {error['row']}" if error["row"] else "file"
            column = f" [{error['column']}]" if error["column"] else ""
            self.stdout.write(f"  {where}{column}: {error['message']}")
        for notice in result.notices:
            self.stdout.write(f"  note: {notice['message']}")
