"""Reads for the tracking page, its JSON and its websocket frames.

Everything here is what a stranger holding the link may see: the brand, the
promised window, the live ETA, the timeline, the driver's first name and, while
the van is on its way, a map of what is left of the trip (`trip_map`): the van,
to the street only within a few stops and to the district before that; the
customer's own point to the neighbourhood, never the door; the way through the
stops before it as a line rounded to the district. Never the recipient's phone,
email or street address, nor anything else about other customers' stops: no
marker, order, name or time of theirs.
"""

import datetime as dt
from collections.abc import Sequence
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
from scheduling.models import Delivery, Window
from scheduling.services import reschedule_open
from tracking import eta as engine
from tracking import timing
from tracking.models import EtaSnapshot, Event, Milestone, ProofOfDelivery

# The trip map shows the van to the street (about 10 m, not the parking space) when this customer is next
# or within this many stops; further away to the district (about 1 km), so a customer far down the route
# does not watch the van stop at other people's doors.
MAP_EXACT_WITHIN_STOPS = 3
VAN_EXACT_DECIMALS = 4
VAN_COARSE_DECIMALS = 2
# The customer's own point to about 100 m: the link can be forwarded, and never discloses the door.
DESTINATION_DECIMALS = 3
# Other customers' stops to about 1 km: a bend in the line, never a marker.
PATH_DECIMALS = 2
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


Point = tuple[float, float]


def _rounded(point: Point, decimals: int) -> list[float]:
    return [round(point[0], decimals), round(point[1], decimals)]


def points_before(*, stop: Stop, route_stops: Sequence[Stop]) -> list[Point]:
    """Where the van still has to stop before `stop`, in route order (`route_stops`: the route's, by sequence)."""
    return [
        (s.job.lat, s.job.lng) for s in route_stops
        if s.sequence < stop.sequence and s.status == Stop.Status.PENDING and s.actual_arrival is None
    ]


def van_at_another_door(*, stop: Stop, route_stops: Sequence[Stop]) -> bool:
    """Whether the van is standing at an earlier stop of its route: at another customer's door."""
    return any(s.sequence < stop.sequence and s.status == Stop.Status.ARRIVED for s in route_stops)


def trip_map(*, stops_away: int | None, position: Point | None, destination: Point, ahead: Sequence[Point],
             at_another_door: bool = False) -> dict:
    """What is left of the trip, for the page's map: the van, the customer's neighbourhood, the way between.

    1. The van to VAN_EXACT_DECIMALS when this customer is within MAP_EXACT_WITHIN_STOPS stops, else to
       VAN_COARSE_DECIMALS (`precise` says which); None when the van has not reported where it is.
    2. The destination, the customer's own point, to DESTINATION_DECIMALS.
    3. The path: the van, the stops `ahead` of this one in route order to PATH_DECIMALS, the destination;
       a point equal to the one before is dropped, so the line says no more than where it bends.
    """
    # Standing at another customer's door, the van's exact point is that customer's address: to the district.
    precise = stops_away is not None and stops_away <= MAP_EXACT_WITHIN_STOPS and not at_another_door
    van = _rounded(position, VAN_EXACT_DECIMALS if precise else VAN_COARSE_DECIMALS) if position is not None else None
    home = _rounded(destination, DESTINATION_DECIMALS)
    path: list[list[float]] = []
    for point in [*([van] if van else []), *(_rounded(p, PATH_DECIMALS) for p in ahead), home]:
        if not path or path[-1] != point:
            path.append(point)
    return {
        "van": {"lat": van[0], "lng": van[1]} if van else None,
        "precise": precise,
        "destination": {"lat": home[0], "lng": home[1]},
        "path": path,
    }


def eta_payload(*, snapshot: EtaSnapshot, merchant: Merchant, position: Point | None, destination: Point,
                ahead: Sequence[Point], window: Window, at_another_door: bool = False) -> dict:
    """The live ETA as pushed over the websocket and shown on the page: the trip's map (`trip_map`), and what
    the estimate means for the promised window (`late_label`)."""
    tz = merchant.zone_info
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
        "map": trip_map(stops_away=snapshot.stops_away, position=position, destination=destination, ahead=ahead,
                        at_another_door=at_another_door),
        "late_label": timing.running_late_label(eta=snapshot.eta, window_start=window.starts_at,
                                                window_end=window.ends_at, tz=tz),
    }


