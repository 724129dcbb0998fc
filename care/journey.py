"""Care's one journey of a delivery: milestones with their sources, the plan, ETAs, proof, exceptions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.urls import NoReverseMatch, reverse

from care.labels import window_label
from care.models import JourneyException
from dispatch.models import Plan, Shift, Stop
from merchants.access import merchant_q
from merchants.models import Merchant
from notifications.models import Message
from notifications.selectors import messages_for_delivery
from scheduling.models import Delivery
from scheduling.services import RESCHEDULABLE
from tracking.models import EtaSnapshot, Event, ProofOfDelivery
from tracking.selectors import eta_to_show

LIVE_STATES = (JourneyException.State.OPEN, JourneyException.State.ASSIGNED)


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


def journey_for(*, delivery_id, now: dt.datetime, merchant_ids=None) -> Journey | None:
    """Everything about one delivery an agent needs on a call, or None when there is no such delivery among
    these merchants' (every merchant's when None)."""
    delivery = (
        Delivery.objects.select_related("merchant", "window__template", "window__zone", "job")
        .filter(merchant_q(merchant_ids), pk=delivery_id).first()
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
        window_label=window_label(delivery.window.starts_at, delivery.window.ends_at, tz),
        events=list(Event.objects.filter(delivery=delivery).order_by("recorded_at", "id")),
        eta=eta, eta_before_arrival=arrived_at is not None, stop=stop,
        proof=ProofOfDelivery.objects.filter(delivery=delivery).first(),
        open_exceptions=[e for e in exceptions if e.state in LIVE_STATES],
        resolved_exceptions=[e for e in exceptions if e.state == JourneyException.State.RESOLVED],
        tracking_path=tracking_path,
        reschedulable=delivery.status in RESCHEDULABLE,
        messages=messages_for_delivery(delivery_id=delivery.pk),
    )

