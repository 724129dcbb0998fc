"""Recording canonical milestones: idempotent, ordered by when they happened, and passed on to their owners.

The delivery's status is scheduling's and the job's and stop's are dispatch's: a milestone
moves them only through `scheduling.services.delivery_status_set` and `dispatch.transitions`.
"""

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from core import metrics
from dispatch.transitions import job_mark_done, job_mark_failed, stop_mark_arrived
from scheduling.models import Delivery
from scheduling.services import delivery_status_set
from tracking.models import EtaSnapshot, Event, Milestone, RawCarrierEvent
from tracking.signals import milestone_recorded, problem_found

logger = logging.getLogger(__name__)

# What the customer's delivery status becomes when a milestone is the latest one (by recorded_at).
STATUS_FOR_MILESTONE = {
    Milestone.CREATED: Delivery.Status.BOOKED,
    Milestone.SCHEDULED: Delivery.Status.SCHEDULED,
    Milestone.SCANNED_OUT: Delivery.Status.OUT_FOR_DELIVERY,
    Milestone.OUT_FOR_DELIVERY: Delivery.Status.OUT_FOR_DELIVERY,
    Milestone.ARRIVING: Delivery.Status.OUT_FOR_DELIVERY,
    Milestone.ARRIVED: Delivery.Status.OUT_FOR_DELIVERY,
    Milestone.ATTEMPTED: Delivery.Status.ATTEMPTED,
    Milestone.DELIVERED: Delivery.Status.DELIVERED,
    Milestone.RETURNED: Delivery.Status.RETURNED,
}
# A parcel is delivered once: a later report of it is the same fact, not a second delivery.
ONCE_PER_JOURNEY = (Milestone.DELIVERED,)


@dataclass(frozen=True)
class Recorded:
    event: Event
    created: bool


def event_record(
    *,
    delivery: Delivery,
    milestone: str,
    source: str,
    recorded_at: dt.datetime,
    client_id: str = "",
    reason: str = "",
    raw: RawCarrierEvent | None = None,
    lat: float | None = None,
    lng: float | None = None,
    note: str = "",
) -> Recorded:
    """Record a milestone once per (source, client_id) and apply it.

    1. A milestone that happens once per journey (delivered) and is already on it
       is not recorded again: the first is returned unchanged, whoever reports it
       again (the driver tapping twice, a carrier echoing the driver). The
       delivery's row is locked first, so two reports at once cannot both be first.
    2. Insert the event in a savepoint; the unique (source, client_id) constraint
       turns a replay into a lookup of the first copy, which is returned unchanged.
    3. The delivery's status follows its journey (`delivery_status_sync`), so an
       event that arrives late never moves it backwards; scheduling's table has the
       last word (a cancelled delivery stays cancelled).
    4. Arrived, attempted and delivered move the job and its stop in the active
       plan forward through dispatch's transitions, never back.
    5. After commit: `milestone_recorded` is sent and the page is pushed the new status.
    """
    milestone = Milestone(milestone)
    client_id = _event_client_id(client_id)
    with transaction.atomic():
        if milestone in ONCE_PER_JOURNEY:
            first = _first_locked(delivery_id=delivery.pk, milestone=milestone)
            if first is not None:
                return Recorded(first, False)
        try:
            with transaction.atomic():
                event = Event.objects.create(
                    delivery=delivery, milestone=milestone, reason=reason[:40], source=source, client_id=client_id,
                    recorded_at=recorded_at, raw=raw, lat=lat, lng=lng, note=note[:300],
                )
        except IntegrityError:
            if not client_id:
                raise
            return Recorded(Event.objects.get(source=source, client_id=client_id), False)

        delivery_status_sync(delivery_id=delivery.pk)
        if delivery.job_id is not None:
            _apply_to_job(job_id=delivery.job_id, milestone=milestone, at=recorded_at)
        if milestone in (Milestone.ATTEMPTED,):
            journey_problem_report(
                delivery=delivery, code="failed_attempt", message=f"Delivery attempted: {reason or 'no reason given'}.",
                now=recorded_at,
            )
    transaction.on_commit(lambda: _announce(event))
    if milestone == Milestone.ARRIVED:
        transaction.on_commit(lambda: eta_error_observe(delivery_id=delivery.pk, arrived_at=recorded_at))
    return Recorded(event, True)


