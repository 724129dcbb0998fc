"""Writes of the promise: materialising windows, holds, bookings, rescheduling, cancelling, delivery status.

Scheduling is the only writer of a delivery's status: every change goes through the one
table of allowed transitions (`DELIVERY_TRANSITIONS`). The fleet's jobs are dispatch's;
they are created and moved only through `dispatch.transitions`.

Capacity moves only under the window rows' locks (`select_for_update`, taken in
primary-key order) and through conditional updates that check the row count; the
`window_never_overbooked` check constraint is the last guard. On SQLite the
settings open IMMEDIATE transactions, so writers queue instead.

What runs after commit (the signals, the re-plan request's hand-over) is `robust`:
it may fail, and is logged, without failing a booking that is already saved.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Min, Q, Sum
from django.utils.translation import gettext

from core import clock, metrics
from core.audit import ActorKind, audit_current_kind, audit_event
from core.log_context import log_bind
from dispatch import transitions as job_transitions
from dispatch.models import Depot, Job, Zone
from dispatch.refusals import RefusalReason
from dispatch.selectors import vehicles_available
from merchants.models import ApiKey, Merchant
from scheduling import signals
from scheduling.drop import INSTRUCTIONS_OPEN, Drop, drop_from_booking, drop_problem
from scheduling.errors import SchedulingError, SchedulingErrorCode
from scheduling.labels import window_span_label
from scheduling.models import (
    BlackoutDate,
    Delivery,
    DropChoice,
    Hold,
    IdempotencyKey,
    ParcelSize,
    Window,
    WindowTemplate,
)
from scheduling.windows import (
    SIZE_PROFILES,
    safe_drop_offered,
    window_alternatives,
    window_live_holds,
    window_offer,
)

logger = logging.getLogger(__name__)

# Stops a vehicle makes in an hour when a template sets no merchant cap (service plus a short leg).
DEFAULT_STOPS_PER_VEHICLE_HOUR = 6


# --- Windows ------------------------------------------------------------------


def _local(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """A wall-clock time in the merchant's zone as an aware datetime; a time skipped by DST moves forward."""
    aware = dt.datetime.combine(day, time, tzinfo=tz)
    round_trip = aware.astimezone(dt.UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != aware.replace(tzinfo=None):
        # Nonexistent (spring-forward gap): take the first instant after the gap.
        return round_trip
    return aware


def template_default_capacity(*, template: WindowTemplate) -> int:
    """Without a merchant cap, what the zone's depot fleet can make in the window's hours."""
    vehicles = vehicles_available(depot_id=template.zone.depot_id).count()
    start = dt.datetime.combine(dt.date(2000, 1, 1), template.start_time)
    hours = (dt.datetime.combine(dt.date(2000, 1, 1), template.end_time) - start).total_seconds() / 3600
    return int(vehicles * hours * DEFAULT_STOPS_PER_VEHICLE_HOUR)


def windows_materialize(*, merchant: Merchant, start: dt.date, days: int) -> int:
    """Create the merchant's dated windows from its active templates for `days` days; returns how many were new.

    Idempotent: a window that exists (template, start) is left as it is, books included.
    Blackout days and weekdays a template does not offer get no window.
    """
    tz = merchant.zone_info
    blackout = set(
        BlackoutDate.objects.filter(merchant=merchant, date__gte=start, date__lt=start + dt.timedelta(days=days))
        .values_list("date", flat=True)
    )
    templates = list(WindowTemplate.objects.filter(merchant=merchant, active=True).select_related("zone"))
    default_caps: dict[int, int] = {}
    rows = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        if day in blackout:
            continue
        for template in templates:
            if day.isoweekday() not in (template.weekdays or []):
                continue
            if template.max_stops is None and template.pk not in default_caps:
                default_caps[template.pk] = template_default_capacity(template=template)
            rows.append(Window(
                template=template, merchant=merchant, zone=template.zone, date=day,
                starts_at=_local(day, template.start_time, tz), ends_at=_local(day, template.end_time, tz),
                cutoff_at=_local(day - dt.timedelta(days=template.cutoff_days_before), template.cutoff_time, tz),
                label=template.label, price_amount=template.price_amount, currency=merchant.currency,
                capacity=template.max_stops if template.max_stops is not None else default_caps[template.pk],
            ))
    before = Window.objects.filter(merchant=merchant).count()
    Window.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return Window.objects.filter(merchant=merchant).count() - before


# --- Capacity, under lock ---------------------------------------------------------


def _lock_windows(ids: list[int]) -> dict[int, Window]:
    """Lock window rows in primary-key order, so two movers between the same windows never deadlock."""
    locked = Window.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")
    return {w.pk: w for w in locked}


def _claim_fleet(*, window: Window, lat: float, lng: float, skills: tuple[str, ...], size: str,
                 now: dt.datetime) -> None:
    """Lock the window's depot, then ask the fleet oracle again, against the committed jobs.

    The oracle's first answer is read without a lock, so two shoppers could both be told the last
    reachable slot of a van is theirs. Every write that adds a job to a depot's day takes this lock
    first (before any window lock), so the second one sees the first one's job and is refused. The
    second answer rebuilds the day from the committed jobs: the routes this process cached for
    offers may be another process's bookings behind, or have fitted them differently.
    """
    Depot.objects.select_for_update().filter(pk=window.zone.depot_id).values_list("pk", flat=True).first()
    # The merchant's places as committed: once a rush has filled the window, the shoppers still
    # queued on this lock are turned away without rebuilding the fleet's day for each of them.
    window.booked = Window.objects.filter(pk=window.pk).values_list("booked", flat=True).first()
    _check_offer(window=window, lat=lat, lng=lng, skills=skills, size=size, now=now, committed=True)


def _take_place(*, window: Window, now: dt.datetime, exclude_hold_id=None) -> None:
    """Book one place in a locked window, counting live holds; raises 409 window_full."""
    holds = window_live_holds(window=window, now=now, exclude_hold_id=exclude_hold_id)
    taken = 0
    if window.booked + holds < window.capacity:
        taken = Window.objects.filter(pk=window.pk, booked__lt=F("capacity") - holds).update(booked=F("booked") + 1)
    if taken != 1:
        raise SchedulingError(SchedulingErrorCode.WINDOW_FULL, "This delivery window is full.", status_code=409)


def _give_back(*, window: Window) -> None:
    Window.objects.filter(pk=window.pk, booked__gt=0).update(booked=F("booked") - 1)


def _full_error(window: Window, lat: float, lng: float, skills: tuple[str, ...], size: str, now: dt.datetime,
                code: SchedulingErrorCode = SchedulingErrorCode.WINDOW_FULL, message: str = "") -> SchedulingError:
    from scheduling.serializers import window_payload  # serializers import this module's types

    alternatives = window_alternatives(window=window, lat=lat, lng=lng, skills=skills, size=size, now=now)
    return SchedulingError(
        code, message or "This delivery window is full.", status_code=409,
        extra={"alternatives": [window_payload(w) for w in alternatives]},
    )


def _check_offer(*, window: Window, lat: float, lng: float, skills: tuple[str, ...], size: str,
                 now: dt.datetime, committed: bool = False) -> None:
    """Refuse a window the shopper could not have been offered: outside its zone, closed, or the fleet is full.

    `committed` judges the fleet on the committed jobs rather than this process's cached routes
    (under the depot's lock, see `_claim_fleet`).
    """
    offer = window_offer(window=window, lat=lat, lng=lng, skills=skills, size=size, now=now, committed=committed)
    if offer.available:
        return
    if offer.reason == RefusalReason.OUTSIDE_AREA:
        raise SchedulingError(
            SchedulingErrorCode.OUTSIDE_AREA, "This address is outside the window's delivery area.",
            fields={"lat": ["Outside the window's delivery zone."], "lng": ["Outside the window's delivery zone."]},
        )
    if offer.reason == RefusalReason.CUTOFF_PASSED:
        raise _full_error(window, lat, lng, skills, size, now, SchedulingErrorCode.CUTOFF_PASSED,
                          "The cut-off for this window has passed.")
    if offer.reason == RefusalReason.SKILL_UNAVAILABLE:
        raise _full_error(window, lat, lng, skills, size, now, SchedulingErrorCode.SKILL_UNAVAILABLE,
                          "No vehicle with the skills this delivery needs works in this window.")
    raise _full_error(window, lat, lng, skills, size, now)


def _job_for(*, window: Window, lat: float, lng: float, size: str, skills: tuple[str, ...], reference: str,
             status: str, hold_expires_at: dt.datetime | None = None) -> Job:
    zone: Zone = window.zone
    parcels, kg = SIZE_PROFILES.get(size, SIZE_PROFILES["small"])
    return job_transitions.job_create(
        status=status, reference=reference, merchant_id=window.merchant_id, depot_id=zone.depot_id, zone=zone,
        date=window.date, lat=lat, lng=lng,
        window_start=window.starts_at, window_end=window.ends_at, service_seconds=zone.service_seconds,
        parcels=parcels, weight_kg=kg, skills=_job_skills(window=window, skills=skills),
        hold_expires_at=hold_expires_at,
    )


def _job_skills(*, window: Window, skills: tuple[str, ...]) -> list[str]:
    return sorted(set(skills) | set(window.template.required_skills or ()))


def _after_commit_job_changed(*jobs: Job) -> None:
    from dispatch.services import job_changed

    def notify() -> None:
        for job in jobs:
            job_changed(job=job)

    transaction.on_commit(notify, robust=True)


# --- Holds ------------------------------------------------------------------------


def hold_limit_per_key(*, window: Window) -> int:
    """How many places of this window's zone and day one publishable key may hold at once.

    A share of the day's places there (the windows' merchant caps), never fewer than a floor, so a small
    zone still serves a few shoppers choosing at once.
    """
    places = Window.objects.filter(merchant_id=window.merchant_id, zone_id=window.zone_id,
                                   date=window.date).aggregate(places=Sum("capacity"))["places"] or 0
    return max(settings.HOLD_LIMIT_PER_KEY_MIN, math.ceil(places * settings.HOLD_LIMIT_PER_KEY_PERCENT / 100))


def _check_hold_limits(*, window: Window, api_key: ApiKey | None, client: str, now: dt.datetime) -> None:
    """Keep a browser's holds within the caps, under the depot's lock that every hold on the zone's windows takes.

    A publishable key is public (it sits in the shop's page), so whoever reads it could hold every place of a
    day and make checkout say "full" to everyone:
    1. One client keeps at most `HOLD_LIMIT_PER_CLIENT` holds of the zone's day: a new one gives up its oldest,
       so a shopper comparing windows is never refused, and one address never holds more than the cap.
    2. The key as a whole keeps at most a share of the day's places: past it, 429 `hold_limit`, retry when the
       oldest counted hold expires.
    A secret key is the merchant's own server, which may book every place anyway: not capped.
    """
    if api_key is None or api_key.kind != ApiKey.Kind.PUBLISHABLE:
        return
    live = Hold.objects.filter(api_key=api_key, status=Hold.Status.ACTIVE, expires_at__gt=now,
                               window__zone_id=window.zone_id, window__date=window.date)
    if client:
        mine = list(live.filter(client=client).order_by("expires_at", "created_at").values_list("pk", "job_id"))
        surplus = len(mine) - settings.HOLD_LIMIT_PER_CLIENT + 1
        if surplus > 0:
            given_up = mine[:surplus]
            Hold.objects.filter(pk__in=[pk for pk, _ in given_up], status=Hold.Status.ACTIVE).update(
                status=Hold.Status.RELEASED)
            job_transitions.jobs_release_held(job_ids=[job for _, job in given_up if job])
    if live.count() >= hold_limit_per_key(window=window):
        first_free = live.aggregate(at=Min("expires_at"))["at"]
        retry_after = max(1, math.ceil((first_free - now).total_seconds()))
        raise SchedulingError(
            SchedulingErrorCode.HOLD_LIMIT,
            f"This shop's checkout holds as many places of this day as it may at once. Retry in {retry_after} s.",
            status_code=429, extra={"retry_after": retry_after})


def hold_create(*, merchant: Merchant, window: Window, lat: float, lng: float, size: str = "small",
                skills: tuple[str, ...] = (), now: dt.datetime | None = None, api_key: ApiKey | None = None,
                client: str = "") -> Hold:
    """Keep a place in a window for `settings.HOLD_TTL_SECONDS`; it counts until booked or expired.

    The held place is a `held` Job the oracle counts while `hold_expires_at` is ahead, and a Hold row the
    merchant cap counts while `expires_at` is ahead: nothing has to run for an expired hold to stop counting.
    `api_key` and `client` (a digest of the caller's address) say who asked: a publishable key's holds are
    capped (`_check_hold_limits`).
    """
    now = now or clock.now()
    if window.merchant_id != merchant.pk:
        raise SchedulingError(SchedulingErrorCode.WINDOW_NOT_FOUND, "Unknown window.",
                              fields={"window_id": ["Unknown window."]})
    _check_offer(window=window, lat=lat, lng=lng, skills=skills, size=size, now=now)
    expires_at = now + dt.timedelta(seconds=settings.HOLD_TTL_SECONDS)
    parcels, _kg = SIZE_PROFILES.get(size, SIZE_PROFILES["small"])
    with transaction.atomic():
        _claim_fleet(window=window, lat=lat, lng=lng, skills=skills, size=size, now=now)
        _check_hold_limits(window=window, api_key=api_key, client=client, now=now)
        locked = _lock_windows([window.pk])[window.pk]
        holds = window_live_holds(window=locked, now=now)
        if locked.booked + holds >= locked.capacity:
            raise SchedulingError(SchedulingErrorCode.WINDOW_FULL, "This delivery window is full.", status_code=409)
        job = _job_for(window=window, lat=lat, lng=lng, size=size, skills=skills, reference="hold",
                       status=Job.Status.HELD, hold_expires_at=expires_at)
        hold = Hold.objects.create(merchant=merchant, window=window, job=job, lat=lat, lng=lng, parcels=parcels,
                                   skills=list(skills), expires_at=expires_at, api_key=api_key, client=client)
    metrics.holds_taken.inc()
    return hold


def holds_purge_expired(*, now: dt.datetime | None = None) -> int:
    """Tidy up: mark expired holds released and cancel their held jobs (they already stopped counting)."""
    now = now or clock.now()
    with transaction.atomic():
        expired = list(Hold.objects.filter(status=Hold.Status.ACTIVE, expires_at__lte=now).values_list("pk", "job_id"))
        Hold.objects.filter(pk__in=[pk for pk, _ in expired], status=Hold.Status.ACTIVE).update(
            status=Hold.Status.RELEASED
        )
        job_transitions.jobs_release_held(job_ids=[j for _, j in expired if j])
    metrics.holds_expired.inc(len(expired))
    return len(expired)


# --- Delivery status --------------------------------------------------------------

D = Delivery.Status
# from -> the statuses a delivery may move to. Nothing goes back to booked: a booking, a reschedule and a new
# attempt (after attempted or returned) are scheduled in their window. Cancelled is final; delivered can only
# come back as returned.
DELIVERY_TRANSITIONS: dict[str, frozenset[str]] = {
    D.BOOKED: frozenset({D.SCHEDULED, D.OUT_FOR_DELIVERY, D.ATTEMPTED, D.DELIVERED, D.RETURNED, D.CANCELLED}),
    D.SCHEDULED: frozenset({D.OUT_FOR_DELIVERY, D.ATTEMPTED, D.DELIVERED, D.RETURNED, D.CANCELLED}),
    D.OUT_FOR_DELIVERY: frozenset({D.ATTEMPTED, D.DELIVERED, D.RETURNED}),
    D.ATTEMPTED: frozenset({D.SCHEDULED, D.OUT_FOR_DELIVERY, D.DELIVERED, D.RETURNED, D.CANCELLED}),
    D.DELIVERED: frozenset({D.RETURNED}),
    D.RETURNED: frozenset({D.SCHEDULED, D.OUT_FOR_DELIVERY, D.ATTEMPTED, D.DELIVERED}),
    D.CANCELLED: frozenset(),
}
# A delivery booked or moved into a window is scheduled there: the row says so as soon as it is written, and
# the booking's answer with it (the journey's `created` and `scheduled` milestones, recorded at the same
# moment after commit, agree).
STATUS_IN_A_WINDOW = D.SCHEDULED


def delivery_status_transition_allowed(*, current: str, to: str) -> bool:
    return to in DELIVERY_TRANSITIONS.get(current, frozenset())


def _delivery_status_move(*, delivery_id, to: str, stay: bool = False, running_late_from_van: bool = False,
                          **fields) -> int:
    """Move the delivery to `to` (with `fields`) if the table allows it from its status, or `stay` there.

    `running_late_from_van` also takes it off the van while the live estimate is past its window (a late
    parcel the customer moves to another time). One conditional UPDATE; returns the rows changed (0 when refused).
    """
    sources = [s for s, targets in DELIVERY_TRANSITIONS.items() if to in targets or (stay and s == to)]
    allowed = Q(status__in=sources)
    if running_late_from_van:
        allowed |= Q(status=D.OUT_FOR_DELIVERY, running_late_eta__isnull=False)
    # Lateness is the van's round's to report: any move (a new round, a drop, a move to another window) ends it.
    fields.setdefault("running_late_eta", None)
    return Delivery.objects.filter(allowed, pk=delivery_id).update(status=to, **fields)


def delivery_running_late_set(*, lateness: dict) -> int:
    """Record, per delivery id, the live estimate while it is past the window (None once it is not).

    Only deliveries out for delivery keep one; rows already saying so are not written again.
    Returns the rows changed.
    """
    changed = 0
    current = dict(Delivery.objects.filter(pk__in=list(lateness)).values_list("pk", "running_late_eta"))
    for delivery_id, eta in lateness.items():
        if delivery_id not in current or (current[delivery_id] is None) == (eta is None):
            continue  # unknown, or late and still late (the page shows the live estimate itself)
        changed += Delivery.objects.filter(pk=delivery_id, status=D.OUT_FOR_DELIVERY).update(running_late_eta=eta)
    return changed


def delivery_running_late(delivery: Delivery) -> bool:
    """Out for delivery and expected after the window: the customer may move it to another time."""
    return delivery.status == D.OUT_FOR_DELIVERY and delivery.running_late_eta is not None


def delivery_status_set(*, delivery_id, status: str, strict: bool = True) -> bool:
    """Move a delivery to `status`; true when it changed, false when it already was there.

    A change `DELIVERY_TRANSITIONS` does not allow leaves the row as it is: with `strict`
    it is refused (409 status_change_refused); without, it returns false. The journey's
    reports, which arrive late and out of order, are applied without `strict`: a cancelled
    delivery stays cancelled whatever a carrier still says.
    """
    status = D(status)
    before = Delivery.objects.select_related("merchant").filter(pk=delivery_id).first()
    if _delivery_status_move(delivery_id=delivery_id, to=status):
        if before is not None:
            audit_event(instance=before, event="delivery.status_changed",
                        summary=f"Status {before.get_status_display().lower()} → {status.label.lower()}",
                        changes={"status": (before.status, status.value)})
        return True
    current = Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
    if current == status or not strict:
        return False
    raise SchedulingError(
        SchedulingErrorCode.STATUS_CHANGE_REFUSED,
        f"A delivery that is {current or 'gone'} cannot become {status}.", status_code=409,
    )


# --- Deliveries -------------------------------------------------------------------


def delivery_book(
    *, merchant: Merchant, order_ref: str, recipient_name: str, address_line1: str, address_city: str,
    address_postcode: str, lat: float, lng: float, window: Window | None = None, hold: Hold | None = None,
    recipient_phone: str = "", recipient_email: str = "", access_notes: str = "", safe_drop: bool = False,
    leave_with_neighbour: bool = False, preferences: dict | None = None, size: str = "small",
    skills: tuple[str, ...] = (), language: str = "", now: dt.datetime | None = None,
) -> Delivery:
    """Book a delivery in a window, or turn a live hold into one.

    1. A hold that is still live hands its place over; an expired one is released and the booking
       competes for its window like any other.
    2. Otherwise the window must be one the shopper could be offered (zone, cut-off, fleet oracle);
       a full one answers 409 with the next feasible windows.
    3. Under the window's row lock, the merchant cap is checked against booked + live holds and
       `booked` grows by a conditional update.
    4. The job and the delivery are written in the same transaction; the signal and the re-plan
       request go out after commit.
    """
    now = now or clock.now()
    if hold is not None:
        if hold.merchant_id != merchant.pk:
            raise SchedulingError(SchedulingErrorCode.HOLD_NOT_FOUND, "Unknown hold.",
                                  fields={"hold_id": ["Unknown hold."]})
        window = hold.window
    if window is None or window.merchant_id != merchant.pk:
        raise SchedulingError(SchedulingErrorCode.WINDOW_NOT_FOUND, "Unknown window.",
                              fields={"window_id": ["Unknown window."]})
    drop = drop_from_booking(safe_drop=safe_drop, leave_with_neighbour=leave_with_neighbour,
                             safe_drop_allowed=safe_drop_offered(merchant=merchant, window=window))
    live_hold = hold is not None and hold.status == Hold.Status.ACTIVE and hold.expires_at > now
    if not live_hold:
        _check_offer(window=window, lat=lat, lng=lng, skills=skills, size=size, now=now)
    else:
        from dispatch.zones import zone_for_point

        found = zone_for_point(lat=lat, lng=lng)
        if found is None or found.pk != window.zone_id:
            raise SchedulingError(
                SchedulingErrorCode.OUTSIDE_AREA, "This address is outside the window's delivery area.",
                fields={"lat": ["Outside the window's delivery zone."], "lng": ["Outside the window's delivery zone."]},
            )
    try:
        with transaction.atomic():
            if not live_hold:
                _claim_fleet(window=window, lat=lat, lng=lng, skills=skills, size=size, now=now)
            locked = _lock_windows([window.pk])[window.pk]
            job = None
            if live_hold:
                claimed = Hold.objects.filter(
                    pk=hold.pk, status=Hold.Status.ACTIVE, expires_at__gt=now
                ).update(status=Hold.Status.BOOKED)
                live_hold = claimed == 1
            if live_hold:
                # The hold's place becomes a booking: not counted twice, since it is no longer active.
                _take_place(window=locked, now=now)
                parcels, kg = SIZE_PROFILES.get(size, SIZE_PROFILES["small"])
                if hold.job_id:
                    job = job_transitions.job_hold_book(
                        job_id=hold.job_id, reference=order_ref, lat=lat, lng=lng, parcels=parcels, weight_kg=kg,
                        skills=_job_skills(window=window, skills=skills),
                    )
            else:
                if hold is not None:
                    Hold.objects.filter(pk=hold.pk, status=Hold.Status.ACTIVE).update(status=Hold.Status.RELEASED)
                    if hold.job_id:
                        job_transitions.jobs_release_held(job_ids=[hold.job_id])
                _take_place(window=locked, now=now)
            if job is None:
                job = _job_for(window=window, lat=lat, lng=lng, size=size, skills=skills, reference=order_ref,
                               status=Job.Status.PENDING)
            delivery = _delivery_create(
                merchant=merchant, window=window, job=job, order_ref=order_ref, recipient_name=recipient_name,
                recipient_phone=recipient_phone, recipient_email=recipient_email, address_line1=address_line1,
                address_city=address_city, address_postcode=address_postcode, lat=lat, lng=lng,
                access_notes=access_notes, drop=drop, preferences=preferences or {}, size=size, skills=skills,
                language=language,
            )
            log_bind(merchant=merchant.slug, delivery=delivery.pk)
            _after_commit_job_changed(job)
            transaction.on_commit(lambda: signals.delivery_booked.send(sender=Delivery, delivery=delivery), robust=True)
    except SchedulingError as error:
        if error.code == SchedulingErrorCode.WINDOW_FULL:
            raise _full_error(window, lat, lng, skills, size, now)
        raise
    return delivery


def _delivery_create(*, merchant, window, job, order_ref, recipient_name, recipient_phone, recipient_email,
                     address_line1, address_city, address_postcode, lat, lng, access_notes, drop: Drop,
                     preferences, size, skills, language) -> Delivery:
    size = size if size in SIZE_PROFILES else ParcelSize.SMALL  # as the fleet was asked (see window_offers)
    parcels, kg = SIZE_PROFILES[size]
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                merchant=merchant, window=window, job=job, order_ref=order_ref, recipient_name=recipient_name,
                recipient_phone=recipient_phone, recipient_email=recipient_email,
                language=language or merchant.default_language, address_line1=address_line1,
                address_city=address_city, address_postcode=address_postcode, lat=lat, lng=lng,
                access_notes=access_notes, **drop.normalised().fields(), preferences=preferences, size=size, parcels=parcels, weight_kg=kg, skills=list(skills),
                tracking_expires_at=window.ends_at + dt.timedelta(days=settings.TRACKING_TOKEN_DAYS),
                status=STATUS_IN_A_WINDOW,
            )
    except IntegrityError:
        raise SchedulingError(
            SchedulingErrorCode.DUPLICATE_ORDER_REF, f"Order {order_ref} already has a delivery.", status_code=409,
            fields={"order_ref": ["This order already has a delivery."]},
        )


