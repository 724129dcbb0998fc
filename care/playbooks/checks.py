"""Where the playbook rules look: live ETAs, milestones, and a sweep every minute for what only time reveals.

`etas_check` runs on tracking's `etas_updated`; `problem_open` on `problem_found` (a failed attempt, an
unmapped carrier code); `delivery_recheck` on each milestone; `playbooks_sweep` every minute (cut-off,
dwell, silent GPS, undeliverable messages, conditions that cleared, timers that ran out).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from care.models import JourneyException
from care.playbooks.rules import Rule, RuleConfigs
from care.playbooks.services import (
    LIVE_STATES,
    exceptions_escalate_due,
    playbook_clear,
    playbook_open,
    playbook_open_for_van,
    playbook_van_update,
)
from dispatch.models import Plan, Route, Stop
from notifications.models import Channel, Message
from scheduling.models import Delivery
from tracking.models import EtaSnapshot

# Deliveries still waiting for the van: late, scan-out, dwell and GPS rules are about them.
AWAITED = (Delivery.Status.BOOKED, Delivery.Status.SCHEDULED, Delivery.Status.OUT_FOR_DELIVERY)
NOT_LEFT = (Delivery.Status.BOOKED, Delivery.Status.SCHEDULED)
# Once a delivery ends this way, nothing but an unmapped carrier code still needs a person.
ENDED = {Delivery.Status.DELIVERED: "delivered", Delivery.Status.CANCELLED: "cancelled",
         Delivery.Status.RETURNED: "returned to the depot"}
ENDS_NOTHING = (Rule.UNKNOWN_CARRIER_CODE,)
# How far back the sweep looks: a day's routes, the day's messages (older ones are history, not news).
LOOKBACK = dt.timedelta(hours=18)
FAILED_MESSAGES = (Message.Status.FAILED, Message.Status.UNDELIVERED)
DELIVERED_MESSAGES = (Message.Status.SENT, Message.Status.DELIVERED)


def _hm(moment: dt.datetime, delivery: Delivery) -> str:
    return moment.astimezone(delivery.merchant.zone_info).strftime("%H:%M")


def _minutes(span: dt.timedelta) -> int:
    return int(span.total_seconds() // 60)


# --- Opening -------------------------------------------------------------------------------------------------


def problem_open(*, delivery: Delivery, code: str, message: str, now: dt.datetime) -> JourneyException | None:
    """The journey found a problem a rule covers (failed attempt, unknown carrier code): open the rule's exception."""
    return playbook_open(delivery=delivery, rule=Rule(code), message=message, now=now)


def etas_check(*, snapshot_ids: list[int], now: dt.datetime) -> None:
    """Predicted late: an ETA past the window's end by more than the threshold opens; one back inside the window
    closes. Between the two nothing changes, so an estimate wavering at the edge does not open and close all day.

    Only an ETA for the delivery's own job on the active plan counts (a re-plan's older stops do not), and only
    once its van's route has begun."""
    snapshots = (
        EtaSnapshot.objects.filter(pk__in=snapshot_ids, stop__route__plan__status=Plan.Status.ACTIVE)
        .select_related("delivery__window", "delivery__merchant", "stop__route").order_by("pk")
    )
    configs = RuleConfigs()
    for snapshot in snapshots:
        delivery = snapshot.delivery
        if delivery.status not in AWAITED or snapshot.stop.job_id != delivery.job_id:
            continue
        if now < snapshot.stop.route.starts_at:
            continue  # computed before the van set off: the plan, not news
        window = delivery.window
        config = configs.get(merchant_id=delivery.merchant_id, rule=Rule.PREDICTED_LATE)
        if snapshot.eta <= window.ends_at:
            playbook_clear(delivery_id=delivery.pk, rule=Rule.PREDICTED_LATE, now=now,
                           reason=f"the ETA is back inside the window ({_hm(snapshot.eta, delivery)}).")
        elif snapshot.eta > window.ends_at + dt.timedelta(minutes=config.threshold_minutes):
            late = _minutes(snapshot.eta - window.ends_at)
            playbook_open(delivery=delivery, rule=Rule.PREDICTED_LATE, now=now, config=config, eta=snapshot.eta,
                          message=f"ETA {_hm(snapshot.eta, delivery)} is {late} min past the window "
                                  f"({_hm(window.starts_at, delivery)}–{_hm(window.ends_at, delivery)}).")


