"""Background work of the dispatch app: one re-plan per depot and day."""

import datetime as dt

from celery import shared_task

from dispatch import services
from dispatch.models import Depot
from dispatch.travel import TravelTimeError


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
