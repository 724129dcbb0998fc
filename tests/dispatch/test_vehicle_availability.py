"""One rule says which vehicles serve: a van in maintenance is neither planned nor offered to shoppers."""

import datetime as dt

import pytest

from dispatch.capacity import capacity_cache_clear
from dispatch.models import Plan, Route, Vehicle
from dispatch.services import plan_day, plan_replan
from scheduling.models import Window
from scheduling.services import windows_materialize
from scheduling.windows import window_offers
from tests.factories import (
    PARIS,
    DepotFactory,
    JobFactory,
    MerchantFactory,
    ShiftFactory,
    VehicleFactory,
    WindowTemplateFactory,
    ZoneFactory,
    local,
)

DAY = dt.date(2026, 6, 2)
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=PARIS)
HERE = (48.8556, 2.3600)


@pytest.fixture(autouse=True)
def _fresh_oracle():
    """The oracle caches days per process: each test starts without another test's routes."""
    capacity_cache_clear()
    yield
    capacity_cache_clear()


@pytest.fixture
def zone(db):
    return ZoneFactory(depot=DepotFactory(lat=48.85, lng=2.37))


@pytest.fixture
def only_van(zone):
    van = VehicleFactory(depot=zone.depot, code="only-van")
    ShiftFactory(vehicle=van, depot=zone.depot, date=DAY, starts_at=local(DAY, 8), ends_at=local(DAY, 20))
    return van


def book(zone):
    return JobFactory(zone=zone, depot=zone.depot, date=DAY, lat=HERE[0], lng=HERE[1],
                      window_start=local(DAY, 14), window_end=local(DAY, 16), service_seconds=300)


def send_to_maintenance(van):
    Vehicle.objects.filter(pk=van.pk).update(status=Vehicle.Status.MAINTENANCE)


def test_a_depot_whose_only_van_is_in_maintenance_offers_no_capacity_at_checkout(zone, only_van):
    # The day was planned while the van could still drive; then it went into the workshop.
    book(zone)
    plan_day(depot=zone.depot, date=DAY)
    assert Route.objects.filter(plan__depot=zone.depot, vehicle=only_van).exists()
    send_to_maintenance(only_van)
    merchant = MerchantFactory()
    WindowTemplateFactory(merchant=merchant, zone=zone, start_time=dt.time(10), end_time=dt.time(12), max_stops=None)

    windows_materialize(merchant=merchant, start=DAY, days=1)
    offers = window_offers(merchant=merchant, zone=zone, lat=HERE[0], lng=HERE[1], start=DAY, days=1, now=NOW)

    assert Window.objects.get(merchant=merchant, date=DAY).capacity == 0
    assert [(offer.available, offer.remaining) for offer in offers] == [(False, 0)]


def test_a_van_back_from_maintenance_is_offered_again(zone, only_van):
    send_to_maintenance(only_van)
    merchant = MerchantFactory()
    WindowTemplateFactory(merchant=merchant, zone=zone, start_time=dt.time(10), end_time=dt.time(12), max_stops=8)
    windows_materialize(merchant=merchant, start=DAY, days=1)
    assert not window_offers(merchant=merchant, zone=zone, lat=HERE[0], lng=HERE[1], start=DAY, days=1,
                             now=NOW)[0].available

    Vehicle.objects.filter(pk=only_van.pk).update(status=Vehicle.Status.AVAILABLE)

    assert window_offers(merchant=merchant, zone=zone, lat=HERE[0], lng=HERE[1], start=DAY, days=1,
                         now=NOW)[0].available


def test_the_planner_plans_no_route_on_a_van_in_maintenance(zone, only_van):
    job = book(zone)
    send_to_maintenance(only_van)

    plan = plan_day(depot=zone.depot, date=DAY)

    assert not plan.routes.exists()
    assert [(u["job"], u["reason"]) for u in plan.unassigned] == [(job.pk, "no_vehicle")]


def test_a_replan_takes_the_planned_route_off_a_van_sent_to_maintenance(zone, only_van):
    book(zone)
    plan_day(depot=zone.depot, date=DAY)
    send_to_maintenance(only_van)

    replanned = plan_replan(depot=zone.depot, date=DAY, trigger="maintenance", now=NOW)

    assert replanned.status == Plan.Status.ACTIVE
    assert not replanned.routes.filter(vehicle=only_van).exists()
