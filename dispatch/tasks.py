"""Background work of the dispatch app: one re-plan per depot and day, and the sweep that keeps none lost."""

import datetime as dt

from celery import shared_task
from celery.signals import worker_init
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from dispatch import replans, services
from dispatch.models import Depot
from dispatch.solver import search_ready
from dispatch.travel import TravelTimeError

# What handing a task to an unreachable broker raises (kombu wraps most, not all, of Redis' errors).
BROKER_ERRORS = (KombuOperationalError, RedisConnectionError, RedisTimeoutError, OSError)


@worker_init.connect
def planner_search_compile(**kwargs) -> None:
    """Compile the planner's search when a worker starts (before the pool forks), so the
    first re-plan's time limit is spent searching, not compiling."""
    search_ready()


@shared_task(bind=True, name="dispatch.tasks.replan_depot_day")
def replan_depot_day(self, depot_id: int, date_iso: str, trigger: str) -> int | None:
    """Re-plan a depot's day from where every vehicle is now, if its request is still pending.

    Returns the new plan's id, or None when another copy of the task already took the request.
    A travel-time service that may recover asks for the re-plan again (the sweep hands it over)
    instead of retrying with a countdown the broker could redeliver early.
    """
    date = dt.date.fromisoformat(date_iso)
    request = replans.replan_claim(depot_id=depot_id, date=date, task_id=self.request.id or "")
    if request is None:
        return None
    depot = Depot.objects.filter(pk=depot_id).first()
    if depot is None:
        replans.replan_finish(request=request, plan=None, outcome="depot deleted")
        return None
    try:
        plan = services.plan_replan(depot=depot, date=date, trigger=request.triggers[0])
    except TravelTimeError as error:
        replans.replan_finish(request=request, plan=None, outcome=f"travel times failed: {error}")
        if not error.retryable:
            raise
        replans.replan_request(depot_id=depot_id, date=date, trigger=trigger)
        return None
    replans.replan_finish(request=request, plan=plan)
    return plan.pk


@shared_task(name="dispatch.tasks.replans_sweep")
def replans_sweep() -> int:
    """Hand the broker every due re-plan request that has no live task (after an outage, a lost worker)."""
    return replans.replans_sweep()
