"""Refreshing a route's micro-ETAs: what the fleet's driven legs teach, and what the travel-time service is asked."""

import datetime as dt
import math

import pytest
from django.core.cache import cache

from dispatch.models import Job, Route, Stop, Vehicle
from dispatch.travel import OsrmProvider, ProviderLegTimes
from tests.dispatch.fake_osrm import fake_osrm_server
from tests.factories import JobFactory, ShiftFactory, VehicleFactory, ZoneFactory, local
from tests.tracking.factories import RouteFactory, build_route
from tracking.geo import haversine_m
from tracking.models import EtaSnapshot, Ping
from tracking.services import PingInput, eta_refresh_route, ping_record_batch
from tracking.services.etas import _plan_driven_stops, plan_traffic, route_etas_compute

pytestmark = pytest.mark.django_db

TEN_MINUTES = 600.0


def ten_minutes_a_leg(origin, destination, departure):
    return 0.0 if origin == destination else TEN_MINUTES


def drive(stop: Stop, *, arrived: dt.datetime, left: dt.datetime | None) -> None:
    Stop.objects.filter(pk=stop.pk).update(actual_arrival=arrived, actual_departure=left, status=Stop.Status.DONE)


def park(vehicle: Vehicle, *, at: tuple[float, float], seen: dt.datetime) -> None:
    Vehicle.objects.filter(pk=vehicle.pk).update(last_lat=at[0], last_lng=at[1], last_seen_at=seen)


def halfway(a: Stop, b: Stop, share: float = 0.5) -> tuple[float, float]:
    return (a.job.lat + (b.job.lat - a.job.lat) * share, a.job.lng + (b.job.lng - a.job.lng) * share)


@pytest.fixture
def world():
    return build_route()


@pytest.fixture
def second_van(world):
    """Another van of the same plan, at the depot, with two stops in a zone nobody has driven to yet."""
    zone = ZoneFactory(depot=world.depot)
    vehicle = VehicleFactory(depot=world.depot)
    shift = ShiftFactory(vehicle=vehicle, depot=world.depot, date=world.day)
    route = RouteFactory(plan=world.plan, vehicle=vehicle, shift=shift, starts_at=local(world.day, 8))
    for sequence, (lat, lng) in enumerate([(48.8450, 2.3200), (48.8400, 2.3100)], start=1):
        job = JobFactory(zone=zone, depot=world.depot, date=world.day, lat=lat, lng=lng, status="planned",
                         window_start=local(world.day, 8), window_end=local(world.day, 12))
        Stop.objects.create(route=route, job=job, sequence=sequence, planned_arrival=local(world.day, 9),
                            planned_departure=local(world.day, 9, 4))
    park(vehicle, at=(world.depot.lat, world.depot.lng), seen=local(world.day, 8, 55))
    return route


def first_leg_seconds(route, now) -> float:
    route = Route.objects.select_related("vehicle__depot", "plan").get(pk=route.pk)
    etas, _stops = route_etas_compute(route=route, now=now, leg_seconds=ten_minutes_a_leg)
    return (etas[0].eta - now).total_seconds()


def test_a_van_in_a_zone_nobody_has_driven_yet_is_expected_at_the_pace_the_fleet_drives_today(world, second_van):
    now = local(world.day, 8, 55)
    alone = first_leg_seconds(second_van, now)
    # The first van drove its two legs in 15 minutes where the provider said 10.
    first, second, third = world.stops[:3]
    drive(first, arrived=local(world.day, 8, 10), left=local(world.day, 8, 14))
    drive(second, arrived=local(world.day, 8, 29), left=local(world.day, 8, 33))
    drive(third, arrived=local(world.day, 8, 48), left=local(world.day, 8, 52))

    with_fleet = first_leg_seconds(second_van, now)

    assert alone == pytest.approx(TEN_MINUTES)
    # Two legs of evidence against a prior worth one: (2 x 900 + 600) / (2 x 600 + 600) = 4/3.
    assert with_fleet == pytest.approx(TEN_MINUTES * 4 / 3, abs=1)


def test_the_fleets_way_out_of_the_depot_teaches_its_pace_before_any_van_has_driven_between_two_stops(
        world, second_van):
    """The first van left the depot at 8:00 and reached its first stop at 8:20, where the provider said 10 minutes."""
    Route.objects.filter(pk=world.route.pk).update(departed_at=local(world.day, 8))
    drive(world.stops[0], arrived=local(world.day, 8, 20), left=None)
    now = local(world.day, 8, 55)

    from_the_depot = first_leg_seconds(second_van, now)

    # One leg of twice the provider's time against a prior worth one: (1200 + 600) / (600 + 600) = 1.5.
    assert from_the_depot == pytest.approx(TEN_MINUTES * 1.5, abs=1)


