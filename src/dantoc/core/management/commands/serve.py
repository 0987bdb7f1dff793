"""Serve the application with gunicorn; whitenoise serves the static files."""

from __future__ import annotations

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve with gunicorn (static files served by the app)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("DANTOC_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("DANTOC_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("DANTOC_WORKERS", "0")))
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        from gunicorn.app.base import BaseApplication

        from dantoc.wsgi import application

        workers = opts["workers"] or min(4, (os.cpu_count() or 1) * 2 + 1)
        options = {
            "bind": f"{opts['host']}:{opts['port']}",
            "workers": workers,
            "threads": 4,
            "worker_class": "gthread",
            "timeout": 120,
            "accesslog": "-",
            "forwarded_allow_ips": os.environ.get("DANTOC_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        }

        class App(BaseApplication):
            def load_config(self) -> None:
                for key, value in options.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        self.stdout.write(f"dantoc: http://{opts['host']}:{opts['port']}/")
        App().run()