def delivery_create_for_seed(
    *, merchant: Merchant, window: Window, order_ref: str, recipient_name: str, address_line1: str,
    address_city: str, address_postcode: str, lat: float, lng: float, recipient_phone: str = "",
    recipient_email: str = "", access_notes: str = "", drop: Drop | None = None, size: str = "small",
    skills: tuple[str, ...] = (), language: str = "", send_signal: bool = True,
) -> Delivery:
    """Book without asking the fleet oracle (demo seeding, benchmarks): the merchant cap and books stay exact.

    Raises 409 window_full when the window's cap is reached, like a real booking.
    """
    now = clock.now()
    drop = drop or Drop()
    if drop_problem(drop.normalised(), before=Drop(), safe_place_offered=safe_drop_offered(merchant=merchant, window=window)):
        drop = Drop()  # a seed asks for what the merchant may not offer: at the door, as a real booking would be
    with transaction.atomic():
        locked = _lock_windows([window.pk])[window.pk]
        _take_place(window=locked, now=now)
        job = _job_for(window=window, lat=lat, lng=lng, size=size, skills=skills, reference=order_ref,
                       status=Job.Status.PENDING)
        delivery = _delivery_create(
            merchant=merchant, window=window, job=job, order_ref=order_ref, recipient_name=recipient_name,
            recipient_phone=recipient_phone, recipient_email=recipient_email, address_line1=address_line1,
            address_city=address_city, address_postcode=address_postcode, lat=lat, lng=lng,
            access_notes=access_notes, drop=drop, preferences={}, size=size, skills=skills, language=language,
        )
        if send_signal:
            transaction.on_commit(lambda: signals.delivery_booked.send(sender=Delivery, delivery=delivery), robust=True)
    return delivery


