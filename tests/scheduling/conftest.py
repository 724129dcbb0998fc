import datetime as dt

import pytest

from merchants.models import ApiKey
from merchants.services import api_key_create
from tests.factories import (
    PARIS,
    AllowedOriginFactory,
    DepotFactory,
    ShiftFactory,
    VehicleFactory,
    WindowTemplateFactory,
    ZoneFactory,
    local,
)

# A fixed "now": Monday 2026-06-01 09:00 in Paris. Tomorrow's windows are open until 22:00 tonight.
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=PARIS)
TOMORROW = NOW.date() + dt.timedelta(days=1)
# An address in central Paris, inside the default zone polygon.
ADDRESS = {"lat": 48.8556, "lng": 2.3600}


@pytest.fixture
def frozen_now(clock_at):
    """The clock services read stands at NOW; the fixture moves it again: `frozen_now(later)`."""
    clock_at(NOW)
    return clock_at


@pytest.fixture
def depot(db):
    return DepotFactory(code="paris-east", lat=48.85, lng=2.37)


@pytest.fixture
def zone(depot):
    return ZoneFactory(code="paris-centre", depot=depot)


def add_shifts(depot, days, vehicles=2, skills=(), start=8, end=20, capacity_parcels=80):
    made = []
    for _ in range(vehicles):
        vehicle = VehicleFactory(depot=depot, skills=list(skills), capacity_parcels=capacity_parcels)
        for day in days:
            made.append(ShiftFactory(vehicle=vehicle, depot=depot, date=day, starts_at=local(day, start),
                                     ends_at=local(day, end)))
    return made


@pytest.fixture
def fleet(depot):
    return add_shifts(depot, [TOMORROW + dt.timedelta(days=i) for i in range(7)])


@pytest.fixture
def template(merchant, zone):
    return WindowTemplateFactory(merchant=merchant, zone=zone, label="standard", start_time=dt.time(10),
                                 end_time=dt.time(12), price_amount="3.90", cutoff_days_before=1,
                                 cutoff_time=dt.time(22), max_stops=10)


@pytest.fixture
def evening_template(merchant, zone):
    return WindowTemplateFactory(merchant=merchant, zone=zone, label="evening", start_time=dt.time(18),
                                 end_time=dt.time(20), price_amount="4.90", cutoff_days_before=0,
                                 cutoff_time=dt.time(12), max_stops=10)


@pytest.fixture
def windows(merchant, template, evening_template, fleet, frozen_now):
    from scheduling.services import windows_materialize

    windows_materialize(merchant=merchant, start=NOW.date(), days=8)
    return merchant.windows.order_by("starts_at")


@pytest.fixture
def tomorrow_window(windows, template):
    return windows.get(template=template, date=TOMORROW)


@pytest.fixture
def browser_origin(merchant):
    return AllowedOriginFactory(merchant=merchant, origin="https://shop.example.com")


@pytest.fixture
def revoked_secret_key(merchant) -> str:
    from merchants.services import api_key_revoke

    key, raw = api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET)
    api_key_revoke(key=key)
    return raw


def booking_body(window_id=None, order_ref="ORD-1", **overrides) -> dict:
    body = {
        "order_ref": order_ref,
        "recipient": {"name": "Camille Durand", "phone": "+33612345678", "email": "camille@example.com"},
        "address": {"line1": "12 Rue de Rivoli", "city": "Paris", "postcode": "75004", **ADDRESS},
        "access_notes": "Code 1234",
        "preferences": {"safe_drop": True},
    }
    if window_id is not None:
        body["window_id"] = window_id
    body.update(overrides)
    return body
