"""The messages that come before the customer worries: running late and arriving soon, from live ETAs.

Tracking sends `etas_updated` with the snapshots a refresh stored; `etas_notify` reads each as the
customer's new ETA and queues a warning through `delivery_notify`, whose dedupe key makes each one
once: running late once per delivery and window, arriving soon once per delivery and local day.

A disruption (a zone slowed for a period) is news before any van has moved: dispatch re-plans the
days it touches, and `disruption_warnings_send` reads the new plan's arrivals in slowed zones as
the customers' new ETAs, through the same running-late warning and the same key, so a customer
hears once whichever of the two sees the lateness first.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import F

from dispatch.models import Plan, Stop
from dispatch.selectors import zone_slowdowns_load
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


def _running_late_warn(*, delivery: Delivery, eta: dt.datetime, stops_away: int | None, now: dt.datetime,
                       urgent_from: dt.datetime | None = None) -> list[Message]:
    """Queue the running-late warning (and the merchant's webhook), once per delivery and window."""
    window = delivery.window
    delivery_event_emit(delivery=delivery, event_type="delivery.eta_late", now=now,
                        event_key=f"eta_late:{delivery.pk.hex}:{window.pk}",
                        extra={"eta": eta.isoformat(), "stops_away": stops_away})
    return delivery_notify(delivery=delivery, trigger=Trigger.RUNNING_LATE, now=now, eta=eta,
                           event_key=f"running_late:{delivery.pk.hex}:{window.pk}", urgent_from=urgent_from)


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
    return _running_late_warn(delivery=delivery, eta=snapshot.eta, stops_away=snapshot.stops_away, now=now)


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


def disruption_warnings_send(*, plan: Plan, now: dt.datetime) -> list[Message]:
    """Warn the customers whom a disruption makes late on a freshly saved plan.

    1. Take the plan's stops still to make whose planned arrival passes the window's end by more
       than the running-late threshold, for a window not over yet.
    2. Keep those whose zone is slowed by a disruption at some moment of the window: other
       lateness is the live ETAs' to judge once the vans run (`etas_notify`).
    3. Queue the running-late warning through `delivery_notify`, keyed as the live path keys it:
       opt-outs and the merchant's switch apply, and each customer hears once. Unlike a warning
       about a window under way, it waits out quiet hours when they end before the window opens.
    """
    if plan.status != Plan.Status.ACTIVE:
        return []
    stops = list(
        Stop.objects.filter(route__plan=plan, status=Stop.Status.PENDING, planned_arrival__gt=F("job__window_end"),
                            job__window_end__gt=now)
        .select_related("job").order_by("planned_arrival", "pk")
    )
    if not stops:
        return []
    slowdowns = zone_slowdowns_load(zone_ids={s.job.zone_id for s in stops},
                                    starts=min(s.job.window_start for s in stops),
                                    ends=max(s.job.window_end for s in stops))
    deliveries = {d.job_id: d for d in Delivery.objects.filter(job_id__in=[s.job_id for s in stops],
                                                               status__in=AWAITED).select_related("window", "merchant")}
    queued: list[Message] = []
    for stop in stops:
        delivery = deliveries.get(stop.job_id)
        if delivery is None:
            continue
        job = stop.job
        slowed = any(d.starts_at < job.window_end and job.window_start < d.ends_at
                     for d in slowdowns.of_zone(job.zone_id))
        if not slowed:
            continue
        if stop.planned_arrival <= delivery.window.ends_at + running_late_threshold(merchant_id=delivery.merchant_id):
            continue
        # Told the night before, it waits out quiet hours if they end before the window opens.
        queued += _running_late_warn(delivery=delivery, eta=stop.planned_arrival, stops_away=None, now=now,
                                     urgent_from=delivery.window.starts_at)
    return queued
