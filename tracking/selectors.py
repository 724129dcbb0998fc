"""Reads for the tracking page, its JSON and its websocket frames.

Everything here is what a stranger holding the link may see: the brand, the
promised window, the live ETA, the timeline, the driver's first name and, when
the van is next, where it is. Never the recipient's phone, email or street
address, nor anything about other customers' stops.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from core.contrast import readable_ink
from dispatch.models import Plan, Shift, Stop
from merchants.models import Merchant
from scheduling.drop import instructions_open
from scheduling.models import Delivery
from scheduling.services import reschedule_open
from tracking import eta as engine
from tracking.models import EtaSnapshot, Event, Milestone

# The van shows on the map only when this delivery is its next stop.
MAP_WHEN_STOPS_AWAY = 0
# Rounded so the map shows the street, not the parking space (about 10 m).
POSITION_DECIMALS = 4
FINISHED = (Delivery.Status.DELIVERED, Delivery.Status.RETURNED, Delivery.Status.CANCELLED)


def delivery_language(delivery: Delivery) -> str:
    """The language the customer reads this delivery in: theirs, else the brand's first, if the portal speaks it."""
    offered = {code for code, _name in settings.LANGUAGES}
    wanted = delivery.language or delivery.merchant.default_language
    return wanted if wanted in offered else settings.LANGUAGE_CODE


