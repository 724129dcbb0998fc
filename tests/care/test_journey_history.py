"""The journey shows what happened behind the milestones: the carrier's raw payloads, the ETA over the day
against the promise and the arrival, and the van's GPS track."""

import datetime as dt
import hashlib
import re

import pytest
from django.test import Client

from merchants.models import StaffMembership
from tests.care.conftest import TODAY, make_agent
from tests.care.factories import EtaSnapshotFactory, EventFactory
from tests.factories import local
from tests.tracking.factories import build_route
from tracking.models import Carrier, Event, Ping, RawCarrierEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def route():
    return build_route(day=TODAY)


@pytest.fixture
def carrier(db):
    return Carrier.objects.create(code="swift", name="SwiftPost", format=Carrier.Format.SWIFTPOST,
                                  secret_digest=hashlib.sha256(b"s").hexdigest())


def body_of(client, delivery) -> str:
    return client.get(f"/care/deliveries/{delivery.pk}/").content.decode()


def test_a_carrier_milestone_shows_the_payload_the_carrier_sent_indented(console, route, carrier):
    delivery = route.deliveries[0]
    raw = RawCarrierEvent.objects.create(carrier=carrier, delivery=delivery, external_id="sp-991", external_code="OFD",
                                         payload={"code": "OFD", "parcel": {"ref": "X1", "depot": "Paris Est"}},
                                         status=RawCarrierEvent.Status.APPLIED)
    EventFactory(delivery=delivery, milestone="out_for_delivery", source=Event.Source.CARRIER, raw=raw,
                 recorded_at=local(TODAY, 8, 5))

    body = body_of(console, delivery)

    assert "SwiftPost sent <code>OFD</code>" in body and "sp-991" in body
    assert '&quot;parcel&quot;: {\n    &quot;depot&quot;: &quot;Paris Est&quot;' in body  # readable, not one line


def test_what_the_carrier_sent_that_was_not_applied_is_listed_with_its_payload(console, route, carrier):
    delivery = route.deliveries[0]
    RawCarrierEvent.objects.create(carrier=carrier, delivery=delivery, external_id="sp-7", external_code="ZZ9",
                                   payload={"code": "ZZ9"}, status=RawCarrierEvent.Status.UNMAPPED,
                                   problem="Code ZZ9 is not mapped to a milestone.")

    body = body_of(console, delivery)

    assert "Carrier events not applied" in body and "Unmapped code" in body and "ZZ9 is not mapped" in body


def test_the_eta_chart_draws_every_eta_of_the_day_against_the_window_and_the_arrival(console, route):
    delivery, stop = route.deliveries[0], route.stops[0]
    for computed, eta in ((7, 0), (7, 30), (8, 0)):
        EtaSnapshotFactory(delivery=delivery, stop=stop, computed_at=local(TODAY, computed, eta),
                           eta=local(TODAY, 9, 10 + eta), band_start=local(TODAY, 9, eta),
                           band_end=local(TODAY, 9, 20 + eta))
    stop.actual_arrival = local(TODAY, 9, 35)
    stop.save()

    body = body_of(console, delivery)

    chart = body[body.index('class="care-eta-chart"'):body.index("</svg>", body.index('class="care-eta-chart"'))]
    assert "Promised 08:00–12:00. 3 ETAs published, from 07:00 to 08:00; the last said 09:10." in chart
    assert "Arrived 09:35, inside the window." in chart
    assert len(re.search(r'class="care-chart-eta" points="([^"]+)"', chart)[1].split()) == 3
    assert 'class="care-chart-arrival"' in chart


def test_without_an_eta_the_chart_says_why_there_is_none(console, route):
    body = body_of(console, route.deliveries[0])

    assert "care-eta-chart" not in body and "No ETA published yet" in body


def pings(route, count=5):
    start = local(TODAY, 8, 1)
    for i in range(count):
        Ping.objects.create(vehicle=route.vehicle, recorded_at=start + dt.timedelta(minutes=2 * i),
                            lat=48.8500 + 0.0012345 * i, lng=2.3300 + 0.0012345 * i)
    # Before the route started, and a point the plausibility check threw out: neither is drawn.
    Ping.objects.create(vehicle=route.vehicle, recorded_at=local(TODAY, 7, 0), lat=48.9, lng=2.4)
    Ping.objects.create(vehicle=route.vehicle, recorded_at=start + dt.timedelta(minutes=3), lat=49.5, lng=3.0,
                        flagged="teleport")


def test_the_track_draws_the_vans_pings_on_its_route_with_the_door_and_depot(console, route, clock_at):
    clock_at(local(TODAY, 9))
    pings(route)

    body = body_of(console, route.deliveries[1])

    track = body[body.index('class="care-track-map"'):body.index("</svg>", body.index('class="care-track-map"'))]
    assert "5 GPS pings from 08:01 to 08:09" in track
    assert len(re.search(r'class="care-map-path" points="([^"]+)"', track)[1].split()) == 5
    assert "Customer" in track and "Depot" in track and "Van 08:09" in track


def test_merchant_staff_see_the_same_track_rounded(route, clock_at):
    clock_at(local(TODAY, 9))
    pings(route)
    platform, merchant_agent = Client(), Client()
    platform.force_login(make_agent("pat"))
    user = make_agent("mia")
    user.platform_role.delete()
    StaffMembership.objects.create(user=user, merchant=route.deliveries[1].merchant, role=StaffMembership.Role.CARE)
    merchant_agent.force_login(user)

    def path(client):
        return re.search(r'class="care-map-path" points="([^"]+)"', body_of(client, route.deliveries[1]))[1]

    assert path(platform) != path(merchant_agent)
    assert len(path(merchant_agent).split()) == 5


def test_a_single_ping_is_no_track(console, route, clock_at):
    clock_at(local(TODAY, 9))
    pings(route, count=1)

    body = body_of(console, route.deliveries[1])

    assert "care-track-map" not in body and "No track yet" in body


def test_while_the_van_has_not_come_the_chart_marks_now_so_a_stale_eta_shows(console, route, clock_at):
    clock_at(local(TODAY, 8, 50))
    delivery, stop = route.deliveries[3], route.stops[3]
    EtaSnapshotFactory(delivery=delivery, stop=stop, computed_at=local(TODAY, 7, 30), eta=local(TODAY, 9, 10),
                       band_start=local(TODAY, 9, 0), band_end=local(TODAY, 9, 20))

    body = body_of(console, delivery)

    assert 'class="care-chart-now"' in body and "care-chart-arrival" not in body
    ticks = re.findall(r'y="\d+(?:\.\d+)?" text-anchor="middle">(\d\d:\d\d)</text>', body)
    assert ticks[-1] == "08:30"  # the time axis runs on to now (08:50), past the only ETA (07:30)


def test_a_day_of_etas_every_minute_is_drawn_thinned_from_the_first_to_the_last(console, route):
    delivery, stop = route.deliveries[3], route.stops[3]
    for minute in range(300):
        eta = local(TODAY, 10) + dt.timedelta(minutes=minute // 10)
        EtaSnapshotFactory(delivery=delivery, stop=stop, computed_at=local(TODAY, 5) + dt.timedelta(minutes=minute),
                           eta=eta, band_start=eta - dt.timedelta(minutes=5), band_end=eta + dt.timedelta(minutes=5))

    body = body_of(console, delivery)

    assert len(re.search(r'class="care-chart-eta" points="([^"]+)"', body)[1].split()) == 120
    assert "300 ETAs published, from 05:00 to 09:59; the last said 10:29" in body
