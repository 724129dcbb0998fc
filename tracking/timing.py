"""Honest timing: what the tracking page says when the promise slips, before the customer has to ask.

Four moments, each with a plain sentence, the reason when we know it, and the next step:

1. The live estimate has left the window (out for delivery): "Running late", the new estimate, sorry.
2. The plan itself reaches the address after the window (scheduled, not yet out): said as soon as it is known,
   while the customer can still move the delivery.
3. Delivered after the window: how late, why (the van left the depot late, or the round ran slower than
   planned), sorry.
4. A failed attempt: sorry, why, and what happens next.

Everything here is read from the promise, the plan and the journey; nothing is stored.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dispatch.models import Stop
from scheduling.models import Delivery
from tracking.models import Event, Milestone

# An arrival this close after the window's end is still on time: clocks and geofences are not that precise.
LATE_TOLERANCE = dt.timedelta(minutes=1)
# The van left the depot this much behind its plan: that, not the street, made the delivery late.
LATE_DEPARTURE = dt.timedelta(minutes=10)


def _hm(value: dt.datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%H:%M")


def _window_label(delivery: Delivery, tz: ZoneInfo) -> str:
    return f"{_hm(delivery.window.starts_at, tz)}–{_hm(delivery.window.ends_at, tz)}"


def _duration(delta: dt.timedelta) -> str:
    """"16 minutes", "2 hours", "5 h 17 min": how a person says how late."""
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 60:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours, rest = divmod(minutes, 60)
    if rest == 0:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}


def is_late(*, expected: dt.datetime, window_end: dt.datetime) -> bool:
    return expected > window_end + LATE_TOLERANCE


def running_late_label(*, eta: dt.datetime, window_start: dt.datetime, window_end: dt.datetime, tz: ZoneInfo) -> str:
    """The live sentence, also pushed with every ETA: empty while the estimate stays inside the window."""
    if not is_late(expected=eta, window_end=window_end):
        return ""
    return _("We are running late: we now expect to reach you around %(eta)s, after your %(window)s window. "
             "We are sorry.") % {"eta": _hm(eta, tz), "window": f"{_hm(window_start, tz)}–{_hm(window_end, tz)}"}


def _delivered_at(delivery: Delivery, events: list[Event]) -> dt.datetime | None:
    delivered = next((e.recorded_at for e in events if e.milestone == Milestone.DELIVERED), None)
    if delivered is not None:
        return delivered
    proof = getattr(delivery, "proof", None)
    return proof.captured_at if proof is not None else None


def _late_reason(delivery: Delivery, events: list[Event], stop: Stop | None) -> str:
    left = next((e.recorded_at for e in events if e.milestone in (Milestone.SCANNED_OUT, Milestone.OUT_FOR_DELIVERY)),
                None)
    if stop is not None and left is not None and left - stop.route.starts_at >= LATE_DEPARTURE:
        return _("the van left the depot late")
    if stop is not None:
        return _("traffic and the stops before yours took longer than planned")
    return ""


def timing_notice(*, delivery: Delivery, events: list[Event], stop: Stop | None, eta: dict | None,
                  can_reschedule: bool, attempt_reason: str) -> dict | None:
    """What the page says about timing beyond the window and the estimate, or None when all is as promised.

    `stop` is the delivery's stop in the active plan (any status), `eta` the live ETA payload shown (or None).
    The answer: kind (running_late, planned_late, delivered_late, attempted), title, message, and the next
    step offered: "reschedule" (the link works now) or "contact" (the shop's support contact).
    """
    tz = delivery.merchant.zone_info
    window = delivery.window
    next_step = "reschedule" if can_reschedule else "contact"
    if delivery.status == Delivery.Status.OUT_FOR_DELIVERY and eta is not None and eta.get("late_label"):
        return {"kind": "running_late", "title": _("Running late"), "message": eta["late_label"],
                "next_step": next_step}
    if (delivery.status in (Delivery.Status.BOOKED, Delivery.Status.SCHEDULED) and stop is not None
            and stop.status == Stop.Status.PENDING and is_late(expected=stop.planned_arrival, window_end=window.ends_at)):
        return {
            "kind": "planned_late", "title": _("Likely to be late"),
            "message": _("Your van's round is planned to reach you around %(time)s, after your %(window)s window. "
                         "We are sorry.") % {"time": _hm(stop.planned_arrival, tz), "window": _window_label(delivery, tz)},
            "next_step": next_step,
        }
    if delivery.status == Delivery.Status.DELIVERED:
        at = _delivered_at(delivery, events)
        if at is None or not is_late(expected=at, window_end=window.ends_at):
            return None
        reason = _late_reason(delivery, events, stop)
        message = _("Your parcel arrived at %(time)s, %(late)s after your %(window)s window.") % {
            "time": _hm(at, tz), "late": _duration(at - window.ends_at), "window": _window_label(delivery, tz)}
        if reason:
            message += " " + _("We are sorry: %(reason)s.") % {"reason": reason}
        else:
            message += " " + _("We are sorry.")
        return {"kind": "delivered_late", "title": _("Sorry we were late"), "message": message, "next_step": "contact"}
    if delivery.status == Delivery.Status.ATTEMPTED:
        message = _("We are sorry we could not deliver your parcel: %(reason)s.") % {"reason": attempt_reason}
        if can_reschedule:
            message += " " + _("Your parcel is safe with us. Choose another time and we will bring it back.")
        else:
            message += " " + _("Your parcel is safe with us; the shop will contact you to arrange a new delivery.")
        return {"kind": "attempted", "title": _("Sorry we missed you"), "message": message, "next_step": next_step}
    return None
