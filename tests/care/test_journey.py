"""One journey per order: milestones in recorded order, the ETA, the planned stop, and nobody else's data."""

import datetime as dt

import pytest

from care.models import JourneyException
from tests.care.conftest import TODAY
from tests.care.factories import EtaSnapshotFactory, EventFactory, JourneyExceptionFactory, ProofFactory
from tests.factories import local
from tests.tracking.factories import build_route
from tracking.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def route():
    return build_route(day=TODAY)


def test_the_journey_shows_milestones_in_recorded_order_with_source_and_reason(console, route):
    delivery = route.deliveries[1]
    # Received out of order: the attempt reached us before the scan-out it follows.
    EventFactory(delivery=delivery, milestone="attempted", reason="nobody_home", source=Event.Source.DRIVER,
                 recorded_at=local(TODAY, 10, 5))
    EventFactory(delivery=delivery, milestone="scanned_out", source=Event.Source.CARRIER,
                 recorded_at=local(TODAY, 8, 10))
    EventFactory(delivery=delivery, milestone="arrived", source=Event.Source.GEOFENCE,
                 recorded_at=local(TODAY, 9, 58))

    body = console.get(f"/care/deliveries/{delivery.pk}/").content.decode()

    left, arrived, attempted = body.index("Left the depot"), body.index("Driver arrived"), body.index("Delivery attempted")
    assert left < arrived < attempted
    assert "Carrier" in body and "Geofence" in body and "Driver app" in body
    assert "nobody_home" in body
    assert "08:10" in body and "09:58" in body  # local (Paris) times, not UTC


def test_the_journey_shows_the_window_eta_stop_and_proof_in_the_merchants_time_zone(console, route):
    delivery = route.deliveries[0]
    EtaSnapshotFactory(delivery=delivery, stop=route.stops[0], computed_at=local(TODAY, 8, 0),
                       eta=local(TODAY, 8, 20), band_start=local(TODAY, 8, 10), band_end=local(TODAY, 8, 35),
                       stops_away=0)
    EtaSnapshotFactory(delivery=delivery, stop=route.stops[0], computed_at=local(TODAY, 7, 30),
                       eta=local(TODAY, 8, 50), band_start=local(TODAY, 8, 40), band_end=local(TODAY, 9, 0))
    ProofFactory(delivery=delivery, recipient_name="Gardienne", captured_at=local(TODAY, 8, 24))

    body = console.get(f"/care/deliveries/{delivery.pk}/").content.decode()

    assert "08:00–12:00" in body  # the promised window, Paris time
    summary = body[body.index('class="card care-summary"'):body.index('id="care-stop-title"')]
    assert "08:20" in summary and "08:10–08:35" in summary  # the latest snapshot, not the older one
    assert "08:50" not in summary  # (the ETA chart below draws both)
    assert route.vehicle.name in body and "Amélie" in body and "Bernardini" not in body
    assert "1 of 4" in body and "08:15" in body  # sequence and planned arrival
    assert "Received by Gardienne" in body


def test_the_journey_never_shows_another_deliverys_data(console, route):
    mine, theirs = route.deliveries[0], route.deliveries[2]
    EventFactory(delivery=theirs, milestone="attempted", reason="access_refused", recorded_at=local(TODAY, 8, 40))
    EtaSnapshotFactory(delivery=theirs, computed_at=local(TODAY, 8, 0), eta=local(TODAY, 9, 47),
                       band_start=local(TODAY, 9, 41), band_end=local(TODAY, 9, 53))
    ProofFactory(delivery=theirs, recipient_name="Voisin Indiscret")
    JourneyExceptionFactory(delivery=theirs, code="their_problem", message="Not this customer's business")

    body = console.get(f"/care/deliveries/{mine.pk}/").content.decode()

    for leak in (theirs.order_ref, theirs.recipient_name, theirs.recipient_phone, theirs.address_line1,
                 "access_refused", "09:47", "Voisin Indiscret", "their_problem"):
        assert leak not in body
    assert mine.order_ref in body and mine.recipient_name in body


def test_an_unknown_delivery_is_a_friendly_404(console, route):
    response = console.get("/care/deliveries/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert "No such delivery" in response.content.decode()


def test_an_agent_updates_the_instructions(console, route):
    delivery = route.deliveries[0]
    response = console.post(f"/care/deliveries/{delivery.pk}/instructions/",
                            {"access_notes": "Code 4521B, 3rd floor", "drop_choice": "neighbour",
                             "neighbour_name": "M. Martin", "neighbour_door": "12"}, follow=True)
    delivery.refresh_from_db()
    assert delivery.access_notes == "Code 4521B, 3rd floor" and delivery.drop_choice == "neighbour"
    assert "Delivery instructions saved." in response.content.decode()


def test_an_agent_opens_an_exception_by_hand_and_it_joins_the_queue(console, route, frozen_now):
    delivery = route.deliveries[0]
    response = console.post(f"/care/deliveries/{delivery.pk}/exceptions/",
                            {"code": "address_problem", "message": "Gate code changed", "due_in_minutes": "30"},
                            follow=True)
    assert "Exception opened" in response.content.decode()
    exception = JourneyException.objects.get(delivery=delivery)
    assert exception.state == "open" and exception.code == "address_problem"
    assert exception.due_at - exception.opened_at == dt.timedelta(minutes=30)
    assert "Gate code changed" in console.get("/care/exceptions/").content.decode()


def test_an_exception_without_a_message_is_refused_with_a_reason(console, route):
    delivery = route.deliveries[0]
    response = console.post(f"/care/deliveries/{delivery.pk}/exceptions/",
                            {"code": "other", "message": "", "due_in_minutes": "30"}, follow=True)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not JourneyException.objects.filter(delivery=delivery).exists()


def test_once_the_van_has_been_the_journey_shows_the_eta_the_customer_saw_before(console, route):
    delivery, stop = route.deliveries[0], route.stops[0]
    stop.actual_arrival = local(TODAY, 8, 20)
    stop.save()
    EtaSnapshotFactory(delivery=delivery, computed_at=local(TODAY, 8, 0), eta=local(TODAY, 8, 22),
                       band_start=local(TODAY, 8, 14), band_end=local(TODAY, 8, 31))
    EtaSnapshotFactory(delivery=delivery, computed_at=local(TODAY, 8, 40), eta=local(TODAY, 9, 7),
                       band_start=local(TODAY, 9, 1), band_end=local(TODAY, 9, 13))

    body = console.get(f"/care/deliveries/{delivery.pk}/").content.decode()

    assert "Last ETA before arrival" in body and "08:14–08:31" in body
    assert "09:07" not in body
