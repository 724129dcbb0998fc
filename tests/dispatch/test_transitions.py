"""Job and stop status change only through dispatch's table: what moves them, and what leaves them as they were."""

import datetime as dt

import pytest

from dispatch.errors import DispatchError
from dispatch.models import Job, Stop
from dispatch.transitions import (
    JOB_TRANSITIONS,
    STOP_TRANSITIONS,
    job_cancel,
    job_create,
    job_hold_book,
    job_mark_done,
    job_mark_failed,
    job_transition_allowed,
    job_withdraw,
    jobs_mark_planned,
    jobs_mark_unplanned,
    jobs_release_held,
    stop_mark_arrived,
    stop_mark_departed,
    stop_transition_allowed,
)
from tests.factories import JobFactory, local
from tests.tracking.factories import build_route

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_route(points=[(48.8600, 2.3400), (48.8650, 2.3500)])


def row(model, pk) -> tuple:
    """What a reader of the row would see: its status and times."""
    obj = model.objects.get(pk=pk)
    if isinstance(obj, Stop):
        return obj.status, obj.actual_arrival, obj.actual_departure
    return obj.status, obj.hold_expires_at, obj.reference


def test_every_status_has_a_row_in_its_table():
    assert set(JOB_TRANSITIONS) == set(Job.Status.values)
    assert set(STOP_TRANSITIONS) == set(Stop.Status.values)
    assert all(set(targets) <= set(Job.Status.values) for targets in JOB_TRANSITIONS.values())
    assert all(set(targets) <= set(Stop.Status.values) for targets in STOP_TRANSITIONS.values())


@pytest.mark.parametrize(("current", "to", "allowed"), [
    ("held", "pending", True), ("pending", "planned", True), ("planned", "in_progress", True),
    ("in_progress", "done", True), ("in_progress", "failed", True), ("failed", "cancelled", True),
    ("done", "cancelled", False), ("failed", "done", False), ("cancelled", "pending", False),
    ("held", "done", False), ("in_progress", "planned", False),
])
def test_the_job_table_says_which_moves_are_allowed(current, to, allowed):
    assert job_transition_allowed(current=current, to=to) is allowed


@pytest.mark.parametrize(("current", "to", "allowed"), [
    ("pending", "arrived", True), ("arrived", "done", True), ("arrived", "failed", True),
    ("done", "failed", False), ("failed", "arrived", False), ("done", "pending", False),
])
def test_the_stop_table_says_which_moves_are_allowed(current, to, allowed):
    assert stop_transition_allowed(current=current, to=to) is allowed


def test_a_van_at_the_door_arrives_the_stop_and_starts_the_job(world):
    stop = world.stops[0]
    at = local(world.day, 8, 20)

    assert stop_mark_arrived(job_id=stop.job_id, at=at) is True

    assert row(Stop, stop.pk) == ("arrived", at, None)
    assert Job.objects.get(pk=stop.job_id).status == Job.Status.IN_PROGRESS


def test_a_second_arrival_keeps_the_first_time(world):
    stop = world.stops[0]
    first = local(world.day, 8, 20)
    stop_mark_arrived(job_id=stop.job_id, at=first)

    assert stop_mark_arrived(job_id=stop.job_id, at=first + dt.timedelta(minutes=5)) is False
    assert row(Stop, stop.pk) == ("arrived", first, None)


def test_a_delivered_job_is_done_with_its_stop(world):
    stop = world.stops[0]
    at = local(world.day, 8, 25)

    assert job_mark_done(job_id=stop.job_id, at=at) is True

    assert row(Stop, stop.pk) == ("done", at, None)
    assert Job.objects.get(pk=stop.job_id).status == Job.Status.DONE


def test_a_second_delivered_changes_nothing(world):
    stop = world.stops[0]
    at = local(world.day, 8, 25)
    job_mark_done(job_id=stop.job_id, at=at)

    assert job_mark_done(job_id=stop.job_id, at=at + dt.timedelta(minutes=9)) is False

    assert row(Stop, stop.pk) == ("done", at, None)
    assert Job.objects.get(pk=stop.job_id).status == Job.Status.DONE


def test_a_failed_attempt_stays_failed_when_delivered_is_reported_later(world):
    stop = world.stops[0]
    at = local(world.day, 8, 25)
    assert job_mark_failed(job_id=stop.job_id, at=at) is True

    assert job_mark_done(job_id=stop.job_id, at=at + dt.timedelta(minutes=3)) is False

    assert row(Stop, stop.pk) == ("failed", at, None)
    assert Job.objects.get(pk=stop.job_id).status == Job.Status.FAILED


