"""The database refuses UPDATE and DELETE on the audit entries and checkpoints (AUD-2)."""

from django.db import migrations


def create_triggers(apps, schema_editor):
    from kluis.custody import triggers

    triggers.create(schema_editor)


def drop_triggers(apps, schema_editor):
    from kluis.custody import triggers

    triggers.drop(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("custody", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
