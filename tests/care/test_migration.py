"""Care took the exception queue over from tracking: the migration moves the rows, it never drops them."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from care.models import JourneyException
from tests.factories import DeliveryFactory

BEFORE = [("tracking", "0001_initial"), ("care", None)]


def migrate(targets):
    """Apply or unapply migrations up to `targets`; the historical models of the nodes reached."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([node for node in targets if node[1] is not None]).apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_exceptions_opened_under_tracking_are_on_cares_queue_after_the_migration():
    delivery = DeliveryFactory()
    old_apps = migrate(BEFORE)
    assert "care_journeyexception" not in connection.introspection.table_names()
    OldException = old_apps.get_model("tracking", "JourneyException")
    opened = dt.datetime(2026, 6, 2, 15, 0, tzinfo=dt.UTC)
    kept = [
        OldException.objects.create(delivery_id=delivery.pk, code="failed_attempt", message="Nobody home.",
                                    opened_at=opened, due_at=opened + dt.timedelta(hours=2)),
        OldException.objects.create(delivery_id=delivery.pk, code="unknown_carrier_code", message="X42",
                                    state="resolved", opened_at=opened, due_at=opened, resolved_at=opened,
                                    resolution="mapped"),
    ]
    ContentType.objects.get_or_create(app_label="tracking", model="journeyexception")
    ContentType.objects.filter(app_label="care", model="journeyexception").delete()

    migrate(latest())

    moved = {row.pk: row for row in JourneyException.objects.all()}
    assert set(moved) == {row.pk for row in kept}
    assert (moved[kept[1].pk].code, moved[kept[1].pk].state, moved[kept[1].pk].resolution) == (
        "unknown_carrier_code", "resolved", "mapped")
    assert moved[kept[0].pk].delivery_id == delivery.pk
    assert "tracking_journeyexception" not in connection.introspection.table_names()
    assert ContentType.objects.filter(app_label="care", model="journeyexception").exists()
    assert not ContentType.objects.filter(app_label="tracking", model="journeyexception").exists()
    # A new exception takes the next id, after the rows it inherited.
    new = JourneyException.objects.create(delivery=delivery, code="customer_contact", message="Called",
                                          opened_at=opened, due_at=opened)
    assert new.pk > max(moved)


@pytest.mark.django_db(transaction=True)
def test_live_per_parcel_scan_out_exceptions_make_way_for_one_per_van():
    delivery = DeliveryFactory()
    old_apps = migrate([("care", "0007_sqlite_search_index")])
    OldException = old_apps.get_model("care", "JourneyException")
    opened = dt.datetime(2026, 6, 2, 8, 30, tzinfo=dt.UTC)
    per_parcel = OldException.objects.create(delivery_id=delivery.pk, code="no_scan_out", rule="no_scan_out",
                                             message="Not scanned out by 08:30.", opened_at=opened, due_at=opened)
    other = OldException.objects.create(delivery_id=delivery.pk, code="failed_attempt", rule="failed_attempt",
                                        message="Nobody home.", opened_at=opened, due_at=opened)

    migrate(latest())

    closed = JourneyException.objects.get(pk=per_parcel.pk)
    assert closed.state == "resolved" and closed.resolved_at is not None
    assert closed.resolution.startswith("Closed automatically: replaced by one exception per van")
    assert JourneyException.objects.get(pk=other.pk).state == "open"
