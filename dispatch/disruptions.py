"""Disruptions: a zone slower than usual for a period, set by a dispatcher or by a weather or traffic feed.

Dispatch owns them because everything that times a van reads them: the travel model
(`travel.ZoneSlowdowns`) multiplies the zone's own speed factor by the factor of every
disruption in force when a van drives into the zone, and the planner, the capacity oracle,
the ETA engine and the fleet simulator all time their legs through it. Care shows them.

Setting, changing or ending one:

1. checks the period (ends after it starts, not over yet, at most `MAX_DAYS` long), the factor
   (`MIN_FACTOR`..`MAX_FACTOR`) and the reason, and that the zone belongs to the depot the caller
   acts for;
2. saves it and asks, in the same transaction, for a re-plan of every day of the depot it touches
   (before and after a change) that already has an active plan, at once rather than debounced;
3. leaves the rest to the re-plan: its new plan is announced by `plan_changed`, tracking's ETAs
   follow it, and notifications warns the customers whose new arrival leaves their window
   (`notifications.eta_alerts.disruption_warnings_send`).

The capacity oracle needs nothing more: its cached routes are keyed by the zone's disruptions.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q

from core import clock
from core.audit import audit_event
from dispatch.errors import DispatchError, DispatchErrorCode
from dispatch.models import Depot, Disruption, DisruptionFeed, Job, Plan, Stop, Zone
from dispatch.replans import replan_request
from dispatch.selectors import MASKED_NAME, job_masked
from merchants.services import api_key_digest

# A disruption slows: at least 5 % slower, at most four times as long.
MIN_FACTOR = 1.05
MAX_FACTOR = 4.0
MAX_DAYS = 7
REPLAN_TRIGGER = "disruption"
FEED_KEY_PREFIX = "fk_"


def _tz(zone: Zone) -> ZoneInfo:
    return ZoneInfo(zone.depot.time_zone)


def disruption_days(*, zone: Zone, starts_at: dt.datetime, ends_at: dt.datetime) -> list[dt.date]:
    """The depot's local days the period touches."""
    tz = _tz(zone)
    first = starts_at.astimezone(tz).date()
    last = (ends_at - dt.timedelta(microseconds=1)).astimezone(tz).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _check(*, zone: Zone, starts_at: dt.datetime, ends_at: dt.datetime, speed_factor: float, reason: str,
           depot: Depot | None, now: dt.datetime) -> None:
    fields: dict[str, list[str]] = {}
    if depot is not None and zone.depot_id != depot.pk:
        raise DispatchError(
            DispatchErrorCode.ZONE_NOT_IN_DEPOT,
            f"Zone {zone.code} is served from another depot than {depot.name}; choose one of {depot.name}'s zones.",
            fields={"zone": [f"Choose a zone of {depot.name}."]},
        )
    if ends_at <= starts_at:
        fields["ends_at"] = ["The end must be after the start."]
    elif ends_at <= now:
        fields["ends_at"] = ["The end must be in the future: a disruption that is over changes nothing."]
    elif ends_at - starts_at > dt.timedelta(days=MAX_DAYS):
        fields["ends_at"] = [f"A disruption lasts at most {MAX_DAYS} days; set another one after it."]
    if fields:
        raise DispatchError(DispatchErrorCode.INVALID_PERIOD, fields["ends_at"][0], fields=fields)
    if not (MIN_FACTOR <= speed_factor <= MAX_FACTOR):
        message = (f"The speed factor must be between {MIN_FACTOR:g} and {MAX_FACTOR:g} "
                   f"(a slowdown of {round((MIN_FACTOR - 1) * 100)} % to {round((MAX_FACTOR - 1) * 100)} %).")
        raise DispatchError(DispatchErrorCode.INVALID_SPEED_FACTOR, message, fields={"speed_factor": [message]})
    if not reason.strip():
        raise DispatchError(DispatchErrorCode.INVALID_REASON, "Say why the zone is slow (e.g. 'Snow', 'Marathon').",
                            fields={"reason": ["This field is required."]})


def _replan_days(*, zone: Zone, days: Iterable[dt.date]) -> list[dt.date]:
    """Ask for a re-plan of each of these days of the zone's depot that has an active plan (in the caller's
    transaction); a day without a plan will be planned with the disruption anyway."""
    planned = sorted(set(Plan.objects.filter(depot_id=zone.depot_id, date__in=list(days), status=Plan.Status.ACTIVE)
                         .values_list("date", flat=True)))
    for day in planned:
        replan_request(depot_id=zone.depot_id, date=day, trigger=REPLAN_TRIGGER, debounce=False)
    return planned


