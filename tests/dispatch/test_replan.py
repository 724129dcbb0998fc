import datetime as dt
import threading
from unittest import mock

import pytest
from django.db import connection

from dispatch import tasks
from dispatch.models import Job, Plan, Stop, Vehicle
from dispatch.replans import replan_claim
from dispatch.services import (
    job_changed,
    plan_day,
    plan_replan,
    vehicle_mark_lost,
    zone_set_speed_factor,
)
from dispatch.signals import plan_changed
from tests.dispatch.conftest import PLAN_DAY, make_jobs
from tests.factories import JobFactory, local

pytestmark = pytest.mark.django_db


def assignment(plan: Plan) -> dict[int, tuple[int, int]]:
    """job id -> (vehicle id, sequence) in a plan."""
    return {
        s.job_id: (s.route.vehicle_id, s.sequence)
        for s in Stop.objects.filter(route__plan=plan).select_related("route")
    }


def route_jobs(plan: Plan, vehicle: Vehicle) -> list[int]:
    return list(Stop.objects.filter(route__plan=plan, route__vehicle=vehicle).order_by("sequence").values_list("job_id", flat=True))


def busiest_route(plan: Plan):
    return max(plan.routes.all(), key=lambda r: (r.stops.count(), -r.vehicle_id))


def finish(stop: Stop, *, status: str = Stop.Status.DONE, late_by: int = 3) -> Stop:
    """The driver really did this stop, a few minutes off the plan."""
    stop.status = status
    stop.actual_arrival = stop.planned_arrival + dt.timedelta(minutes=late_by)
    stop.actual_departure = stop.planned_departure + dt.timedelta(minutes=late_by)
    stop.save()
    Job.objects.filter(pk=stop.job_id).update(status=Job.Status.DONE if status == Stop.Status.DONE else Job.Status.FAILED)
    return stop


def test_an_unchanged_situation_gives_an_unchanged_plan(depot, jobs):
    before = plan_day(depot=depot, date=PLAN_DAY)

    after = plan_replan(depot=depot, date=PLAN_DAY, trigger="manual", now=local(PLAN_DAY, 7))

    assert after.version == before.version + 1
    assert assignment(after) == assignment(before)
    assert after.diff["moved"] == [] and after.diff["added"] == [] and after.diff["newly_unassigned"] == []
    assert after.diff["at_risk"] == []


def test_done_stops_never_move_and_keep_their_actual_times(depot, fleet, jobs):
    plan = plan_day(depot=depot, date=PLAN_DAY)
    route = busiest_route(plan)
    done = [finish(s) for s in route.stops.order_by("sequence")[:2]]
    other_route = next(r for r in plan.routes.all() if r.pk != route.pk and r.stops.exists())
    failed = finish(other_route.stops.order_by("sequence")[0], status=Stop.Status.FAILED)
    now = max(s.actual_departure for s in [*done, failed]) + dt.timedelta(minutes=1)

    replanned = plan_replan(depot=depot, date=PLAN_DAY, trigger="manual", now=now)

    for old in [*done, failed]:
        new = Stop.objects.get(route__plan=replanned, job_id=old.job_id)
        assert (new.route.vehicle_id, new.sequence, new.status) == (old.route.vehicle_id, old.sequence, old.status)
        assert (new.actual_arrival, new.actual_departure) == (old.actual_arrival, old.actual_departure)
        assert (new.planned_arrival, new.planned_departure) == (old.planned_arrival, old.planned_departure)
    # Every other job is still served, after the history, never before `now`.
    open_stops = Stop.objects.filter(route__plan=replanned, status=Stop.Status.PENDING)
    assert open_stops.count() == len(jobs) - 3
    assert all(s.planned_arrival >= now for s in open_stops)


def test_the_stop_a_vehicle_is_driving_to_stays_its_next_stop(depot, fleet, jobs, zone):
    plan = plan_day(depot=depot, date=PLAN_DAY)
    route = busiest_route(plan)
    first, second = route.stops.order_by("sequence")[:2]
    finish(first)
    # A new job close to the depot arrives while the van drives to its second stop.
    JobFactory(zone=zone, date=PLAN_DAY, lat=depot.lat, lng=depot.lng + 0.001, reference="NEAR",
               window_start=local(PLAN_DAY, 8), window_end=local(PLAN_DAY, 19))

    replanned = plan_replan(depot=depot, date=PLAN_DAY, trigger="job_changed",
                            now=first.actual_departure + dt.timedelta(minutes=2))

    assert route_jobs(replanned, route.vehicle)[:2] == [first.job_id, second.job_id]