# A failed attempt is the main reason to move a delivery (the customer's link after "we missed you").
RESCHEDULABLE = (Delivery.Status.BOOKED, Delivery.Status.SCHEDULED, Delivery.Status.ATTEMPTED)


def delivery_reschedule(*, delivery: Delivery, window: Window, now: dt.datetime | None = None,
                        closes_before_minutes: int | None = None) -> Delivery:
    """Move a delivery to another feasible window; capacity moves with it, atomically.

    1. The new window must be the merchant's, in the address's zone, open and feasible for the fleet.
    2. `closes_before_minutes` (the customer's link) refuses a move that close to the current window.
    3. Lock the delivery, then both windows in primary-key order; take a place in the new one,
       give one back to the old one, and swap the job (the old one is cancelled, a new one is pending).
    """
    now = now or clock.now()
    if window.merchant_id != delivery.merchant_id:
        raise SchedulingError(SchedulingErrorCode.WINDOW_NOT_FOUND, "Unknown window.",
                              fields={"window_id": ["Unknown window."]})
    old = delivery.window
    _check_reschedulable(delivery=delivery, now=now, closes_before_minutes=closes_before_minutes)
    if window.pk == old.pk:
        raise SchedulingError(SchedulingErrorCode.NOT_RESCHEDULABLE, "The delivery is already in this window.",
                              fields={"window_id": ["Pick another window."]})
    skills = tuple(delivery.skills or ())
    size = delivery.size
    _check_offer(window=window, lat=delivery.lat, lng=delivery.lng, skills=skills, size=size, now=now)
    try:
        with transaction.atomic():
            current = Delivery.objects.select_for_update().get(pk=delivery.pk)
            if not _reschedulable_status(current) or current.window_id != old.pk:
                raise SchedulingError(SchedulingErrorCode.NOT_RESCHEDULABLE,
                                      "This delivery changed meanwhile; reload and try again.", status_code=409)
            from_van = delivery_running_late(current)
            if from_van and current.job_id and Job.objects.filter(pk=current.job_id,
                                                                  status=Job.Status.IN_PROGRESS).exists():
                raise SchedulingError(SchedulingErrorCode.NOT_RESCHEDULABLE,
                                      "The driver is already at the door.", status_code=409)
            _claim_fleet(window=window, lat=delivery.lat, lng=delivery.lng, skills=skills, size=size, now=now)
            locked = _lock_windows([old.pk, window.pk])
            _take_place(window=locked[window.pk], now=now)
            _give_back(window=locked[old.pk])
            old_job_id = current.job_id
            if old_job_id:
                # A failed attempt stays failed in the fleet's history; a job not yet made is cancelled.
                job_transitions.job_withdraw(job_id=old_job_id)
            job = _job_for(window=window, lat=delivery.lat, lng=delivery.lng, size=size, skills=skills,
                           reference=delivery.order_ref, status=Job.Status.PENDING)
            # Moving within scheduled (a scheduled delivery to another window) is a move all the same.
            moved = _delivery_status_move(delivery_id=delivery.pk, to=STATUS_IN_A_WINDOW, stay=True, window=window,
                                          job=job, updated_at=now, running_late_from_van=from_van,
                                          running_late_eta=None)
            if moved != 1:
                raise SchedulingError(SchedulingErrorCode.NOT_RESCHEDULABLE,
                                      "This delivery changed meanwhile; reload and try again.", status_code=409)
            _audit_reschedule(delivery=delivery, old=old, new=window, old_status=current.status)
            by = audit_current_kind()  # named now: the signal is sent after commit
            delivery.window, delivery.job, delivery.status = window, job, STATUS_IN_A_WINDOW
            old_job = Job.objects.filter(pk=old_job_id).first() if old_job_id else None
            _after_commit_job_changed(*(j for j in (old_job, job) if j is not None))
            transaction.on_commit(lambda: signals.delivery_rescheduled.send(
                sender=Delivery, delivery=delivery, old_window=old, new_window=window, by=by), robust=True)
    except SchedulingError as error:
        if error.code == SchedulingErrorCode.WINDOW_FULL:
            raise _full_error(window, delivery.lat, delivery.lng, skills, size, now)
        raise
    return delivery