def _time_label(value: dt.datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%H:%M") if value is not None else ""


def _day_label(value: dt.datetime, tz: ZoneInfo) -> str:
    return formats.date_format(value.astimezone(tz).date(), "l j F")


def attempt_reason_label(reason: str) -> str:
    labels = {
        "nobody_home": _("nobody was home"),
        "access_refused": _("we could not get access"),
        "address_not_found": _("we could not find the address"),
        "refused_by_recipient": _("the parcel was refused"),
        "damaged": _("the parcel was damaged"),
        "no_safe_place": _("there was no safe place to leave it"),
        "out_of_time": _("the driver ran out of time"),
    }
    return labels.get(reason, _("the delivery could not be completed"))


def stops_away_label(stops_away: int | None) -> str:
    if stops_away is None:
        return ""
    if stops_away == 0:
        return _("You are the next stop")
    return ngettext("%(count)d stop before yours", "%(count)d stops before yours", stops_away) % {
        "count": stops_away
    }


def status_label(status: str) -> str:
    return {
        Delivery.Status.BOOKED: _("Order confirmed"),
        Delivery.Status.SCHEDULED: _("Delivery scheduled"),
        Delivery.Status.OUT_FOR_DELIVERY: _("Out for delivery"),
        Delivery.Status.DELIVERED: _("Delivered"),
        Delivery.Status.ATTEMPTED: _("We missed you"),
        Delivery.Status.RETURNED: _("Returned to the depot"),
        Delivery.Status.CANCELLED: _("Cancelled"),
    }.get(status, status)


def eta_payload(*, snapshot: EtaSnapshot, merchant: Merchant, position: tuple[float, float] | None) -> dict:
    """The live ETA as pushed over the websocket and shown on the page."""
    tz = merchant.zone_info
    vehicle = None
    if position is not None and snapshot.stops_away is not None and snapshot.stops_away <= MAP_WHEN_STOPS_AWAY:
        vehicle = {"lat": round(position[0], POSITION_DECIMALS), "lng": round(position[1], POSITION_DECIMALS)}
    return {
        "kind": "eta",
        "eta": snapshot.eta.isoformat(),
        "eta_label": _time_label(snapshot.eta, tz),
        "band_start": snapshot.band_start.isoformat(),
        "band_end": snapshot.band_end.isoformat(),
        "band_label": f"{_time_label(snapshot.band_start, tz)}–{_time_label(snapshot.band_end, tz)}",
        "stops_away": snapshot.stops_away,
        "stops_away_label": stops_away_label(snapshot.stops_away),
        "computed_at": snapshot.computed_at.isoformat(),
        "vehicle": vehicle,
    }


def _active_stop(delivery: Delivery) -> Stop | None:
    if delivery.job_id is None:
        return None
    return (
        Stop.objects.filter(job_id=delivery.job_id, route__plan__status=Plan.Status.ACTIVE)
        .select_related("route__vehicle", "route__shift__driver")
        .first()
    )


def eta_to_show(*, delivery: Delivery, stop: Stop | None, now: dt.datetime) -> EtaSnapshot | None:
    """The ETA the customer (and care) may see for the delivery's stop in the active plan, or None.

    None means there is no live ETA: the page then shows the promised window, never a guess hours away.

    1. Only what was computed for `stop` (with its `route__vehicle`), the delivery's stop in the active
       plan: a re-plan makes new stops, so nothing computed before the active plan was created counts,
       whatever clock stamped the plan.
    2. Of those, the latest by when it was computed on the clock the fleet runs on. One stamped after `now`
       was computed on another clock and is left out (the demo seeds on the real clock, then replays the
       day on a virtual one that may be hours behind it).
    3. The latest is shown only if the van has not pinged since without renewing it (`eta.eta_is_stale`).
    """
    if stop is None:
        return None
    snapshot = (
        EtaSnapshot.objects.filter(delivery=delivery, stop=stop, computed_at__lte=now + engine.CLOCK_TOLERANCE)
        .order_by("-computed_at", "-id").first()
    )
    if snapshot is None or engine.eta_is_stale(computed_at=snapshot.computed_at,
                                               last_ping_at=stop.route.vehicle.last_seen_at):
        return None
    return snapshot


def _driver_first_name(stop: Stop) -> str:
    shift = stop.route.shift
    if shift is None:
        shift = Shift.objects.filter(vehicle_id=stop.route.vehicle_id, date=stop.route.plan.date).select_related(
            "driver").first()
    return shift.driver.first_name if shift is not None else ""


def _timeline(delivery: Delivery, events: list[Event], tz: ZoneInfo) -> list[dict]:
    first: dict[str, dt.datetime] = {}
    for event in events:
        first.setdefault(event.milestone, event.recorded_at)

    def at(*milestones: str) -> dt.datetime | None:
        times = [first[m] for m in milestones if m in first]
        return min(times) if times else None

    steps = [
        ("scheduled", _("Order confirmed"), at(Milestone.CREATED, Milestone.SCHEDULED) or delivery.created_at),
        ("out_for_delivery", _("Out for delivery"), at(Milestone.SCANNED_OUT, Milestone.OUT_FOR_DELIVERY)),
        ("arriving", _("On the way to you"), at(Milestone.ARRIVING, Milestone.ARRIVED)),
    ]
    last_attempt = next((e for e in reversed(events) if e.milestone == Milestone.ATTEMPTED), None)
    if delivery.status == Delivery.Status.DELIVERED or Milestone.DELIVERED in first:
        steps.append(("delivered", _("Delivered"), at(Milestone.DELIVERED)))
    elif delivery.status == Delivery.Status.RETURNED:
        steps.append(("returned", _("Returned to the depot"), at(Milestone.RETURNED)))
    elif delivery.status == Delivery.Status.ATTEMPTED and last_attempt is not None:
        steps.append(("attempted", _("Delivery attempted: %(reason)s") % {
            "reason": attempt_reason_label(last_attempt.reason)}, last_attempt.recorded_at))
    else:
        steps.append(("delivered", _("Delivered"), None))
    done_until = max((i for i, step in enumerate(steps) if step[2] is not None), default=-1)
    return [
        {
            "step": key, "label": label, "done": i <= done_until,
            "current": i == done_until, "at": when.isoformat() if when else None,
            "at_label": _time_label(when, tz) if i <= done_until else "",
        }
        for i, (key, label, when) in enumerate(steps)
    ]


def reschedule_path(delivery: Delivery) -> str:
    try:
        return reverse("scheduling:reschedule", args=[delivery.tracking_token])
    except NoReverseMatch:
        return f"/t/{delivery.tracking_token}/reschedule/"


def public_status(*, delivery: Delivery, now: dt.datetime) -> dict:
    """The whole public state of a delivery: what the page renders and `status.json` returns."""
    merchant = delivery.merchant
    tz = merchant.zone_info
    events = list(delivery.events.exclude(milestone=Milestone.EXCEPTION).order_by("recorded_at", "id"))
    stop = _active_stop(delivery) if delivery.status not in FINISHED else None
    eta = None
    driver = ""
    if stop is not None and stop.status == Stop.Status.PENDING and delivery.status == Delivery.Status.OUT_FOR_DELIVERY:
        snapshot = eta_to_show(delivery=delivery, stop=stop, now=now)
        if snapshot is not None:
            vehicle = stop.route.vehicle
            position = (vehicle.last_lat, vehicle.last_lng) if vehicle.last_lat is not None else None
            eta = eta_payload(snapshot=snapshot, merchant=merchant, position=position)
    if stop is not None and delivery.status == Delivery.Status.OUT_FOR_DELIVERY:
        driver = _driver_first_name(stop)
    arrived = stop is not None and stop.status == Stop.Status.ARRIVED
    proof = None
    if delivery.status == Delivery.Status.DELIVERED:
        pod = getattr(delivery, "proof", None)
        if pod is not None:
            proof = {
                "recipient_name": pod.recipient_name,
                "at_label": _time_label(pod.captured_at, tz),
                "photo_url": pod.photo.url if pod.photo else "",
                "signature_url": pod.signature.url if pod.signature else "",
            }
    rating = getattr(delivery, "rating", None)
    window = delivery.window
    return {
        "status": delivery.status,
        "status_label": _("Your driver is at your door") if arrived else status_label(delivery.status),
        "brand": {
            "name": merchant.brand_name, "logo": merchant.logo_src,
            "primary_colour": merchant.primary_colour, "accent_colour": merchant.accent_colour,
            "ink_colour": readable_ink(merchant.primary_colour),
        },
        "window": {
            "start": window.starts_at.isoformat(), "end": window.ends_at.isoformat(),
            "day_label": _day_label(window.starts_at, tz),
            "label": f"{_time_label(window.starts_at, tz)}–{_time_label(window.ends_at, tz)}",
        },
        "destination": pgettext("city and postcode", "%(postcode)s %(city)s") % {
            "postcode": delivery.address_postcode, "city": delivery.address_city},
        "eta": eta,
        "driver_first_name": driver,
        "timeline": _timeline(delivery, events, tz),
        "proof": proof,
        "can_rate": delivery.status == Delivery.Status.DELIVERED and rating is None,
        "rating": {"stars": rating.stars} if rating is not None else None,
        # The drop choice and notes are the customer's until the van leaves (scheduling.drop).
        "can_edit": instructions_open(delivery),
        # The link opens scheduling's reschedule page: offered exactly while that page would take a move.
        "can_reschedule": reschedule_open(delivery=delivery, now=now),
        "reschedule_url": reschedule_path(delivery),
    }
