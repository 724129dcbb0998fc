"""Re-plan requests survive a broker outage and a killed worker, and run once."""

import datetime as dt
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from dispatch import tasks
from dispatch.models import Plan, ReplanRequest
from dispatch.replans import replan_claim, replan_request, replans_sweep
from dispatch.services import job_changed, plan_day
from tests.dispatch.conftest import PLAN_DAY, make_jobs

pytestmark = pytest.mark.django_db


def planned_with_a_request_whose_message_was_lost(depot, trigger: str = "manual") -> None:
    """The day is planned, and a re-plan was asked for whose task never ran (its message went nowhere)."""
    plan_day(depot=depot, date=PLAN_DAY)
    with mock.patch.object(tasks.replan_depot_day, "apply_async"):
        replan_request(depot_id=depot.pk, date=PLAN_DAY, trigger=trigger, debounce=False)


def run_task(depot, task_id: str) -> int | None:
    return tasks.replan_depot_day.apply(args=(depot.pk, PLAN_DAY.isoformat(), "manual"), task_id=task_id).get()


def plan_versions(depot) -> list[int]:
    return sorted(Plan.objects.filter(depot=depot, date=PLAN_DAY).values_list("version", flat=True))


def test_a_replan_asked_for_while_the_broker_is_down_runs_once_the_sweep_finds_it_back(
        depot, zone, jobs, settings, tasks_in_process, django_capture_on_commit_callbacks):
    plan_day(depot=depot, date=PLAN_DAY)
    added = make_jobs(zone, 1)

    with mock.patch.object(tasks.replan_depot_day, "apply_async", side_effect=OperationalError("Redis is down")):
        with django_capture_on_commit_callbacks(execute=True):
            job_changed(job=added[0])  # does not raise: the booking that caused it must not fail

    pending = ReplanRequest.objects.get(depot=depot, date=PLAN_DAY)
    assert pending.enqueued_at is None and pending.claimed_at is None
    assert plan_versions(depot) == [1]

    handed = replans_sweep(now=timezone.now() + dt.timedelta(seconds=settings.REPLAN_DEBOUNCE_SECONDS + 1))

    assert handed == 1
    assert plan_versions(depot) == [1, 2]
    pending.refresh_from_db()
    assert pending.done_at is not None and pending.plan.version == 2


def test_the_sweep_leaves_a_request_alone_while_its_debounce_runs(depot, zone, jobs, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    plan_day(depot=depot, date=PLAN_DAY)
    with mock.patch.object(tasks.replan_depot_day, "apply_async", side_effect=OperationalError("down")):
        replan_request(depot_id=depot.pk, date=PLAN_DAY, trigger="job_changed")

    with mock.patch.object(tasks.replan_depot_day, "apply_async") as apply_async:
        assert replans_sweep() == 0
    apply_async.assert_not_called()


def test_a_change_rolled_back_leaves_no_replan_request(depot, jobs):
    plan_day(depot=depot, date=PLAN_DAY)

    with pytest.raises(RuntimeError), transaction.atomic():
        replan_request(depot_id=depot.pk, date=PLAN_DAY, trigger="job_changed")
        raise RuntimeError("the booking failed")

    assert not ReplanRequest.objects.exists()


def test_two_copies_of_a_replan_task_plan_the_day_once(depot, jobs, settings, tasks_in_process):
    settings.REPLAN_DEBOUNCE_SECONDS = 0
    planned_with_a_request_whose_message_was_lost(depot)

    first, second = run_task(depot, "copy-1"), run_task(depot, "copy-2")

    assert first is not None and second is None
    assert plan_versions(depot) == [1, 2]


def test_a_task_delivered_again_after_its_worker_died_runs_its_claim_once(depot, jobs, tasks_in_process):
    planned_with_a_request_whose_message_was_lost(depot)
    # The worker claimed the request, then was killed before it saved a plan.
    assert replan_claim(depot_id=depot.pk, date=PLAN_DAY, task_id="killed-task") is not None

    redelivered, delivered_again = run_task(depot, "killed-task"), run_task(depot, "killed-task")

    assert redelivered is not None and delivered_again is None
    assert plan_versions(depot) == [1, 2]


def test_a_claim_abandoned_by_a_dead_worker_is_asked_for_again_by_the_sweep(depot, jobs, tasks_in_process):
    planned_with_a_request_whose_message_was_lost(depot, trigger="vehicle_lost")
    replan_claim(depot_id=depot.pk, date=PLAN_DAY, task_id="lost-with-its-message")

    replans_sweep(now=timezone.now() + dt.timedelta(hours=1))

    assert plan_versions(depot) == [1, 2]
    assert Plan.objects.get(depot=depot, date=PLAN_DAY, version=2).trigger == "vehicle_lost"
