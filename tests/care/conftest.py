import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from scheduling.services import windows_materialize
from tests.factories import (
    PARIS,
    DepotFactory,
    MerchantFactory,
    ShiftFactory,
    VehicleFactory,
    WindowTemplateFactory,
    ZoneFactory,
    local,
    platform_staff,
)

# A fixed "now": Tuesday 2026-06-02 18:00 in Paris.
NOW = dt.datetime(2026, 6, 2, 18, 0, tzinfo=PARIS)
TODAY = NOW.date()
TOMORROW = TODAY + dt.timedelta(days=1)


@pytest.fixture
def frozen_now(clock_at):
    """The clock services read stands at NOW; the fixture moves it again: `frozen_now(later)`."""
    clock_at(NOW)
    return clock_at


def make_agent(username: str, first_name: str = "", last_name: str = ""):
    return platform_staff(username, "care", first_name=first_name, last_name=last_name)


@pytest.fixture
def agent(db):
    return make_agent("alice", "Alice", "Moreau")


@pytest.fixture
def teammate(db):
    return make_agent("bruno", "Bruno", "Petit")


@pytest.fixture
def outsider(db):
    return get_user_model().objects.create_user("mallory", "m@example.com", "pw", is_staff=False)


@pytest.fixture
def console(agent) -> Client:
    """A browser signed in as the care agent."""
    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def depot(db):
    return DepotFactory(code="paris-east", name="Paris East", lat=48.85, lng=2.37)


@pytest.fixture
def zone(depot):
    return ZoneFactory(code="paris-centre", name="Paris centre", depot=depot)


def add_shifts(depot, days, vehicles=2):
    for _ in range(vehicles):
        vehicle = VehicleFactory(depot=depot)
        for day in days:
            ShiftFactory(vehicle=vehicle, depot=depot, date=day, starts_at=local(day, 8), ends_at=local(day, 20))


@pytest.fixture
def windows(zone, depot, frozen_now):
    """Fresh Basket's standard (10-12) and evening (18-20) windows for four days, with vans on the next three."""
    merchant = MerchantFactory(slug="fresh-basket", name="Fresh Basket")
    WindowTemplateFactory(merchant=merchant, zone=zone, start_time=dt.time(10), end_time=dt.time(12), max_stops=10)
    WindowTemplateFactory(merchant=merchant, zone=zone, label="evening", start_time=dt.time(18),
                          end_time=dt.time(20), max_stops=10)
    add_shifts(depot, [TOMORROW + dt.timedelta(days=i) for i in range(3)])
    windows_materialize(merchant=merchant, start=TODAY, days=4)
    return merchant.windows.order_by("starts_at")
