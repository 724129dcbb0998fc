"""What drivers, carriers and the page got wrong (issue #10): each test is the defect as a user met it."""

import datetime as dt
import threading

import pytest
from django.db import connections
from django.urls import reverse
from rest_framework.test import APIClient

from care.models import JourneyException
from dispatch.models import Vehicle
from tests.factories import DeliveryFactory, local, platform_staff
from tests.tracking.factories import build_route
from tracking.models import CarrierCodeMapping, Event, Ping, ProofOfDelivery, RawCarrierEvent
from tracking.selectors import public_status
from tracking.services import carrier_create, delivery_carrier_assign, event_record

pytestmark = pytest.mark.django_db

CARRIER_SECRET = "carrier-shared-secret-0123456789"


@pytest.fixture
def world():
    return build_route()


@pytest.fixture
def morning(world, clock_at):
    return clock_at(local(world.day, 9))


@pytest.fixture
def console_client(client, django_user_model):
    """A care agent signed in to the console."""
    client.force_login(platform_staff("alice", "care"))
    return client


def _delivered(driver_api, job_id, client_id, at, **extra):
    return driver_api.post("/api/v1/scans/", {"client_id": client_id, "kind": "delivered", "job": job_id,
                                              "recorded_at": at.isoformat(), **extra}, format="json")


# --- A second "delivered" scan ------------------------------------------------------------------


def test_a_second_delivered_scan_on_a_delivered_job_answers_with_the_first_and_records_nothing(
        world, driver_api, morning, console_client):
    delivery, job = world.deliveries[0], world.stops[0].job_id
    first = _delivered(driver_api, job, "scan-1", local(world.day, 8, 20), recipient_name="Camille")

    # The driver taps "delivered" again a minute later: a new scan, with a new client id.
    second = _delivered(driver_api, job, "scan-2", local(world.day, 8, 21), recipient_name="Someone else")

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["created"] is False
    assert second.json()["events"] == first.json()["events"]
    assert delivery.events.filter(milestone="delivered").count() == 1
    assert ProofOfDelivery.objects.get(delivery=delivery).recipient_name == "Camille"
    journey = console_client.get(f"/care/deliveries/{delivery.pk}/").content.decode()
    assert journey.count('class="care-event care-event-delivered"') == 1


def test_a_carrier_reporting_delivered_after_the_driver_does_not_deliver_twice(world, driver_api, morning):
    delivery = world.deliveries[0]
    carrier = carrier_create(code="swiftpost", name="SwiftPost", format="swiftpost", raw_secret=CARRIER_SECRET)
    CarrierCodeMapping.objects.create(carrier=carrier, external_code="DLV", milestone="delivered")
    delivery_carrier_assign(delivery=delivery, carrier=carrier, actor_label="test")
    _delivered(driver_api, world.stops[0].job_id, "scan-1", local(world.day, 8, 20))
    carrier_api = APIClient()
    carrier_api.credentials(HTTP_X_CARRIER_SECRET=CARRIER_SECRET)

    response = carrier_api.post("/api/v1/carriers/swiftpost/events/", {
        "event_id": "SP-1", "tracking_ref": str(delivery.pk), "status_code": "DLV",
        "event_time": local(world.day, 8, 25).isoformat()}, format="json")

    assert delivery.events.filter(milestone="delivered").count() == 1
    result = response.json()["results"][0]
    assert (result["outcome"], result["reason"]) == ("flagged", "journey_closed")
    assert RawCarrierEvent.objects.get(external_id="SP-1").status == "flagged"


