"""On SQLite, the trigram index a search by name or postcode reads (care/search_index.py): the folded key of every
delivery, kept by triggers on the delivery table. PostgreSQL has its own since 0005 and gets nothing here."""

from django.db import migrations

from care import search_index


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        search_index.install(schema_editor.connection)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        search_index.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0006_kpi_days"),
        ("scheduling", "0007_delivery_running_late_eta"),
    ]

    operations = [migrations.RunPython(create, drop)]
