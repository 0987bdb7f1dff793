"""Seed the programme catalogue and the funding sources (data in `dantoc.programs.catalogue`)."""

from typing import Any

from django.db import migrations


def seed(apps: Any, schema_editor: Any) -> None:
    from dantoc.programs.catalogue import ensure_catalogue

    ensure_catalogue(apps)


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