# How far back an ETA shown counts as shown for this arrival: the same working day, not an earlier attempt's.
ETA_SHOWN_LOOKBACK = dt.timedelta(hours=12)


def eta_error_observe(*, delivery_id, arrived_at: dt.datetime) -> None:
    """Measure the live ETA against the arrival, as benchmarks/eta_accuracy.py does on a simulated day: at
    each horizon, the latest ETA computed no later than that long before the van arrived."""
    shown = {}
    for horizon in metrics.ETA_ERROR_HORIZONS_MINUTES:
        moment = arrived_at - dt.timedelta(minutes=horizon)
        eta = (EtaSnapshot.objects.filter(delivery_id=delivery_id, computed_at__lte=moment,
                                          computed_at__gte=arrived_at - ETA_SHOWN_LOOKBACK)
               .order_by("-computed_at", "-id").values_list("eta", flat=True).first())
        if eta is not None:
            shown[horizon] = eta
    metrics.eta_error_observe(shown=shown, arrived_at=arrived_at)


def _first_locked(*, delivery_id, milestone: Milestone) -> Event | None:
    """The delivery's first event of this milestone, with the delivery's row locked until the transaction ends."""
    Delivery.objects.select_for_update().filter(pk=delivery_id).values_list("pk", flat=True).first()
    return Event.objects.filter(delivery_id=delivery_id, milestone=milestone).order_by("recorded_at", "id").first()


def _event_client_id(client_id: str) -> str:
    """The id an event is stored under: the sender's own when it fits, else a prefix and a digest of all of it.

    Cutting a long id would make ids that differ only past the cut one event: a scan-out's
    `<id>:<delivery>:out_for_delivery` became a replay of its `<id>:<delivery>` scanned_out.
    """
    limit = Event._meta.get_field("client_id").max_length
    if len(client_id) <= limit:
        return client_id
    digest = hashlib.sha256(client_id.encode()).hexdigest()[:40]
    return f"{client_id[:limit - len(digest) - 1]}#{digest}"


def _announce(event: Event) -> None:
    from tracking.services.publish import milestone_publish

    milestone_recorded.send(sender=Event, event=event)
    milestone_publish(delivery_id=event.delivery_id)


# How far along one delivery attempt a milestone is. Within an attempt the furthest milestone wins, so a
# scan that reaches us late (a phone back online) still counts.
PROGRESS = {
    Milestone.CREATED: 0, Milestone.SCHEDULED: 1, Milestone.SCANNED_OUT: 2, Milestone.OUT_FOR_DELIVERY: 2,
    Milestone.ARRIVING: 3, Milestone.ARRIVED: 4, Milestone.ATTEMPTED: 5, Milestone.DELIVERED: 6,
    Milestone.RETURNED: 7,
}
# The milestones that close an attempt without delivering it: only after one of these can a reschedule start anew.
ATTEMPT_CLOSERS = (Milestone.ATTEMPTED, Milestone.RETURNED)
# The milestones that put the parcel on a van: a customer's move after one brings it back another time.
ON_THE_ROAD = (Milestone.SCANNED_OUT, Milestone.OUT_FOR_DELIVERY, Milestone.ARRIVING)
# Who can move a delivery to another window themselves (a reschedule they record is one by definition).
RESCHEDULING_SOURCES = (Event.Source.CUSTOMER, Event.Source.AGENT)
SCHEDULED_CLIENT_PREFIX = "scheduled:"


def _scheduled_window(client_id: str) -> str | None:
    """The window named by a `scheduled:<delivery>:<window>[:<job>]` client id (the booking and reschedule receivers')."""
    if not client_id.startswith(SCHEDULED_CLIENT_PREFIX):
        return None
    parts = client_id.split(":")
    return parts[2] if len(parts) in (3, 4) and parts[2] else None


