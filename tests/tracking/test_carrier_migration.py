"""Carrier events received before carriers were bound keep their meaning under the new states."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import DeliveryFactory
from tracking.models import RawCarrierEvent
from tracking.services import carrier_create

BEFORE = [("tracking", "0002_journey_exceptions_to_care")]
AFTER = [("tracking", "0003_carrier_binding")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_applied_unmapped_and_unknown_parcel_events_get_their_states():
    delivery = DeliveryFactory()
    carrier = carrier_create(code="swiftpost", name="SwiftPost", format="swiftpost", raw_secret="s" * 20)
    old = migrate(BEFORE).get_model("tracking", "RawCarrierEvent")
    for external_id, mapped, delivery_id in (("SP-1", True, delivery.pk), ("SP-2", False, delivery.pk),
                                             ("SP-3", False, None)):
        old.objects.create(carrier_id=carrier.pk, delivery_id=delivery_id, external_id=external_id,
                           external_code="OFD", payload={}, mapped=mapped)

    migrate(AFTER)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    states = {raw.external_id: (raw.status, raw.reason) for raw in RawCarrierEvent.objects.all()}
    assert states == {"SP-1": ("applied", ""), "SP-2": ("unmapped", ""), "SP-3": ("quarantined", "unknown_reference")}
