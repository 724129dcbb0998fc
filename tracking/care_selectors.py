"""Care agents' reads: find an order, its one journey, the exception queue and the KPIs.

Unlike the tracking page, this is staff-only: it may show the recipient's
contact details and every source of every milestone, but still never mixes one
delivery's rows into another's journey.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import DateTimeField, ExpressionWrapper, F, Min, OuterRef, Q, Subquery, Sum, Value
from django.urls import NoReverseMatch, reverse

from dispatch.models import Depot, Plan, Route, Shift, Stop
from merchants.models import Merchant
from scheduling.models import Delivery
from scheduling.services import RESCHEDULABLE
from scheduling.windows import SIZE_PROFILES, WindowOffer, merchant_local_today, window_offers
from tracking.care import agent_label
from tracking.models import EtaSnapshot, Event, JourneyException, Milestone, ProofOfDelivery
from tracking.selectors import eta_to_show

SEARCH_LIMIT = 50
DEFAULT_PHONE_REGION = "FR"
# A tracking link anywhere in the text (`…/t/<token>/…`), or a bare token (32 random bytes, url-safe).
TOKEN_IN_LINK = re.compile(r"/t/([A-Za-z0-9_-]{16,64})")
BARE_TOKEN = re.compile(r"^[A-Za-z0-9_-]{40,64}$")
PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{6,24}$")
EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RESCHEDULE_DAYS = 7
# The ETA judged against the arrival is the last one published at least this long before it.
ETA_HORIZON = dt.timedelta(minutes=30)
CLOSED = (Delivery.Status.DELIVERED, Delivery.Status.ATTEMPTED, Delivery.Status.RETURNED)
LIVE_STATES = (JourneyException.State.OPEN, JourneyException.State.ASSIGNED)


def _window_label(start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> str:
    start, end = start.astimezone(tz), end.astimezone(tz)
    return f"{start:%a %d %b}, {start:%H:%M}–{end:%H:%M}"


def recipient_short(name: str) -> str:
    """"Camille Durand" → "Camille D.": enough to recognise a caller, not to read out a full name."""
    parts = name.split()
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]} {parts[-1][0].upper()}."


# --- Find an order ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    delivery_id: str
    merchant_name: str
    order_ref: str
    recipient: str
    window_label: str
    status: str
    status_label: str


@dataclass(frozen=True)
class SearchResult:
    query: str
    kind: str  # empty, link, email, phone, reference
    hits: list[SearchHit] = field(default_factory=list)
    normalised: str = ""


def normalise_phone(raw: str, region: str = DEFAULT_PHONE_REGION) -> str | None:
    """E.164 for a number a caller reads out ("06 12 34 56 78" → "+33612345678"), or None."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def delivery_search(*, query: str, limit: int = SEARCH_LIMIT) -> SearchResult:
    """Deliveries matching an order reference, a phone number, an email, or a tracking link or token.

    1. A tracking link (anything containing `/t/<token>`) or a bare token: that delivery only.
    2. An email: recipients with that address, case-insensitively.
    3. Something that reads as a phone number: the E.164 form (region FR by default), and also
       order references equal to the text, since references can be all digits.
    4. Anything else: an exact order reference (any case) or token, then references containing it.
    """
    text = query.strip()[:200]
    if not text:
        return SearchResult(query=text, kind="empty")
    deliveries = Delivery.objects.select_related("merchant", "window")
    normalised = ""
    link = TOKEN_IN_LINK.search(text)
    if link:
        kind, found = "link", deliveries.filter(tracking_token=link.group(1))
    elif EMAIL_LIKE.match(text):
        kind, found = "email", deliveries.filter(recipient_email__iexact=text)
    elif PHONE_LIKE.match(text) and (phone := normalise_phone(text)):
        kind, normalised = "phone", phone
        found = deliveries.filter(Q(recipient_phone=phone) | Q(order_ref__iexact=text))
    else:
        kind = "reference"
        found = deliveries.filter(Q(order_ref__iexact=text) | Q(tracking_token=text))
        if BARE_TOKEN.match(text) and found.filter(tracking_token=text).exists():
            kind = "link"
        elif len(text) >= 3 and not found.exists():
            found = deliveries.filter(order_ref__icontains=text)
    rows = found.order_by("-window__starts_at", "order_ref")[:limit]
    hits = [
        SearchHit(
            delivery_id=str(d.pk), merchant_name=d.merchant.name, order_ref=d.order_ref,
            recipient=recipient_short(d.recipient_name),
            window_label=_window_label(d.window.starts_at, d.window.ends_at, d.merchant.zone_info),
            status=d.status, status_label=d.get_status_display(),
        )
        for d in rows
    ]
    return SearchResult(query=text, kind=kind, hits=hits, normalised=normalised)


