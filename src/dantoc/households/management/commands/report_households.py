"""`dantoc report_households --year Y [--unit ID] [--structure historical|current] --format json|xlsx|html`
(also reached as `dantoc report households-support …`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dantoc.households import report


class Command(BaseCommand):
    help = (
        "Báo cáo kết quả hỗ trợ hộ gia đình của một năm / households and persons supported in a year "
        "(report households-support)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **opts: Any) -> None:
        content, _type, _name = run(opts)
        write(self, content, opts.get("output"))


def add_arguments(parser: Any) -> None:
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--unit", type=int, help="id of an administrative unit (default: the province)")
    parser.add_argument(
        "--structure",
        choices=report.STRUCTURES,
        help="historical: units of that year (default when the unit existed then); current: today's",
    )
    parser.add_argument("--format", choices=report.FORMATS, default="json")
    parser.add_argument("--output", "-o", help="file to write (default: standard output; xlsx needs a file)")
    parser.add_argument("--user", help="report within this user's area (default: everything)")


def run(opts: dict[str, Any]) -> tuple[bytes, str, str]:
    """Build and render the report from parsed options; CommandError on bad input."""
    from dantoc.accounts.models import User
    from dantoc.geo.models import AdminUnit

    user = None
    if opts.get("user"):
        user = User.objects.filter(username=opts["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"Không có người dùng {opts['user']} / No user {opts['user']}")
    unit = None
    if opts.get("unit"):
        unit = AdminUnit.objects.filter(pk=opts["unit"]).first()
        if unit is None:
            raise CommandError(f"Không có đơn vị #{opts['unit']} / No unit #{opts['unit']}")
    if opts.get("format") == "xlsx" and not opts.get("output"):
        raise CommandError("Định dạng xlsx cần --output FILE / The xlsx format needs --output FILE")
    try:
        data = report.build(opts["year"], unit, opts.get("structure"), user=user)
    except ValidationError as exc:
        raise CommandError("; ".join(exc.messages)) from exc
    return report.render(data, opts.get("format") or "json")


def write(command: BaseCommand, content: bytes, output: str | None) -> None:
    if output:
        with open(output, "wb") as f:
            f.write(content)
        command.stderr.write(f"→ {output}")
    else:
        command.stdout.write(content.decode())