def _stops_today(now: dt.datetime):
    """Stops of active plans whose route has set off within the look-back, with their delivery."""
    return (Stop.objects.filter(route__plan__status=Plan.Status.ACTIVE, route__starts_at__lte=now,
                                route__starts_at__gte=now - LOOKBACK, job__delivery__isnull=False)
            .select_related("route__vehicle", "job__delivery__merchant", "job__delivery__window"))


def _waiting_at_depot(now: dt.datetime, configs: RuleConfigs) -> dict[Route, list[Stop]]:
    """Per route (of an active plan, set off within the look-back), its stops whose parcel never left the depot
    and whose merchant's cut-off (the van's start plus the rule's threshold) has passed, in route order."""
    stops = _stops_today(now).filter(job__delivery__status__in=NOT_LEFT).select_related("route__plan")
    waiting: dict[Route, list[Stop]] = {}
    for stop in stops.order_by("route__starts_at", "route_id", "sequence"):
        config = configs.get(merchant_id=stop.job.delivery.merchant_id, rule=Rule.NO_SCAN_OUT)
        if config.enabled and now >= _cutoff(stop, config):
            waiting.setdefault(stop.route, []).append(stop)
    return waiting


def _cutoff(stop: Stop, config) -> dt.datetime:
    return stop.route.starts_at + dt.timedelta(minutes=config.threshold_minutes)


def _van_message(route: Route, stops: list[Stop], configs: RuleConfigs) -> str:
    first = stops[0].job.delivery
    cutoff = min(_cutoff(s, configs.get(merchant_id=s.job.delivery.merchant_id, rule=Rule.NO_SCAN_OUT)) for s in stops)
    parcels = f"{len(stops)} parcel{'s' if len(stops) != 1 else ''}"
    return (f"Van {route.vehicle.code} not scanned out by {_hm(cutoff, first)}: {parcels} still at the depot; "
            f"it was due to leave at {_hm(route.starts_at, first)}.")


def _live_van_exception(route: Route) -> JourneyException | None:
    """The van's live missed scan-out that day, on this route or on one a re-plan has since replaced."""
    return (JourneyException.objects.filter(rule=Rule.NO_SCAN_OUT, state__in=LIVE_STATES, route__isnull=False,
                                            route__vehicle_id=route.vehicle_id, route__plan__date=route.plan.date,
                                            route__plan__depot_id=route.plan.depot_id)
            .order_by("pk").first())


def scan_out_check(*, now: dt.datetime, configs: RuleConfigs) -> None:
    """No scan-out by the cut-off, one exception per van: it set off more than the threshold ago and parcels on its
    route never left the depot. The exception sits on the route's first waiting delivery, lists them all, and
    follows them: parcels that join the wait are added, and the count is kept up to date."""
    for route, stops in _waiting_at_depot(now, configs).items():
        deliveries = [stop.job.delivery for stop in stops]
        message = _van_message(route, stops, configs)
        live = _live_van_exception(route)
        if live is None:
            playbook_open_for_van(route=route, deliveries=deliveries, rule=Rule.NO_SCAN_OUT, message=message,
                                  now=now, configs=configs)
        else:
            playbook_van_update(exception=live, route=route, deliveries=deliveries, message=message, now=now,
                                configs=configs)


def dwell_check(*, now: dt.datetime, configs: RuleConfigs) -> None:
    """Dwell spike: the van arrived at the stop more than the threshold ago and is still there."""
    standing = _stops_today(now).filter(status=Stop.Status.ARRIVED, actual_departure__isnull=True,
                                        actual_arrival__isnull=False, actual_arrival__gte=now - LOOKBACK)
    for stop in standing.order_by("actual_arrival", "pk"):
        delivery = stop.job.delivery
        config = configs.get(merchant_id=delivery.merchant_id, rule=Rule.DWELL_SPIKE)
        if not config.enabled:
            continue
        dwell = now - stop.actual_arrival
        if dwell >= dt.timedelta(minutes=config.threshold_minutes):
            playbook_open(delivery=delivery, rule=Rule.DWELL_SPIKE, now=now, config=config,
                          message=f"Van {stop.route.vehicle.code} has stood at stop {stop.sequence} for "
                                  f"{_minutes(dwell)} min (since {_hm(stop.actual_arrival, delivery)}); "
                                  f"the stops after it will slip.")


