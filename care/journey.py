"""Care's one journey of a delivery: milestones with their sources, the plan, ETAs, proof, exceptions."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from care.journey_charts import EtaChart, TrackMap, eta_chart, track_map
from care.labels import window_label
from care.models import JourneyException, Note
from dispatch.models import Plan, Shift, Stop
from merchants.access import merchant_q
from merchants.models import Merchant
from notifications.models import Message
from notifications.selectors import messages_for_delivery
from scheduling.models import Delivery
from scheduling.services import RESCHEDULABLE
from tracking.eta import CLOCK_TOLERANCE as ETA_CLOCK_TOLERANCE
from tracking.models import EtaSnapshot, Event, Milestone, Ping, ProofOfDelivery, RawCarrierEvent
from tracking.selectors import eta_to_show

LIVE_STATES = (JourneyException.State.OPEN, JourneyException.State.ASSIGNED)
# ETAs drawn on the chart: those computed from this long before the current window opened (a delivery moved
# to another day starts a new chart).
ETA_HISTORY_BEFORE_WINDOW = dt.timedelta(hours=18)


@dataclass(frozen=True)
class RawPayload:
    """What a carrier sent, as an agent reads it: the carrier, its code, what became of it, the JSON indented."""

    carrier_name: str
    external_code: str
    external_id: str
    received_at: dt.datetime
    status: str
    status_label: str
    problem: str
    text: str


@dataclass(frozen=True)
class EventRow:
    event: Event
    raw: RawPayload | None


def _raw_payload(raw: RawCarrierEvent) -> RawPayload:
    return RawPayload(
        carrier_name=raw.carrier.name, external_code=raw.external_code, external_id=raw.external_id,
        received_at=raw.received_at, status=raw.status, status_label=raw.get_status_display(), problem=raw.problem,
        text=json.dumps(raw.payload, indent=2, ensure_ascii=False, sort_keys=True),
    )


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
    messages: list[Message]
    event_rows: list[EventRow]
    raw_set_aside: list[RawPayload]  # what the carrier sent about it that did not become a milestone
    eta_chart: EtaChart | None
    track: TrackMap | None
    notes: list[Note]


def _active_stop(delivery: Delivery) -> Stop | None:
    if delivery.job_id is None:
        return None
    return (
        Stop.objects.filter(job_id=delivery.job_id, route__plan__status=Plan.Status.ACTIVE)
        .select_related("route__vehicle", "route__plan__depot", "route__shift__driver")
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


def _eta_history(delivery: Delivery, arrived_at: dt.datetime | None, now: dt.datetime) -> list[EtaSnapshot]:
    """The ETAs published for the current window, up to the van's arrival (one computed after it predicts
    nothing the customer waited for), and none stamped after the fleet's now (another clock's, as the
    tracking page rules)."""
    snapshots = EtaSnapshot.objects.filter(
        delivery=delivery, computed_at__gte=delivery.window.starts_at - ETA_HISTORY_BEFORE_WINDOW,
        computed_at__lte=now + ETA_CLOCK_TOLERANCE)
    if arrived_at is not None:
        snapshots = snapshots.filter(computed_at__lte=arrived_at)
    return list(snapshots.order_by("computed_at", "id"))


def _track(delivery: Delivery, active_stop: Stop | None, now: dt.datetime, *, coarse: bool) -> TrackMap | None:
    """The van's pings on the route that carries the delivery, from the route's start until it reached the door
    (or until now)."""
    if active_stop is None:
        return None
    route = active_stop.route
    until = active_stop.actual_departure or active_stop.actual_arrival or min(now, route.ends_at)
    pings = list(Ping.objects.filter(vehicle_id=route.vehicle_id, recorded_at__gte=route.starts_at,
                                     recorded_at__lte=until, flagged="")
                 .only("lat", "lng", "recorded_at").order_by("recorded_at", "id"))
    depot = route.plan.depot
    return track_map(pings=pings, door=(delivery.lat, delivery.lng), depot=(depot.lat, depot.lng),
                     tz=delivery.merchant.zone_info, coarse=coarse)


def journey_for(*, delivery_id, now: dt.datetime, merchant_ids=None, coarse_track: bool = False) -> Journey | None:
    """Everything about one delivery an agent needs on a call, or None when there is no such delivery among
    these merchants' (every merchant's when None). `coarse_track` rounds the van's way (see journey_charts)."""
    delivery = (
        Delivery.objects.select_related("merchant", "window__template", "window__zone", "job")
        .filter(merchant_q(merchant_ids), pk=delivery_id).first()
    )
    if delivery is None:
        return None
    tz = delivery.merchant.zone_info
    # Its own exceptions, and its van's (a missed scan-out is one exception per van, listing every parcel on board).
    exceptions = list(JourneyException.objects.filter(Q(delivery=delivery) | Q(affected=delivery)).distinct()
                      .select_related("owner", "delivery").order_by("due_at", "pk"))
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
    events = list(Event.objects.filter(delivery=delivery).select_related("raw__carrier").order_by("recorded_at", "id"))
    # The chart's "actual": the van at the door, else the milestone that says it came (a carrier's delivery).
    came = next((e.recorded_at for e in events if e.milestone in (Milestone.ARRIVED, Milestone.DELIVERED,
                                                                   Milestone.ATTEMPTED)), None)
    set_aside = (RawCarrierEvent.objects.filter(delivery=delivery).exclude(status=RawCarrierEvent.Status.APPLIED)
                 .select_related("carrier").order_by("received_at", "id"))
    return Journey(
        delivery=delivery, merchant=delivery.merchant, tz=tz,
        window_label=window_label(delivery.window.starts_at, delivery.window.ends_at, tz),
        events=events,
        eta=eta, eta_before_arrival=arrived_at is not None, stop=stop,
        proof=ProofOfDelivery.objects.filter(delivery=delivery).first(),
        open_exceptions=[e for e in exceptions if e.state in LIVE_STATES],
        resolved_exceptions=[e for e in exceptions if e.state == JourneyException.State.RESOLVED],
        tracking_path=tracking_path,
        reschedulable=delivery.status in RESCHEDULABLE,
        messages=messages_for_delivery(delivery_id=delivery.pk),
        event_rows=[EventRow(event=e, raw=_raw_payload(e.raw) if e.raw_id else None) for e in events],
        raw_set_aside=[_raw_payload(raw) for raw in set_aside],
        eta_chart=eta_chart(snapshots=_eta_history(delivery, arrived_at or came, now), window_start=delivery.window.starts_at,
                            window_end=delivery.window.ends_at, actual_arrival=arrived_at or came, tz=tz, now=now),
        track=_track(delivery, active_stop, now, coarse=coarse_track),
        notes=list(Note.objects.filter(delivery=delivery).order_by("-created_at", "-id")),
    )

