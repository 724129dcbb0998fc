"""Geofenced arrival and departure from a vehicle's trusted GPS fixes.

Plain functions over time-ordered fixes, so they are easy to test with jittery
tracks. The rules, with `radius` the stop's geofence radius:

1. Each fix is classed inside (within `radius`) or outside.
2. An isolated fix whose neighbours on both sides agree with each other and not
   with it is GPS jitter: it takes its neighbours' class. One stray point inside
   does not arrive, and one stray point outside does not depart.
3. Arrival is a run of at least `MIN_POINTS` inside fixes that spans
   `ARRIVE_AFTER_S` seconds or ends with the vehicle stopped.
4. Departure uses a wider ring (`radius * EXIT_FACTOR`, hysteresis) and needs
   `MIN_POINTS` consecutive fixes beyond it.
5. Both are dated when the van stopped at the stop and when it moved off again,
   not when it crossed the circle: crossing it is still driving. The first inside
   fix comes before the van reaches the stop, and the last one after it has
   left, so dating them there moves about `radius / speed` of each leg into the
   dwell (measured on the simulator: arrivals 7 s early, departures 6 s late).
   That taught zones service times that are too long and made every driven leg
   look shorter than it was, which the ETA engine read as the fleet being fast.
   With speeds, the stop is dated halfway between the last fix moving and the
   first at rest (and the departure halfway between the last at rest and the
   first moving again): a fix every `p` seconds puts the true moment anywhere in
   that gap, so the middle is right on average. Without speeds, the first fix
   inside and the last fix inside before the exit stand in.
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


def _at_rest(fix: Fix) -> bool | None:
    """Whether the vehicle was stopped at this fix, or None when the fix has no speed."""
    return None if fix.speed_mps is None else fix.speed_mps <= STOPPED_MPS


def _halfway(before: Fix, after: Fix) -> dt.datetime:
    return before.at + (after.at - before.at) / 2


def arrival_at(fixes: Sequence[Fix], *, lat: float, lng: float, radius_m: float) -> dt.datetime | None:
    """When the vehicle arrived at the stop, or None if these fixes do not show an arrival."""
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
        if spans or _at_rest(fixes[i]):
            return _stopped_at(fixes, inside, run_start)
    return None


def _stopped_at(fixes: Sequence[Fix], inside: Sequence[bool], run_start: int) -> dt.datetime:
    """Halfway between the last fix moving and the first at rest in this run inside, else the run's first fix."""
    j = run_start
    while j < len(fixes) and inside[j]:
        if _at_rest(fixes[j]):
            if j > 0 and _at_rest(fixes[j - 1]) is False:
                return _halfway(fixes[j - 1], fixes[j])
            break
        j += 1
    return fixes[run_start].at


def departure_at(fixes: Sequence[Fix], *, lat: float, lng: float, radius_m: float) -> dt.datetime | None:
    """When the vehicle left the stop (fixes taken after its arrival), or None if it is still there."""
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
            if last_inside is None:
                return fixes[run_start].at
            last_rest = next((j for j in range(last_inside, -1, -1) if inside[j] and _at_rest(fixes[j])), None)
            if last_rest is not None and _at_rest(fixes[last_rest + 1]) is False:
                return _halfway(fixes[last_rest], fixes[last_rest + 1])
            return fixes[last_inside].at
    return None