def _silent_since(route: Route) -> dt.datetime:
    """Since when the route's van has said nothing: its last position, or the route's start if older."""
    seen = route.vehicle.last_seen_at
    return max(seen, route.starts_at) if seen is not None else route.starts_at


def gps_check(*, now: dt.datetime, configs: RuleConfigs) -> None:
    """GPS silent: a van on the road has sent no position for more than the threshold. The exception goes on the
    delivery it is heading to (the next one still awaited), the customer most likely to call."""
    routes = (Route.objects.filter(plan__status=Plan.Status.ACTIVE, starts_at__lte=now, ends_at__gte=now)
              .select_related("vehicle").order_by("pk"))
    for route in routes:
        silent_since = _silent_since(route)
        nxt = (route.stops.filter(status__in=[Stop.Status.PENDING, Stop.Status.ARRIVED],
                                  job__delivery__status__in=AWAITED)
               .select_related("job__delivery__merchant").order_by("sequence").first())
        if nxt is None:
            continue
        delivery = nxt.job.delivery
        config = configs.get(merchant_id=delivery.merchant_id, rule=Rule.GPS_SILENT)
        if config.enabled and now - silent_since >= dt.timedelta(minutes=config.threshold_minutes):
            left = route.stops.filter(status__in=[Stop.Status.PENDING, Stop.Status.ARRIVED]).count()
            playbook_open(delivery=delivery, rule=Rule.GPS_SILENT, now=now, config=config,
                          message=f"Van {route.vehicle.code} has sent no position for {_minutes(now - silent_since)} "
                                  f"min (last at {_hm(silent_since, delivery)}); {left} stops still to go.")


def _later_message_got_through(message: Message) -> bool:
    return (Message.objects.filter(delivery_id=message.delivery_id, status__in=DELIVERED_MESSAGES,
                                   created_at__gte=message.created_at).exclude(channel=Channel.WEBHOOK)
            .exclude(pk=message.pk).exists())


def undeliverable_check(*, now: dt.datetime, configs: RuleConfigs) -> None:
    """Undeliverable message: a message to the customer failed, and nothing sent to them since got through."""
    failed = (Message.objects.filter(status__in=FAILED_MESSAGES, delivery__isnull=False,
                                     delivery__status__in=AWAITED, status_changed_at__gte=now - LOOKBACK)
              .exclude(channel=Channel.WEBHOOK).select_related("delivery__merchant").order_by("created_at", "pk"))
    for message in failed:
        config = configs.get(merchant_id=message.merchant_id, rule=Rule.UNDELIVERABLE_MESSAGE)
        if not config.enabled or _later_message_got_through(message):
            continue
        reason = f": {message.error}" if message.error else ""
        playbook_open(delivery=message.delivery, rule=Rule.UNDELIVERABLE_MESSAGE, now=now, config=config,
                      message=f"The {message.get_trigger_display().lower() or message.template} "
                              f"{message.get_channel_display()} to {message.to} was "
                              f"{message.get_status_display().lower()}{reason}.")


# --- Clearing ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cleared:
    reason: str