def test_a_van_whose_fixes_start_at_the_depot_is_recorded_leaving_it_once(world):
    depot, first = (world.depot.lat, world.depot.lng), world.stops[0]

    def fix(moment: dt.datetime) -> PingInput:
        # At rest at the depot until 8:00, then on its way to the first stop at an even pace.
        share = max((moment - local(world.day, 8)).total_seconds(), 0.0) / (20 * 60)
        return PingInput(client_id=f"p-{moment:%H%M%S}", recorded_at=moment, speed_mps=5.0 if share else 0.0,
                         lat=depot[0] + (first.job.lat - depot[0]) * share,
                         lng=depot[1] + (first.job.lng - depot[1]) * share)

    for minute in range(0, 15, 1):
        moment = local(world.day, 7, 55) + dt.timedelta(minutes=minute)
        ping_record_batch(vehicle=world.vehicle, points=[fix(moment + dt.timedelta(seconds=s)) for s in (0, 20, 40)],
                          now=moment + dt.timedelta(seconds=45))

    left = Route.objects.get(pk=world.route.pk).departed_at
    assert left is not None and local(world.day, 8) <= left <= local(world.day, 8, 2)


def test_a_van_whose_fixes_start_away_from_the_depot_is_not_said_to_have_left_it(world):
    first = world.stops[0]
    ping_record_batch(vehicle=world.vehicle, now=local(world.day, 8, 11), points=[
        PingInput(client_id=f"p-{second}", recorded_at=local(world.day, 8, 10) + dt.timedelta(seconds=second),
                  lat=first.job.lat - 0.004 + second * 0.00002, lng=first.job.lng, speed_mps=5.0)
        for second in (0, 15, 30)
    ])

    assert Route.objects.get(pk=world.route.pk).departed_at is None


def test_a_leg_that_ends_as_its_window_opens_says_nothing_about_traffic_however_fast_it_was(world):
    first, second = world.stops[:2]
    # Quick to arrive just as the window opened: the van may well have crawled to wait for it.
    second.job.window_start = local(world.day, 8, 19) + dt.timedelta(seconds=30)
    second.job.save(update_fields=["window_start"])
    drive(first, arrived=local(world.day, 8, 10), left=local(world.day, 8, 15))
    drive(second, arrived=local(world.day, 8, 20), left=local(world.day, 8, 24))
    now = local(world.day, 8, 30)

    traffic = plan_traffic(stops=_plan_driven_stops(plan_id=world.plan.pk, now=now), now=now,
                           leg_seconds=ten_minutes_a_leg)

    assert traffic.pace == 1.0


def test_a_van_slow_on_the_leg_it_is_driving_is_expected_to_stay_slow_on_the_rest_of_it(world):
    first, second = world.stops[:2]
    drive(first, arrived=local(world.day, 8, 10), left=local(world.day, 8, 14))
    # Ten minutes after leaving, a quarter of the way: at that pace the rest takes half an hour more.
    park(world.vehicle, at=halfway(first, second, 0.25), seen=local(world.day, 8, 24))
    now = local(world.day, 8, 24)

    rest = first_leg_seconds(world.route, now)

    # The provider still says ten minutes from here; a quarter done, the leg's own pace weighs a quarter.
    assert rest == pytest.approx(0.75 * TEN_MINUTES + 0.25 * 30 * 60, rel=0.02)


def test_a_van_that_drove_into_a_zone_before_it_jammed_is_not_taken_for_a_fast_van(world):
    """The van served a zone at the provider's pace; later the fleet crawls there. Its next stop is elsewhere."""
    first, second, third, fourth = world.stops
    clear_zone = ZoneFactory(depot=world.depot)
    Job.objects.filter(pk=fourth.job_id).update(zone=clear_zone)
    drive(first, arrived=local(world.day, 8, 10), left=local(world.day, 8, 14))
    drive(second, arrived=local(world.day, 8, 24), left=local(world.day, 8, 28))
    drive(third, arrived=local(world.day, 8, 38), left=local(world.day, 8, 42))
    # Another van of the plan, in the same zone an hour later: twice the provider's time on each leg.
    other = VehicleFactory(depot=world.depot)
    route = RouteFactory(plan=world.plan, vehicle=other, shift=ShiftFactory(vehicle=other, depot=world.depot,
                         date=world.day), starts_at=local(world.day, 8))
    for sequence, (arrived, left) in enumerate([((9, 0), (9, 4)), ((9, 24), (9, 28)), ((9, 48), (9, 52))], start=1):
        job = JobFactory(zone=world.zone, depot=world.depot, date=world.day, lat=48.86 + sequence / 200, lng=2.31,
                         status="planned", window_start=local(world.day, 8), window_end=local(world.day, 12))
        stop = Stop.objects.create(route=route, job=job, sequence=sequence, planned_arrival=local(world.day, 9),
                                   planned_departure=local(world.day, 9, 4))
        drive(stop, arrived=local(world.day, *arrived), left=local(world.day, *left))
    now = local(world.day, 9, 55)
    traffic = plan_traffic(stops=_plan_driven_stops(plan_id=world.plan.pk, now=now), now=now,
                           leg_seconds=ten_minutes_a_leg)

    to_the_clear_zone = first_leg_seconds(world.route, now)

    # Against the jam of now its legs look fast; against the traffic they were driven in, they were on pace.
    assert traffic.factor(world.zone.pk) > 1.5
    assert to_the_clear_zone == pytest.approx(TEN_MINUTES * traffic.factor(clear_zone.pk), abs=1)


