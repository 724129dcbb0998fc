"""Geofenced arrival and departure from a vehicle's trusted GPS fixes.

Plain functions over time-ordered fixes, so they are easy to test with jittery
tracks. The rules, with `radius` the stop's geofence radius:

1. Each fix is classed inside (within `radius`) or outside.
2. An isolated fix whose neighbours on both sides agree with each other and not
   with it is GPS jitter: it takes its neighbours' class. One stray point inside
   does not arrive, and one stray point outside does not depart.
3. Arrival is the first fix of a run of at least `MIN_POINTS` inside fixes that
   spans `ARRIVE_AFTER_S` seconds or ends with the vehicle stopped.
4. Departure uses a wider ring (`radius * EXIT_FACTOR`, hysteresis) and needs
   `MIN_POINTS` consecutive fixes beyond it. It is dated at the last fix still
   inside `radius` before them (the van was at the stop then; dating it when the
   van is already down the street would count part of the next leg as dwell and
   teach the zone a service time that is too long).
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from tracking.geo import haversine_m

MIN_POINTS = 2
ARRIVE_AFTER_S = 20
STOPPED_MPS = 1.0
EXIT_FACTOR = 1.5


@dataclass(frozen=True)
class Fix:
    at: dt.datetime
    lat: float
    lng: float
    speed_mps: float | None = None


def _classes(fixes: Sequence[Fix], lat: float, lng: float, radius_m: float) -> list[bool]:
    inside = [haversine_m(f.lat, f.lng, lat, lng) <= radius_m for f in fixes]
    smoothed = list(inside)
    for i in range(1, len(inside) - 1):
        if inside[i - 1] == inside[i + 1] != inside[i]:
            smoothed[i] = inside[i - 1]
    return smoothed


def arrival_at(fixes: Sequence[Fix], *, lat: float, lng: float, radius_m: float) -> dt.datetime | None:
    """When the vehicle arrived inside the geofence, or None if these fixes do not show an arrival."""
    inside = _classes(fixes, lat, lng, radius_m)
    run_start: int | None = None
    for i, is_inside in enumerate(inside):
        if not is_inside:
            run_start = None
            continue
        if run_start is None:
            run_start = i
        count = i - run_start + 1
        if count < MIN_POINTS:
            continue
        spans = (fixes[i].at - fixes[run_start].at).total_seconds() >= ARRIVE_AFTER_S
        stopped = fixes[i].speed_mps is not None and fixes[i].speed_mps <= STOPPED_MPS
        if spans or stopped:
            return fixes[run_start].at
    return None


def departure_at(fixes: Sequence[Fix], *, lat: float, lng: float, radius_m: float) -> dt.datetime | None:
    """When the vehicle left the geofence (fixes taken after its arrival), or None if it is still there."""
    ring = _classes(fixes, lat, lng, radius_m * EXIT_FACTOR)
    inside = _classes(fixes, lat, lng, radius_m)
    run_start: int | None = None
    for i, is_inside in enumerate(ring):
        if is_inside:
            run_start = None
            continue
        if run_start is None:
            run_start = i
        if i - run_start + 1 >= MIN_POINTS:
            last_inside = next((j for j in range(run_start - 1, -1, -1) if inside[j]), None)
            return fixes[last_inside].at if last_inside is not None else fixes[run_start].at
    return None