def _cleared(exception: JourneyException, *, now: dt.datetime, configs: RuleConfigs) -> Cleared | None:
    """Why the rule's condition no longer holds, or None while it does."""
    rule = Rule(exception.rule)
    delivery = exception.delivery
    if rule == Rule.NO_SCAN_OUT and exception.route_id is not None:
        return _van_cleared(exception)
    if rule not in ENDS_NOTHING and delivery.status in ENDED:
        return Cleared(f"the delivery was {ENDED[delivery.status]}.")
    if rule == Rule.PREDICTED_LATE:
        latest = (EtaSnapshot.objects.filter(delivery=delivery, stop__job_id=delivery.job_id,
                                             stop__route__plan__status=Plan.Status.ACTIVE)
                  .order_by("-computed_at", "-pk").first())
        if latest is not None and latest.eta <= delivery.window.ends_at:
            return Cleared(f"the ETA is back inside the window ({_hm(latest.eta, delivery)}).")
    elif rule == Rule.NO_SCAN_OUT:
        if delivery.status not in NOT_LEFT:
            return Cleared("the parcel was scanned out.")
    elif rule in (Rule.DWELL_SPIKE, Rule.GPS_SILENT):
        stop = (Stop.objects.filter(job_id=delivery.job_id, route__plan__status=Plan.Status.ACTIVE)
                .select_related("route__vehicle").first())
        if stop is None:
            return Cleared("the delivery is no longer on a route.")
        if rule == Rule.DWELL_SPIKE and (stop.status != Stop.Status.ARRIVED or stop.actual_departure is not None):
            return Cleared("the van left the stop.")
        if rule == Rule.GPS_SILENT:
            threshold = configs.get(merchant_id=delivery.merchant_id, rule=rule).threshold_minutes
            if now - _silent_since(stop.route) < dt.timedelta(minutes=threshold):
                return Cleared(f"van {stop.route.vehicle.code} is sending positions again.")
    elif rule == Rule.UNDELIVERABLE_MESSAGE:
        failed = (Message.objects.filter(delivery=delivery, status__in=FAILED_MESSAGES)
                  .exclude(channel=Channel.WEBHOOK).order_by("-created_at", "-pk"))
        if all(_later_message_got_through(message) for message in failed):
            return Cleared("a later message to the customer got through.")
    return None


def _van_cleared(exception: JourneyException) -> Cleared | None:
    """A van's missed scan-out clears once none of the parcels on its route that day is still at the depot: they were
    scanned out, or ended, or a re-plan moved them to another van."""
    route = exception.route
    on_board = Stop.objects.filter(route__vehicle_id=route.vehicle_id, route__plan__date=route.plan.date,
                                   route__plan__depot_id=route.plan.depot_id, route__plan__status=Plan.Status.ACTIVE)
    if on_board.filter(job__delivery__status__in=NOT_LEFT).exists():
        return None
    if exception.affected.filter(status__in=NOT_LEFT).exists():
        return Cleared(f"no parcel is waiting for van {route.vehicle.code} any more (moved to another van).")
    return Cleared(f"van {route.vehicle.code} was scanned out.")


def _recheck(exceptions, *, now: dt.datetime, configs: RuleConfigs) -> int:
    closed = 0
    for exception in exceptions:
        cleared = _cleared(exception, now=now, configs=configs)
        if cleared is not None:
            closed += playbook_clear(delivery_id=exception.delivery_id, rule=Rule(exception.rule), now=now,
                                     reason=cleared.reason)
    return closed


def _live_rule_exceptions():
    return (JourneyException.objects.filter(state__in=LIVE_STATES, rule__in=[r.value for r in Rule])
            .select_related("delivery__merchant", "delivery__window", "route__plan", "route__vehicle").order_by("pk"))


def delivery_recheck(*, delivery_id, now: dt.datetime) -> int:
    """A milestone moved the delivery: close its rule exceptions (and its van's) whose condition has cleared."""
    mine = _live_rule_exceptions().filter(Q(delivery_id=delivery_id) | Q(affected=delivery_id)).distinct()
    return _recheck(mine, now=now, configs=RuleConfigs())


def playbooks_sweep(*, now: dt.datetime) -> None:
    """The minute's work, in this order:
    1. close the exceptions whose condition has cleared (so none of them escalates);
    2. open what only time reveals: no scan-out by the cut-off, dwell spikes, silent GPS, failed messages;
    3. move every exception whose timer has run out one team up.
    """
    configs = RuleConfigs()
    _recheck(_live_rule_exceptions(), now=now, configs=configs)
    scan_out_check(now=now, configs=configs)
    dwell_check(now=now, configs=configs)
    gps_check(now=now, configs=configs)
    undeliverable_check(now=now, configs=configs)
    exceptions_escalate_due(now=now)

