"""`dantoc geo load [--province CODE | --all]`: real administrative units from vietnam-provinces."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from dantoc.geo.loader import DEFAULT_PROVINCE, LoadError, load

MAX_WARNINGS = 10  # shown without --verbosity 2


class Command(BaseCommand):
    help = "Administrative units: `geo load [--province CODE | --all]`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        loader = sub.add_parser(
            "load", help=_("Nạp đơn vị hành chính từ gói vietnam-provinces (trước và sau 01/07/2025)")
        )
        group = loader.add_mutually_exclusive_group()
        group.add_argument(
            "--province",
            type=int,
            action="append",
            metavar="CODE",
            help=_("mã tỉnh, thành phố (có thể lặp lại; mặc định %(code)s, Lạng Sơn)")
            % {"code": DEFAULT_PROVINCE},
        )
        group.add_argument("--all", action="store_true", help=_("cả nước (34 tỉnh, thành phố mới và 63 cũ)"))

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "load":
            self._load(opts)

    def _load(self, opts: dict[str, Any]) -> None:
        started = time.perf_counter()
        try:
            result = load(opts.get("province"), all_provinces=bool(opts.get("all")))
        except LoadError as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.perf_counter() - started
        verbosity = int(opts.get("verbosity", 1))
        self.stdout.write(
            _("Tỉnh, thành phố (mã hiện hành): %(codes)s") % {"codes": ", ".join(map(str, result.provinces))}
        )
        self.stdout.write(
            _(
                "Đơn vị hành chính: %(created)d tạo mới, %(updated)d cập nhật, %(unchanged)d không đổi; "
                "thay đổi: %(changes)d, quan hệ kế thừa: %(edges)d tạo mới (%(seconds).1f giây)."
            )
            % {
                "created": result.units_created,
                "updated": result.units_updated,
                "unchanged": result.units_unchanged,
                "changes": result.changes_created,
                "edges": result.edges_created,
                "seconds": seconds,
            }
        )
        if not result.changed:
            self.stdout.write(_("Dữ liệu đã đầy đủ, không có gì thay đổi."))
        if result.warnings:
            self.stdout.write(
                self.style.WARNING(_("%(n)d cảnh báo về dữ liệu nguồn:") % {"n": len(result.warnings)})
            )
            shown = result.warnings if verbosity >= 2 else result.warnings[:MAX_WARNINGS]
            for line in shown:
                self.stdout.write(f"  - {line}")
            if len(shown) < len(result.warnings):
                self.stdout.write(_("  … (dùng --verbosity 2 để xem tất cả)"))
