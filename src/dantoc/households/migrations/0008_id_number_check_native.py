"""The ID-number format check without a regular expression (`digits` and `length`, core.lookups): SQLite
ran the regex in Python for every person written. On SQLite the table is rebuilt, so the search index
built on it is dropped first and rebuilt after the migration (search.ensure_index, post_migrate)."""

from typing import Any

from django.db import migrations, models

import dantoc.core.lookups  # noqa: F401  (registers the lookups the constraint uses)


def drop_sqlite_search(apps: Any, schema_editor: Any) -> None:
    from dantoc.households import search

    if schema_editor.connection.vendor == "sqlite":
        for sql in search.SQLITE_DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("geo", "0003_classification_types"),
        ("households", "0007_person_name_no_pattern_index"),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_search, drop_sqlite_search),
        migrations.RemoveConstraint(
            model_name="person",
            name="person_id_number_format",
        ),
        migrations.AddConstraint(
            model_name="person",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("id_number", ""),
                    models.Q(("id_number__digits", True), ("id_number__length__in", [9, 12])),
                    _connector="OR",
                ),
                name="person_id_number_format",
            ),
        ),
    ]
