"""The content type's own index repeats the first column of the (content type, object, time) index; an
import writes one audit row per record, so every index counts. Dropped by name: altering the field
would copy the table on SQLite."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0002_importjob"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditentry",
                    name="content_type",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="contenttypes.contenttype",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS core_auditentry_content_type_id_797ef574",
                    "CREATE INDEX core_auditentry_content_type_id_797ef574 ON core_auditentry (content_type_id)",
                ),
            ],
        ),
    ]