# --- One journey --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedStop:
    vehicle_name: str
    vehicle_code: str
    driver_first_name: str
    sequence: int
    stops_on_route: int
    planned_arrival: dt.datetime
    planned_departure: dt.datetime
    actual_arrival: dt.datetime | None
    actual_departure: dt.datetime | None
    status_label: str
    plan_version: int


@dataclass(frozen=True)
class Journey:
    delivery: Delivery
    merchant: Merchant
    tz: ZoneInfo
    window_label: str
    events: list[Event]
    eta: EtaSnapshot | None
    eta_before_arrival: bool
    stop: PlannedStop | None
    proof: ProofOfDelivery | None
    open_exceptions: list[JourneyException]
    resolved_exceptions: list[JourneyException]
    tracking_path: str | None
    reschedulable: bool


def _active_stop(delivery: Delivery) -> Stop | None:
    if delivery.job_id is None:
        return None
    return (
        Stop.objects.filter(job_id=delivery.job_id, route__plan__status=Plan.Status.ACTIVE)
        .select_related("route__vehicle", "route__plan", "route__shift__driver")
        .first()
    )


def _planned_stop(stop: Stop | None) -> PlannedStop | None:
    if stop is None:
        return None
    route = stop.route
    shift = route.shift or Shift.objects.filter(vehicle_id=route.vehicle_id, date=route.plan.date).select_related(
        "driver").first()
    return PlannedStop(
        vehicle_name=route.vehicle.name, vehicle_code=route.vehicle.code,
        driver_first_name=shift.driver.first_name if shift is not None else "",
        sequence=stop.sequence, stops_on_route=route.stops.count(),
        planned_arrival=stop.planned_arrival, planned_departure=stop.planned_departure,
        actual_arrival=stop.actual_arrival, actual_departure=stop.actual_departure,
        status_label=stop.get_status_display(), plan_version=route.plan.version,
    )


def journey_for(*, delivery_id, now: dt.datetime) -> Journey | None:
    """Everything about one delivery an agent needs on a call, or None when there is no such delivery."""
    delivery = (
        Delivery.objects.select_related("merchant", "window__template", "window__zone", "job")
        .filter(pk=delivery_id).first()
    )
    if delivery is None:
        return None
    tz = delivery.merchant.zone_info
    exceptions = list(JourneyException.objects.filter(delivery=delivery).select_related("owner").order_by("due_at"))
    try:
        tracking_path = reverse("tracking:page", args=[delivery.tracking_token])
    except NoReverseMatch:
        tracking_path = None
    active_stop = _active_stop(delivery)
    stop = _planned_stop(active_stop)
    arrived_at = stop.actual_arrival if stop is not None else None
    if arrived_at is not None:
        # Once the van has been, the ETA that matters is the one the customer saw before it came.
        eta = EtaSnapshot.objects.filter(delivery=delivery, computed_at__lte=arrived_at).order_by(
            "-computed_at", "-id").first()
    else:
        # The agent on the phone sees the ETA the customer sees, by the same rule.
        eta = eta_to_show(delivery=delivery, stop=active_stop, now=now)
    return Journey(
        delivery=delivery, merchant=delivery.merchant, tz=tz,
        window_label=_window_label(delivery.window.starts_at, delivery.window.ends_at, tz),
        events=list(Event.objects.filter(delivery=delivery).order_by("recorded_at", "id")),
        eta=eta, eta_before_arrival=arrived_at is not None, stop=stop,
        proof=ProofOfDelivery.objects.filter(delivery=delivery).first(),
        open_exceptions=[e for e in exceptions if e.state in LIVE_STATES],
        resolved_exceptions=[e for e in exceptions if e.state == JourneyException.State.RESOLVED],
        tracking_path=tracking_path,
        reschedulable=delivery.status in RESCHEDULABLE,
    )


