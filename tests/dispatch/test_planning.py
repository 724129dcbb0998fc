import datetime as dt
import logging
import time

import pytest
from django.db import IntegrityError, transaction

from dispatch.models import Job, Plan, Stop
from dispatch.services import plan_day
from dispatch.signals import plan_changed
from tests.dispatch.conftest import PLAN_DAY, make_jobs
from tests.factories import JobFactory, ShiftFactory, VehicleFactory, local

pytestmark = pytest.mark.django_db

FAST = 1.0  # seconds: these days are small, the solver converges long before


def stops_of(plan: Plan) -> list[Stop]:
    return list(Stop.objects.filter(route__plan=plan).select_related("job", "route__vehicle").order_by("route", "sequence"))


def test_a_days_jobs_become_routes_with_arrivals_inside_their_windows(depot, jobs):
    plan = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=FAST)

    stops = stops_of(plan)
    assert sorted(s.job_id for s in stops) == sorted(j.pk for j in jobs)
    assert plan.unassigned == []
    for stop in stops:
        assert stop.job.window_start <= stop.planned_arrival <= stop.job.window_end, stop.job
        assert stop.planned_departure - stop.planned_arrival == dt.timedelta(seconds=stop.job.service_seconds)
        assert stop.planned_arrival.utcoffset() == dt.timedelta(0)
    for route in plan.routes.all():
        sequence = [s.sequence for s in route.stops.all()]
        assert sequence == list(range(1, len(sequence) + 1))
        assert local(PLAN_DAY, 8) <= route.starts_at < route.ends_at <= local(PLAN_DAY, 20)
    assert plan.distance_m > 0 and plan.duration_s > 0
    assert plan.distance_m == sum(r.distance_m for r in plan.routes.all())
    assert set(Job.objects.values_list("status", flat=True)) == {Job.Status.PLANNED}


def test_stops_on_one_route_follow_each_other_in_time(depot, jobs):
    plan = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=FAST)

    for route in plan.routes.all():
        stops = list(route.stops.all())
        for before, after in zip(stops, stops[1:], strict=False):
            assert after.planned_arrival >= before.planned_departure


def test_a_job_needing_a_skill_no_vehicle_has_is_reported_unassigned_with_its_reason(depot, zone, jobs):
    piano = JobFactory(zone=zone, date=PLAN_DAY, skills=["two_person"], reference="PIANO",
                       window_start=local(PLAN_DAY, 10), window_end=local(PLAN_DAY, 14))

    plan = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=FAST)

    assert [u["job"] for u in plan.unassigned] == [piano.pk]
    assert plan.unassigned[0]["reason"] == "no_vehicle_with_skills"
    assert "two_person" in plan.unassigned[0]["message"]
    assert piano.pk not in {s.job_id for s in stops_of(plan)}
    piano.refresh_from_db()
    assert piano.status == Job.Status.PENDING


def test_a_job_needing_a_skill_goes_to_the_vehicle_that_has_it(depot, zone, fleet, jobs):
    crew_van = fleet[1]
    crew_van.skills = ["two_person"]
    crew_van.save()
    sofa = JobFactory(zone=zone, date=PLAN_DAY, skills=["two_person"], reference="SOFA",
                      window_start=local(PLAN_DAY, 10), window_end=local(PLAN_DAY, 14))

    plan = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=FAST)

    assert Stop.objects.get(route__plan=plan, job=sofa).route.vehicle == crew_van


def test_planning_again_supersedes_the_previous_plan_and_only_one_stays_active(depot, jobs):
    first = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=FAST)
    second = plan_day(depot=depot, date=PLAN_DAY, trigger="manual", time_limit_s=FAST)

    first.refresh_from_db()
    assert (first.version, first.status) == (1, Plan.Status.SUPERSEDED)
    assert (second.version, second.status, second.trigger) == (2, Plan.Status.ACTIVE, "manual")
    assert Plan.objects.filter(depot=depot, date=PLAN_DAY, status=Plan.Status.ACTIVE).get() == second
    # The superseded plan keeps its routes, for the record.
    assert len(stops_of(first)) == len(stops_of(second)) == len(jobs)


def test_the_database_refuses_a_second_active_plan_for_the_same_day(depot, jobs):
    plan = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=FAST)

    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(depot=depot, date=PLAN_DAY, version=plan.version + 1, status=Plan.Status.ACTIVE)


