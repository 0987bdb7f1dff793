"""`dantoc report program-summary --year Y [--unit ID] [--structure historical|current]
--format json|xlsx|html [-o FILE] [--user USERNAME] [--as-of YYYY-MM-DD]`."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from django.utils.translation import gettext as _

from dantoc.households.management.commands import report_households as households_report
from dantoc.reports import render, selectors
from dantoc.reports.program_summary import STRUCTURES, program_summary


def _date(value: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


class Command(BaseCommand):
    help = (
        "Reports: `report program-summary --year Y [--unit ID] [--structure historical|current] --format F`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="name", required=True)
        ps = sub.add_parser("program-summary", help=_("Tổng hợp thực hiện các chương trình trong một năm"))
        ps.add_argument("--year", type=int, required=True, help=_("năm kế hoạch"))
        ps.add_argument("--unit", type=int, help=_("mã số (id) đơn vị: chỉ lấy đơn vị này và cấp dưới"))
        ps.add_argument(
            "--structure",
            choices=STRUCTURES,
            default="historical",
            help=_("cơ cấu đơn vị: historical (của năm báo cáo) hoặc current (hiện nay)"),
        )
        ps.add_argument("--format", choices=("json", "xlsx", "html"), default="json")
        ps.add_argument("-o", "--output", help=_("ghi ra tệp (mặc định: màn hình)"))
        ps.add_argument("--user", help=_("chạy với quyền của người dùng này (mặc định: toàn hệ thống)"))
        ps.add_argument("--as-of", type=_date, help=_("số liệu giải ngân tính đến ngày (mặc định: hôm nay)"))
        hs = sub.add_parser(
            "households-support", help=_("Hộ gia đình và nhân khẩu được hỗ trợ trong một năm")
        )
        households_report.add_arguments(hs)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["name"] == "households-support":
            content, _type, _name = households_report.run(opts)
            households_report.write(self, content, opts.get("output"))
            return
        try:
            user = selectors.report_user(opts.get("user"))
        except LookupError as exc:
            raise CommandError(
                _("Không có người dùng %(name)s. / No such user.") % {"name": exc.args[0]}
            ) from exc
        try:
            unit = selectors.resolve_unit(user, opts.get("unit"))
        except Http404 as exc:
            raise CommandError(str(exc)) from exc
        report = program_summary(
            user, opts["year"], unit=unit, structure=opts["structure"], on=opts.get("as_of")
        )
        fmt = opts["format"]
        output = opts.get("output")
        if fmt == "xlsx":
            data = render.to_xlsx(report, preparer=getattr(user, "full_name", "") or "")
            if output:
                Path(output).write_bytes(data)
            elif sys.stdout.isatty():
                raise CommandError(_("Tệp xlsx cần -o TỆP. / An xlsx report needs -o FILE."))
            else:
                self.stdout.flush()
                sys.stdout.buffer.write(data)
            return
        text = render.to_json(report) if fmt == "json" else render.to_html(report)
        if output:
            Path(output).write_text(text + "\n", encoding="utf-8")
        else:
            self.stdout.write(text)
