"""GPS pings: stored once each, the implausible ones flagged, the van moved, and the geofence they feed."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from core import clock
from dispatch.models import Route, Stop, Vehicle
from dispatch.services import vehicle_position_record
from dispatch.transitions import route_mark_departed, stop_mark_arrived, stop_mark_departed
from tracking import eta as engine
from tracking import geofence
from tracking.geo import haversine_m
from tracking.models import Event, Milestone, Ping
from tracking.services.etas import depot_departure_at, eta_refresh_route, route_legs_prefetched
from tracking.services.journey import event_record
from tracking.services.routes import route_for_vehicle, route_stops

# Points a handheld cannot have measured: too vague to place a van on a street, or faster than any van.
MAX_ACCURACY_M = 100.0
MAX_SPEED_MPS = 45.0  # 162 km/h
MIN_JUMP_M = 250.0  # below this, an implied speed is GPS noise, not a teleport
# How far back the geofence looks for fixes.
GEOFENCE_LOOKBACK = dt.timedelta(hours=2)


@dataclass(frozen=True)
class PingInput:
    client_id: str
    recorded_at: dt.datetime
    lat: float
    lng: float
    speed_mps: float | None = None
    heading: float | None = None
    accuracy_m: float | None = None


@dataclass
class PingBatchResult:
    accepted: int = 0
    duplicates: int = 0
    flagged: dict[str, str] = field(default_factory=dict)  # client_id -> reason


def _flag(point: PingInput, previous: PingInput | None, now: dt.datetime) -> str:
    if point.accuracy_m is not None and point.accuracy_m > MAX_ACCURACY_M:
        return "poor_accuracy"
    if point.speed_mps is not None and point.speed_mps > MAX_SPEED_MPS:
        return "impossible_speed"
    if point.recorded_at > now + engine.PING_CLOCK_AHEAD:
        return "clock_ahead"
    if previous is not None:
        distance = haversine_m(previous.lat, previous.lng, point.lat, point.lng)
        seconds = abs((point.recorded_at - previous.recorded_at).total_seconds())
        if distance > MIN_JUMP_M and distance / max(seconds, 1.0) > MAX_SPEED_MPS:
            return "impossible_jump"
    return ""


def ping_record_batch(
    *, vehicle: Vehicle, points: Sequence[PingInput], now: dt.datetime | None = None, refresh: bool = True
) -> PingBatchResult:
    """Store a batch of GPS points once each, flag the implausible ones, and move the vehicle.

    1. Points are handled in `recorded_at` order, whatever order they came in.
    2. A point is flagged (kept, not trusted) when its accuracy is too poor, its
       speed or its jump from the previous trusted point is beyond any van, or
       it is dated in the future.
    3. Rows are inserted with the (vehicle, client_id) constraint ignoring replays.
    4. The vehicle's last position moves only forward in time.
    5. The geofence and the route's ETAs are brought up to date.
    """
    now = now or clock.now()
    ordered = sorted(points, key=lambda p: p.recorded_at)
    result = PingBatchResult()
    if not ordered:
        return result
    client_ids = [p.client_id for p in ordered]
    known = set(Ping.objects.filter(vehicle=vehicle, client_id__in=client_ids).values_list("client_id", flat=True))
    last_trusted = (
        Ping.objects.filter(vehicle=vehicle, flagged="", recorded_at__lte=ordered[0].recorded_at)
        .order_by("-recorded_at")
        .first()
    )
    previous = (
        PingInput(client_id=last_trusted.client_id, recorded_at=last_trusted.recorded_at, lat=last_trusted.lat,
                  lng=last_trusted.lng)
        if last_trusted is not None else None
    )
    rows: list[Ping] = []
    newest: PingInput | None = None
    seen: set[str] = set()
    for point in ordered:
        if point.client_id in known or point.client_id in seen:
            result.duplicates += 1
            continue
        seen.add(point.client_id)
        reason = _flag(point, previous, now)
        if reason:
            result.flagged[point.client_id] = reason
        else:
            previous = point
            newest = point
        rows.append(Ping(
            vehicle=vehicle, client_id=point.client_id, recorded_at=point.recorded_at, lat=point.lat, lng=point.lng,
            speed_mps=point.speed_mps, heading=point.heading, accuracy_m=point.accuracy_m, flagged=reason,
        ))
    # The travel-time service is asked before the transaction, not inside it (`route_legs_prefetched`); a leg
    # the refresh still lacks (a re-plan in between) is asked for there.
    leg_seconds = None
    position = (newest.lat, newest.lng) if newest is not None else (vehicle.last_lat, vehicle.last_lng)
    if refresh and rows and position[0] is not None:
        leg_seconds = route_legs_prefetched(vehicle=vehicle, position=position, now=now)
    # One transaction: a reader never sees the van moved on without the ETAs that move with it (an ETA older than
    # the latest ping is stale, so the page would drop its estimate and map in between), and a batch that fails
    # half-way is stored not at all: the driver's app sends it again, and the client ids make that safe.
    with transaction.atomic():
        Ping.objects.bulk_create(rows, ignore_conflicts=True)
        result.accepted = len(rows)
        if newest is not None:
            vehicle_position_record(vehicle_id=vehicle.pk, lat=newest.lat, lng=newest.lng, at=newest.recorded_at)
        if refresh and rows:
            route = route_for_vehicle(vehicle=vehicle, now=now)
            if route is not None:
                route_geofence_update(route=route, now=now)
                eta_refresh_route(route=route, now=now, leg_seconds=leg_seconds)
    return result


# --- Geofence glue: the fixes, turned into arrivals and departures ----------------------------------------------------------------


def _fixes(vehicle_id: int, since: dt.datetime, until: dt.datetime) -> list[geofence.Fix]:
    rows = Ping.objects.filter(
        vehicle_id=vehicle_id, flagged="", recorded_at__gte=since, recorded_at__lte=until + engine.PING_CLOCK_AHEAD
    ).order_by("recorded_at").values_list("recorded_at", "lat", "lng", "speed_mps")
    return [geofence.Fix(at=r[0], lat=r[1], lng=r[2], speed_mps=r[3]) for r in rows]


def route_geofence_update(*, route: Route, now: dt.datetime) -> None:
    """Record departures from and arrivals at this route's stops that the trusted fixes show.

    1. Before its first stop, the van's way out of its depot: when it left is
       recorded once, so that the first leg of the day counts as a driven leg.
    2. The stop the vehicle is at (arrived, not yet left): a departure closes it
       and teaches its zone the dwell.
    3. Then the next stop not yet reached: an arrival records the `arrived`
       milestone (source geofence), which moves the stop and the job.
    """
    radius = float(settings.GEOFENCE_RADIUS_M)
    stops = route_stops(route)
    if route.departed_at is None and all(s.actual_arrival is None for s in stops):
        left_depot = depot_departure_at(route=route, now=now)
        if left_depot is not None and route_mark_departed(route_id=route.pk, at=left_depot):
            route.departed_at = left_depot
    floor = now - GEOFENCE_LOOKBACK
    since = max(route.starts_at - dt.timedelta(minutes=30), floor)
    at_stop = [s for s in stops if s.actual_arrival is not None and s.actual_departure is None]
    for stop in at_stop:
        left = geofence.departure_at(
            _fixes(route.vehicle_id, max(stop.actual_arrival, floor), now), lat=stop.job.lat, lng=stop.job.lng,
            radius_m=radius,
        )
        if left is None:
            return  # still there: the next stop cannot have been reached
        stop_mark_departed(stop=stop, at=left)
    reached = [s.actual_departure or s.actual_arrival for s in stops if s.actual_arrival is not None]
    if reached:
        since = max(max(reached), floor)
    target = next((s for s in stops if s.status == Stop.Status.PENDING and s.actual_arrival is None), None)
    if target is None:
        return
    arrived = geofence.arrival_at(_fixes(route.vehicle_id, since, now), lat=target.job.lat, lng=target.job.lng,
                                  radius_m=radius)
    if arrived is None:
        return
    delivery = getattr(target.job, "delivery", None)
    if delivery is not None:
        event_record(
            delivery=delivery, milestone=Milestone.ARRIVED, source=Event.Source.GEOFENCE,
            recorded_at=arrived, client_id=f"geofence-arrived:{target.job_id}",
            lat=target.job.lat, lng=target.job.lng,
        )
    else:
        stop_mark_arrived(job_id=target.job_id, at=arrived)