def _audit_reschedule(*, delivery: Delivery, old: Window, new: Window, old_status: str) -> None:
    tz = delivery.merchant.zone_info
    before = window_span_label(starts_at=old.starts_at, ends_at=old.ends_at, tz=tz)
    after = window_span_label(starts_at=new.starts_at, ends_at=new.ends_at, tz=tz)
    # Staff move a delivery only when the customer asks them to (care's console); the customer's own link
    # and SMS reply are the customer's, an API call the merchant's.
    behalf = " on the customer's behalf" if audit_current_kind() == ActorKind.USER else ""
    changes = {"window": (before, after)}
    if old_status != STATUS_IN_A_WINDOW:
        changes["status"] = (old_status, STATUS_IN_A_WINDOW)
    audit_event(instance=delivery, event="delivery.rescheduled",
                summary=f"Rescheduled from {before} to {after}{behalf}", changes=changes)


def _reschedulable_status(delivery: Delivery) -> bool:
    return delivery.status in RESCHEDULABLE or delivery_running_late(delivery)


def _check_reschedulable(*, delivery: Delivery, now: dt.datetime, closes_before_minutes: int | None) -> None:
    if not _reschedulable_status(delivery):
        raise SchedulingError(SchedulingErrorCode.NOT_RESCHEDULABLE,
                              f"A delivery that is {delivery.get_status_display().lower()} cannot be moved.",
                              status_code=409)
    # After a failed attempt the window is behind us, and a late van is past it: the online change stays open.
    if (closes_before_minutes is not None and delivery.status != Delivery.Status.ATTEMPTED
            and not delivery_running_late(delivery)):
        closes_at = delivery.window.starts_at - dt.timedelta(minutes=closes_before_minutes)
        if now >= closes_at:
            raise SchedulingError(SchedulingErrorCode.RESCHEDULE_CLOSED,
                                  "It is too late to change this delivery online.", status_code=409)


