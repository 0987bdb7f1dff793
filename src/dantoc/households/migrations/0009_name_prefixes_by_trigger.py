"""PostgreSQL: `name_prefixes` becomes a plain column kept by triggers instead of a generated one, so that a
bulk insert can bring the value computed in Python (search.prefixes) instead of the database calling the
PL/pgSQL function for every person. Stored values stay as they are: the function gives the same."""

from typing import Any

from django.db import migrations


def forward(apps: Any, schema_editor: Any) -> None:
    from dantoc.households import search

    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE households_person ALTER COLUMN {search.PG_COLUMN} DROP EXPRESSION IF EXISTS")
        for sql in search.POSTGRES_TRIGGERS:
            cursor.execute(sql)


def backward(apps: Any, schema_editor: Any) -> None:
    from dantoc.households import search

    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for sql in search.POSTGRES_DROP[:4]:  # the index, the triggers and their function
            cursor.execute(sql)
        cursor.execute(f"ALTER TABLE households_person DROP COLUMN {search.PG_COLUMN}")
        cursor.execute(
            f"ALTER TABLE households_person ADD COLUMN {search.PG_COLUMN} tsvector "
            f"GENERATED ALWAYS AS ({search.PG_FUNCTION}(name_folded)) STORED"
        )
        cursor.execute(search.POSTGRES_INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0008_id_number_check_native"),
    ]

    operations = [migrations.RunPython(forward, backward)]