def _current_attempt(rows: list[tuple]) -> list[tuple]:
    """The events of the delivery's current attempt, from rows (milestone, recorded_at, id, source, client_id).

    Event times come from many clocks (a booking stamped by the shop, scans by a handheld, a simulator's
    virtual clock), so a `scheduled` event alone proves nothing. A new attempt starts only at a reschedule:
    1. walk the events in recorded order (`recorded_at`, then arrival order);
    2. the original booking's `created`/`scheduled` pair never starts one, wherever its time falls;
    3. a `scheduled` starts one only once the current attempt has been closed by `attempted` or `returned`,
       and only if it is a reschedule: recorded by the customer or an agent, or a `scheduled:` event for
       another window than the attempt's;
    4. or while the parcel is on the road, when the customer or an agent moved it to another window (a van
       running late: the parcel comes back another time).
    """
    ordered = sorted(rows, key=lambda row: (row[1], row[2]))
    by_arrival = sorted(rows, key=lambda row: row[2])
    booked_at = {at for milestone, at, *_rest in rows if milestone == Milestone.CREATED}
    scheduled = [row for row in by_arrival if row[0] == Milestone.SCHEDULED]
    # The booking's `scheduled` is recorded together with its `created`; without one, it is the first to arrive.
    booking = next((row for row in scheduled if row[1] in booked_at), scheduled[0] if scheduled else None)
    window = _scheduled_window(booking[4]) if booking is not None else None
    start, closed, on_road = 0, False, False
    for index, (milestone, _at, event_id, source, client_id) in enumerate(ordered):
        if milestone in ATTEMPT_CLOSERS:
            closed = True
            continue
        if milestone in ON_THE_ROAD:
            on_road = True
        if milestone != Milestone.SCHEDULED or (booking is not None and event_id == booking[2]):
            continue
        moved_to = _scheduled_window(client_id)
        if not closed and on_road and source in RESCHEDULING_SOURCES and moved_to is not None and moved_to != window:
            start, on_road, window = index, False, moved_to
        elif not closed:
            window = moved_to or window  # moved before anyone tried: still the same attempt, in its new window
        elif source in RESCHEDULING_SOURCES or (moved_to is not None and moved_to != window):
            start, closed, on_road = index, False, False
            window = moved_to or window
    return ordered[start:]


def current_attempt_event_ids(events) -> set[int]:
    """The ids of those `events` (a delivery's) that belong to its current attempt (`_current_attempt`)."""
    rows = [(e.milestone, e.recorded_at, e.id, e.source, e.client_id) for e in events
            if e.milestone in STATUS_FOR_MILESTONE]
    return {row[2] for row in _current_attempt(rows)} if rows else set()


def delivery_status_sync(*, delivery_id) -> str | None:
    """Bring the delivery's status to what its journey says; returns the new status if it changed.

    1. The current attempt is found by `_current_attempt` (a reschedule after a failed attempt starts one).
    2. Of its milestones, the furthest along wins (ties: the later one).
    3. Scheduling sets it (`delivery_status_set`, not strict): a move its table refuses changes nothing.
    """
    rows = list(
        Event.objects.filter(delivery_id=delivery_id, milestone__in=list(STATUS_FOR_MILESTONE))
        .values_list("milestone", "recorded_at", "id", "source", "client_id")
    )
    if not rows:
        return None
    current = _current_attempt(rows)
    latest = max(current, key=lambda row: (PROGRESS[Milestone(row[0])], row[1], row[2]))[0]
    status = STATUS_FOR_MILESTONE[Milestone(latest)]
    return status if delivery_status_set(delivery_id=delivery_id, status=status, strict=False) else None


def _apply_to_job(*, job_id: int, milestone: Milestone, at: dt.datetime) -> None:
    if milestone == Milestone.ARRIVED:
        stop_mark_arrived(job_id=job_id, at=at)
    elif milestone == Milestone.DELIVERED:
        job_mark_done(job_id=job_id, at=at)
    elif milestone == Milestone.ATTEMPTED:
        job_mark_failed(job_id=job_id, at=at)


def journey_problem_report(*, delivery: Delivery, code: str, message: str, now: dt.datetime) -> None:
    """Tell the apps above that a person must look at this delivery (care opens an exception)."""
    problem_found.send(sender=Delivery, delivery=delivery, code=code[:40], message=message[:300], at=now)