def reschedule_closes_at(*, delivery: Delivery) -> dt.datetime:
    return delivery.window.starts_at - dt.timedelta(minutes=settings.RESCHEDULE_CLOSES_MINUTES)


def reschedule_open(*, delivery: Delivery, now: dt.datetime) -> bool:
    """Whether the customer may still move this delivery online."""
    if delivery_running_late(delivery):
        return True
    if delivery.status not in RESCHEDULABLE:
        return False
    return delivery.status == Delivery.Status.ATTEMPTED or now < reschedule_closes_at(delivery=delivery)


def delivery_cancel(*, delivery: Delivery, now: dt.datetime | None = None) -> Delivery:
    """Cancel a booked delivery and give its place back to the window (and its stop back to the fleet)."""
    now = now or clock.now()
    with transaction.atomic():
        cancelled = _delivery_status_move(delivery_id=delivery.pk, to=Delivery.Status.CANCELLED, updated_at=now)
        if cancelled != 1:
            raise SchedulingError(SchedulingErrorCode.NOT_CANCELLABLE,
                                  "This delivery can no longer be cancelled.", status_code=409)
        current = Delivery.objects.get(pk=delivery.pk)
        audit_event(instance=current, event="delivery.cancelled", summary="Cancelled; its place went back to the window",
                    changes={"status": (delivery.status, Delivery.Status.CANCELLED)})
        locked = _lock_windows([current.window_id])[current.window_id]
        _give_back(window=locked)
        job = None
        if current.job_id:
            job_transitions.job_cancel(job_id=current.job_id)
            job = Job.objects.get(pk=current.job_id)
            _after_commit_job_changed(job)
        transaction.on_commit(lambda: signals.delivery_cancelled.send(sender=Delivery, delivery=current), robust=True)
    return current


