"""Care listens to the journey: problems, milestones and live ETAs open and close exceptions on the queue; any change
to a day that is over makes the KPI page compute that day again (care.kpi_days)."""

import datetime as dt

from django.db import transaction

from care import services
from care.kpi_days import kpi_days_forget, kpi_days_forget_for_delivery
from care.playbooks import checks
from care.playbooks.rules import RULE_CODES
from core import clock
from scheduling.models import Delivery


def on_problem_found(sender, *, delivery: Delivery, code: str, message: str, at: dt.datetime, **kwargs) -> None:
    if code in RULE_CODES:
        checks.problem_open(delivery=delivery, code=code, message=message, now=at)
    else:
        services.exception_open_for_problem(delivery=delivery, code=code, message=message, now=at)


def on_milestone_recorded(sender, *, event, **kwargs) -> None:
    checks.delivery_recheck(delivery_id=event.delivery_id, now=clock.now())
    # After commit: a refresh storing the day meanwhile must see the event, or be told to forget it.
    transaction.on_commit(lambda: kpi_days_forget_for_delivery(delivery_id=event.delivery_id))


def on_etas_updated(sender, *, snapshot_ids, now=None, **kwargs) -> None:
    checks.etas_check(snapshot_ids=snapshot_ids, now=now or clock.now())


def on_delivery_rescheduled(sender, *, delivery=None, old_window=None, new_window=None, **kwargs) -> None:
    """The days the delivery left and joined count again. A sender may name only the delivery (its window is then
    the new one), as the other receivers of this signal allow: a receiver that raised would stop the ones after it."""
    days = [window.date for window in (old_window, new_window) if window is not None]
    if days:
        kpi_days_forget(days=days)
    if new_window is None and delivery is not None:
        kpi_days_forget_for_delivery(delivery_id=delivery.pk)


def on_delivery_cancelled(sender, *, delivery, **kwargs) -> None:
    kpi_days_forget_for_delivery(delivery_id=delivery.pk)


def on_plan_changed(sender, *, plan, **kwargs) -> None:
    kpi_days_forget(days=[plan.date])
