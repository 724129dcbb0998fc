"""A day's snapshot becomes the solver's problem without the database: no test here may touch it."""

import dataclasses
import datetime as dt

import pytest

from dispatch.capacity import _Travel
from dispatch.planning import (
    DaySnapshot,
    DepotSnapshot,
    FinishedStop,
    JobSnapshot,
    ShiftSnapshot,
    VehicleHistory,
    ZoneSnapshot,
    problem_from_snapshot,
)
from dispatch.solver import Break, plan_solve_problem
from dispatch.travel import HaversineProvider
from tests.factories import PARIS, local

DAY = dt.date(2026, 3, 10)
MIDNIGHT = dt.datetime.combine(DAY, dt.time(0), tzinfo=PARIS)
DEPOT = DepotSnapshot(id=1, lat=48.8566, lng=2.3522, time_zone="Europe/Paris")
CENTRE = ZoneSnapshot(id=10, speed_factor=1.0, service_seconds=240)
JAMMED = ZoneSnapshot(id=11, speed_factor=2.0, service_seconds=420)


def hour(h: float) -> int:
    return int(h * 3600)


def job(pk, zone=CENTRE, lat=48.8606, lng=2.3376, window=(9, 11), **extra) -> JobSnapshot:
    values = dict(id=pk, zone_id=zone.id, lat=lat, lng=lng, window_start=local(DAY, window[0]),
                  window_end=local(DAY, window[1]), service_seconds=300, parcels=1, weight_kg=5)
    return JobSnapshot(**(values | extra))


def shift(vehicle_id, start=8, end=20, **extra) -> ShiftSnapshot:
    values = dict(vehicle_id=vehicle_id, starts_at=local(DAY, start), ends_at=local(DAY, end), capacity_parcels=40,
                  capacity_kg=500)
    return ShiftSnapshot(**(values | extra))


def day(jobs, shifts, **extra) -> DaySnapshot:
    return DaySnapshot(depot=DEPOT, date=DAY, epoch=MIDNIGHT, shifts=tuple(shifts), jobs=tuple(jobs),
                       zones=(CENTRE, JAMMED), **extra)


def build(snapshot):
    return problem_from_snapshot(snapshot, provider=HaversineProvider(road_factor=1.3), time_limit_s=1.0)


def test_jobs_become_solver_jobs_in_seconds_since_the_depots_midnight():
    snapshot = day([job(1, window=(9, 11)), job(2, zone=JAMMED, window=(14, 16), service_seconds=None,
                                                  skills=frozenset({"refrigerated"}), parcels=3, weight_kg=40)],
                   [shift(100)])

    problem, refused = build(snapshot)

    assert refused == []
    first, second = problem.jobs
    assert (first.id, first.location, first.window_start, first.window_end) == ("1", 1, hour(9), hour(11))
    assert (first.service_s, first.soft_window) == (300, False)
    # No service time of its own: the zone's.
    assert (second.id, second.location, second.service_s) == ("2", 2, 420)
    assert (second.demand, second.skills) == ((3, 40), frozenset({"refrigerated"}))


def test_travel_into_a_jammed_zone_takes_its_speed_factor_longer_rounded_up():
    here = job(1)
    there = dataclasses.replace(job(2), zone_id=JAMMED.id)
    snapshot = day([here, there], [shift(100)])

    problem, _ = build(snapshot)

    points = [(DEPOT.lat, DEPOT.lng), (here.lat, here.lng), (there.lat, there.lng)]
    _distances, plain = HaversineProvider(road_factor=1.3).matrices(points, departure_s=hour(8))
    assert problem.durations[0][1] == plain[0][1]
    assert problem.durations[0][2] == 2 * plain[0][2]
    assert problem.durations[1][2] == 2 * plain[1][2]
    # Leaving the jammed zone is not slowed.
    assert problem.durations[2][0] == plain[2][0]


def test_the_day_is_timed_when_its_first_shift_starts():
    early = build(day([job(1)], [shift(100, start=8), shift(101, start=12)]))[0]
    late = build(day([job(1)], [shift(100, start=12)]))[0]

    # 08:00 is in the morning rush (18 km/h), noon is not (30 km/h).
    assert early.durations[0][1] == pytest.approx(late.durations[0][1] * 30 / 18, abs=2)


