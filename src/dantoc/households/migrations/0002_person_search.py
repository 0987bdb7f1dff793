# Person search: one head per household, and a word-prefix index on the folded name.
#
# PostgreSQL: a GIN index on households_name_prefixes(name_folded), a tsvector of every word's prefixes
# (built in, no extension needed).
# SQLite: an FTS5 table over the view households_person_search (folded name + the household's village as a
# token), kept in step by triggers. The SQL lives in dantoc.households.search, which also restores the
# triggers after any later migration that remakes the tables (post_migrate).

from django.db import migrations, models


def forward(apps, schema_editor):
    from dantoc.households import search

    search.ensure_index(schema_editor.connection, rebuild=True)


def backward(apps, schema_editor):
    from dantoc.households import search

    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "sqlite":
            for sql in search.SQLITE_DROP:
                cursor.execute(sql)
        elif schema_editor.connection.vendor == "postgresql":
            for sql in search.POSTGRES_DROP:
                cursor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('geo', '0003_classification_types'),
        ('households', '0001_initial'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='person',
            constraint=models.UniqueConstraint(condition=models.Q(('merged_into__isnull', True), ('relation', 'head')), fields=('household',), name='person_one_head_per_household'),
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