def _describe(d: Disruption) -> str:
    tz = _tz(d.zone)
    return (f"{d.zone.name} {d.slowdown_percent} % slower from {d.starts_at.astimezone(tz):%a %d %b %H:%M} "
            f"to {d.ends_at.astimezone(tz):%a %d %b %H:%M} ({d.reason})")


def disruption_create(
    *, zone: Zone, starts_at: dt.datetime, ends_at: dt.datetime, speed_factor: float, reason: str,
    source: str, depot: Depot | None = None, feed: DisruptionFeed | None = None, external_id: str = "",
    created_by=None, now: dt.datetime | None = None,
) -> Disruption:
    """Slow `zone` by `speed_factor` from `starts_at` to `ends_at`, and re-plan the planned days it touches.

    `depot`, when given, is the depot the caller acts for: a zone of another depot is refused.
    """
    now = now or clock.now()
    _check(zone=zone, starts_at=starts_at, ends_at=ends_at, speed_factor=speed_factor, reason=reason, depot=depot,
           now=now)
    with transaction.atomic():
        try:
            with transaction.atomic():
                disruption = Disruption.objects.create(
                    zone=zone, starts_at=starts_at, ends_at=ends_at, speed_factor=speed_factor, reason=reason.strip(),
                    source=source, feed=feed, external_id=external_id, created_by=created_by,
                )
        except IntegrityError:
            raise DispatchError(DispatchErrorCode.DISRUPTION_EXISTS,
                                f"This feed already sent event {external_id!r}; update it instead.", status_code=409)
        audit_event(instance=disruption, event="disruption.set", summary=f"Disruption set: {_describe(disruption)}")
        _replan_days(zone=zone, days=disruption_days(zone=zone, starts_at=starts_at, ends_at=ends_at))
    return disruption


def disruption_update(
    *, disruption: Disruption, starts_at: dt.datetime | None = None, ends_at: dt.datetime | None = None,
    speed_factor: float | None = None, reason: str | None = None, depot: Depot | None = None,
    now: dt.datetime | None = None,
) -> Disruption:
    """Change a disruption's period, factor or reason; the days it touched before and touches now re-plan."""
    now = now or clock.now()
    zone = disruption.zone
    new = {
        "starts_at": disruption.starts_at if starts_at is None else starts_at,
        "ends_at": disruption.ends_at if ends_at is None else ends_at,
        "speed_factor": disruption.speed_factor if speed_factor is None else speed_factor,
        "reason": disruption.reason if reason is None else reason.strip(),
    }
    _check(zone=zone, depot=depot, now=now, **new)
    changes = {name: (getattr(disruption, name), value) for name, value in new.items()
               if getattr(disruption, name) != value}
    if not changes:
        return disruption
    days = set(disruption_days(zone=zone, starts_at=disruption.starts_at, ends_at=disruption.ends_at))
    with transaction.atomic():
        Disruption.objects.filter(pk=disruption.pk).update(updated_at=now, **new)
        for name, value in new.items():
            setattr(disruption, name, value)
        audit_event(instance=disruption, event="disruption.changed",
                    summary=f"Disruption changed: {_describe(disruption)}", changes=changes)
        days |= set(disruption_days(zone=zone, starts_at=new["starts_at"], ends_at=new["ends_at"]))
        _replan_days(zone=zone, days=days)
    return disruption


def disruption_end(*, disruption: Disruption, depot: Depot | None = None, now: dt.datetime | None = None) -> bool:
    """End a disruption now: the zone drives at its own pace again and the days it touched re-plan.

    One that has not begun is withdrawn (deleted; the audit trail keeps it). Returns False when it
    was withdrawn, True when it was ended.
    """
    now = now or clock.now()
    zone = disruption.zone
    if depot is not None and zone.depot_id != depot.pk:
        raise DispatchError(DispatchErrorCode.ZONE_NOT_IN_DEPOT,
                            f"This disruption is in a zone of another depot than {depot.name}.", status_code=403)
    if disruption.ends_at <= now:
        raise DispatchError(DispatchErrorCode.DISRUPTION_OVER, "This disruption is already over.", status_code=409)
    days = disruption_days(zone=zone, starts_at=disruption.starts_at, ends_at=disruption.ends_at)
    with transaction.atomic():
        if disruption.starts_at >= now:
            audit_event(instance=disruption, event="disruption.withdrawn",
                        summary=f"Disruption withdrawn before it began: {_describe(disruption)}")
            Disruption.objects.filter(pk=disruption.pk).delete()
            ended = False
        else:
            audit_event(instance=disruption, event="disruption.ended",
                        summary=f"Disruption ended early: {_describe(disruption)}",
                        changes={"ends_at": (disruption.ends_at, now)})
            Disruption.objects.filter(pk=disruption.pk).update(ends_at=now, ended_early_at=now, updated_at=now)
            disruption.ends_at = disruption.ended_early_at = now
            ended = True
        _replan_days(zone=zone, days=days)
    return ended


