"""Care takes over the exception queue from tracking, rows and all.

The table already exists (tracking created it): this migration first adopts it in
the migration state only, under its old name, then renames it to care's own, and
moves the content type so admin history and permissions follow the model.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def content_type_to_care(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="care", model="journeyexception").exists():
        ContentType.objects.filter(app_label="tracking", model="journeyexception").update(app_label="care")


def content_type_to_tracking(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="tracking", model="journeyexception").exists():
        ContentType.objects.filter(app_label="care", model="journeyexception").update(app_label="tracking")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("scheduling", "0002_delivery_created_at_from_clock"),
        ("tracking", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="JourneyException",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("code", models.CharField(help_text="e.g. unknown_carrier_code, window_at_risk, failed_attempt", max_length=40)),
                        ("message", models.CharField(max_length=300)),
                        ("state", models.CharField(choices=[("open", "Open"), ("assigned", "Assigned"), ("resolved", "Resolved")], default="open", max_length=10)),
                        ("opened_at", models.DateTimeField()),
                        ("due_at", models.DateTimeField()),
                        ("resolved_at", models.DateTimeField(blank=True, null=True)),
                        ("resolution", models.CharField(blank=True, max_length=300)),
                        ("delivery", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="exceptions", to="scheduling.delivery")),
                        ("owner", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "tracking_journeyexception",
                        "ordering": ["due_at"],
                        "indexes": [models.Index(fields=["state", "due_at"], name="tracking_jo_state_0a0c04_idx")],
                        "constraints": [models.CheckConstraint(condition=models.Q(models.Q(("state", "resolved"), _negated=True), ("resolved_at__isnull", False), _connector="OR"), name="resolved_exception_has_time")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="journeyexception", table=None),
        migrations.RenameIndex(model_name="journeyexception", new_name="care_exception_state_due",
                               old_name="tracking_jo_state_0a0c04_idx"),
        migrations.RunPython(content_type_to_care, content_type_to_tracking),
    ]
