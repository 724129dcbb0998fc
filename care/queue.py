"""Care's exception queue: what is open, whose it is, and what falls due first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q

from care.labels import agent_label, duration_label, recipient_short
from care.models import JourneyException, Team
from merchants.access import merchant_q
from scheduling.models import Delivery

LIVE_STATES = (JourneyException.State.OPEN, JourneyException.State.ASSIGNED)


@dataclass(frozen=True)
class QueueRow:
    exception: JourneyException
    delivery: Delivery
    tz: ZoneInfo
    recipient: str
    owner_label: str
    mine: bool
    overdue: bool
    due_soon: bool
    timer_label: str
    age_label: str
    team_label: str


@dataclass(frozen=True)
class Queue:
    show: str
    rows: list[QueueRow]
    counts: dict[str, int]
    team: str = ""  # one team's queue, or every team's when blank
    team_counts: dict[str, int] | None = None


QUEUE_VIEWS = ("open", "mine", "unassigned")
# A timer turns amber this long before it is due, red once it is overdue.
DUE_SOON = dt.timedelta(minutes=15)


def exception_queue(*, agent: AbstractBaseUser, now: dt.datetime, show: str = "open", merchant_ids=None,
                    team: str = "") -> Queue:
    """Open and assigned exceptions of these merchants' deliveries (every merchant's when None), the most urgent
    first: `open` (all), `mine` or `unassigned`; only `team`'s when it names one."""
    show = show if show in QUEUE_VIEWS else "open"
    team = team if team in Team.values else ""
    live = JourneyException.objects.filter(merchant_q(merchant_ids, path="delivery__merchant"), state__in=LIVE_STATES)
    team_counts = {value: 0 for value in Team.values}
    for value, count in live.values_list("team").annotate(n=Count("pk")).order_by():
        team_counts[value] = count
    if team:
        live = live.filter(team=team)
    filters = {
        "open": Q(),
        "mine": Q(state=JourneyException.State.ASSIGNED, owner=agent),
        "unassigned": Q(state=JourneyException.State.OPEN),
    }
    counts = {name: live.filter(condition).count() for name, condition in filters.items()}
    exceptions = live.filter(filters[show]).select_related("delivery__merchant", "owner").order_by("due_at", "id")
    rows = []
    for exception in exceptions:
        delivery = exception.delivery
        left = exception.due_at - now
        overdue = left.total_seconds() < 0
        rows.append(QueueRow(
            exception=exception, delivery=delivery, tz=delivery.merchant.zone_info,
            recipient=recipient_short(delivery.recipient_name),
            owner_label=agent_label(exception.owner), mine=exception.owner_id == agent.pk,
            overdue=overdue, due_soon=not overdue and left <= DUE_SOON,
            timer_label=f"overdue by {duration_label(left)}" if overdue else f"due in {duration_label(left)}",
            age_label=duration_label(now - exception.opened_at), team_label=exception.get_team_display(),
        ))
    return Queue(show=show, rows=rows, counts=counts, team=team, team_counts=team_counts)
