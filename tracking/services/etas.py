"""Micro-ETAs: each route's remaining stops from where its van is, bent by how the plan's fleet is driving today."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import translation

from core import clock
from dispatch.dwell import DWELL_BOUNDS_S
from dispatch.models import Job, Plan, Route, Stop, Vehicle
from dispatch.selectors import zone_slowdowns_load
from dispatch.travel import NO_SLOWDOWNS, Point, ProviderLegTimes, ZoneSlowdowns, leg_seconds_from_provider
from scheduling.services import delivery_running_late_set
from tracking import eta as engine
from tracking import geofence, selectors
from tracking.geo import haversine_m
from tracking.models import EtaSnapshot, Event, Milestone, Ping
from tracking.services.journey import event_record
from tracking.services.publish import eta_publish
from tracking.services.routes import route_for_vehicle, route_stops
from tracking.signals import etas_updated
from tracking.timing import is_late

# The fleet's pace today is read from its legs over this long; live traffic per zone, from the legs into it
# over the shorter lookback. Each is pulled towards the level above by a prior worth this many seconds of driving.
FLEET_PACE_LOOKBACK = dt.timedelta(hours=2)
FLEET_PACE_PRIOR_S = 600.0
ZONE_TRAFFIC_LOOKBACK = dt.timedelta(minutes=45)
ZONE_TRAFFIC_PRIOR_S = 600.0
# A van's own pace is read from its legs of this long ago at most (`engine.DELAY_LEGS` of them).
VAN_LEGS_LOOKBACK = dt.timedelta(hours=2)
# The traffic a past leg was driven in is read to this step.
TRAFFIC_STEP = dt.timedelta(minutes=5)
# The fixes that may show a van leaving its depot start this long before its route.
DEPOT_LOOKBACK = dt.timedelta(minutes=30)
# A leg ending this soon after its window opened may include waiting for it.
WINDOW_WAIT_MARGIN = dt.timedelta(seconds=60)
# A zone's dwell today is the mean of its dwells seen today, pulled towards what it learned over past days by
# this many dwells' worth: a zone with few dwells yet keeps its learned time.
ZONE_DWELL_PRIOR = 6

ZoneDwell = dict[int, float]


def _service_seconds(job: Job, today: ZoneDwell | None = None) -> float:
    """The mean dwell expected at this job: its zone's today (`plan_zone_dwell`), else learned, else the job's own."""
    if today and job.zone_id in today:
        return today[job.zone_id]
    return float(job.zone.learned_service_seconds or job.service_seconds or job.zone.default_service_seconds)


def _point(stop: Stop) -> Point:
    return (stop.job.lat, stop.job.lng)


@dataclass(frozen=True)
class DrivenLeg:
    """A leg the van has driven: from a point it left at `left_at` to the stop `after`."""

    origin: Point
    left_at: dt.datetime
    after: Stop


def _driven_legs(stops: Sequence[Stop], *, depot: tuple[Point, dt.datetime | None] | None = None) -> list[DrivenLeg]:
    """The legs of one route (its stops in sequence order) the van has driven.

    `depot` (where the depot is, when the van left it) is given when `stops` starts with the route's first
    stop: the leg out of the depot is the day's longest, and the first that shows how the fleet drives.
    """
    legs = []
    if depot is not None and depot[1] is not None and stops and stops[0].actual_arrival is not None \
            and stops[0].actual_arrival > depot[1]:
        legs.append(DrivenLeg(origin=depot[0], left_at=depot[1], after=stops[0]))
    legs.extend(DrivenLeg(origin=_point(before), left_at=before.actual_departure, after=after)
                for before, after in zip(stops, stops[1:], strict=False)
                if before.actual_departure is not None and after.actual_arrival is not None)
    # A leg that ends at its window's opening may include waiting for it; it says nothing about traffic.
    # Drop such legs whichever way they went: dropping only the slow ones would make the fleet look fast.
    return [leg for leg in legs if leg.after.actual_arrival > leg.after.job.window_start + WINDOW_WAIT_MARGIN]


def _completed_legs(legs: Sequence[DrivenLeg], leg_seconds,
                    slowdowns: ZoneSlowdowns = NO_SLOWDOWNS) -> list[tuple[Stop, engine.CompletedLeg]]:
    """Driven legs: observed against predicted driving time, with the stop they led to.

    The prediction slows a leg into a zone by its effective factor when the leg began (its disruptions
    included), so a slowdown already known is not read again as traffic."""
    return [
        (leg.after, engine.CompletedLeg(
            actual_s=(leg.after.actual_arrival - leg.left_at).total_seconds(),
            predicted_s=leg_seconds(leg.origin, _point(leg.after), leg.left_at)
            * slowdowns.factor_at(leg.after.job.zone_id, leg.after.job.zone.speed_factor, leg.left_at),
        ))
        for leg in legs
    ]


def _route_depot(route: Route) -> tuple[Point, dt.datetime | None]:
    depot = route.vehicle.depot
    return (depot.lat, depot.lng), route.departed_at


@dataclass(frozen=True)
class PlanTraffic:
    """How the fleet of one plan is driving today against the provider's times.

    `pace` is the whole fleet's factor; `zones` are each zone's recent factor on
    top of it (1 for a zone driving at the fleet's pace).
    """

    pace: float = 1.0
    zones: dict[int, float] = field(default_factory=dict)

    def factor(self, zone_id: int) -> float:
        return self.pace * self.zones.get(zone_id, 1.0)


def _plan_driven_stops(*, plan_id: int, now: dt.datetime) -> list[Stop]:
    """The plan's stops reached lately (or still occupied), by route and sequence: the legs traffic is read from.

    Lately reaches back far enough to know the traffic as it was when each of a van's last legs was driven.
    """
    recent = now - FLEET_PACE_LOOKBACK - VAN_LEGS_LOOKBACK
    first = Stop.objects.filter(route_id=OuterRef("route_id")).order_by("sequence").values("sequence")[:1]
    return list(
        Stop.objects.filter(route__plan_id=plan_id, actual_arrival__isnull=False, actual_arrival__lte=now)
        .filter(Q(actual_arrival__gte=recent) | Q(actual_departure__gte=recent) | Q(actual_departure__isnull=True))
        .annotate(route_first_sequence=Subquery(first))
        .select_related("job__zone", "route__vehicle__depot").order_by("route_id", "sequence")
    )


def _plan_driven_legs(stops: Sequence[Stop]) -> list[DrivenLeg]:
    """The driven legs of the plan's stops (`_plan_driven_stops`), the way out of the depot included."""
    legs: list[DrivenLeg] = []
    for _route_id, group in groupby(stops, key=lambda s: s.route_id):
        group = list(group)
        from_depot = group[0].sequence == getattr(group[0], "route_first_sequence", None)
        legs.extend(_driven_legs(group, depot=_route_depot(group[0].route) if from_depot else None))
    return legs


def _plan_completed_legs(stops: Sequence[Stop], leg_seconds,
                         slowdowns: ZoneSlowdowns = NO_SLOWDOWNS) -> list[tuple[Stop, engine.CompletedLeg]]:
    return _completed_legs(_plan_driven_legs(stops), leg_seconds, slowdowns)


def _traffic_at(legs: Sequence[tuple[Stop, engine.CompletedLeg]], *, at: dt.datetime) -> PlanTraffic:
    """The traffic the fleet's legs showed at `at`: see `plan_traffic`."""
    lately = [(after, leg) for after, leg in legs if at - FLEET_PACE_LOOKBACK <= after.actual_arrival <= at]
    pace = engine.delay_factor([leg for _after, leg in lately], prior_s=FLEET_PACE_PRIOR_S, last=None)
    recent = at - ZONE_TRAFFIC_LOOKBACK
    by_zone: dict[int, list[engine.CompletedLeg]] = {}
    for after, leg in lately:
        if after.actual_arrival >= recent:
            by_zone.setdefault(after.job.zone_id, []).append(
                engine.CompletedLeg(actual_s=leg.actual_s, predicted_s=leg.predicted_s * pace))
    zones = {zone: engine.delay_factor(zone_legs, prior_s=ZONE_TRAFFIC_PRIOR_S, last=None)
             for zone, zone_legs in by_zone.items()}
    return PlanTraffic(pace=pace, zones=zones)


def plan_traffic(*, stops: Sequence[Stop], now: dt.datetime, leg_seconds,
                 slowdowns: ZoneSlowdowns = NO_SLOWDOWNS) -> PlanTraffic:
    """The fleet's pace over its legs of the last `FLEET_PACE_LOOKBACK`, and each zone's over the last `ZONE_TRAFFIC_LOOKBACK`.

    1. The fleet's pace is every leg's observed time against the provider's, shrunk towards 1.
    2. A zone's traffic is the legs into it lately against the provider's times the fleet's pace,
       shrunk towards 1: a zone with little evidence drives at the fleet's pace.
    """
    return _traffic_at(_plan_completed_legs(stops, leg_seconds, slowdowns), at=now)


def _traffic_then(legs: Sequence[tuple[Stop, engine.CompletedLeg]]):
    """`_traffic_at` for many moments: the traffic as it stood at the start of the `TRAFFIC_STEP` each falls in."""
    known: dict[int, PlanTraffic] = {}
    step_s = TRAFFIC_STEP.total_seconds()

    def at(moment: dt.datetime) -> PlanTraffic:
        step = int(moment.timestamp() // step_s)
        if step not in known:
            known[step] = _traffic_at(legs, at=dt.datetime.fromtimestamp(step * step_s, tz=dt.UTC))
        return known[step]

    return at


def _dwells_seen(stops: Sequence[Stop], *, since: dt.datetime | None = None) -> list[tuple[Stop, float]]:
    """The dwells of these driven stops (by route and sequence) that measure the work at the door, in seconds.

    A dwell followed by a leg that ended as its window opened may include waiting for that window, and is left out.
    """
    dwells = []
    for _route_id, group in groupby(stops, key=lambda s: s.route_id):
        group = list(group)
        for stop, following in zip(group, [*group[1:], None], strict=True):
            if stop.actual_arrival is None or stop.actual_departure is None:
                continue
            if since is not None and stop.actual_departure < since:
                continue
            if following is not None and following.actual_arrival is not None \
                    and following.actual_arrival <= following.job.window_start + WINDOW_WAIT_MARGIN:
                continue
            dwells.append((stop, (stop.actual_departure - stop.actual_arrival).total_seconds()))
    return dwells


def plan_zone_dwell(*, stops: Sequence[Stop]) -> ZoneDwell:
    """Each zone's mean dwell as the plan's vans have shown it today (`_plan_driven_stops`), by zone id.

    A zone's learned service time is a running mean over days, kept robust by clipping each dwell to half or
    twice the estimate: that is right for planning, but it runs below the mean of a day whose dwells have a
    long tail (the parcel for a neighbour, the lift that does not come), or of a zone slower today than its
    past. An ETA sums several dwells, so that gap adds up stop after stop. Today's dwells (clipped only to
    sane bounds) give the mean, pooled with the learned time as `ZONE_DWELL_PRIOR` dwells.
    """
    low, high = DWELL_BOUNDS_S
    seen: dict[int, list[float]] = {}
    learned: dict[int, float] = {}
    for stop, dwell in _dwells_seen(stops):
        seen.setdefault(stop.job.zone_id, []).append(min(max(dwell, low), high))
        learned[stop.job.zone_id] = float(stop.job.zone.learned_service_seconds or stop.job.zone.default_service_seconds)
    return {zone: (sum(dwells) + ZONE_DWELL_PRIOR * learned[zone]) / (len(dwells) + ZONE_DWELL_PRIOR)
            for zone, dwells in seen.items()}


def plan_spread(*, stops: Sequence[Stop], now: dt.datetime, leg_seconds,
                slowdowns: ZoneSlowdowns = NO_SLOWDOWNS, zone_dwell: ZoneDwell | None = None) -> engine.Spread:
    """How far the plan's legs and dwells of the last `FLEET_PACE_LOOKBACK` strayed from what was expected of them.

    1. A leg is held against the provider's time bent by the traffic as it stood when it was driven.
    2. A dwell is held against its zone's dwell today (`plan_zone_dwell`), or its service time; a dwell
       followed by a leg that ended as its window opened may include waiting for the window, and is left out.
    """
    recent = now - FLEET_PACE_LOOKBACK
    legs = _plan_completed_legs(stops, leg_seconds, slowdowns)
    then = _traffic_then(legs)
    travel = [leg.actual_s / (leg.predicted_s * then(after.actual_arrival).factor(after.job.zone_id))
              for after, leg in legs if after.actual_arrival >= recent and leg.predicted_s > 0]
    dwell = [seconds / _service_seconds(stop.job, zone_dwell) for stop, seconds in _dwells_seen(stops, since=recent)]
    return engine.observed_spread(travel_ratios=travel, dwell_ratios=dwell)


def route_delay_factor(*, stops: Sequence[Stop], leg_seconds, plan_stops: Sequence[Stop] = (),
                       depot: tuple[Point, dt.datetime | None] | None = None,
                       slowdowns: ZoneSlowdowns = NO_SLOWDOWNS) -> float:
    """The van's own pace on its completed legs, against the provider's times bent by the traffic of the day.

    Each leg is held against the traffic as it stood when the van drove it (from `plan_stops`, the plan's
    driven stops), not as it stands now: a van that drove into a zone before a jam there was not fast,
    and one that drove through the jam was not slow. The van's pace is shrunk towards the fleet's as
    hard as the fleet's legs today say (`engine.van_pace_prior_s`).
    """
    plan_legs = _plan_completed_legs(plan_stops, leg_seconds, slowdowns)
    then = _traffic_then(plan_legs)

    def in_traffic(after: Stop, leg: engine.CompletedLeg) -> engine.CompletedLeg:
        return engine.CompletedLeg(actual_s=leg.actual_s,
                                   predicted_s=leg.predicted_s * then(after.actual_arrival).factor(after.job.zone_id))

    legs = [in_traffic(after, leg)
            for after, leg in _completed_legs(_driven_legs(stops, depot=depot), leg_seconds, slowdowns)[-engine.DELAY_LEGS:]]
    # How much the fleet's vans differ in pace today, against how much one leg strays: how hard to believe this van.
    vans = [[in_traffic(after, leg) for after, leg in group]
            for _route_id, group in groupby(plan_legs, key=lambda pair: pair[0].route_id)]
    return engine.delay_factor(legs, prior_s=engine.van_pace_prior_s(vans))


def _legs_to_prefetch(*, position: Point, route_legs: Sequence[DrivenLeg], plan_stops: Sequence[Stop],
                      remaining: Sequence[Stop]) -> tuple[list, list]:
    """Every leg a refresh asks the provider for: between stops (driven or ahead), and from where the van is."""
    stop_legs = [(_point(before), _point(after)) for before, after in zip(remaining, remaining[1:], strict=False)]
    stop_legs.extend((leg.origin, _point(leg.after)) for leg in [*route_legs, *_plan_driven_legs(plan_stops)])
    other_legs = [(position, _point(remaining[0]))] if remaining else []
    return stop_legs, other_legs


def route_legs_prefetched(*, vehicle: Vehicle, position: Point, now: dt.datetime) -> ProviderLegTimes:
    """A leg-time source (for `eta_refresh_route`) that already knows every leg the vehicle's route's next
    refresh may ask for.

    A ping batch refreshes the ETAs inside its transaction, and a table service may take seconds to
    answer: asked there, it would hold the transaction (on SQLite, every writer) that long. Asked here,
    before the transaction, for a superset of what the refresh needs, wherever the new fixes put the
    van: the legs between the route's stops in order (the depot's way out included), the plan's driven
    legs, and from `position` to each of the next two stops not yet reached.
    """
    leg_seconds = leg_seconds_from_provider(time_zone=vehicle.depot.time_zone)
    route = route_for_vehicle(vehicle=vehicle, now=now) if leg_seconds.asks_tables else None
    if route is None:
        return leg_seconds
    stops = route_stops(route)
    depot, _left_at = _route_depot(route)
    points = [depot, *(_point(s) for s in stops)]
    not_reached = [s for s in stops if s.actual_arrival is None and s.status == Stop.Status.PENDING]
    plan_legs = [(leg.origin, _point(leg.after))
                 for leg in _plan_driven_legs(_plan_driven_stops(plan_id=route.plan_id, now=now))]
    leg_seconds.prefetch(stop_legs=[*zip(points, points[1:], strict=False), *plan_legs],
                         other_legs=[(position, _point(s)) for s in not_reached[:2]])
    return leg_seconds


def depot_departure_at(*, route: Route, now: dt.datetime) -> dt.datetime | None:
    """When the van drove out of its depot, by the geofence's departure rule over its trusted fixes.

    None unless its fixes start at the depot: a handheld switched on down the road does not say when it left.
    """
    depot = route.vehicle.depot
    radius = float(settings.GEOFENCE_RADIUS_M)
    rows = Ping.objects.filter(
        vehicle_id=route.vehicle_id, flagged="", recorded_at__gte=route.starts_at - DEPOT_LOOKBACK,
        recorded_at__lte=now + engine.PING_CLOCK_AHEAD,
    ).order_by("recorded_at").values_list("recorded_at", "lat", "lng", "speed_mps")
    fixes = [geofence.Fix(at=at, lat=lat, lng=lng, speed_mps=speed) for at, lat, lng, speed in rows]
    if not fixes or haversine_m(fixes[0].lat, fixes[0].lng, depot.lat, depot.lng) > radius:
        return None
    return geofence.departure_at(fixes, lat=depot.lat, lng=depot.lng, radius_m=radius)


def _leg_in_progress(*, route: Route, stops: Sequence[Stop], vehicle: Vehicle, target: Stop, expected_s: float,
                     now: dt.datetime) -> float | None:
    """The whole time left on the leg being driven to `target`, from the van's progress on it (None when unknown).

    The leg starts at the stop the van left last or, before its first stop, at the depot: the first leg of
    the day is the longest, and the one where the van's pace is least known.
    """
    if vehicle.last_seen_at is None or vehicle.last_lat is None:
        return None
    left_stop = max((s for s in stops if s.actual_departure is not None), key=lambda s: s.actual_departure, default=None)
    if left_stop is not None:
        origin, left_at = (left_stop.job.lat, left_stop.job.lng), left_stop.actual_departure
    elif all(s.actual_arrival is None for s in stops):
        origin = (vehicle.depot.lat, vehicle.depot.lng)
        left_at = route.departed_at or depot_departure_at(route=route, now=now)
    else:
        return None
    if left_at is None or vehicle.last_seen_at <= left_at:
        return None
    return engine.leg_in_progress_seconds(
        expected_s=expected_s,
        elapsed_s=(vehicle.last_seen_at - left_at).total_seconds(),
        covered_m=haversine_m(origin[0], origin[1], vehicle.last_lat, vehicle.last_lng),
        left_m=haversine_m(vehicle.last_lat, vehicle.last_lng, target.job.lat, target.job.lng),
    )


def route_etas_compute(*, route: Route, now: dt.datetime, leg_seconds=None) -> tuple[list[engine.StopEta], dict]:
    """The micro-ETAs of a route's remaining stops at `now`, with the stops they belong to (by stop id).

    1. Where the van is: at a stop (free when its dwell is likely over), driving
       (its last fix), or at the depot before its route starts.
    2. Traffic from the plan's driven legs (`plan_traffic`) and the van's own pace
       against it (`route_delay_factor`).
    3. The leg being driven is corrected by the van's progress on it
       (`engine.leg_in_progress_seconds`).
    4. Every leg the provider is asked for is fetched at once first (one table
       request for a table service), then `engine.route_etas` walks the route.
    """
    leg_seconds = leg_seconds or leg_seconds_from_provider(time_zone=route.vehicle.depot.time_zone)
    stops = route_stops(route)
    by_id = {s.pk: s for s in stops}
    vehicle = route.vehicle
    depot = vehicle.depot
    at_stop = next((s for s in reversed(stops) if s.actual_arrival is not None and s.actual_departure is None), None)
    free_at: dt.datetime | None = None
    busy = 0
    driving = False
    plan_stops = _plan_driven_stops(plan_id=route.plan_id, now=now)
    zone_dwell = plan_zone_dwell(stops=plan_stops)
    if at_stop is not None:
        position = (at_stop.job.lat, at_stop.job.lng)
        if at_stop.status == Stop.Status.ARRIVED:
            busy = 1
            free_at = now + dt.timedelta(seconds=engine.remaining_dwell_seconds(
                service_s=_service_seconds(at_stop.job, zone_dwell), arrived_at=at_stop.actual_arrival, now=now))
        else:
            free_at = now + dt.timedelta(seconds=engine.MIN_REMAINING_DWELL_S)
    elif vehicle.last_seen_at is not None and vehicle.last_lat is not None and vehicle.last_seen_at >= route.starts_at - dt.timedelta(hours=1):
        position = (vehicle.last_lat, vehicle.last_lng)
        driving = True
    else:
        position = (depot.lat, depot.lng)
        free_at = route.starts_at
    if now < route.starts_at:
        # The van has not left yet, wherever its handheld is: it leaves when its route starts.
        free_at = max(free_at or route.starts_at, route.starts_at)
        driving = False
    ahead = [s for s in stops if s.status == Stop.Status.PENDING and s.actual_arrival is None]
    depot_left = _route_depot(route)
    if isinstance(leg_seconds, ProviderLegTimes) and leg_seconds.asks_tables:
        stop_legs, other_legs = _legs_to_prefetch(position=position, route_legs=_driven_legs(stops, depot=depot_left),
                                                  plan_stops=plan_stops, remaining=ahead)
        leg_seconds.prefetch(stop_legs=stop_legs, other_legs=other_legs)
    # The zones' disruptions, from the oldest leg traffic is read from to the end of the day ahead.
    slowdowns = zone_slowdowns_load(depot_id=depot.pk, starts=now - FLEET_PACE_LOOKBACK - VAN_LEGS_LOOKBACK,
                                    ends=now + dt.timedelta(days=1))
    traffic = plan_traffic(stops=plan_stops, now=now, leg_seconds=leg_seconds, slowdowns=slowdowns)
    remaining = [
        engine.RemainingStop(
            key=s.pk, lat=s.job.lat, lng=s.job.lng, window_start=s.job.window_start,
            service_s=_service_seconds(s.job, zone_dwell),
            # The leg into a stop is driven about when the plan has the van arrive there, or from now if later.
            speed_factor=slowdowns.factor_at(s.job.zone_id, s.job.zone.speed_factor, max(now, s.planned_arrival))
            * traffic.factor(s.job.zone_id),
        )
        for s in ahead
    ]
    delay = route_delay_factor(stops=stops, leg_seconds=leg_seconds, plan_stops=plan_stops, depot=depot_left,
                               slowdowns=slowdowns)
    first_leg = None
    if driving and remaining:
        first = remaining[0]
        expected = leg_seconds(position, (first.lat, first.lng), now) * first.speed_factor * delay
        first_leg = _leg_in_progress(route=route, stops=stops, vehicle=vehicle, target=ahead[0], expected_s=expected,
                                     now=now)
    etas = engine.route_etas(
        now=now, position=position, remaining=remaining, leg_seconds=leg_seconds, delay=delay, free_at=free_at,
        busy_stops=busy, first_leg_s=first_leg,
        spread=plan_spread(stops=plan_stops, now=now, leg_seconds=leg_seconds, slowdowns=slowdowns,
                           zone_dwell=zone_dwell),
    )
    return etas, by_id


def _running_late_record(*, etas, stops: dict) -> None:
    """Tell scheduling which of these deliveries the live estimate now puts after their window (and which no
    longer): a late parcel may then be moved to another time by its customer. The job carries its delivery's
    window, so nothing more is read here."""
    delivery_running_late_set(lateness={
        stops[e.key].job.delivery.pk: (e.eta if is_late(expected=e.eta, window_end=stops[e.key].job.window_end) else None)
        for e in etas if getattr(stops[e.key].job, "delivery", None)
    })


def eta_refresh_route(*, route: Route, now: dt.datetime | None = None, publish: bool = True, leg_seconds=None) -> list[EtaSnapshot]:
    """Recompute a route's ETAs; store and push those that moved (or have not been stored for a while).

    Also records the `arriving` milestone for the stop the vehicle is now driving to.
    Returns the snapshots stored.
    """
    now = now or clock.now()
    etas, stops = route_etas_compute(route=route, now=now, leg_seconds=leg_seconds)
    if not etas:
        return []
    delivery_ids = {stops[e.key].job.delivery.pk: e for e in etas if getattr(stops[e.key].job, "delivery", None)}
    _running_late_record(etas=etas, stops=stops)
    latest: dict = {}
    # Only this plan's stops count as "already said": after a re-plan the page shows nothing computed for the
    # plan before (`selectors.eta_to_show`), so an unchanged ETA must still be stored for the new stop.
    for snap in EtaSnapshot.objects.filter(
        delivery_id__in=list(delivery_ids), stop_id__in=[e.key for e in etas],
        computed_at__gte=now - engine.SNAPSHOT_HEARTBEAT, computed_at__lte=now,
    ).order_by("computed_at", "id"):
        latest[snap.delivery_id] = snap
    stored: list[EtaSnapshot] = []
    for delivery_id, eta in delivery_ids.items():
        last = latest.get(delivery_id)
        if last is not None and last.stops_away == eta.stops_away and all(
            abs((a - b).total_seconds()) < engine.SNAPSHOT_MIN_CHANGE_S
            for a, b in ((last.eta, eta.eta), (last.band_start, eta.band_start), (last.band_end, eta.band_end))
        ):
            continue
        stored.append(EtaSnapshot(
            delivery_id=delivery_id, stop_id=eta.key, computed_at=now, eta=eta.eta, band_start=eta.band_start,
            band_end=eta.band_end, stops_away=eta.stops_away,
        ))
    EtaSnapshot.objects.bulk_create(stored)
    if stored:
        snapshot_ids = [snap.pk for snap in stored]
        transaction.on_commit(lambda: etas_updated.send(sender=EtaSnapshot, snapshot_ids=snapshot_ids, now=now),
                              robust=True)
    _arriving_record(route=route, etas=etas, stops=stops, now=now)
    if publish and stored:
        vehicle = route.vehicle
        position = (vehicle.last_lat, vehicle.last_lng) if vehicle.last_lat is not None else None
        in_order = list(stops.values())
        for snap in stored:
            stop = stops[snap.stop_id]
            delivery = stop.job.delivery
            # Rendered for the customer, not in whatever language this thread speaks (a driver's request, a worker).
            with translation.override(selectors.delivery_language(delivery)):
                payload = selectors.eta_payload(
                    snapshot=snap, merchant=delivery.merchant, position=position,
                    destination=(stop.job.lat, stop.job.lng),
                    ahead=selectors.points_before(stop=stop, route_stops=in_order), window=delivery.window,
                    at_another_door=selectors.van_at_another_door(stop=stop, route_stops=in_order))
            transaction.on_commit(lambda d=snap.delivery_id, p=payload: eta_publish(delivery_id=d, payload=p))
    return stored


def _arriving_record(*, route: Route, etas: list[engine.StopEta], stops: dict, now: dt.datetime) -> None:
    first = etas[0]
    if first.stops_away != 0:
        return
    stop = stops[first.key]
    delivery = getattr(stop.job, "delivery", None)
    if delivery is None or route.starts_at > now:
        return
    client_id = f"arriving:{stop.job_id}"
    if Event.objects.filter(source=Event.Source.SYSTEM, client_id=client_id).exists():
        return
    scanned = Event.objects.filter(delivery=delivery, milestone__in=[Milestone.SCANNED_OUT, Milestone.OUT_FOR_DELIVERY]).exists()
    if scanned:
        event_record(delivery=delivery, milestone=Milestone.ARRIVING, source=Event.Source.SYSTEM, recorded_at=now,
                     client_id=client_id)


def eta_refresh_plan(*, plan: Plan, now: dt.datetime | None = None) -> int:
    """Fresh ETAs for every route of a plan (after a solve or re-plan); returns how many snapshots were stored."""
    now = now or clock.now()
    leg_seconds = leg_seconds_from_provider(time_zone=plan.depot.time_zone)
    stored = 0
    for route in plan.routes.select_related("vehicle__depot", "plan", "plan__depot"):
        stored += len(eta_refresh_route(route=route, now=now, leg_seconds=leg_seconds))
    return stored


def eta_snapshots_discard_after(*, plans: Sequence[Plan], after: dt.datetime) -> int:
    """Forget the ETAs of these plans' stops computed after `after`: a day replayed from that moment (the demo's
    simulated fleet) must not show the customer an ETA computed on another clock, later than its own."""
    deleted, _by_model = EtaSnapshot.objects.filter(stop__route__plan__in=plans, computed_at__gt=after).delete()
    return deleted
