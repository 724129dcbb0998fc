"""The tracking page's map of the trip: how precisely it shows the van, the customer's point and the way between."""

import json

import pytest
from django.urls import reverse

from dispatch.models import Stop
from tests.factories import local
from tests.tracking.factories import build_route, send_out
from tracking import selectors
from tracking.models import EtaSnapshot
from tracking.services import ping_record_batch
from tracking.services.pings import PingInput

pytestmark = pytest.mark.django_db

# Six customers on one route, at points no rounding leaves unchanged.
POINTS = [(48.861234, 2.341234), (48.866789, 2.352345), (48.871456, 2.361987), (48.876543, 2.371234),
          (48.881987, 2.379876), (48.887321, 2.388765)]
VAN = (48.856789, 2.336543)


@pytest.fixture
def world(monkeypatch):
    world = build_route(points=POINTS)
    moment = local(world.day, 8, 30)
    monkeypatch.setattr("core.clock.now", lambda: moment)
    for index, stop in enumerate(world.stops):
        stop.job.reference = f"JOB-REF-{index}"
        stop.job.save(update_fields=["reference"])
    send_out(world, at=moment, van=VAN)
    return world


def trip_map_of(client, delivery) -> dict | None:
    status = client.get(reverse("tracking:status", args=[delivery.tracking_token])).json()
    return status["eta"]["map"] if status["eta"] else None


def test_a_customer_far_down_the_route_sees_the_van_only_to_the_district(client, world):
    last = world.deliveries[5]  # five stops before theirs

    trip = trip_map_of(client, last)

    assert trip["van"] == {"lat": 48.86, "lng": 2.34}
    assert trip["precise"] is False


def test_a_customer_within_three_stops_sees_the_van_to_the_street(client, world):
    for delivery in (world.deliveries[0], world.deliveries[3]):  # next, and three stops away
        trip = trip_map_of(client, delivery)

        assert trip["van"] == {"lat": 48.8568, "lng": 2.3365}
        assert trip["precise"] is True


def test_a_van_standing_at_another_customers_door_is_shown_only_to_the_district(client, world):
    # The van is at the first customer's door: its exact point would be their address.
    Stop.objects.filter(pk=world.stops[0].pk).update(status=Stop.Status.ARRIVED)

    trip = trip_map_of(client, world.deliveries[2])

    assert trip["van"] == {"lat": 48.86, "lng": 2.34}
    assert trip["precise"] is False


def test_the_destination_shows_the_neighbourhood_never_the_door(client, world):
    delivery = world.deliveries[4]

    trip = trip_map_of(client, delivery)

    assert trip["destination"] == {"lat": 48.882, "lng": 2.38}
    assert trip["path"][-1] == [48.882, 2.38]


def test_the_path_runs_through_the_stops_before_in_route_order_rounded_and_nothing_else(client, world):
    delivery = world.deliveries[5]

    response = client.get(reverse("tracking:status", args=[delivery.tracking_token]))
    trip = response.json()["eta"]["map"]

    assert trip["path"] == [[48.86, 2.34], [48.87, 2.35], [48.87, 2.36], [48.88, 2.37], [48.88, 2.38], [48.887, 2.389]]
    text = response.content.decode()
    for other in world.deliveries[:5]:
        for secret in (other.order_ref, other.tracking_token, other.address_line1, other.recipient_name,
                       str(other.lat), str(other.lng), other.job.reference):
            assert secret not in text, secret


def test_a_point_rounded_to_the_one_before_it_is_left_out():
    trip = selectors.trip_map(stops_away=5, position=(48.8561, 2.3361),
                              ahead=[(48.8612, 2.3412), (48.8634, 2.3441), (48.8711, 2.3512)],
                              destination=(48.8801, 2.3601))

    assert trip["path"] == [[48.86, 2.34], [48.87, 2.35], [48.88, 2.36]]


def test_stops_already_visited_are_not_on_the_way(client, world):
    Stop.objects.filter(pk__in=[world.stops[0].pk, world.stops[1].pk]).update(status=Stop.Status.DONE)

    trip = trip_map_of(client, world.deliveries[3])

    assert trip["path"] == [[48.8568, 2.3365], [48.87, 2.36], [48.877, 2.371]]


def test_the_page_renders_the_same_map_as_its_json(client, world):
    delivery = world.deliveries[5]

    html = client.get(reverse("tracking:page", args=[delivery.tracking_token])).content.decode()

    embedded = html.split('<script id="trk-eta" type="application/json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(embedded)["map"] == trip_map_of(client, delivery)


def test_the_eta_pushed_over_the_socket_carries_the_same_map(client, world, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    pushed = []
    monkeypatch.setattr("tracking.services.etas.eta_publish",
                        lambda *, delivery_id, payload: pushed.append((delivery_id, payload)))
    later = local(world.day, 8, 34)
    monkeypatch.setattr("core.clock.now", lambda: later)

    with django_capture_on_commit_callbacks(execute=True):
        ping_record_batch(vehicle=world.vehicle, now=later, points=[
            PingInput(client_id="p2", recorded_at=later, lat=48.8591, lng=2.3387, accuracy_m=5)])

    frames = {delivery_id: payload for delivery_id, payload in pushed}
    last = world.deliveries[5]
    assert frames[last.pk]["map"] == trip_map_of(client, last)
    assert frames[last.pk]["map"]["van"] == {"lat": 48.86, "lng": 2.34}
    assert frames[world.deliveries[0].pk]["map"]["van"] == {"lat": 48.8591, "lng": 2.3387}


def test_no_map_before_the_van_leaves(client, db):
    world = build_route(points=POINTS)

    status = client.get(reverse("tracking:status", args=[world.deliveries[0].tracking_token])).json()

    assert status["status"] == "scheduled"
    assert status["eta"] is None


def test_no_map_without_a_live_eta(client, world):
    EtaSnapshot.objects.filter(delivery=world.deliveries[2]).delete()

    status = client.get(reverse("tracking:status", args=[world.deliveries[2].tracking_token])).json()

    assert status["status"] == "out_for_delivery"
    assert status["eta"] is None
