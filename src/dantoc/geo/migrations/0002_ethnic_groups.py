"""Load the 54 ethnic groups (codes of Decision 1019/QĐ-TCTK, 1979 codes alongside)."""

from django.db import migrations

from dantoc.geo.ethnic import ETHNIC_GROUPS


def load_ethnic_groups(apps, schema_editor):
    EthnicGroup = apps.get_model("geo", "EthnicGroup")
    rows = [
        EthnicGroup(code=g.code, code_1979=g.code_1979, name=g.name, aliases=list(g.aliases))
        for g in ETHNIC_GROUPS
    ]
    EthnicGroup.objects.using(schema_editor.connection.alias).bulk_create(
        rows, update_conflicts=True, unique_fields=["code"], update_fields=["code_1979", "name", "aliases"]
    )


class Migration(migrations.Migration):

    dependencies = [
        ("geo", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load_ethnic_groups, migrations.RunPython.noop, elidable=False),
    ]