def test_the_stop_a_driver_is_at_stays_first_and_keeps_its_arrival(depot, fleet, jobs):
    plan = plan_day(depot=depot, date=PLAN_DAY)
    route = busiest_route(plan)
    at_door = route.stops.order_by("sequence")[0]
    at_door.status, at_door.actual_arrival = Stop.Status.ARRIVED, at_door.planned_arrival
    at_door.save()

    replanned = plan_replan(depot=depot, date=PLAN_DAY, trigger="dwell_spike",
                            now=at_door.planned_arrival + dt.timedelta(minutes=15))

    new = Stop.objects.get(route__plan=replanned, job=at_door.job)
    assert (new.route.vehicle_id, new.sequence, new.status) == (route.vehicle_id, 1, Stop.Status.ARRIVED)
    assert new.actual_arrival == at_door.planned_arrival


def test_a_lost_vehicles_jobs_are_reassigned_to_the_others(depot, fleet, jobs, clock_at, tasks_in_process,
                                                          django_capture_on_commit_callbacks):
    plan = plan_day(depot=depot, date=PLAN_DAY)
    route = busiest_route(plan)
    lost_van = route.vehicle
    finish(route.stops.order_by("sequence")[0])
    remaining = route_jobs(plan, lost_van)[1:]
    assert remaining
    now = clock_at(local(PLAN_DAY, 10, 30))

    with django_capture_on_commit_callbacks(execute=True):
        vehicle_mark_lost(vehicle=lost_van, now=now)

    lost_van.refresh_from_db()
    assert lost_van.status == Vehicle.Status.LOST
    replanned = Plan.objects.get(depot=depot, date=PLAN_DAY, status=Plan.Status.ACTIVE)
    assert (replanned.version, replanned.trigger) == (plan.version + 1, "vehicle_lost")
    # Its delivered stop stays in its history; everything else went to the vans still running.
    assert route_jobs(replanned, lost_van) == route_jobs(plan, lost_van)[:1]
    # The kilometres it drove before breaking down still count in the day's figures.
    assert replanned.routes.get(vehicle=lost_van).distance_m > 0
    new_home = assignment(replanned)
    for job_id in remaining:
        assert job_id in new_home, f"job {job_id} was dropped"
        assert new_home[job_id][0] != lost_van.pk
    assert replanned.unassigned == []
    moved = {m["job"] for m in replanned.diff["moved"]}
    assert set(remaining) <= moved


def test_marking_a_vehicle_lost_twice_is_refused(depot, fleet, jobs, clock_at):
    from dispatch.errors import DispatchError

    now = clock_at(local(PLAN_DAY, 10))
    vehicle_mark_lost(vehicle=fleet[0], now=now)

    with pytest.raises(DispatchError) as refused:
        vehicle_mark_lost(vehicle=fleet[0], now=now)
    assert refused.value.code == "vehicle_already_lost"


def test_a_replan_late_in_the_morning_reports_the_windows_now_at_risk(depot, fleet, jobs):
    plan = plan_day(depot=depot, date=PLAN_DAY)
    early = [s for s in Stop.objects.filter(route__plan=plan).select_related("job") if s.job.window_end == local(PLAN_DAY, 11)]
    assert early

    # Nothing was delivered and it is already 11:30: every 09–11 delivery will be late.
    replanned = plan_replan(depot=depot, date=PLAN_DAY, trigger="congestion", now=local(PLAN_DAY, 11, 30))

    at_risk = {r["job"]: r["lateness_s"] for r in replanned.diff["at_risk"]}
    for stop in early:
        assert at_risk[stop.job_id] >= 30 * 60
    assert replanned.unassigned == []


def test_plan_changed_is_sent_for_a_replan(depot, jobs, django_capture_on_commit_callbacks):
    plan_day(depot=depot, date=PLAN_DAY)
    received = []
    plan_changed.connect(lambda sender, plan, **kw: received.append(plan.pk), weak=False, dispatch_uid="test-replan")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            replanned = plan_replan(depot=depot, date=PLAN_DAY, trigger="manual", now=local(PLAN_DAY, 7))
    finally:
        plan_changed.disconnect(dispatch_uid="test-replan")

    assert received == [replanned.pk]