def disruption_feed_create(*, code: str, name: str, depot: Depot | None = None,
                           raw_key: str | None = None) -> tuple[DisruptionFeed, str]:
    """Create a feed allowed to set disruptions (in `depot`'s zones, or anywhere) and return it with the only
    plain-text copy of its key. `raw_key` lets the demo seed install a well-known key."""
    raw_key = raw_key or f"{FEED_KEY_PREFIX}{secrets.token_urlsafe(32)}"
    if not raw_key.startswith(FEED_KEY_PREFIX):
        raise ValueError(f"A feed key starts with {FEED_KEY_PREFIX}")
    feed = DisruptionFeed.objects.create(code=code, name=name, depot=depot, key_digest=api_key_digest(raw_key))
    return feed, raw_key


# --- Reads -----------------------------------------------------------------------------------


def disruptions_current(*, feed: DisruptionFeed | None = None, zone_code: str | None = None,
                        now: dt.datetime | None = None) -> list[Disruption]:
    """The disruptions not over yet, by start: one feed's own when `feed` is given, else everyone's."""
    rows = Disruption.objects.filter(ends_at__gt=now or clock.now()).select_related("zone__depot")
    if feed is not None:
        rows = rows.filter(feed=feed)
    if zone_code:
        rows = rows.filter(zone__code=zone_code)
    return list(rows.order_by("starts_at", "pk"))


def disruptions_for_day(*, depot: Depot, date: dt.date) -> list[Disruption]:
    """The depot's disruptions in force at some moment of its local day, by start."""
    tz = ZoneInfo(depot.time_zone)
    midnight = dt.datetime.combine(date, dt.time(0), tzinfo=tz)
    return list(Disruption.objects.filter(zone__depot=depot, starts_at__lt=midnight + dt.timedelta(days=1),
                                          ends_at__gt=midnight).select_related("zone", "feed", "created_by"))


@dataclass(frozen=True)
class WindowAtRisk:
    """A delivery window of a slowed zone that the active plan no longer keeps for some of its deliveries."""

    zone: Zone
    starts_at: dt.datetime
    ends_at: dt.datetime
    late: list[tuple[str, int]]  # (job label, minutes late)
    unassigned: list[str]  # job labels the plan cannot serve any more

    @property
    def count(self) -> int:
        return len(self.late) + len(self.unassigned)


def windows_at_risk(*, depot: Depot, date: dt.date, merchant_ids: Iterable[int] | None = None) -> list[WindowAtRisk]:
    """The windows of the day's slowed zones whose deliveries the active plan now brings after the window
    closes, or no longer serves at all, grouped by zone and window; other merchants' jobs masked."""
    disruptions = disruptions_for_day(depot=depot, date=date)
    plan = Plan.objects.filter(depot=depot, date=date, status=Plan.Status.ACTIVE).first()
    if not disruptions or plan is None:
        return []
    slowed = Q()
    for d in disruptions:
        slowed |= Q(zone_id=d.zone_id, window_start__lt=d.ends_at, window_end__gt=d.starts_at)
    jobs = {j.pk: j for j in Job.objects.filter(slowed, depot=depot, date=date).select_related("zone")}
    groups: dict[tuple, WindowAtRisk] = {}

    def group(job: Job) -> WindowAtRisk:
        key = (job.zone_id, job.window_start, job.window_end)
        if key not in groups:
            groups[key] = WindowAtRisk(zone=job.zone, starts_at=job.window_start, ends_at=job.window_end, late=[],
                                       unassigned=[])
        return groups[key]

    def label(job: Job) -> str:
        return MASKED_NAME if job_masked(job, merchant_ids) else str(job)

    late_stops = (Stop.objects.filter(route__plan=plan, job_id__in=list(jobs), status=Stop.Status.PENDING)
                  .values_list("job_id", "planned_arrival"))
    for job_id, arrival in late_stops:
        job = jobs[job_id]
        if arrival > job.window_end:
            group(job).late.append((label(job), max(round((arrival - job.window_end).total_seconds() / 60), 1)))
    for row in plan.unassigned:
        job = jobs.get(row["job"])
        if job is not None:
            group(job).unassigned.append(label(job))
    return sorted(groups.values(), key=lambda w: (w.starts_at, w.zone.code))