def delivery_size(delivery: Delivery) -> str:
    for name, (parcels, kg) in SIZE_PROFILES.items():
        if (parcels, kg) == (delivery.parcels, delivery.weight_kg):
            return name
    return "small"


def reschedule_offers(*, delivery: Delivery, now: dt.datetime) -> list[WindowOffer]:
    """Windows the delivery could move to now (next days, feasible for the fleet), its own left out."""
    if delivery.status not in RESCHEDULABLE:
        return []
    merchant = delivery.merchant
    offers = window_offers(
        merchant=merchant, zone=delivery.window.zone, lat=delivery.lat, lng=delivery.lng,
        start=merchant_local_today(merchant, now), days=RESCHEDULE_DAYS, skills=tuple(delivery.skills or ()),
        size=delivery_size(delivery), now=now,
    )
    return [o for o in offers if o.available and o.window.pk != delivery.window_id]


# --- The exception queue ------------------------------------------------------------------------


def duration_label(delta: dt.timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


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


@dataclass(frozen=True)
class Queue:
    show: str
    rows: list[QueueRow]
    counts: dict[str, int]


QUEUE_VIEWS = ("open", "mine", "unassigned")
# A timer turns amber this long before it is due, red once it is overdue.
DUE_SOON = dt.timedelta(minutes=15)


def exception_queue(*, agent: AbstractBaseUser, now: dt.datetime, show: str = "open") -> Queue:
    """Open and assigned exceptions, the most urgent first: `open` (all), `mine` or `unassigned`."""
    show = show if show in QUEUE_VIEWS else "open"
    live = JourneyException.objects.filter(state__in=LIVE_STATES)
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
            age_label=duration_label(now - exception.opened_at),
        ))
    return Queue(show=show, rows=rows, counts=counts)


# --- KPIs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneDwell:
    zone: str
    mean_seconds: float
    stops: int

    @property
    def mean_label(self) -> str:
        minutes, seconds = divmod(round(self.mean_seconds), 60)
        return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


@dataclass(frozen=True)
class PeriodKpis:
    """One period's figures; None wherever there is nothing stored to compute it from."""

    label: str
    first_day: dt.date
    last_day: dt.date
    eta_mae_minutes: float | None
    eta_in_band_share: float | None
    eta_samples: int
    closed: int
    first_attempt_rate: float | None
    otif: float | None
    dwell_by_zone: list[ZoneDwell]
    planned_stops: int
    km_per_stop: float | None
    cost_per_stop: Decimal | None
    cost_currency: str = field(default_factory=lambda: settings.FLEET_CURRENCY)


def fleet_time_zone() -> ZoneInfo:
    """The zone "today" is counted in: the first depot's (the demo city has one), else UTC."""
    depot = Depot.objects.order_by("code").first()
    return ZoneInfo(depot.time_zone) if depot is not None else ZoneInfo("UTC")


def _eta_accuracy(first: dt.date, last: dt.date) -> tuple[float | None, float | None, int]:
    """Mean absolute error (minutes) and share inside the band, for the last ETA published ≥ 30 min before
    each arrival recorded on the period's active plans."""
    stops = (
        Stop.objects.filter(route__plan__status=Plan.Status.ACTIVE, route__plan__date__range=(first, last),
                            actual_arrival__isnull=False)
        .annotate(cutoff=ExpressionWrapper(F("actual_arrival") - Value(ETA_HORIZON), output_field=DateTimeField()))
        .annotate(snapshot_id=Subquery(
            EtaSnapshot.objects.filter(delivery__job_id=OuterRef("job_id"), computed_at__lte=OuterRef("cutoff"))
            .order_by("-computed_at", "-id").values("id")[:1]
        ))
        .filter(snapshot_id__isnull=False)
        .values_list("actual_arrival", "snapshot_id")
    )
    pairs = list(stops)
    if not pairs:
        return None, None, 0
    snapshots = EtaSnapshot.objects.in_bulk([snapshot_id for _, snapshot_id in pairs])
    errors, inside = [], 0
    for arrival, snapshot_id in pairs:
        snapshot = snapshots[snapshot_id]
        errors.append(abs((snapshot.eta - arrival).total_seconds()) / 60)
        inside += snapshot.band_start <= arrival <= snapshot.band_end
    return sum(errors) / len(errors), inside / len(pairs), len(pairs)


