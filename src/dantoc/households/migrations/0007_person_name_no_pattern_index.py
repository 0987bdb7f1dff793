"""PostgreSQL: drop the pattern-ops copy of the folded-name index that Django adds to an indexed text field.

Name search uses the prefix index (`name_prefixes`, households.search) and lookups by name are exact
(`name_folded IN …`, served by the plain index), so the `LIKE` index was only paid for on every row
written. Other databases have no such index."""

from typing import Any

from django.db import migrations

INDEX = "households_person_name_folded_ef3b49c7_like"


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


def restore(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON households_person (name_folded varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0006_support_summary"),
    ]

    operations = [migrations.RunPython(drop, restore)]