def test_vehicles_carry_their_shift_capacity_skills_range_and_break():
    snapshot = day([job(1)], [shift(100, capacity_parcels=60, capacity_kg=700, skills=frozenset({"two_person"}),
                                    range_km=120, max_duration_minutes=480, break_minutes=30,
                                    break_earliest=local(DAY, 12), break_latest=local(DAY, 13))])

    problem, _ = build(snapshot)

    (van,) = problem.vehicles
    assert (van.id, van.start_location, van.end_location) == ("100", 0, 0)
    assert (van.shift_start, van.shift_end) == (hour(8), hour(20))
    assert (van.capacity, van.skills, van.max_distance_m, van.max_duration_s) == (
        (60, 700), frozenset({"two_person"}), 120_000, 480 * 60)
    assert van.break_ == Break(earliest_start=hour(12), latest_start=hour(13), duration_s=30 * 60)
    assert (problem.time_limit_s, problem.change_penalty, problem.locked) == (1.0, 0, {})


def test_in_flight_a_vehicle_starts_where_it_is_now_with_its_stop_locked_and_windows_soft():
    now = local(DAY, 11)
    history = {100: VehicleHistory(
        route_starts_at=local(DAY, 8),
        finished=(FinishedStop(job_id=9, status="done", lat=48.85, lng=2.34, planned_arrival=local(DAY, 9),
                               planned_departure=local(DAY, 9, 5), actual_arrival=local(DAY, 9),
                               actual_departure=local(DAY, 9, 5)),),
        remaining=(2, 1), driven_m=3000, in_progress=2, position=(48.87, 2.36),
    )}
    snapshot = day([job(1, window=(12, 14)), job(2, window=(10, 11))], [shift(100, max_duration_minutes=600),
                                                                         shift(101)], history=history, now=now)

    problem, _ = build(snapshot)

    moving, waiting = problem.vehicles
    # Location 1 is where van 100 is; the jobs follow.
    assert (moving.start_location, waiting.start_location) == (1, 0)
    assert [j.location for j in problem.jobs] == [2, 3]
    assert (moving.shift_start, waiting.shift_start) == (hour(11), hour(11))
    # Ten hours from 08:00, three of them gone.
    assert moving.max_duration_s == 7 * 3600
    assert problem.locked == {"100": ("2",)}
    assert problem.initial_routes == {"100": ("2", "1")}
    assert problem.change_penalty > 0
    assert all(j.soft_window for j in problem.jobs)


def test_without_shifts_or_after_the_last_one_every_job_is_refused_as_no_vehicle():
    jobs = [job(1), job(2)]

    no_shift, refused = build(day(jobs, []))
    over, refused_late = build(day(jobs, [shift(100, end=17)], now=local(DAY, 18)))

    assert no_shift is None and over is None
    assert [(r["job"], r["reason"]) for r in refused] == [(1, "no_vehicle"), (2, "no_vehicle")]
    assert [(r["job"], r["reason"]) for r in refused_late] == [(1, "no_vehicle"), (2, "no_vehicle")]


def test_a_day_without_jobs_has_nothing_to_solve():
    assert build(day([], [shift(100)])) == (None, [])


def test_the_problem_of_a_snapshot_solves_without_the_database():
    snapshot = day([job(1, window=(9, 11)), job(2, lat=48.8738, lng=2.2950, window=(13, 15))], [shift(100)])

    solution = plan_solve_problem(build(snapshot)[0])

    assert solution.unassigned == ()
    assert [v.job_id for r in solution.routes for v in r.visits] == ["1", "2"]


def test_the_capacity_oracle_times_a_leg_as_the_planner_does(settings):
    settings.ROAD_FACTOR = 1.3
    there = job(1, zone=JAMMED, lat=48.8738, lng=2.2950)
    problem, _ = build(day([there], [shift(100, start=8)]))

    oracle = _Travel(DEPOT.time_zone, JAMMED.speed_factor, DAY, local(DAY, 8), local(DAY - dt.timedelta(days=1), 9))

    assert oracle(DEPOT.lat, DEPOT.lng, there.lat, there.lng, 0.0) == problem.durations[0][1]
