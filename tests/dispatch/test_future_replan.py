"""Re-planning a day that has not started: from the depot at the shifts' starts, never worse than the plan it replaces."""

import datetime as dt

import pytest
from django.urls import reverse

from dispatch import services
from dispatch.models import Plan, Stop, Vehicle
from dispatch.services import plan_day, plan_replan
from dispatch.solver import Solution, SolveStatus, UnassignedReason
from dispatch.solver.unassigned import unassigned_reason
from tests.dispatch.conftest import PLAN_DAY
from tests.factories import JobFactory, ShiftFactory, VehicleFactory, local, platform_staff

pytestmark = pytest.mark.django_db

THE_EVE = local(PLAN_DAY - dt.timedelta(days=1), 18)
# Where the vans last pinged at the end of the day before: some 50 km south of the depot.
FAR_AWAY = (48.40, 2.70)


def assignment(plan: Plan) -> dict[int, tuple[int, int]]:
    """job id -> (vehicle id, sequence) in a plan."""
    return {
        s.job_id: (s.route.vehicle_id, s.sequence)
        for s in Stop.objects.filter(route__plan=plan).select_related("route")
    }


def parked_far_away(vehicles) -> None:
    Vehicle.objects.filter(pk__in=[v.pk for v in vehicles]).update(
        last_lat=FAR_AWAY[0], last_lng=FAR_AWAY[1], last_seen_at=THE_EVE - dt.timedelta(hours=1)
    )


def a_solver_that_drops_every_job(problem) -> Solution:
    """What the planner answered when its search ran out of time: every job unassigned."""
    return Solution(
        (), tuple(unassigned_reason(problem, job) for job in problem.jobs), 0, 0, 0, SolveStatus.OPTIMAL_OR_FEASIBLE
    )


def test_a_replan_on_the_eve_plans_from_the_depot_whatever_the_vans_last_ping(depot, fleet, jobs):
    before = plan_day(depot=depot, date=PLAN_DAY)
    parked_far_away(fleet)

    after = plan_replan(depot=depot, date=PLAN_DAY, trigger="manual", now=THE_EVE)

    assert assignment(after) == assignment(before)
    assert after.diff["moved"] == [] and after.diff["at_risk"] == [] and after.unassigned == []
    assert after.distance_m == before.distance_m
    for route in after.routes.select_related("shift"):
        assert route.starts_at >= route.shift.starts_at


def test_a_replan_on_the_eve_keeps_windows_as_firm_as_the_first_plan_did(depot, zone, fleet, jobs):
    # Delivered between 06:00 and 07:00, before any van's shift starts at 08:00.
    too_early = JobFactory(zone=zone, date=PLAN_DAY, reference="EARLY", lat=48.86, lng=2.34,
                           window_start=local(PLAN_DAY, 6), window_end=local(PLAN_DAY, 7))
    plan_day(depot=depot, date=PLAN_DAY)

    after = plan_replan(depot=depot, date=PLAN_DAY, trigger="manual", now=THE_EVE)

    assert [(u["job"], u["reason"]) for u in after.unassigned] == [(too_early.pk, UnassignedReason.WINDOW_UNREACHABLE)]
    assert after.diff["at_risk"] == []


def test_a_replan_that_would_serve_fewer_jobs_keeps_the_previous_plan_and_says_so(depot, fleet, jobs, monkeypatch):
    before = plan_day(depot=depot, date=PLAN_DAY)
    monkeypatch.setattr(services, "plan_solve_problem", a_solver_that_drops_every_job)

    after = plan_replan(depot=depot, date=PLAN_DAY, trigger="manual", now=THE_EVE)

    assert after.version == before.version + 1
    assert assignment(after) == assignment(before)
    assert after.unassigned == [] and after.diff["moved"] == [] and after.diff["newly_unassigned"] == []
    assert after.diff["kept_previous"] == {
        "version": before.version, "new_unassigned": len(jobs), "new_lateness_s": 0,
        "kept_unassigned": 0, "kept_lateness_s": 0,
    }
    assert after.trigger == f"manual, v{before.version} kept"


def test_the_console_shows_that_a_replan_kept_the_previous_plan(client, depot, fleet, jobs, monkeypatch, clock_at):
    clock_at(THE_EVE)
    plan_day(depot=depot, date=PLAN_DAY)
    monkeypatch.setattr(services, "plan_solve_problem", a_solver_that_drops_every_job)
    plan_replan(depot=depot, date=PLAN_DAY, trigger="manual")
    client.force_login(platform_staff("dispatcher", "dispatcher"))

    page = client.get(f"{reverse('dispatch:console')}?depot={depot.pk}&date={PLAN_DAY.isoformat()}")

    assert page.status_code == 200
    assert "manual, v1 kept" in page.content.decode()
    changes = " ".join(page.content.decode().split())
    assert f"The re-plan kept v1: the new solution would have left {len(jobs)} unassigned" in changes


def test_a_day_whose_first_plan_had_no_van_gets_routes_when_replanned(depot, zone, jobs):
    # The seed's empty days: planned before any shift existed, every job unassigned.
    for vehicle in Vehicle.objects.filter(depot=depot):
        vehicle.shifts.all().delete()
    empty = plan_day(depot=depot, date=PLAN_DAY)
    assert len(empty.unassigned) == len(jobs)
    for n, vehicle in enumerate(Vehicle.objects.filter(depot=depot).order_by("code")):
        ShiftFactory(vehicle=vehicle, depot=depot, date=PLAN_DAY, starts_at=local(PLAN_DAY, 8 + n),
                     ends_at=local(PLAN_DAY, 20))

    after = plan_replan(depot=depot, date=PLAN_DAY, trigger="manual", now=THE_EVE)

    assert after.unassigned == [] and "kept_previous" not in after.diff
    assert set(after.diff["added"]) == {job.pk for job in jobs}
    assert after.diff["at_risk"] == []


def test_in_flight_a_van_whose_shift_has_not_started_leaves_from_the_depot(depot, zone, fleet, jobs):
    late_van = VehicleFactory(code="late-1", name="Late van", depot=depot, capacity_parcels=40,
                              capacity_weight_kg=500, skills=["refrigerated"])
    ShiftFactory(vehicle=late_van, depot=depot, date=PLAN_DAY, starts_at=local(PLAN_DAY, 14),
                 ends_at=local(PLAN_DAY, 20))
    chilled = JobFactory(zone=zone, date=PLAN_DAY, reference="COLD", lat=48.86, lng=2.35, skills=["refrigerated"],
                         window_start=local(PLAN_DAY, 15), window_end=local(PLAN_DAY, 17))
    plan_day(depot=depot, date=PLAN_DAY)
    parked_far_away([late_van])

    # Mid-morning: the day is under way, but the late van is still at the depot until 14:00.
    after = plan_replan(depot=depot, date=PLAN_DAY, trigger="manual", now=local(PLAN_DAY, 10))

    route = after.routes.get(vehicle=late_van)
    assert list(route.stops.values_list("job_id", flat=True)) == [chilled.pk]
    assert route.distance_m < 20_000
    assert after.diff["at_risk"] == []