def _band_of_the_last_stop(world, now) -> dt.timedelta:
    route = Route.objects.select_related("vehicle__depot", "plan").get(pk=world.route.pk)
    etas, _stops = route_etas_compute(route=route, now=now, leg_seconds=ten_minutes_a_leg)
    return etas[-1].band_end - etas[-1].band_start


def test_a_day_whose_stops_took_far_more_or_less_than_expected_shows_a_wider_band(world):
    first, second, third, _fourth = world.stops
    now = local(world.day, 9, 0)
    drive(first, arrived=local(world.day, 8, 10), left=local(world.day, 8, 14))
    drive(second, arrived=local(world.day, 8, 24), left=local(world.day, 8, 28))
    on_time = _band_of_the_last_stop(world, now)
    # The same two stops, but one took a minute and the other a quarter of an hour (four minutes expected).
    drive(first, arrived=local(world.day, 8, 10), left=local(world.day, 8, 11))
    drive(second, arrived=local(world.day, 8, 21), left=local(world.day, 8, 36))

    erratic = _band_of_the_last_stop(world, now)

    assert erratic > on_time + dt.timedelta(minutes=1)


def test_a_zone_whose_dwells_run_long_today_is_expected_to_keep_them_long_at_the_stops_ahead(world):
    """The zone learned 4-minute dwells over past days; today its first two took 10 minutes each."""
    first, second, third, fourth = world.stops
    now = local(world.day, 8, 45)
    drive(first, arrived=local(world.day, 8, 10), left=local(world.day, 8, 20))
    drive(second, arrived=local(world.day, 8, 30), left=local(world.day, 8, 40))
    park(world.vehicle, at=halfway(second, third), seen=now)
    route = Route.objects.select_related("vehicle__depot", "plan").get(pk=world.route.pk)

    etas, _stops = route_etas_compute(route=route, now=now, leg_seconds=ten_minutes_a_leg)

    # Two dwells of 600 s pooled with the learned 240 s counted as six: (2 x 600 + 6 x 240) / 8 = 330 s at the
    # third stop before the ten-minute leg to the fourth, where the learned time alone said 240.
    assert world.zone.service_seconds == 240
    assert (etas[1].eta - etas[0].eta).total_seconds() == pytest.approx(TEN_MINUTES + 330, abs=1)


def test_a_van_slow_on_its_way_out_of_the_depot_is_expected_to_stay_slow_on_the_rest_of_the_first_leg(world):
    """The first leg of the day has no stop behind it: the van's fixes say when it left the depot."""
    depot, first = (world.depot.lat, world.depot.lng), world.stops[0]
    moment = local(world.day, 7, 55)
    while moment <= local(world.day, 8, 20):
        # At rest at the depot until 8:00, then a quarter of the way to the first stop in twenty minutes.
        share = max((moment - local(world.day, 8)).total_seconds(), 0.0) / (80 * 60)
        lat, lng = (depot[0] + (first.job.lat - depot[0]) * share, depot[1] + (first.job.lng - depot[1]) * share)
        Ping.objects.create(vehicle=world.vehicle, client_id=f"p-{moment:%H%M%S}", recorded_at=moment, lat=lat, lng=lng,
                            speed_mps=1.1 if share else 0.0)
        moment += dt.timedelta(seconds=15)
    now = local(world.day, 8, 20)
    park(world.vehicle, at=(lat, lng), seen=now)

    rest = first_leg_seconds(world.route, now)

    # Left at about 8:00:07; the provider says ten minutes from here, and a quarter done, its own pace weighs a quarter.
    assert rest == pytest.approx(0.75 * TEN_MINUTES + 0.25 * 3 * (20 * 60 - 7), rel=0.02)


# --- What the travel-time service is asked --------------------------------------------------------


TABLE_SPEED_MPS = 2.0  # far from the haversine profile's, so its answers cannot pass for the table's


def table_seconds(a, b) -> int:
    return round(haversine_m(*a, *b) * 1.3 / TABLE_SPEED_MPS)


