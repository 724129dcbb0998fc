import datetime as dt

import pytest
from django.core.cache import cache

from tests.factories import DepotFactory, JobFactory, ShiftFactory, VehicleFactory, ZoneFactory, local

# A Tuesday; every test of the planner works on this day unless it says otherwise.
PLAN_DAY = dt.date(2026, 3, 10)

# Points around central Paris, a few kilometres from the depot, in no particular order.
PARIS_POINTS = [
    (48.8606, 2.3376), (48.8530, 2.3499), (48.8738, 2.2950), (48.8462, 2.3371), (48.8867, 2.3431),
    (48.8584, 2.2945), (48.8649, 2.3800), (48.8400, 2.3600), (48.8790, 2.3550), (48.8510, 2.3900),
    (48.8700, 2.3200), (48.8450, 2.3100), (48.8820, 2.3700), (48.8350, 2.3450), (48.8630, 2.3650),
    (48.8560, 2.3200), (48.8760, 2.3350), (48.8480, 2.3750), (48.8680, 2.3050), (48.8410, 2.3250),
]


@pytest.fixture(autouse=True)
def _empty_cache():
    """The re-plan debounce lives in the cache: start every test without a pending request."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def depot(db):
    return DepotFactory(code="paris-north", name="Paris North", lat=48.8566, lng=2.3522)


@pytest.fixture
def zone(depot):
    return ZoneFactory(code="paris-centre", name="Paris centre", depot=depot)


@pytest.fixture
def fleet(depot):
    """Three vans with a 08:00–20:00 shift on the plan day."""
    vans = []
    for n in range(1, 4):
        van = VehicleFactory(code=f"van-{n}", name=f"Van {n}", depot=depot, capacity_parcels=40, capacity_weight_kg=500)
        ShiftFactory(vehicle=van, depot=depot, date=PLAN_DAY, starts_at=local(PLAN_DAY, 8), ends_at=local(PLAN_DAY, 20))
        vans.append(van)
    return vans


def make_jobs(zone, count: int, *, day: dt.date = PLAN_DAY, windows=((9, 11), (11, 13), (13, 15), (15, 17)), **extra):
    """`count` jobs spread over Paris and over the day's windows."""
    jobs = []
    for i in range(count):
        lat, lng = PARIS_POINTS[i % len(PARIS_POINTS)]
        start, end = windows[i % len(windows)]
        jobs.append(JobFactory(
            zone=zone, depot=zone.depot, date=day, lat=lat + (i // len(PARIS_POINTS)) * 0.003, lng=lng,
            window_start=local(day, start), window_end=local(day, end), reference=f"J{i + 1:03d}", **extra,
        ))
    return jobs


@pytest.fixture
def jobs(zone, fleet):
    return make_jobs(zone, 12)


@pytest.fixture(autouse=True)
def _quick_solves(settings):
    """Test days are small: one second of search finds their best plan."""
    settings.PLANNER_TIME_LIMIT_SECONDS = 1.0


@pytest.fixture
def tasks_in_process():
    """Run enqueued Celery tasks in this process, as the no-services mode does, even when REDIS_URL is set."""
    from portal.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
