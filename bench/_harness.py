"""Shared by the benchmarks: scratch PostgreSQL databases and Django set-up in a child process."""

from __future__ import annotations

import os
from pathlib import Path


def _pg(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def create_postgres(url: str, name: str) -> str:
    """A fresh database `name` on the server of `url`; returns its URL."""
    import psycopg

    with psycopg.connect(_pg(url), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return f"{url.rsplit('/', 1)[0]}/{name}"


def drop_postgres(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_pg(url), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def django_setup(url: str, workdir: Path) -> None:
    os.environ["DANTOC_DATABASE_URL"] = url
    os.environ.setdefault("DANTOC_SECRET_KEY", "bench-secret-key-not-for-production-0123456789")
    os.environ.setdefault("DANTOC_VAR_DIR", str(workdir))
    os.environ["DJANGO_SETTINGS_MODULE"] = "dantoc.settings"
    import django

    django.setup()