def _closing(first: dt.date, last: dt.date) -> tuple[int, float | None, float | None]:
    """Closed deliveries of the period (by promised day), first-attempt rate and on-time-in-full rate.

    A delivery is first-attempt when it was delivered with no `attempted` milestone recorded before its
    first `delivered` one; on time when that delivery (or, without the milestone, the proof) falls inside
    the promised window. Both are shares of all closed deliveries (delivered, attempted or returned).
    """
    rows = list(
        Delivery.objects.filter(window__date__range=(first, last), status__in=CLOSED)
        .annotate(
            delivered_at=Min("events__recorded_at", filter=Q(events__milestone=Milestone.DELIVERED)),
            attempted_at=Min("events__recorded_at", filter=Q(events__milestone=Milestone.ATTEMPTED)),
        )
        .values_list("status", "delivered_at", "attempted_at", "proof__captured_at", "window__starts_at",
                     "window__ends_at")
    )
    if not rows:
        return 0, None, None
    first_attempt = on_time = 0
    for status, delivered_at, attempted_at, proof_at, starts_at, ends_at in rows:
        if status != Delivery.Status.DELIVERED:
            continue
        if attempted_at is None or (delivered_at is not None and attempted_at >= delivered_at):
            first_attempt += 1
        at = delivered_at or proof_at
        if at is not None and starts_at <= at <= ends_at:
            on_time += 1
    return len(rows), first_attempt / len(rows), on_time / len(rows)


def _dwell(first: dt.date, last: dt.date) -> list[ZoneDwell]:
    times: dict[str, list[float]] = defaultdict(list)
    stops = Stop.objects.filter(
        route__plan__status=Plan.Status.ACTIVE, route__plan__date__range=(first, last),
        actual_arrival__isnull=False, actual_departure__isnull=False,
    ).values_list("job__zone__name", "actual_arrival", "actual_departure")
    for zone, arrival, departure in stops:
        if departure >= arrival:
            times[zone].append((departure - arrival).total_seconds())
    return [ZoneDwell(zone, sum(values) / len(values), len(values)) for zone, values in sorted(times.items())]


def _plan_costs(first: dt.date, last: dt.date) -> tuple[int, float | None, Decimal | None]:
    """Stops on the period's active plans, km per stop and cost per stop (each vehicle's cost per km and per
    hour on its route). A plan saved without distances (or durations) gives no figure rather than zero."""
    plans = Plan.objects.filter(status=Plan.Status.ACTIVE, date__range=(first, last))
    stops = Stop.objects.filter(route__plan__in=plans).count()
    if not stops:
        return 0, None, None
    metres = plans.aggregate(total=Sum("distance_m"))["total"] or 0
    cost, measured = Decimal(0), False
    for distance_m, duration_s, per_km, per_hour in Route.objects.filter(plan__in=plans).values_list(
        "distance_m", "duration_s", "vehicle__cost_per_km", "vehicle__cost_per_hour"
    ):
        measured = measured or bool(distance_m or duration_s)
        cost += Decimal(distance_m) / 1000 * per_km + Decimal(duration_s) / 3600 * per_hour
    return (
        stops,
        metres / 1000 / stops if metres else None,
        (cost / stops).quantize(Decimal("0.01")) if measured else None,
    )


def _period(label: str, first: dt.date, last: dt.date) -> PeriodKpis:
    mae, in_band, samples = _eta_accuracy(first, last)
    closed, first_attempt, otif = _closing(first, last)
    stops, km, cost = _plan_costs(first, last)
    return PeriodKpis(
        label=label, first_day=first, last_day=last, eta_mae_minutes=mae, eta_in_band_share=in_band,
        eta_samples=samples, closed=closed, first_attempt_rate=first_attempt, otif=otif,
        dwell_by_zone=_dwell(first, last), planned_stops=stops, km_per_stop=km, cost_per_stop=cost,
    )


def kpis(*, now: dt.datetime, tz: ZoneInfo | None = None) -> list[PeriodKpis]:
    """Today's figures and the last seven days' (today included), from stored rows only.

    Days are local: deliveries count on their promised window's date, plans on their own date.
    """
    today = now.astimezone(tz or fleet_time_zone()).date()
    return [
        _period("Today", today, today),
        _period("Last 7 days", today - dt.timedelta(days=6), today),
    ]