def test_two_job_changes_within_the_debounce_window_enqueue_one_replan(depot, zone, jobs, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REPLAN_DEBOUNCE_SECONDS = 20
    plan_day(depot=depot, date=PLAN_DAY)
    added = make_jobs(zone, 2)

    with mock.patch.object(tasks.replan_depot_day, "apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=True):
            job_changed(job=added[0])
        with django_capture_on_commit_callbacks(execute=True):
            job_changed(job=added[1])

    apply_async.assert_called_once_with(args=(depot.pk, PLAN_DAY.isoformat(), "job_changed"), countdown=20)


def test_a_change_after_the_replan_started_queues_another(depot, zone, jobs, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    plan_day(depot=depot, date=PLAN_DAY)

    with mock.patch.object(tasks.replan_depot_day, "apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=True):
            job_changed(job=jobs[0])
        replan_claim(depot_id=depot.pk, date=PLAN_DAY, task_id="first")  # what the task does as it starts
        with django_capture_on_commit_callbacks(execute=True):
            job_changed(job=jobs[1])

    assert apply_async.call_count == 2


def test_a_job_moved_to_another_day_replans_both_days(depot, zone, jobs, django_capture_on_commit_callbacks):
    plan_day(depot=depot, date=PLAN_DAY)
    next_day = PLAN_DAY + dt.timedelta(days=1)
    make_jobs(zone, 2, day=next_day)
    plan_day(depot=depot, date=next_day)
    moved = jobs[0]
    moved.date = next_day
    moved.window_start += dt.timedelta(days=1)
    moved.window_end += dt.timedelta(days=1)
    moved.save()

    with mock.patch.object(tasks.replan_depot_day, "apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=True):
            job_changed(job=moved)

    days = sorted(call.kwargs["args"][1] for call in apply_async.call_args_list)
    assert days == [PLAN_DAY.isoformat(), next_day.isoformat()]


def test_a_change_on_a_day_without_a_plan_does_not_replan(depot, jobs, django_capture_on_commit_callbacks):
    with mock.patch.object(tasks.replan_depot_day, "apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            job_changed(job=jobs[0])

    assert callbacks == []
    apply_async.assert_not_called()


def test_a_new_job_on_a_planned_day_is_planned_by_the_replan_task(depot, zone, jobs, clock_at, tasks_in_process,
                                                                  django_capture_on_commit_callbacks):
    plan_day(depot=depot, date=PLAN_DAY)
    clock_at(local(PLAN_DAY, 7))
    late_order = JobFactory(zone=zone, date=PLAN_DAY, reference="LATE", window_start=local(PLAN_DAY, 14),
                            window_end=local(PLAN_DAY, 16), lat=48.87, lng=2.36)

    with django_capture_on_commit_callbacks(execute=True):
        job_changed(job=late_order)

    active = Plan.objects.get(depot=depot, date=PLAN_DAY, status=Plan.Status.ACTIVE)
    assert (active.version, active.trigger) == (2, "job_changed")
    assert late_order.pk in assignment(active)
    assert active.diff["added"] == [late_order.pk]


def test_a_slower_zone_asks_for_a_replan_of_today(depot, zone, jobs, clock_at, django_capture_on_commit_callbacks):
    plan_day(depot=depot, date=PLAN_DAY)
    clock_at(local(PLAN_DAY, 7))

    with mock.patch.object(tasks.replan_depot_day, "apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=True):
            zone_set_speed_factor(zone=zone, factor=1.4)

    zone.refresh_from_db()
    assert zone.speed_factor == 1.4
    apply_async.assert_called_once()
    assert apply_async.call_args.kwargs["args"] == (depot.pk, PLAN_DAY.isoformat(), "speed_factor")


@pytest.mark.django_db(transaction=True)
def test_two_workers_replanning_the_same_day_save_one_after_the_other(depot, jobs):
    plan_day(depot=depot, date=PLAN_DAY)
    errors, barrier = [], threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            plan_replan(depot=depot, date=PLAN_DAY, trigger="manual", now=local(PLAN_DAY, 7))
        except Exception as error:  # noqa: BLE001 - the test reports whatever a worker hit
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    plans = Plan.objects.filter(depot=depot, date=PLAN_DAY)
    assert sorted(plans.values_list("version", flat=True)) == [1, 2, 3]
    assert plans.filter(status=Plan.Status.ACTIVE).count() == 1