def test_held_cancelled_and_done_jobs_are_left_out_of_the_plan(depot, zone, jobs):
    held = JobFactory(zone=zone, date=PLAN_DAY, status=Job.Status.HELD, hold_expires_at=local(PLAN_DAY, 7))
    cancelled = JobFactory(zone=zone, date=PLAN_DAY, status=Job.Status.CANCELLED)
    done = JobFactory(zone=zone, date=PLAN_DAY, status=Job.Status.DONE)
    other_day = JobFactory(zone=zone, date=PLAN_DAY + dt.timedelta(days=1))

    plan = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=FAST)

    planned = {s.job_id for s in stops_of(plan)}
    assert planned == {j.pk for j in jobs}
    assert not planned & {held.pk, cancelled.pk, done.pk, other_day.pk}
    cancelled.refresh_from_db()
    assert cancelled.status == Job.Status.CANCELLED


def test_a_lost_vehicle_gets_no_route(depot, fleet, jobs):
    fleet[0].status = "lost"
    fleet[0].save()

    plan = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=FAST)

    assert fleet[0].pk not in set(plan.routes.values_list("vehicle_id", flat=True))
    assert len(stops_of(plan)) == len(jobs)


def test_a_day_without_shifts_reports_every_job_unassigned(depot, zone):
    lonely = make_jobs(zone, 3)

    plan = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=FAST)

    assert plan.routes.count() == 0
    assert sorted(u["job"] for u in plan.unassigned) == sorted(j.pk for j in lonely)
    assert {u["reason"] for u in plan.unassigned} == {"no_vehicle"}


def test_a_vans_capacity_is_respected_in_parcels_and_weight(depot, zone):
    small = VehicleFactory(code="small", depot=depot, capacity_parcels=5, capacity_weight_kg=1000)
    big = VehicleFactory(code="big", depot=depot, capacity_parcels=100, capacity_weight_kg=60)
    for van in (small, big):
        ShiftFactory(vehicle=van, depot=depot, date=PLAN_DAY, starts_at=local(PLAN_DAY, 8), ends_at=local(PLAN_DAY, 20))
    make_jobs(zone, 10, parcels=2, weight_kg=10)

    plan = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=FAST)

    for route in plan.routes.all():
        load = [(s.job.parcels, s.job.weight_kg) for s in route.stops.select_related("job")]
        assert sum(p for p, _ in load) <= route.vehicle.capacity_parcels
        assert sum(w for _, w in load) <= route.vehicle.capacity_weight_kg
    # 10 jobs of 2 parcels/10 kg: 2 fit the small van by parcels, 6 fit the big one by weight.
    assert len(stops_of(plan)) == 8
    assert {u["reason"] for u in plan.unassigned} == {"no_capacity_left"}


def test_a_congested_zone_makes_the_drive_into_it_longer(depot, zone, fleet):
    job = make_jobs(zone, 1, windows=((8, 18),))[0]
    calm = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=FAST).routes.get()
    zone.speed_factor = 2.0
    zone.save()

    jammed = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=FAST).routes.get()

    # Out and back over the same distance: the way in doubles, the way back (to the depot) does not.
    one_way = (calm.duration_s - job.service_seconds) / 2
    assert jammed.distance_m == calm.distance_m
    assert jammed.duration_s - calm.duration_s == pytest.approx(one_way, abs=2)


def test_a_shift_break_is_planned_inside_its_window(depot, zone, fleet, jobs):
    for shift in fleet[0].shifts.all():
        shift.break_earliest, shift.break_latest, shift.break_minutes = local(PLAN_DAY, 12), local(PLAN_DAY, 13), 30
        shift.save()

    plan = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=FAST)

    route = plan.routes.filter(vehicle=fleet[0]).first()
    if route is not None and route.stops.exists():
        assert local(PLAN_DAY, 12) <= route.break_starts_at <= local(PLAN_DAY, 13)


@pytest.mark.django_db(transaction=True)
def test_plan_changed_is_sent_once_the_plan_is_committed(depot, jobs):
    received = []

    def receiver(sender, plan, **kwargs):
        # Read the committed rows from the receiver, as tracking does.
        received.append((plan.pk, Stop.objects.filter(route__plan_id=plan.pk).count()))

    plan_changed.connect(receiver)
    try:
        plan = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=FAST)
    finally:
        plan_changed.disconnect(receiver)

    assert received == [(plan.pk, len(jobs))]


def test_a_fresh_installs_compilation_is_not_counted_as_the_plans_solve_time(depot, jobs, monkeypatch, caplog):
    from dispatch.solver import solve

    def slow_compile() -> float:
        time.sleep(3.0)  # as a first solve after an install compiles the search
        return 3.0

    monkeypatch.setattr(solve, "_search_ready", False)
    monkeypatch.setattr(solve, "search_compile", slow_compile)

    with caplog.at_level(logging.INFO, logger="dispatch.solver.solve"):
        plan = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=FAST)

    assert plan.solve_seconds < 3.0  # the search's own second, not the compilation's three
    assert "planner search compiled in 3.0 s" in caplog.text