def access_notes_from_form(*, posted: str, clear: bool, current: str) -> str:
    """The notes a customer's form leaves: pages opened by a link never show the saved notes (a door code is for
    the driver), so an empty field keeps them, new text replaces them, and only the "remove" box clears them."""
    if clear:
        return ""
    return posted[:500] if posted.strip() else current


def delivery_update_instructions(*, delivery: Delivery, access_notes: str, drop: Drop | None = None) -> Delivery:
    """Change the access notes and the drop choice (`scheduling.drop`), until the van leaves.

    1. Nothing changed: nothing to do and nothing refused (a page that posts back what it showed).
    2. Once the delivery is out for delivery (or done), the instructions are locked: 409 `instructions_locked`.
    3. The drop choice must pass `drop_problem`: a named neighbour, a safe place only where the merchant and the
       window offer it (one chosen before stays). A refusal is a 400 with the fields at fault.
    4. The write is conditional on the status still being open, so a scan-out that lands meanwhile wins.
    The change is audited with the personal fields masked (see scheduling's `ready()`).
    """
    before = Drop.of(delivery)
    drop = (drop or before).normalised()
    access_notes = access_notes[:500]
    if (access_notes, drop) == (delivery.access_notes, before):
        return delivery
    if delivery.status not in INSTRUCTIONS_OPEN:
        raise _instructions_locked()
    problem = drop_problem(drop, before=before,
                           safe_place_offered=safe_drop_offered(merchant=delivery.merchant, window=delivery.window))
    if problem is not None:
        raise SchedulingError(problem.code, problem.message, fields=problem.fields)
    after = {"access_notes": access_notes, **drop.fields()}
    with transaction.atomic():
        updated = Delivery.objects.filter(pk=delivery.pk, status__in=INSTRUCTIONS_OPEN).update(
            **after, updated_at=clock.now())
        if updated != 1:
            raise _instructions_locked()
        was = {"access_notes": delivery.access_notes, **before.fields()}
        audit_event(instance=delivery, event="delivery.instructions_changed", summary=_instructions_summary(drop),
                    changes={name: (was[name], after[name]) for name in was if was[name] != after[name]})
        for name, value in after.items():
            setattr(delivery, name, value)
        transaction.on_commit(lambda: signals.delivery_instructions_changed.send(sender=Delivery, delivery=delivery),
                              robust=True)
    return delivery


def _instructions_locked() -> SchedulingError:
    return SchedulingError(
        SchedulingErrorCode.INSTRUCTIONS_LOCKED,
        gettext("Your parcel is already on its way: its delivery instructions can no longer be changed."), status_code=409)


def _instructions_summary(drop: Drop) -> str:
    return f"Delivery instructions changed; drop: {DropChoice(drop.choice).label.lower()}"


def idempotency_keys_purge(*, now: dt.datetime | None = None) -> int:
    """Forget idempotency keys older than `settings.IDEMPOTENCY_KEY_TTL_HOURS`."""
    now = now or clock.now()
    cutoff = now - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
