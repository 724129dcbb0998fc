"""Carriers bound to their parcels: the hand-over row, and a raw event's state in place of `mapped`.

Existing raw events keep what they meant: mapped ones were applied, unmapped ones on a delivery were
recorded as an unknown code, and those naming no delivery of ours were never applied — quarantined now.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q


def states_from_mapped(apps, schema_editor):
    raw = apps.get_model("tracking", "RawCarrierEvent")
    raw.objects.filter(mapped=True).update(status="applied")
    raw.objects.filter(mapped=False, delivery__isnull=False).update(status="unmapped")
    raw.objects.filter(mapped=False, delivery__isnull=True).update(status="quarantined", reason="unknown_reference")


def mapped_from_states(apps, schema_editor):
    raw = apps.get_model("tracking", "RawCarrierEvent")
    raw.objects.update(mapped=False)
    raw.objects.filter(status="applied").update(mapped=True)


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0001_initial"),
        ("tracking", "0002_journey_exceptions_to_care"),
    ]

    operations = [
        migrations.CreateModel(
            name="CarrierAssignment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("external_ref", models.CharField(blank=True, help_text="The carrier's own tracking number, if any.",
                                                  max_length=80)),
                ("handed_over_at", models.DateTimeField()),
                ("handed_over_by", models.CharField(
                    help_text="Who handed it over, e.g. 'api:<merchant>' or 'admin:<user>'.", max_length=120)),
                ("carrier", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="assignments",
                                              to="tracking.carrier")),
                ("delivery", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE,
                                                  related_name="carrier_assignment", to="scheduling.delivery")),
            ],
            options={
                "constraints": [models.UniqueConstraint(condition=Q(("external_ref", ""), _negated=True),
                                                        fields=("carrier", "external_ref"),
                                                        name="unique_carrier_external_ref")],
            },
        ),
        migrations.AddField(
            model_name="rawcarrierevent", name="reference",
            field=models.CharField(blank=True, help_text="The parcel as the carrier named it.", max_length=80),
        ),
        migrations.AddField(
            model_name="rawcarrierevent", name="reason",
            field=models.CharField(blank=True, help_text="Why it was quarantined or flagged: a code.", max_length=40),
        ),
        migrations.AddField(
            model_name="rawcarrierevent", name="status",
            field=models.CharField(choices=[("applied", "Applied"), ("unmapped", "Unmapped code"),
                                            ("quarantined", "Quarantined: not this carrier's delivery"),
                                            ("flagged", "Flagged: implausible")], default="applied", max_length=12),
            preserve_default=False,
        ),
        migrations.RunPython(states_from_mapped, mapped_from_states),
        migrations.RemoveField(model_name="rawcarrierevent", name="mapped"),
        migrations.AddIndex(
            model_name="rawcarrierevent",
            index=models.Index(fields=["status", "-received_at"], name="raw_event_status_newest"),
        ),
    ]