@pytest.mark.django_db(transaction=True)
def test_two_delivered_reports_at_once_record_one_delivery():
    world = build_route()
    delivery = world.deliveries[0]
    sources = [Event.Source.DRIVER, Event.Source.CARRIER, Event.Source.DRIVER, Event.Source.CARRIER]
    start = threading.Barrier(len(sources))
    created = [None] * len(sources)

    def report(index):
        start.wait()
        try:
            created[index] = event_record(delivery=delivery, milestone="delivered", source=sources[index],
                                          recorded_at=local(world.day, 8, 20 + index),
                                          client_id=f"delivered-{index}").created
        finally:
            connections.close_all()

    threads = [threading.Thread(target=report, args=(i,)) for i in range(len(sources))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert created.count(True) == 1
    assert delivery.events.filter(milestone="delivered").count() == 1


# --- Pings from a van marked lost ---------------------------------------------------------------


def test_pings_from_a_van_marked_lost_are_refused_with_a_clear_code(world, driver_api, morning):
    Vehicle.objects.filter(pk=world.vehicle.pk).update(status=Vehicle.Status.LOST)

    response = driver_api.post("/api/v1/pings/", {"points": [{
        "client_id": "p1", "vehicle": world.vehicle.code, "lat": 48.86, "lng": 2.34, "accuracy": 8,
        "recorded_at": local(world.day, 8, 59).isoformat()}]}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "vehicle_lost"
    assert not Ping.objects.filter(vehicle=world.vehicle).exists()
    assert Vehicle.objects.get(pk=world.vehicle.pk).last_seen_at is None


# --- A ParcelNet sub-code nobody mapped ---------------------------------------------------------


@pytest.fixture
def parcelnet(clock_at):
    carrier = carrier_create(code="parcelnet", name="ParcelNet", format="parcelnet", raw_secret=CARRIER_SECRET)
    CarrierCodeMapping.objects.create(carrier=carrier, external_code="40", milestone="attempted", reason="")
    CarrierCodeMapping.objects.create(carrier=carrier, external_code="40-NH", milestone="attempted", reason="nobody_home")
    CarrierCodeMapping.objects.create(carrier=carrier, external_code="20", milestone="scanned_out")
    clock_at(local(DeliveryFactory.build().window.date, 12))
    return carrier


@pytest.fixture
def parcelnet_api(parcelnet):
    client = APIClient()
    client.credentials(HTTP_X_CARRIER_SECRET=CARRIER_SECRET)
    return client


def _with_parcelnet(carrier, status, *, scanned_out=True):
    """A delivery handed to ParcelNet, which scanned it out at 8:00 on its day when `scanned_out`."""
    delivery = DeliveryFactory(status=status)
    delivery_carrier_assign(delivery=delivery, carrier=carrier, actor_label="test")
    if scanned_out:
        event_record(delivery=delivery, milestone="scanned_out", source=Event.Source.CARRIER,
                     recorded_at=local(delivery.window.date, 8), client_id=f"parcelnet:out-{delivery.pk}")
    return delivery


def _parcelnet(delivery, code, subcode=""):
    at = local(delivery.window.date, 11).isoformat()
    event = {"id": f"E-{code}-{subcode}", "code": code, "occurred_at": at}
    if subcode:
        event["subcode"] = subcode
    return {"batch_id": "B-1", "consignments": [{"consignment": {"reference": str(delivery.pk)}, "events": [event]}]}


def test_an_unknown_parcelnet_subcode_is_flagged_for_care_not_taken_for_a_reasonless_attempt(parcelnet, parcelnet_api):
    delivery = _with_parcelnet(parcelnet, "out_for_delivery", scanned_out=False)

    response = parcelnet_api.post("/api/v1/carriers/parcelnet/events/", _parcelnet(delivery, "40", "XYZ"),
                                  format="json")

    assert response.json()["results"] == [
        {"external_id": "E-40-XYZ", "external_code": "40-XYZ", "outcome": "unmapped", "milestone": "exception",
         "reason": ""}]
    assert list(delivery.events.values_list("milestone", "reason")) == [("exception", "unknown_carrier_code")]
    exception = JourneyException.objects.get(delivery=delivery)
    assert exception.code == "unknown_carrier_code" and "40-XYZ" in exception.message
    delivery.refresh_from_db()
    assert delivery.status == "out_for_delivery"


def test_a_known_subcode_and_a_bare_code_still_map(parcelnet, parcelnet_api):
    named, bare = _with_parcelnet(parcelnet, "out_for_delivery"), _with_parcelnet(parcelnet, "out_for_delivery")

    parcelnet_api.post("/api/v1/carriers/parcelnet/events/", _parcelnet(named, "40", "NH"), format="json")
    parcelnet_api.post("/api/v1/carriers/parcelnet/events/", _parcelnet(bare, "40"), format="json")

    assert list(named.events.values_list("milestone", "reason")) == [("scanned_out", ""), ("attempted", "nobody_home")]
    assert list(bare.events.values_list("milestone", "reason")) == [("scanned_out", ""), ("attempted", "")]


def test_a_subcode_on_a_code_that_needs_no_reason_falls_back_to_the_code(parcelnet, parcelnet_api):
    delivery = _with_parcelnet(parcelnet, "scheduled", scanned_out=False)

    parcelnet_api.post("/api/v1/carriers/parcelnet/events/", _parcelnet(delivery, "20", "HUB3"), format="json")

    assert list(delivery.events.values_list("milestone", flat=True)) == ["scanned_out"]
    assert not JourneyException.objects.filter(delivery=delivery).exists()


# --- "Choose another delivery time" after rescheduling has closed -------------------------------


def test_the_page_stops_offering_another_time_once_rescheduling_has_closed(client, clock_at, settings):
    settings.RESCHEDULE_CLOSES_MINUTES = 120
    delivery = DeliveryFactory(status="scheduled")
    page = reverse("tracking:page", args=[delivery.tracking_token]) + "?lang=en"

    clock_at(delivery.window.starts_at - dt.timedelta(minutes=121))
    still_open = client.get(page).content.decode()
    clock_at(delivery.window.starts_at - dt.timedelta(minutes=119))
    closed = client.get(page).content.decode()
    status = client.get(reverse("tracking:status", args=[delivery.tracking_token])).json()

    assert "Choose another delivery time" in still_open
    assert "Choose another delivery time" not in closed
    assert status["can_reschedule"] is False
    # The status the websocket pushes after a milestone is built by the same selector.
    frame = public_status(delivery=delivery, now=delivery.window.starts_at - dt.timedelta(minutes=119))
    assert frame["can_reschedule"] is False


def test_after_a_missed_delivery_the_page_still_offers_another_time(client, clock_at):
    delivery = DeliveryFactory(status="attempted")
    clock_at(delivery.window.ends_at + dt.timedelta(hours=1))

    html = client.get(reverse("tracking:page", args=[delivery.tracking_token]) + "?lang=en").content.decode()

    assert "Choose another delivery time" in html
