"""The capacity oracle answers from tentative routes, not from a counter."""

import datetime as dt

import pytest

from dispatch.capacity import CandidateWindow, JobSpec, capacity_check
from dispatch.models import Job, Plan, Route, Stop
from tests.factories import PARIS, DepotFactory, JobFactory, ShiftFactory, VehicleFactory, ZoneFactory, local

DAY = dt.date(2026, 6, 2)
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=PARIS)
HERE = (48.8556, 2.3600)


@pytest.fixture
def zone(db):
    depot = DepotFactory(lat=48.85, lng=2.37)
    return ZoneFactory(depot=depot, default_service_seconds=600)


def one_van(zone, *, skills=(), parcels=80, start=8, end=20):
    vehicle = VehicleFactory(depot=zone.depot, skills=list(skills), capacity_parcels=parcels)
    return ShiftFactory(vehicle=vehicle, depot=zone.depot, date=DAY, starts_at=local(DAY, start),
                        ends_at=local(DAY, end))


def window(key, start, end):
    return CandidateWindow(key, local(DAY, *start), local(DAY, *end))


def book(zone, start, end, n, **extra):
    return [
        JobFactory(zone=zone, depot=zone.depot, date=DAY, lat=HERE[0], lng=HERE[1], window_start=local(DAY, *start),
                   window_end=local(DAY, *end), service_seconds=600, **extra)
        for _ in range(n)
    ]


def ask(zone, windows, **job):
    spec = JobSpec(lat=HERE[0], lng=HERE[1], service_seconds=600, **job)
    return capacity_check(zone=zone, job=spec, windows=windows, now=NOW)


def test_a_window_that_looks_free_by_count_but_cannot_be_reached_in_time_is_not_offered(zone):
    one_van(zone)
    # Four 10-minute stops already start at 10:00, 10:10, 10:20 and 10:30: a fifth cannot start by 10:30.
    book(zone, (10, 0), (10, 30), 4)
    verdicts = ask(zone, [window("short", (10, 0), (10, 30)), window("later", (11, 0), (11, 30))])
    assert verdicts["short"].feasible is False
    assert verdicts["short"].reason == "full"
    assert verdicts["later"].feasible is True
    assert verdicts["later"].remaining >= 1


def test_a_window_freed_by_a_cancellation_is_offered_again(zone):
    one_van(zone)
    jobs = book(zone, (10, 0), (10, 30), 4)
    assert ask(zone, [window("w", (10, 0), (10, 30))])["w"].feasible is False
    Job.objects.filter(pk=jobs[0].pk).update(status=Job.Status.CANCELLED)
    assert ask(zone, [window("w", (10, 0), (10, 30))])["w"].feasible is True


def test_a_new_booking_fills_the_window_for_the_next_shopper(zone):
    one_van(zone)
    book(zone, (10, 0), (10, 30), 3)
    assert ask(zone, [window("w", (10, 0), (10, 30))])["w"].feasible is True
    book(zone, (10, 0), (10, 30), 1)  # the cached routes are extended, not trusted blindly
    assert ask(zone, [window("w", (10, 0), (10, 30))])["w"].feasible is False


def test_a_job_needing_a_skill_no_vehicle_has_is_refused_as_skill_unavailable(zone):
    one_van(zone)
    verdict = ask(zone, [window("w", (10, 0), (12, 0))], skills=("refrigerated",))["w"]
    assert (verdict.feasible, verdict.reason) == (False, "skill_unavailable")


def test_a_job_needing_a_skill_goes_to_the_vehicle_that_has_it(zone):
    one_van(zone)
    one_van(zone, skills=("refrigerated",))
    assert ask(zone, [window("w", (10, 0), (12, 0))], skills=("refrigerated",))["w"].feasible is True


def test_a_window_after_the_shift_ends_is_not_offered(zone):
    one_van(zone, start=8, end=16)
    verdicts = ask(zone, [window("evening", (18, 0), (20, 0)), window("morning", (10, 0), (12, 0))])
    assert verdicts["evening"].feasible is False
    assert verdicts["morning"].feasible is True


def test_a_full_van_takes_no_more_parcels(zone):
    one_van(zone, parcels=3)
    book(zone, (14, 0), (16, 0), 3)
    assert ask(zone, [window("w", (10, 0), (12, 0))])["w"].feasible is False


def test_a_day_without_shifts_offers_nothing(zone):
    verdict = ask(zone, [window("w", (10, 0), (12, 0))])["w"]
    assert (verdict.feasible, verdict.reason) == (False, "no_shift")


def test_an_expired_hold_stops_counting_without_any_cleanup(zone):
    one_van(zone)
    book(zone, (10, 0), (10, 30), 3)
    book(zone, (10, 0), (10, 30), 1, status=Job.Status.HELD, hold_expires_at=NOW + dt.timedelta(minutes=10))
    assert ask(zone, [window("w", (10, 0), (10, 30))])["w"].feasible is False
    later = NOW + dt.timedelta(minutes=11)
    spec = JobSpec(lat=HERE[0], lng=HERE[1], service_seconds=600)
    assert capacity_check(zone=zone, job=spec, windows=[window("w", (10, 0), (10, 30))], now=later)["w"].feasible


def test_the_active_plan_routes_are_used_when_the_day_is_planned(zone):
    shift = one_van(zone)
    jobs = book(zone, (10, 0), (10, 30), 4)
    plan = Plan.objects.create(depot=zone.depot, date=DAY, version=1)
    route = Route.objects.create(plan=plan, vehicle=shift.vehicle, shift=shift, starts_at=shift.starts_at,
                                 ends_at=shift.ends_at)
    for sequence, job in enumerate(jobs, start=1):
        arrival = local(DAY, 10) + dt.timedelta(minutes=10 * (sequence - 1))
        Stop.objects.create(route=route, job=job, sequence=sequence, planned_arrival=arrival,
                            planned_departure=arrival + dt.timedelta(minutes=10))
    verdicts = ask(zone, [window("short", (10, 0), (10, 30)), window("later", (11, 0), (11, 30))])
    assert verdicts["short"].feasible is False
    assert verdicts["later"].feasible is True


def test_remaining_room_shrinks_as_the_window_fills(zone):
    one_van(zone)
    before = ask(zone, [window("w", (10, 0), (12, 0))])["w"].remaining
    book(zone, (10, 0), (12, 0), 5)
    after = ask(zone, [window("w", (10, 0), (12, 0))])["w"].remaining
    assert after < before
