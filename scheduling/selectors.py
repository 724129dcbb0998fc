"""Scheduling's reads that other apps share."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Q

from merchants.models import Merchant
from scheduling.models import Delivery
from scheduling.services import RESCHEDULABLE, delivery_running_late
from scheduling.windows import WindowOffer, merchant_local_today, window_offers

# How far ahead a delivery may be moved, from the merchant's today.
RESCHEDULE_DAYS = 7

# The most deliveries one page of the merchant's list holds.
DELIVERY_PAGE_MAX = 100

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
    if delivery.status not in RESCHEDULABLE and not delivery_running_late(delivery):
        return []
    merchant = delivery.merchant
    offers = window_offers(
        merchant=merchant, zone=delivery.window.zone, lat=delivery.lat, lng=delivery.lng,
        start=merchant_local_today(merchant, now), days=RESCHEDULE_DAYS, skills=tuple(delivery.skills or ()),
        size=delivery.size, now=now,
    )
    return [o for o in offers if o.available and o.window.pk != delivery.window_id]


@dataclass(frozen=True)
class DeliveryPosition:
    """A delivery's place in the newest-first list: booking time, then id to break ties."""

    created_at: dt.datetime
    id: uuid.UUID

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryPosition:
        return cls(created_at=delivery.created_at, id=delivery.pk)


@dataclass(frozen=True)
class DeliveryPage:
    deliveries: list[Delivery]
    # Where the next page starts (after the last delivery here), or None on the last page.
    next_after: DeliveryPosition | None


def delivery_list(
    *,
    merchant: Merchant,
    statuses: tuple[str, ...] = (),
    window_from: dt.date | None = None,
    window_to: dt.date | None = None,
    order_ref: str | None = None,
    updated_since: dt.datetime | None = None,
    after: DeliveryPosition | None = None,
    limit: int = 50,
) -> DeliveryPage:
    """One page of a merchant's deliveries, newest booking first, and where the next page starts.

    The order is (created_at, id), both descending, and a page starts strictly after the last one's
    final delivery: deliveries booked while a client pages arrive before its first page, so paging
    never repeats or skips one. Window days are the merchant's local days of the window's start.
    """
    deliveries = Delivery.objects.filter(merchant=merchant)
    if statuses:
        deliveries = deliveries.filter(status__in=statuses)
    if window_from is not None:
        deliveries = deliveries.filter(window__starts_at__gte=_local_midnight(merchant, window_from))
    if window_to is not None:
        deliveries = deliveries.filter(
            window__starts_at__lt=_local_midnight(merchant, window_to + dt.timedelta(days=1)))
    if order_ref is not None:
        deliveries = deliveries.filter(order_ref=order_ref)
    if updated_since is not None:
        deliveries = deliveries.filter(updated_at__gte=updated_since)
    if after is not None:
        deliveries = deliveries.filter(
            Q(created_at__lt=after.created_at) | Q(created_at=after.created_at, id__lt=after.id))
    limit = max(1, min(limit, DELIVERY_PAGE_MAX))
    rows = list(deliveries.select_related("merchant", "window").order_by("-created_at", "-id")[: limit + 1])
    page = rows[:limit]
    return DeliveryPage(deliveries=page, next_after=DeliveryPosition.of(page[-1]) if len(rows) > len(page) else None)


def _local_midnight(merchant: Merchant, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=merchant.zone_info)
