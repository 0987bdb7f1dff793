from django.db import migrations


def forwards(apps, schema_editor):
    from dantoc.geo.classification_types import ensure_classification_types

    ensure_classification_types(apps)


class Migration(migrations.Migration):
    dependencies = [("geo", "0002_ethnic_groups")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
