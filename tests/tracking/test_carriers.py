import datetime as dt

import pytest
from rest_framework.test import APIClient

from care.models import JourneyException
from tests.factories import DeliveryFactory
from tracking.models import CarrierCodeMapping, Event, RawCarrierEvent
from tracking.services import carrier_create, delivery_carrier_assign

pytestmark = pytest.mark.django_db

SECRET = "carrier-shared-secret-0123456789"


@pytest.fixture
def swiftpost():
    carrier = carrier_create(code="swiftpost", name="SwiftPost", format="swiftpost", raw_secret=SECRET)
    CarrierCodeMapping.objects.create(carrier=carrier, external_code="OFD", milestone="out_for_delivery")
    CarrierCodeMapping.objects.create(carrier=carrier, external_code="DLV", milestone="delivered")
    return carrier


@pytest.fixture
def parcelnet():
    carrier = carrier_create(code="parcelnet", name="ParcelNet", format="parcelnet", raw_secret=SECRET)
    CarrierCodeMapping.objects.create(carrier=carrier, external_code="40", milestone="attempted", reason="")
    CarrierCodeMapping.objects.create(carrier=carrier, external_code="40-NH", milestone="attempted", reason="nobody_home")
    CarrierCodeMapping.objects.create(carrier=carrier, external_code="10", milestone="scanned_out")
    return carrier


@pytest.fixture
def carrier_api():
    client = APIClient()
    client.credentials(HTTP_X_CARRIER_SECRET=SECRET)
    return client


# Carrier events happen on the delivery's day: the factory's window is tomorrow 10:00-12:00 in Paris.
EVENT_AT = "{day}T09:12:00+01:00"


@pytest.fixture(autouse=True)
def during_the_round(clock_at):
    """Our clock at noon on the window's day, so the carriers' morning events are not in the future."""
    day = DeliveryFactory.build().window.date
    clock_at(dt.datetime.combine(day, dt.time(11, 0), tzinfo=dt.UTC))
    return day


def handed(carrier, **fields):
    """A delivery handed to `carrier`, as its merchant would do through the API."""
    delivery = DeliveryFactory(**fields)
    delivery_carrier_assign(delivery=delivery, carrier=carrier, actor_label="test")
    return delivery


def swiftpost_event(delivery, code="OFD", event_id="SP-1", at=None):
    at = at or EVENT_AT.format(day=delivery.window.date.isoformat())
    return {"event_id": event_id, "tracking_ref": str(delivery.pk), "status_code": code,
            "status_text": "Out for delivery", "event_time": at, "lat": 48.85, "lon": 2.35}


def test_a_swiftpost_code_is_mapped_to_its_canonical_milestone(swiftpost, carrier_api):
    delivery = handed(swiftpost, status="scheduled")

    response = carrier_api.post("/api/v1/carriers/swiftpost/events/", swiftpost_event(delivery), format="json")

    assert response.status_code == 202
    assert response.json()["results"] == [{"external_id": "SP-1", "external_code": "OFD", "outcome": "recorded",
                                           "milestone": "out_for_delivery", "reason": ""}]
    event = Event.objects.get(delivery=delivery)
    assert (event.milestone, event.source, event.raw.external_code) == ("out_for_delivery", "carrier", "OFD")
    delivery.refresh_from_db()
    assert delivery.status == "out_for_delivery"


def test_an_unknown_code_is_kept_raw_and_raises_an_exception_on_the_journey(swiftpost, carrier_api):
    delivery = handed(swiftpost, status="scheduled")

    response = carrier_api.post("/api/v1/carriers/swiftpost/events/", swiftpost_event(delivery, code="ZZ9"),
                                format="json")

    assert response.status_code == 202
    assert response.json()["results"][0]["outcome"] == "unmapped"
    raw = RawCarrierEvent.objects.get(external_id="SP-1")
    assert raw.status == "unmapped" and "ZZ9" in raw.problem and raw.payload["status_code"] == "ZZ9"
    exception = JourneyException.objects.get(delivery=delivery)
    assert exception.code == "unknown_carrier_code" and exception.state == "open"
    assert Event.objects.get(delivery=delivery).milestone == "exception"
    delivery.refresh_from_db()
    assert delivery.status == "scheduled"


