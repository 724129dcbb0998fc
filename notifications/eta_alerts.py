"""The messages that come before the customer worries: running late and arriving soon, from live ETAs.

Tracking sends `etas_updated` with the snapshots a refresh stored; `etas_notify` reads each as the
customer's new ETA and queues a warning through `delivery_notify`, whose dedupe key makes each one
once: running late once per delivery and window, arriving soon once per delivery and local day.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from dispatch.models import Plan
from notifications.models import Message, Trigger
from notifications.services import delivery_notify, messaging_settings
from notifications.webhooks import delivery_event_emit
from scheduling.models import Delivery
from tracking.models import EtaSnapshot

# Deliveries still waiting for the van: the warnings are for them, outcomes are told by the milestones.
AWAITED = (Delivery.Status.BOOKED, Delivery.Status.SCHEDULED, Delivery.Status.OUT_FOR_DELIVERY)


def running_late_threshold(*, merchant_id) -> dt.timedelta:
    """How far past the window's end the ETA may go before the customer is warned: the merchant's, else the portal's."""
    minutes = messaging_settings(merchant_id).running_late_minutes or settings.RUNNING_LATE_MINUTES
    return dt.timedelta(minutes=minutes)


def _running_late(*, snapshot: EtaSnapshot, now: dt.datetime) -> list[Message]:
    delivery = snapshot.delivery
    window = delivery.window
    # A warning is only worth sending while it comes before the promise is broken.
    if now >= window.ends_at:
        return []
    # ... and while the estimate is worth trusting: at scan-out an afternoon window's ETA is hours of guessing
    # away (one simulated day warned 23 customers at 07:00 whose parcels then came on time).
    if now < window.starts_at - dt.timedelta(minutes=settings.RUNNING_LATE_LOOKAHEAD_MINUTES):
        return []
    if snapshot.eta <= window.ends_at + running_late_threshold(merchant_id=delivery.merchant_id):
        return []
    delivery_event_emit(delivery=delivery, event_type="delivery.eta_late", now=now,
                        event_key=f"eta_late:{delivery.pk.hex}:{window.pk}",
                        extra={"eta": snapshot.eta.isoformat(), "stops_away": snapshot.stops_away})
    return delivery_notify(delivery=delivery, trigger=Trigger.RUNNING_LATE, now=now, eta=snapshot.eta,
                           event_key=f"running_late:{delivery.pk.hex}:{window.pk}")


def _arriving_soon(*, snapshot: EtaSnapshot, now: dt.datetime) -> list[Message]:
    delivery = snapshot.delivery
    if delivery.status != Delivery.Status.OUT_FOR_DELIVERY:
        return []
    ahead = snapshot.eta - now
    # A few stops away is "soon" only if the van gets there within the horizon: at scan-out the third stop
    # may be an afternoon window hours away, and a "nearly there" then was simply wrong.
    near = (snapshot.stops_away is not None and snapshot.stops_away <= settings.ARRIVING_SOON_STOPS
            and ahead <= dt.timedelta(minutes=settings.ARRIVING_SOON_HORIZON_MINUTES))
    soon = ahead <= dt.timedelta(minutes=settings.ARRIVING_SOON_MINUTES)
    if not (near or soon):
        return []
    day = now.astimezone(delivery.merchant.zone_info).date()
    return delivery_notify(delivery=delivery, trigger=Trigger.ARRIVING_SOON, now=now, eta=snapshot.eta,
                           stops_away=snapshot.stops_away, event_key=f"arriving_soon:{delivery.pk.hex}:{day:%Y%m%d}")


def etas_notify(*, snapshot_ids: list[int], now: dt.datetime) -> list[Message]:
    """Warn the customers whose fresh ETA (`snapshot_ids`, computed at `now`) says the van is late or close.

    1. Only an ETA for the delivery's own job on the active plan counts (a re-plan's older stops do not),
       and only once its van's route has begun: an ETA computed the evening before is the plan, not news.
    2. Running late: the ETA passes the window's end by more than the threshold while the window
       has not yet ended.
    3. Arriving soon: the parcel is out for delivery and the van is a few stops or minutes away.
    `now` is the clock the refresh ran on (the demo's fleet runs a virtual one), not the wall clock.
    """
    snapshots = (
        EtaSnapshot.objects.filter(pk__in=snapshot_ids, stop__route__plan__status=Plan.Status.ACTIVE)
        .select_related("delivery__window", "delivery__merchant", "stop__route").order_by("pk")
    )
    queued: list[Message] = []
    for snapshot in snapshots:
        delivery = snapshot.delivery
        if delivery.status not in AWAITED or snapshot.stop.job_id != delivery.job_id:
            continue
        if now < snapshot.stop.route.starts_at:
            continue
        queued += _running_late(snapshot=snapshot, now=now)
        queued += _arriving_soon(snapshot=snapshot, now=now)
    return queued
