"""Background work of the dispatch app: one re-plan per depot and day."""

import datetime as dt

from celery import shared_task
from celery.signals import worker_init

from dispatch import services
from dispatch.models import Depot
from dispatch.solver.ruin_recreate import search_compile
from dispatch.travel import TravelTimeError


@worker_init.connect
def planner_search_compile(**kwargs) -> None:
    """Compile the planner's search when a worker starts (before the pool forks), so the
    first re-plan's time limit is spent searching, not compiling."""
    search_compile()


@shared_task(bind=True, name="dispatch.tasks.replan_depot_day", max_retries=3)
def replan_depot_day(self, depot_id: int, date_iso: str, trigger: str) -> int | None:
    """Re-plan a depot's day from where every vehicle is now; returns the new plan's id."""
    date = dt.date.fromisoformat(date_iso)
    services.replan_release(depot_id=depot_id, date=date)
    depot = Depot.objects.filter(pk=depot_id).first()
    if depot is None:
        return None
    try:
        plan = services.plan_replan(depot=depot, date=date, trigger=trigger)
    except TravelTimeError as error:
        if not error.retryable:
            raise
        raise self.retry(exc=error, countdown=15) from error
    return plan.pk
