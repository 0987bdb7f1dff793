"""Fewer indexes on persons: every one is paid for on each row an import writes.

The household index is the first column of `person_household_cover`, the composite name index repeats
the name index, the second ethnic-group index repeats the foreign key's, and birth years are never
searched alone; only the few merged persons are indexed by the person they were merged into. The field
indexes are dropped by name instead of altering the fields, which on
SQLite would copy the whole table (and trip over the search view built on it)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0003_report_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="person",
            name="households__name_fo_b16ffa_idx",
        ),
        migrations.RemoveIndex(
            model_name="person",
            name="households__ethnic__0d608f_idx",
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="person",
                    name="birth_year",
                    field=models.PositiveSmallIntegerField(verbose_name="năm sinh"),
                ),
                migrations.AlterField(
                    model_name="person",
                    name="merged_into",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="households.person",
                        verbose_name="đã gộp vào",
                    ),
                ),
                migrations.AlterField(
                    model_name="person",
                    name="household",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="members",
                        to="households.household",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS households_person_birth_year_8550278d",
                    "CREATE INDEX households_person_birth_year_8550278d ON households_person (birth_year)",
                ),
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS households_person_merged_into_id_32950ef3",
                    "CREATE INDEX households_person_merged_into_id_32950ef3 ON households_person (merged_into_id)",
                ),
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS households_person_household_id_c0781c3f",
                    "CREATE INDEX households_person_household_id_c0781c3f ON households_person (household_id)",
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(("merged_into__isnull", False)), fields=["merged_into"], name="person_merged_into"
            ),
        ),
    ]
