"""Scheduling's reads that other apps share."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from scheduling.models import Delivery
from scheduling.services import RESCHEDULABLE
from scheduling.windows import WindowOffer, merchant_local_today, window_offers

# How far ahead a delivery may be moved, from the merchant's today.
RESCHEDULE_DAYS = 7

# Tokens are 43 characters (32 random bytes, url-safe); anything much longer is not one of ours.
TOKEN_MAX_LENGTH = 64


def delivery_for_token(*, token: str, now: dt.datetime) -> Delivery | None:
    """The delivery a tracking link opens, or None when the token is unknown or expired (callers answer both alike).

    The one lookup behind the tracking page, its socket, the reschedule link and the demo's confirmation.
    """
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        Delivery.objects.select_related("merchant", "job", "window__template", "window__zone__depot", "window__merchant")
        .filter(tracking_token=token)
        .filter(Q(tracking_expires_at__isnull=True) | Q(tracking_expires_at__gt=now))
        .first()
    )


def delivery_reschedule_offers(*, delivery: Delivery, now: dt.datetime) -> list[WindowOffer]:
    """The windows a delivery could move to now, for the customer's link and the care console alike.

    Its merchant's windows in its zone over the next `RESCHEDULE_DAYS` days, feasible for the fleet for
    the size and skills it was booked with, its own window left out; none once it can no longer move.
    """
    if delivery.status not in RESCHEDULABLE:
        return []
    merchant = delivery.merchant
    offers = window_offers(
        merchant=merchant, zone=delivery.window.zone, lat=delivery.lat, lng=delivery.lng,
        start=merchant_local_today(merchant, now), days=RESCHEDULE_DAYS, skills=tuple(delivery.skills or ()),
        size=delivery.size, now=now,
    )
    return [o for o in offers if o.available and o.window.pk != delivery.window_id]