def test_a_code_mapped_later_in_admin_is_used_for_the_next_events(swiftpost, carrier_api):
    delivery = handed(swiftpost, status="scheduled")
    carrier_api.post("/api/v1/carriers/swiftpost/events/", swiftpost_event(delivery, code="ARR"), format="json")
    CarrierCodeMapping.objects.create(carrier=swiftpost, external_code="ARR", milestone="arrived")

    carrier_api.post("/api/v1/carriers/swiftpost/events/",
                     swiftpost_event(delivery, code="ARR", event_id="SP-2"), format="json")

    assert list(Event.objects.filter(delivery=delivery).values_list("milestone", flat=True)) == ["exception", "arrived"]


def test_a_parcelnet_batch_maps_a_subcode_to_a_reason_and_orders_events_by_time(parcelnet, carrier_api):
    delivery = handed(parcelnet, status="scheduled")
    day = delivery.window.date.isoformat()
    payload = {"batch_id": "B-1", "consignments": [{
        "consignment": {"reference": str(delivery.pk), "carrier_ref": "PN1"},
        "events": [
            {"id": "E2", "code": "40", "subcode": "NH", "occurred_at": f"{day}T11:00:00+01:00"},
            {"id": "E1", "code": "10", "occurred_at": f"{day}T08:00:00+01:00", "location": {"lat": 48.9, "lng": 2.3}},
        ]}]}

    response = carrier_api.post("/api/v1/carriers/parcelnet/events/", payload, format="json")

    assert response.status_code == 202
    assert [r["external_id"] for r in response.json()["results"]] == ["E1", "E2"]
    attempt = Event.objects.get(delivery=delivery, milestone="attempted")
    assert attempt.reason == "nobody_home"
    delivery.refresh_from_db()
    assert delivery.status == "attempted"


def test_a_replayed_carrier_event_is_recorded_once(swiftpost, carrier_api):
    delivery = handed(swiftpost, status="scheduled")
    carrier_api.post("/api/v1/carriers/swiftpost/events/", swiftpost_event(delivery), format="json")

    response = carrier_api.post("/api/v1/carriers/swiftpost/events/", swiftpost_event(delivery), format="json")

    assert response.json()["results"][0]["outcome"] == "duplicate"
    assert Event.objects.filter(delivery=delivery).count() == 1
    assert RawCarrierEvent.objects.count() == 1


def test_an_event_for_an_unknown_delivery_is_refused_and_kept_raw(swiftpost, carrier_api, during_the_round):
    payload = {"event_id": "SP-9", "tracking_ref": "not-ours", "status_code": "OFD",
               "event_time": f"{during_the_round.isoformat()}T09:12:00+01:00"}

    response = carrier_api.post("/api/v1/carriers/swiftpost/events/", payload, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "delivery_not_assigned"
    raw = RawCarrierEvent.objects.get(external_id="SP-9")
    assert (raw.delivery, raw.status, raw.reason) == (None, "quarantined", "unknown_reference")


def test_a_wrong_secret_is_refused(swiftpost):
    client = APIClient()
    client.credentials(HTTP_X_CARRIER_SECRET="guess")

    response = client.post("/api/v1/carriers/swiftpost/events/", {}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_another_carriers_secret_does_not_open_this_feed(swiftpost, carrier_api):
    carrier_create(code="other", name="Other", format="swiftpost", raw_secret="another-secret-value")
    client = APIClient()
    client.credentials(HTTP_X_CARRIER_SECRET="another-secret-value")

    assert client.post("/api/v1/carriers/swiftpost/events/", {}, format="json").status_code == 401


def test_a_malformed_post_is_a_400_with_field_errors(swiftpost, carrier_api):
    response = carrier_api.post("/api/v1/carriers/swiftpost/events/",
                                {"event_id": "SP-1", "event_time": "yesterday"}, format="json")

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"status_code", "tracking_ref", "event_time"} <= set(fields)
    assert not RawCarrierEvent.objects.exists()


def test_the_recorded_time_is_the_carriers_not_ours(swiftpost, carrier_api):
    delivery = handed(swiftpost, status="scheduled")
    carrier_api.post("/api/v1/carriers/swiftpost/events/", swiftpost_event(delivery), format="json")

    event = Event.objects.get(delivery=delivery)
    assert event.recorded_at == dt.datetime.combine(delivery.window.date, dt.time(8, 12), tzinfo=dt.UTC)
