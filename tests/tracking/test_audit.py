"""A carrier's event or a driver's scan that changes a delivery is recorded under that carrier or device."""

import pytest
from auditlog.models import LogEntry
from rest_framework.test import APIClient

from care.models import JourneyException
from core.audit import ActorKind, audit_who
from tests.factories import DeliveryFactory, local
from tests.tracking.factories import build_route
from tracking.models import Carrier, CarrierCodeMapping
from tracking.services import carrier_create, delivery_carrier_assign

pytestmark = pytest.mark.django_db

SECRET = "carrier-shared-secret-0123456789"


@pytest.fixture
def carrier_api():
    carrier = carrier_create(code="swiftpost", name="SwiftPost", format="swiftpost", raw_secret=SECRET)
    CarrierCodeMapping.objects.create(carrier=carrier, external_code="OFD", milestone="out_for_delivery")
    client = APIClient()
    client.credentials(HTTP_X_CARRIER_SECRET=SECRET)
    return client


def handed(delivery):
    """The delivery handed to SwiftPost: only then may SwiftPost's events move it."""
    delivery_carrier_assign(delivery=delivery, carrier=Carrier.objects.get(code="swiftpost"), actor_label="test")
    return delivery


def carrier_event(delivery, code, event_id):
    return {"event_id": event_id, "tracking_ref": str(delivery.pk), "status_code": code, "status_text": code,
            "event_time": "2026-11-23T09:12:00+01:00", "lat": 48.85, "lon": 2.35}


def status_entries(delivery):
    return [e for e in LogEntry.objects.get_for_object(delivery).order_by("timestamp", "pk")
            if (e.additional_data or {}).get("event") == "delivery.status_changed"]


def test_a_carrier_moving_a_delivery_out_for_delivery_is_recorded_as_the_carrier(carrier_api):
    delivery = handed(DeliveryFactory(status="scheduled"))

    carrier_api.post("/api/v1/carriers/swiftpost/events/", carrier_event(delivery, "OFD", "SP-1"), format="json",
                     REMOTE_ADDR="198.51.100.9")

    [entry] = status_entries(delivery)
    assert audit_who(entry) == "carrier swiftpost" and entry.additional_data["actor_kind"] == ActorKind.CARRIER
    assert entry.changes_dict["status"] == ["scheduled", "out_for_delivery"]
    assert entry.remote_addr == "198.51.100.9"


def test_a_replayed_carrier_event_changes_nothing_and_records_nothing_more(carrier_api):
    delivery = handed(DeliveryFactory(status="scheduled"))

    for _ in range(2):
        carrier_api.post("/api/v1/carriers/swiftpost/events/", carrier_event(delivery, "OFD", "SP-1"), format="json")

    assert len(status_entries(delivery)) == 1


def test_the_exception_a_carriers_unknown_code_opens_is_the_carriers(carrier_api):
    delivery = handed(DeliveryFactory(status="scheduled"))

    carrier_api.post("/api/v1/carriers/swiftpost/events/", carrier_event(delivery, "ZZZ", "SP-2"), format="json")

    exception = JourneyException.objects.get(delivery=delivery)
    [opened] = LogEntry.objects.get_for_object(exception)
    assert opened.action == LogEntry.Action.CREATE and audit_who(opened) == "carrier swiftpost"


def test_a_driver_scan_is_recorded_as_the_drivers_device(monkeypatch):
    world = build_route()
    monkeypatch.setattr("core.clock.now", lambda: local(world.day, 9))
    from tests.tracking.factories import device_key_for

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {device_key_for(world.driver, 'dk_test_amelie_device')}")
    delivery = world.deliveries[0]

    response = client.post("/api/v1/scans/", {
        "client_id": "scan-1", "kind": "delivered", "job": world.stops[0].job_id,
        "recorded_at": local(world.day, 8, 20).isoformat(), "recipient_name": "Camille"}, format="json")

    assert response.status_code == 201, response.content
    [entry] = status_entries(delivery)
    assert audit_who(entry) == f"driver device of Amélie Bernardini (driver {world.driver.pk})"
    assert entry.additional_data["actor_kind"] == ActorKind.DRIVER_DEVICE
    assert entry.changes_dict["status"] == ["scheduled", "delivered"]


def test_handing_a_delivery_to_a_carrier_and_taking_it_back_are_on_its_trail_as_the_merchants_key(carrier_api):
    from merchants.services import api_key_create

    delivery = DeliveryFactory(status="scheduled")
    _key, raw = api_key_create(merchant=delivery.merchant, kind="secret")
    merchant_api = APIClient()
    merchant_api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    path = f"/api/v1/deliveries/{delivery.pk}/carrier/"

    assert merchant_api.put(path, {"carrier": "swiftpost", "tracking_number": "SP1"}, format="json").status_code == 200
    assert merchant_api.delete(path).status_code == 200

    entries = [e for e in LogEntry.objects.get_for_object(delivery).order_by("timestamp", "pk")
               if (e.additional_data or {}).get("event", "").startswith("delivery.carrier_")]
    assert [e.additional_data["summary"] for e in entries] == ["Handed to SwiftPost (SP1)",
                                                                "Taken back from SwiftPost (SP1)"]
    assert all(e.additional_data["actor_kind"] == ActorKind.API_KEY for e in entries)
