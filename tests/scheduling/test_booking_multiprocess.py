"""Checkout runs in several web processes: a booking is judged on the committed day, not on what one process cached.

Each "process" here is its own copy of the capacity oracle's per-process cache.
"""

import contextlib
import datetime as dt

import pytest

from dispatch import capacity
from dispatch.models import Shift
from dispatch.services import plan_day
from scheduling.errors import SchedulingError
from scheduling.services import delivery_book, windows_materialize
from scheduling.windows import window_offers
from tests.factories import WindowTemplateFactory, local
from tests.scheduling.conftest import ADDRESS, NOW, TOMORROW, add_shifts


class WebProcess:
    """One daphne process's view: its own oracle cache, swapped in while it serves a request."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        self.cache: dict = {}

    @contextlib.contextmanager
    def serving(self):
        self.monkeypatch.setattr(capacity, "_cache", self.cache)
        yield

    def offers(self, merchant, zone):
        with self.serving():
            return window_offers(merchant=merchant, zone=zone, start=TOMORROW, days=1, now=NOW, **ADDRESS)

    def book(self, merchant, window, ref):
        with self.serving():
            return delivery_book(merchant=merchant, window=window, order_ref=ref, recipient_name="Jade Moreau",
                                 address_line1="12 Rue de Rivoli", address_city="Paris", address_postcode="75004",
                                 now=NOW, **ADDRESS)


@pytest.fixture
def one_van(depot):
    return add_shifts(depot, [TOMORROW], vehicles=1)[0]


@pytest.fixture
def evening_window(merchant, zone, one_van, frozen_now):
    WindowTemplateFactory(merchant=merchant, zone=zone, label="evening", start_time=dt.time(18),
                          end_time=dt.time(20), cutoff_days_before=0, cutoff_time=dt.time(12), max_stops=40)
    windows_materialize(merchant=merchant, start=TOMORROW, days=1)
    return merchant.windows.get(date=TOMORROW)


def served_by_the_plan(depot, deliveries) -> set[int]:
    plan = plan_day(depot=depot, date=TOMORROW, time_limit_s=1)
    on_routes = {stop.job_id for route in plan.routes.all() for stop in route.stops.all()}
    return {d.job_id for d in deliveries} & on_routes


def test_a_van_sent_home_early_in_one_process_takes_no_evening_booking_in_another(
        monkeypatch, merchant, zone, depot, one_van, evening_window):
    first, second = WebProcess(monkeypatch), WebProcess(monkeypatch)
    assert [o.available for o in second.offers(merchant, zone)] == [True]  # the second process caches the day

    # A dispatcher, through the first process, ends the only van's shift at 17:00.
    Shift.objects.filter(pk=one_van.pk).update(ends_at=local(TOMORROW, 17))
    with first.serving():
        capacity.capacity_cache_clear()

    with pytest.raises(SchedulingError) as refused:
        second.book(merchant, evening_window, "ORD-EVENING")
    assert refused.value.code == "window_full"
    evening_window.refresh_from_db()
    assert evening_window.booked == 0


def test_a_rush_through_two_processes_books_only_what_the_plan_then_serves(
        monkeypatch, merchant, zone, depot, one_van, evening_window):
    processes = [WebProcess(monkeypatch), WebProcess(monkeypatch)]
    for process in processes:
        process.offers(merchant, zone)
    booked, refused = [], 0
    for n in range(40):
        try:
            booked.append(processes[n % 2].book(merchant, evening_window, f"ORD-{n}"))
        except SchedulingError as error:
            assert error.code == "window_full"
            refused += 1

    assert booked and refused  # the van filled up before the merchant's 40 places did
    assert served_by_the_plan(depot, booked) == {d.job_id for d in booked}
