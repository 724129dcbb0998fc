"""The ETA a customer sees: one rule for the page, its JSON, the websocket's first frame and care (issue #10, item 7).

The demo seeds its plans on the real clock and then replays the day on the fleet's virtual clock; a
re-plan makes new stops; a van keeps pinging while nothing renews its ETA. In each case the customer
must see the fleet's latest live ETA, or else the promised window, never a guess hours away.
"""

import datetime as dt

import pytest
from django.urls import reverse

from dispatch.models import Plan, Stop
from tests.factories import local, platform_staff
from tests.tracking.factories import PlanFactory, RouteFactory, build_route
from tracking.models import EtaSnapshot
from tracking.services import PingInput, eta_refresh_plan, eta_refresh_route, ping_record_batch, scan_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_route()


@pytest.fixture
def agent_client(client, django_user_model):
    client.force_login(platform_staff("alice", "care"))
    return client


def at(world, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return local(world.day, hour, minute) + dt.timedelta(seconds=second)


def scan_out(world, when: dt.datetime) -> None:
    scan_record(driver=world.driver, kind="scanned_out", client_id="out", recorded_at=when, now=when)


def ping(world, when: dt.datetime, *, refresh: bool = True, lat: float = 48.8520, lng: float = 2.3310) -> None:
    ping_record_batch(vehicle=world.vehicle, now=when, refresh=refresh, points=[
        PingInput(client_id=f"p-{when.timestamp():.0f}", recorded_at=when, lat=lat, lng=lng, accuracy_m=5)])


def status_of(client, delivery) -> dict:
    return client.get(reverse("tracking:status", args=[delivery.tracking_token]) + "?lang=en").json()


def page_of(client, delivery) -> str:
    return client.get(reverse("tracking:page", args=[delivery.tracking_token]) + "?lang=en").content.decode()


def label(moment: dt.datetime, delivery) -> str:
    return moment.astimezone(delivery.merchant.zone_info).strftime("%H:%M")


def test_an_eta_the_seed_computed_on_the_real_clock_never_outranks_the_fleets(client, agent_client, world, clock_at):
    delivery = world.deliveries[0]
    # The demo is seeded in the evening, on the real clock: the van "has not left yet", its ETA is hours away.
    eta_refresh_plan(plan=world.plan, now=at(world, 23))
    seeded = EtaSnapshot.objects.get(delivery=delivery)
    # Then the simulated fleet replays the morning on its virtual clock, which the whole server follows.
    scan_out(world, at(world, 8))
    ping(world, at(world, 8, 5))
    clock_at(at(world, 8, 6))
    fleets = EtaSnapshot.objects.filter(delivery=delivery, computed_at__lte=at(world, 8, 5)).latest("computed_at")
    assert label(seeded.eta, delivery) != label(fleets.eta, delivery)

    status = status_of(client, delivery)
    page = page_of(client, delivery)
    care = agent_client.get(f"/care/deliveries/{delivery.pk}/").content.decode()

    assert status["eta"]["eta_label"] == label(fleets.eta, delivery)
    assert label(fleets.eta, delivery) in page and label(seeded.eta, delivery) not in page
    assert label(fleets.eta, delivery) in care and label(seeded.eta, delivery) not in care


def test_the_simulator_drops_etas_stamped_after_its_virtual_start(world):
    from demo.simulator import FleetSimulator

    eta_refresh_plan(plan=world.plan, now=at(world, 23))
    simulator = FleetSimulator(day=world.day, depots=[world.depot], leg_seconds=lambda a, b, when: 600.0)

    simulator.load(at(world, 10))

    # A page on the real clock (the simulator in its own process) then sees only what the replayed day computes.
    assert not EtaSnapshot.objects.filter(computed_at__gt=at(world, 10)).exists()
    assert EtaSnapshot.objects.filter(delivery=world.deliveries[0], computed_at=at(world, 10)).exists()


def test_once_the_van_has_moved_on_without_a_new_eta_the_page_shows_the_window(client, world, clock_at):
    delivery = world.deliveries[1]
    scan_out(world, at(world, 8))
    # The van keeps reporting, but nothing renews the ETA (its route's refresh stopped).
    for minute in range(1, 21):
        ping(world, at(world, 8, minute), refresh=False)
    clock_at(at(world, 8, 21))

    status = status_of(client, delivery)
    page = page_of(client, delivery)

    assert status["eta"] is None
    assert status["window"]["label"] == "08:00–12:00" and "08:00–12:00" in page


def test_an_eta_the_refresh_stands_by_stays_on_the_page_until_it_is_older_than_a_heartbeat_behind_the_van(
        client, world, clock_at):
    delivery = world.deliveries[1]
    scan_out(world, at(world, 8))
    # Refreshes after these pings found the ETA unchanged and stored nothing new: it still holds.
    ping(world, at(world, 8, 8), refresh=False)
    clock_at(at(world, 8, 9))
    assert status_of(client, delivery)["eta"] is not None

    ping(world, at(world, 8, 12), refresh=False)
    clock_at(at(world, 8, 13))
    assert status_of(client, delivery)["eta"] is None


def replan(world):
    """The dispatcher re-plans: the old plan is superseded, the same stops are made anew in a new plan."""
    Plan.objects.filter(pk=world.plan.pk).update(status=Plan.Status.SUPERSEDED)
    plan = PlanFactory(depot=world.depot, date=world.day)
    route = RouteFactory(plan=plan, vehicle=world.vehicle, shift=world.shift, starts_at=world.route.starts_at,
                         ends_at=world.route.ends_at)
    for stop in world.stops:
        Stop.objects.create(route=route, job=stop.job, sequence=stop.sequence, planned_arrival=stop.planned_arrival,
                            planned_departure=stop.planned_departure)
    return route


def test_an_eta_computed_before_the_active_plan_is_not_shown_until_the_new_plan_has_its_own(client, world, clock_at):
    delivery = world.deliveries[2]
    scan_out(world, at(world, 8))
    route = replan(world)
    clock_at(at(world, 8, 0, 30))

    assert status_of(client, delivery)["eta"] is None

    # Moments later the new plan's ETAs are computed: the same as before, but now for the plan the van drives.
    eta_refresh_route(route=route, now=at(world, 8, 0, 20))

    assert status_of(client, delivery)["eta"] is not None