def osrm_table(points):
    """A table service driving at `TABLE_SPEED_MPS` over 1.3 times the straight line."""
    distances = [[haversine_m(*a, *b) * 1.3 for b in points] for a in points]
    return {"code": "Ok", "distances": distances,
            "durations": [[d / TABLE_SPEED_MPS for d in row] for row in distances]}


def coordinates_asked(path: str) -> int:
    return len(path.split("?")[0].rsplit("/", 1)[-1].split(";"))


@pytest.fixture
def osrm(settings):
    cache.clear()
    with fake_osrm_server() as (handler, url):
        handler.table = osrm_table
        settings.OSRM_URL = url
        yield handler


def on_the_way_to_the_third_stop(world) -> dt.datetime:
    """The van has served two stops, driving between them as the table says, and is a third of the way to the next."""
    first, second, third, _fourth = world.stops
    left = local(world.day, 8, 14)
    arrived = left + dt.timedelta(seconds=table_seconds((first.job.lat, first.job.lng), (second.job.lat, second.job.lng)))
    drive(first, arrived=local(world.day, 8, 10), left=left)
    drive(second, arrived=arrived, left=arrived + dt.timedelta(minutes=4))
    now = arrived + dt.timedelta(minutes=7)
    park(world.vehicle, at=halfway(second, third, 0.3), seen=now)
    return now


def test_with_a_table_service_a_refresh_asks_one_table_for_the_whole_remaining_route(world, osrm):
    _first, _second, third, fourth = world.stops
    now = on_the_way_to_the_third_stop(world)

    stored = eta_refresh_route(route=world.route, now=now, publish=False)

    assert {snap.stop_id for snap in stored} == {third.pk, fourth.pk}
    # The van, its driven leg (first to second) and the legs ahead: one table of five points.
    assert len(osrm.requests_seen) == 1
    assert coordinates_asked(osrm.requests_seen[0]) == 5
    # The van drives as the table says, so the last leg is the table's, after the third stop's usual dwell.
    gap = EtaSnapshot.objects.get(stop=fourth).eta - EtaSnapshot.objects.get(stop=third).eta
    expected = 240 + table_seconds((third.job.lat, third.job.lng), (fourth.job.lat, fourth.job.lng))
    assert gap.total_seconds() == pytest.approx(expected, abs=1)


def test_the_next_refresh_asks_only_for_the_leg_from_where_the_van_is_now(world, osrm):
    _first, second, third, _fourth = world.stops
    now = on_the_way_to_the_third_stop(world)
    eta_refresh_route(route=world.route, now=now, publish=False)
    later = now + dt.timedelta(minutes=1)
    park(world.vehicle, at=halfway(second, third, 0.5), seen=later)

    eta_refresh_route(route=world.route, now=later, publish=False)

    assert len(osrm.requests_seen) == 2
    assert coordinates_asked(osrm.requests_seen[1]) == 2


def test_a_route_longer_than_a_table_allows_is_asked_in_several_tables(settings):
    cache.clear()
    points = [(48.85 + 0.002 * i, 2.33 + 0.003 * i) for i in range(6)]
    with fake_osrm_server() as (handler, url):
        handler.table = osrm_table
        legs = ProviderLegTimes(provider=OsrmProvider(url, max_table_points=3))

        legs.prefetch(stop_legs=list(zip(points, points[1:], strict=False)))
        seconds = [legs(a, b, local(dt.date(2026, 11, 24), 9)) for a, b in zip(points, points[1:], strict=False)]

    assert all(coordinates_asked(path) <= 3 for path in handler.requests_seen)
    assert len(handler.requests_seen) == 3
    assert seconds == [table_seconds(a, b) for a, b in zip(points, points[1:], strict=False)]
    assert math.isclose(legs(points[0], points[0], local(dt.date(2026, 11, 24), 9)), 0.0)


def test_a_ping_batch_asks_the_table_service_before_its_transaction_not_inside_it(world, osrm, monkeypatch):
    # A table service may take seconds; asked inside the batch's transaction it held every writer (on SQLite,
    # the whole database) that long.
    from django.db import connection

    _first, second, third, fourth = world.stops
    now = on_the_way_to_the_third_stop(world)
    outer = len(connection.atomic_blocks)  # the test's own transaction
    depths = []
    ask = OsrmProvider.matrices
    monkeypatch.setattr(OsrmProvider, "matrices",
                        lambda self, *args, **kwargs: depths.append(len(connection.atomic_blocks)) or ask(self, *args, **kwargs))
    fix, later = halfway(second, third, 0.6), now + dt.timedelta(seconds=40)

    ping_record_batch(vehicle=world.vehicle, now=later,
                      points=[PingInput(client_id="fix-1", recorded_at=later, lat=fix[0], lng=fix[1])])

    assert depths and set(depths) == {outer}, f"asked at transaction depths {depths}, outside is {outer}"
    assert {snap.stop_id for snap in EtaSnapshot.objects.all()} == {third.pk, fourth.pk}
