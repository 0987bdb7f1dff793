"""`dantoc support_summary [--check]`: rebuild the support summary from the records, or only compare them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from dantoc.households import summary


class Command(BaseCommand):
    help = (
        "Dựng lại bảng tổng hợp hỗ trợ từ các bản ghi, hoặc chỉ so sánh (--check) / rebuild the support "
        "summary from the records, or only compare them (--check)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="compare only; exit 1 on any difference")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["check"]:
            summary.rebuild()
        wrong = {year: len(summary.differences(year)) for year in summary.years()}
        wrong = {year: n for year, n in wrong.items() if n}
        if wrong:
            raise CommandError(
                _("Bảng tổng hợp khác các bản ghi (năm: số dòng): %(list)s / The summary differs from the records "
                  "(year: rows): %(list)s")
                % {"list": ", ".join(f"{year}: {n}" for year, n in sorted(wrong.items()))}
            )  # fmt: skip
        self.stdout.write(
            _(
                "Bảng tổng hợp khớp các bản ghi (số năm: %(n)s). / The summary matches the records (years checked: %(n)s)."
            )
            % {"n": len(summary.years())}
        )