def _active_stop(delivery: Delivery) -> Stop | None:
    if delivery.job_id is None:
        return None
    return (
        Stop.objects.filter(job_id=delivery.job_id, route__plan__status=Plan.Status.ACTIVE)
        .select_related("job", "route__vehicle", "route__shift__driver")
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


def _when_label(value: dt.datetime, tz: ZoneInfo, now: dt.datetime) -> str:
    """The time alone when it is today where the shop is; with its day otherwise, so yesterday never reads as today."""
    local = value.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return local.strftime("%H:%M")
    return pgettext("day and time in a timeline", "%(day)s, %(time)s") % {
        # The format is the language's: "Mon 30 Nov" in English, "lun. 30 nov." in French, "mar. 2 juin" in June (Django's "M" capitalises).
        "day": formats.date_format(local.date(), pgettext("a short day in a timeline, as a Django date format",
                                                          "D j M")), "time": local.strftime("%H:%M")}


def _timeline(delivery: Delivery, events: list[Event], tz: ZoneInfo, now: dt.datetime) -> list[dict]:
    """The steps of the current attempt (a parcel moved to another time starts again: a van it left, or a
    failed try, is not its progress now), under the order's first confirmation."""
    from tracking.services.journey import current_attempt_event_ids

    attempt = current_attempt_event_ids(events)
    first: dict[str, dt.datetime] = {}
    confirmed: dict[str, dt.datetime] = {}
    for event in events:
        confirmed.setdefault(event.milestone, event.recorded_at)
        if event.id in attempt:
            first.setdefault(event.milestone, event.recorded_at)

    def at(*milestones: str, among: dict[str, dt.datetime] = first) -> dt.datetime | None:
        times = [among[m] for m in milestones if m in among]
        return min(times) if times else None

    steps = [
        ("scheduled", _("Order confirmed"),
         at(Milestone.CREATED, Milestone.SCHEDULED, among=confirmed) or delivery.created_at),
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
            "at_label": _when_label(when, tz, now) if when is not None and i <= done_until else "",
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
            route_before = Stop.objects.filter(route_id=stop.route_id, sequence__lt=stop.sequence).select_related(
                "job").order_by("sequence")
            eta = eta_payload(snapshot=snapshot, merchant=merchant, position=position,
                              destination=(stop.job.lat, stop.job.lng),
                              ahead=points_before(stop=stop, route_stops=route_before), window=delivery.window,
                              at_another_door=van_at_another_door(stop=stop, route_stops=route_before))
    if stop is not None and delivery.status == Delivery.Status.OUT_FOR_DELIVERY:
        driver = _driver_first_name(stop)
    arrived = stop is not None and stop.status == Stop.Status.ARRIVED
    proof = None
    pod = public_proof(delivery)
    if pod is not None:
        token = delivery.tracking_token
        proof = {
            "recipient_first_name": first_name(pod.recipient_name),
            "at_label": _time_label(pod.captured_at, tz),
            # Through the link's token, never a file's own address: the images expire with the link.
            "photo_url": reverse("tracking:proof-image", args=[token, "photo"]) if pod.photo else "",
            "signature_url": reverse("tracking:proof-image", args=[token, "signature"]) if pod.signature else "",
        }
    rating = getattr(delivery, "rating", None)
    window = delivery.window
    can_reschedule = reschedule_open(delivery=delivery, now=now)
    last_attempt = next((e for e in reversed(events) if e.milestone == Milestone.ATTEMPTED), None)
    notice = timing.timing_notice(
        delivery=delivery, events=events, eta=eta, can_reschedule=can_reschedule,
        stop=stop if stop is not None or delivery.status != Delivery.Status.DELIVERED else _active_stop(delivery),
        attempt_reason=attempt_reason_label(last_attempt.reason if last_attempt is not None else ""),
    )
    return {
        "status": delivery.status,
        "status_label": _("Your driver is at your door") if arrived else status_label(delivery.status),
        "brand": brand_payload(merchant),
        "window": {
            "start": window.starts_at.isoformat(), "end": window.ends_at.isoformat(),
            "day_label": _day_label(window.starts_at, tz),
            "label": f"{_time_label(window.starts_at, tz)}–{_time_label(window.ends_at, tz)}",
        },
        "destination": pgettext("city and postcode", "%(postcode)s %(city)s") % {
            "postcode": delivery.address_postcode, "city": delivery.address_city},
        "eta": eta,
        "driver_first_name": driver,
        "timeline": _timeline(delivery, events, tz, now),
        "timing": notice,
        "proof": proof,
        "can_rate": delivery.status == Delivery.Status.DELIVERED and rating is None,
        "rating": {"stars": rating.stars} if rating is not None else None,
        # The drop choice and notes are the customer's until the van leaves (scheduling.drop).
        "can_edit": instructions_open(delivery),
        # The link opens scheduling's reschedule page: offered exactly while that page would take a move.
        "can_reschedule": can_reschedule,
        "reschedule_url": reschedule_path(delivery),
    }


def brand_payload(merchant: Merchant) -> dict:
    """How a merchant's customer pages look: name, logo and colours, with an ink that reads on the brand colour."""
    return {
        "name": merchant.brand_name, "logo": merchant.logo_src,
        "primary_colour": merchant.primary_colour, "accent_colour": merchant.accent_colour,
        "ink_colour": readable_ink(merchant.primary_colour),
    }


def first_name(full_name: str) -> str:
    """"Jade Martin" → "Jade": whoever holds a tracking link may learn who took the parcel in, not their surname."""
    return (full_name.split() or [""])[0]


def public_proof(delivery: Delivery) -> ProofOfDelivery | None:
    """The proof of delivery the link's holder may see: once the parcel is delivered, and only then."""
    if delivery.status != Delivery.Status.DELIVERED:
        return None
    return ProofOfDelivery.objects.filter(delivery=delivery).first()
