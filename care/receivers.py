"""Care listens to the journey: problems, milestones and live ETAs open and close exceptions on the queue."""

import datetime as dt

from care import services
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


def on_etas_updated(sender, *, snapshot_ids, now=None, **kwargs) -> None:
    checks.etas_check(snapshot_ids=snapshot_ids, now=now or clock.now())
