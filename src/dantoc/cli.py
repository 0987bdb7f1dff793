"""The `dantoc` command: a thin front door to Django's management commands."""

from __future__ import annotations

import os
import sys

HELP = """dantoc — hệ thống thông tin công tác dân tộc / ethnic-affairs information system

Usage: dantoc COMMAND [options]

Commands:
  run [--host H] [--port P]   migrate, load the demo data if the database is empty, print the demo
                              accounts and serve (default http://127.0.0.1:8000)
  serve [--host H] [--port P] [--workers N]
                              serve with gunicorn; static files are served by the app itself
  worker                      run background tasks (imports, reports, alerts)
  migrate                     create or update the database schema
  load-demo [--force]         load the demo data (refuses a non-empty database without --force)
  createuser USERNAME --role ROLE [--scope CODE] [--password P]
                              create a user (roles: admin, leader, officer, viewer)
  token USERNAME              print a new API token for a user
  geo load [--province CODE | --all]
                              load administrative units from the vietnam-provinces package
  import KIND FILE [--dry-run] [--format json] [--errors-out FILE]
                              import a spreadsheet
  report program-summary --year Y [--unit ID] [--structure historical|current]
         --format json|xlsx|html [-o FILE] [--user U]
  report households-support --year Y [--unit ID] [--structure historical|current]
         --format json|xlsx|html [-o FILE] [--user U]
                              write a report
  check [--deploy]            Django's system checks

Any other command is passed to Django's management commands (e.g. `dantoc shell -c "…"`,
`dantoc makemigrations`). Settings come from DANTOC_* environment variables (see README).
"""

ALIASES = {"load-demo": "load_demo", "worker": "db_worker"}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(HELP)
        return
    if args[0] == "run":
        # Local use on the loopback interface: plain HTTP, so cookies cannot be "secure only".
        os.environ.setdefault("DANTOC_INSECURE_HTTP", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dantoc.settings")
    from django.core.management import execute_from_command_line

    command = ALIASES.get(args[0], args[0])
    execute_from_command_line(["dantoc", command, *args[1:]])


if __name__ == "__main__":
    main()
