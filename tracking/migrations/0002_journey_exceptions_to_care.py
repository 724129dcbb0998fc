"""The exception queue is care's now: tracking forgets the model, the table stays (care renames it)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0001_initial"),
        ("care", "0001_journey_exceptions_from_tracking"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="JourneyException")],
            database_operations=[],
        ),
    ]