def test_a_report_about_a_cancelled_job_leaves_it_cancelled(world):
    stop = world.stops[0]
    Job.objects.filter(pk=stop.job_id).update(status=Job.Status.CANCELLED)

    assert job_mark_done(job_id=stop.job_id, at=local(world.day, 8, 25)) is False

    assert Job.objects.get(pk=stop.job_id).status == Job.Status.CANCELLED


def test_a_departure_is_recorded_once(world):
    stop = world.stops[0]
    arrived = local(world.day, 8, 20)
    stop_mark_arrived(job_id=stop.job_id, at=arrived)
    stop = Stop.objects.select_related("job").get(pk=stop.pk)
    left = arrived + dt.timedelta(minutes=6)

    assert stop_mark_departed(stop=stop, at=left) is True
    assert stop_mark_departed(stop=stop, at=left + dt.timedelta(minutes=2)) is False

    assert row(Stop, stop.pk) == ("arrived", arrived, left)
    world.zone.refresh_from_db()
    assert world.zone.learned_service_seconds is not None


def test_a_saved_plan_plans_pending_jobs_and_unplans_dropped_ones(world):
    pending, planned, done = (JobFactory(zone=world.zone, depot=world.depot, status=s)
                              for s in ("pending", "planned", "done"))

    assert jobs_mark_planned(job_ids=[pending.pk, done.pk]) == 1
    assert jobs_mark_unplanned(job_ids=[planned.pk, done.pk]) == 1

    assert [Job.objects.get(pk=j.pk).status for j in (pending, planned, done)] == ["planned", "pending", "done"]


def test_a_job_starts_held_or_pending_and_nothing_else(world):
    window = world.window
    fields = dict(reference="ORD-1", depot_id=world.depot.pk, zone=world.zone, date=world.day, lat=48.86,
                  lng=2.34, window_start=window.starts_at, window_end=window.ends_at, service_seconds=240, parcels=1,
                  weight_kg=5, skills=[])

    assert job_create(status="pending", **fields).status == Job.Status.PENDING
    with pytest.raises(DispatchError) as refused:
        job_create(status="done", **fields)
    assert refused.value.code == "invalid_transition"
    assert not Job.objects.filter(status="done").exists()


def test_a_booked_hold_makes_its_held_job_pending_once(world):
    held = JobFactory(zone=world.zone, depot=world.depot, status="held",
                      hold_expires_at=local(world.day, 9), reference="hold")

    job = job_hold_book(job_id=held.pk, reference="ORD-7", lat=48.87, lng=2.35, parcels=2, weight_kg=9, skills=[])

    assert (job.status, job.hold_expires_at, job.reference, job.parcels) == ("pending", None, "ORD-7", 2)


def test_booking_a_hold_whose_job_was_cancelled_is_refused_and_changes_nothing(world):
    expired = JobFactory(zone=world.zone, depot=world.depot, status="cancelled", reference="hold")
    before = row(Job, expired.pk)

    with pytest.raises(DispatchError) as refused:
        job_hold_book(job_id=expired.pk, reference="ORD-7", lat=48.87, lng=2.35, parcels=2, weight_kg=9, skills=[])

    assert (refused.value.code, refused.value.status_code) == ("invalid_transition", 409)
    assert row(Job, expired.pk) == before


def test_released_holds_cancel_only_jobs_still_held(world):
    held = JobFactory(zone=world.zone, depot=world.depot, status="held", hold_expires_at=local(world.day, 9))
    booked = JobFactory(zone=world.zone, depot=world.depot, status="pending")

    assert jobs_release_held(job_ids=[held.pk, booked.pk]) == 1

    assert [Job.objects.get(pk=j.pk).status for j in (held, booked)] == ["cancelled", "pending"]


def test_cancelling_a_delivery_cancels_its_job_even_after_a_failed_attempt(world):
    failed = JobFactory(zone=world.zone, depot=world.depot, status="failed")

    assert job_cancel(job_id=failed.pk) is True
    assert job_cancel(job_id=failed.pk) is False  # already cancelled: the same decision again

    assert Job.objects.get(pk=failed.pk).status == Job.Status.CANCELLED


def test_cancelling_a_delivered_job_is_refused_and_leaves_it_done(world):
    done = JobFactory(zone=world.zone, depot=world.depot, status="done")

    with pytest.raises(DispatchError) as refused:
        job_cancel(job_id=done.pk)

    assert refused.value.code == "invalid_transition"
    assert Job.objects.get(pk=done.pk).status == Job.Status.DONE


def test_a_moved_delivery_cancels_its_job_unless_it_was_attempted(world):
    planned = JobFactory(zone=world.zone, depot=world.depot, status="planned")
    failed = JobFactory(zone=world.zone, depot=world.depot, status="failed")

    assert job_withdraw(job_id=planned.pk) is True
    assert job_withdraw(job_id=failed.pk) is False

    assert [Job.objects.get(pk=j.pk).status for j in (planned, failed)] == ["cancelled", "failed"]
