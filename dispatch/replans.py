"""Re-plan requests: asked for with the change that needs them, run once, never lost.

A change to a planned day (a booking, a cancellation, a lost van, a slower zone)
asks for a re-plan of its depot's day. The request is a `ReplanRequest` row
written in the caller's transaction, so it exists exactly when the change does;
handing the task to the broker happens after commit and may fail (Redis down)
without failing the caller. The periodic `replans_sweep` hands over whatever is
due and was never handed over, or was handed over long ago and is still pending,
so every request runs once the broker is back.

Times here are the wall clock, not `core.clock`: they schedule processes (the
debounce, the sweep), and the demo runs its services' clock faster than time.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from dispatch.models import Plan, ReplanRequest

logger = logging.getLogger(__name__)


def _abandoned_claim_after() -> dt.timedelta:
    """A claim this old without a result belongs to a task that died (the time limit kills slower ones)."""
    return dt.timedelta(seconds=2 * settings.CELERY_TASK_TIME_LIMIT)


def replan_request(*, depot_id: int, date: dt.date, trigger: str, debounce: bool = True) -> ReplanRequest:
    """Ask for a re-plan of one depot's day, folding a burst of requests into one.

    1. In the caller's transaction, insert the pending row for the depot and day, due after the
       debounce; if one is already pending (the unique constraint says so), add the trigger to it
       and, for an urgent request (`debounce=False`: a dispatcher's button, a lost van), make it
       due now.
    2. After commit, hand the task to the broker with the time left as countdown, unless the
       pending row was already handed over and nothing became more urgent. A broker error is
       logged: the row waits for the sweep.
    """
    now = timezone.now()
    due_at = now + dt.timedelta(seconds=settings.REPLAN_DEBOUNCE_SECONDS if debounce else 0)
    with transaction.atomic():
        try:
            with transaction.atomic():
                request = ReplanRequest.objects.create(
                    depot_id=depot_id, date=date, triggers=[trigger], requested_at=now, due_at=due_at)
            hand_over = True
        except IntegrityError:
            request = ReplanRequest.objects.select_for_update().get(
                depot_id=depot_id, date=date, claimed_at__isnull=True)
            changed = []
            if trigger not in request.triggers:
                request.triggers = [*request.triggers, trigger]
                changed.append("triggers")
            hand_over = due_at < request.due_at
            if hand_over:
                request.due_at = due_at
                changed.append("due_at")
            if changed:
                request.save(update_fields=changed)
            if not hand_over:
                logger.debug("re-plan of depot %s on %s already pending; %s folded in", depot_id, date, trigger)
        if hand_over:
            transaction.on_commit(lambda: replan_hand_over(request_id=request.pk), robust=True)
    return request


def replan_hand_over(*, request_id: int) -> bool:
    """Give the broker the task for a pending request; False (and logged) when the broker is unreachable."""
    from dispatch import tasks  # tasks import the services, which import this module

    request = ReplanRequest.objects.filter(pk=request_id, claimed_at__isnull=True).first()
    if request is None:
        return False
    countdown = max(0, int((request.due_at - timezone.now()).total_seconds() + 0.999))
    ReplanRequest.objects.filter(pk=request.pk).update(enqueued_at=timezone.now())
    try:
        tasks.replan_depot_day.apply_async(
            args=(request.depot_id, request.date.isoformat(), request.triggers[0]), countdown=countdown)
    except tasks.BROKER_ERRORS as error:
        ReplanRequest.objects.filter(pk=request.pk, claimed_at__isnull=True).update(enqueued_at=None)
        logger.warning("re-plan of depot %s on %s waits for the broker (%s); the sweep will hand it over",
                       request.depot_id, request.date, error)
        return False
    return True


def replan_claim(*, depot_id: int, date: dt.date, task_id: str) -> ReplanRequest | None:
    """Claim the depot and day's pending request for this task; None when there is nothing to do.

    The claim is a conditional update that must change exactly one row, so of several copies
    of the task only one re-plans. A task delivered again after its worker died finds its own
    unfinished claim and takes it back.
    """
    now = timezone.now()
    pending = ReplanRequest.objects.filter(depot_id=depot_id, date=date, claimed_at__isnull=True).first()
    if pending is not None:
        claimed = ReplanRequest.objects.filter(pk=pending.pk, claimed_at__isnull=True).update(
            claimed_at=now, task_id=task_id or "")
        if claimed == 1:
            pending.claimed_at, pending.task_id = now, task_id or ""
            return pending
    if task_id:
        own = ReplanRequest.objects.filter(depot_id=depot_id, date=date, task_id=task_id, done_at__isnull=True).first()
        # Renewing the claim's time keeps the sweep from taking this run for an abandoned one.
        if own is not None and ReplanRequest.objects.filter(pk=own.pk, done_at__isnull=True).update(claimed_at=now):
            logger.warning("re-plan of depot %s on %s delivered again after its worker stopped; running it",
                           depot_id, date)
            own.claimed_at = now
            return own
    return None


def replan_finish(*, request: ReplanRequest, plan: Plan | None, outcome: str = "planned") -> None:
    ReplanRequest.objects.filter(pk=request.pk).update(done_at=timezone.now(), plan=plan, outcome=outcome[:200])


def replans_sweep(*, now: dt.datetime | None = None) -> int:
    """Hand over every due request that has no live task, and ask again for abandoned claims.

    Returns how many requests were handed to the broker.
    """
    now = now or timezone.now()
    abandoned = list(ReplanRequest.objects.filter(
        done_at__isnull=True, claimed_at__lt=now - _abandoned_claim_after()))
    for request in abandoned:
        replan_finish(request=request, plan=None, outcome="abandoned by its worker; asked again")
        replan_request(depot_id=request.depot_id, date=request.date, trigger=request.triggers[0], debounce=False)
    due = ReplanRequest.objects.filter(claimed_at__isnull=True, due_at__lte=now).filter(
        Q(enqueued_at__isnull=True)
        | Q(enqueued_at__lt=now - dt.timedelta(seconds=settings.REPLAN_REENQUEUE_SECONDS)))
    handed = 0
    for request_id in due.values_list("pk", flat=True):
        if replan_hand_over(request_id=request_id):
            handed += 1
        else:
            break  # the broker is down: the next sweep tries again
    return handed
