"""The capacity oracle: can the fleet still serve this job in this window, and how much room is left?

It answers from the day's *tentative routes* for the zone's depot:

- when the day has an active plan, its routes and stops in sequence, plus the jobs
  booked or held since (live, in no stop of the plan) inserted greedily;
- otherwise, the day's shifts with every live job of the day inserted greedily
  (cheapest insertion, jobs taken by window start).

A candidate job fits a window when it can be inserted somewhere with its service
starting inside the window, every later stop still starting inside its own window,
the vehicle back at the depot before its shift ends, the load within the vehicle's
parcels and kilograms, and the vehicle carrying the job's skills.

Travel times are the planner's street model (`dispatch.travel`: `haversine_m`,
`StreetModel` with `settings.ROAD_FACTOR`, `day_departure_s`, `zone_slowed_s`): the
road distance at the speed profile's speed when the day's first shift starts (or now,
once the day is under way), slowed by the zone's live `speed_factor` and by the zone's
disruptions in force when each leg is driven (`ZoneSlowdowns`). The same functions
run here over numpy arrays rather than through the provider per query, which would not
fit the checkout budget (p95 <= 50 ms for a 7-day query). An oracle faster than the
planner promised evening stops the plan then dropped. With an OSRM provider the
planner's road times may still differ from this estimate.

The vehicles that count are those `dispatch.selectors` says are available, as for the
planner: a lost van or one in maintenance offers no room, even on a day already planned
with it.

The tentative routes are cached per process, per (depot, date), under a version
stamp read from the database on every query (count, sum and max of the live job
ids, the active plan id, the shift count). A stamp that only grew by new jobs
extends the cached routes by inserting those jobs; any other change rebuilds them.
That serves *offers*. The stamp does not see everything (a hold booked at another
address keeps its job id, a shift or a vehicle edited in place), and two processes
extend their copies in different orders, so one may fail to fit a job the other
accepted. A *booking* therefore asks with `committed=True`, under the depot's lock:
the routes are rebuilt from the committed jobs, whatever this process cached.

A day whose tentative routes cannot hold every live job it already has takes no
more: the oracle never forgets a booked job to make room for a new one.
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
from django.db.models import Count, Max, Min, Q, Sum

from core import clock
from dispatch import travel as streets
from dispatch.models import Depot, Job, Plan, Stop, Zone
from dispatch.refusals import RefusalReason
from dispatch.selectors import shifts_available, vehicle_available_q, zone_slowdowns_load

# A typical leg between two neighbouring stops, used to estimate how many more stops fit.
TYPICAL_LEG_SECONDS = 300

JOB_FIELDS = ("id", "lat", "lng", "window_start", "window_end", "service_seconds", "parcels", "weight_kg", "skills")
LIVE_STATUSES = (Job.Status.PENDING, Job.Status.PLANNED, Job.Status.IN_PROGRESS, Job.Status.HELD)


@dataclass(frozen=True)
class JobSpec:
    """The job a shopper wants to book."""

    lat: float
    lng: float
    service_seconds: int = 240
    parcels: int = 1
    weight_kg: int = 5
    skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class CandidateWindow:
    key: Hashable
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True)
class Verdict:
    feasible: bool
    remaining: int
    reason: RefusalReason | None = None


@dataclass
class _Visit:
    lat: float
    lng: float
    earliest: float  # window start, epoch seconds
    latest: float  # window end: service must start by then
    service: float
    job_id: int | None = None
    # Filled by _Route.refresh()
    start: float = 0.0
    departure: float = 0.0
    latest_start: float = 0.0  # latest service start keeping every later stop feasible
    parcels: int = 0
    kg: int = 0


@dataclass
class _Route:
    vehicle_id: int
    skills: frozenset[str]
    capacity_parcels: int
    capacity_kg: int
    depot_lat: float
    depot_lng: float
    start: float
    end: float
    parcels: int = 0
    kg: int = 0
    visits: list[_Visit] = field(default_factory=list)
    departures: list[float] = field(default_factory=list)

    def refresh(self, travel) -> None:
        """Forward pass for service starts, backward pass for the latest feasible starts."""
        t, lat, lng = self.start, self.depot_lat, self.depot_lng
        for v in self.visits:
            arrival = t + travel(lat, lng, v.lat, v.lng, t)
            v.start = max(arrival, v.earliest)
            v.departure = v.start + v.service
            t, lat, lng = v.departure, v.lat, v.lng
        limit, lat, lng = self.end, self.depot_lat, self.depot_lng
        for v in reversed(self.visits):
            back = travel(v.lat, v.lng, lat, lng, v.departure)
            v.latest_start = min(v.latest, limit - back - v.service)
            limit, lat, lng = v.latest_start, v.lat, v.lng
        self.departures = [v.departure for v in self.visits]

    def best_insertion(self, job: _Visit, parcels: int, kg: int, skills: frozenset[str], travel,
                       not_before: float) -> tuple[float, int] | None:
        """(added seconds, position) of the cheapest feasible insertion, or None."""
        if not skills <= self.skills or self.parcels + parcels > self.capacity_parcels or self.kg + kg > self.capacity_kg:
            return None
        visits = self.visits
        # Only positions whose predecessor leaves before the job's window closes can serve it.
        last = bisect.bisect_right(self.departures, job.latest)
        best: tuple[float, int] | None = None
        far_checked = False
        for position in range(last, -1, -1):
            if position > 0:
                prev = visits[position - 1]
                depart, plat, plng = prev.departure, prev.lat, prev.lng
            else:
                depart, plat, plng = self.start, self.depot_lat, self.depot_lng
            depart = max(depart, not_before)
            if depart < job.earliest - 7200:
                if far_checked:
                    break  # positions further back only add waiting before the window
                far_checked = True
            leg_in = travel(plat, plng, job.lat, job.lng, depart)
            start = max(depart + leg_in, job.earliest)
            if start > job.latest:
                continue
            leave = start + job.service
            if position < len(visits):
                nxt = visits[position]
                leg_out = travel(job.lat, job.lng, nxt.lat, nxt.lng, leave)
                if max(leave + leg_out, nxt.earliest) > nxt.latest_start:
                    # Earlier positions only push the job earlier; keep looking.
                    continue
                old_leg = nxt.start - depart if position else nxt.start - self.start
                added = leg_in + job.service + leg_out - max(old_leg, 0.0)
            else:
                leg_out = travel(job.lat, job.lng, self.depot_lat, self.depot_lng, leave)
                if leave + leg_out > self.end:
                    continue
                added = leg_in + job.service
            if best is None or added < best[0]:
                best = (added, position)
        return best

    def insert(self, position: int, job: _Visit, parcels: int, kg: int, travel) -> None:
        self.visits.insert(position, job)
        self.parcels += parcels
        self.kg += kg
        self.refresh(travel)

    def slack_in(self, starts: float, ends: float) -> float:
        """Idle seconds this route has between `starts` and `ends` (waiting or after its last stop)."""
        idle = 0.0
        t = self.start
        for v in self.visits:
            if v.start > ends:
                break
            gap_from, gap_to = max(t, starts), min(v.start, ends)
            if gap_to > gap_from:
                idle += gap_to - gap_from
            t = v.departure
        else:
            gap_from, gap_to = max(t, starts), min(self.end, ends)
            if gap_to > gap_from:
                idle += gap_to - gap_from
        return idle


@dataclass
class _Day:
    stamp: tuple
    routes: list[_Route]
    max_job_id: int
    count: int
    id_sum: int
    job_ids: frozenset[int] = frozenset()
    # Live jobs the tentative routes could not fit: the day is already over what the fleet can do.
    unplaced: int = 0
    index: _PositionIndex | None = None
    slack: dict[tuple[float, float], list[float]] = field(default_factory=dict)

    def positions(self) -> _PositionIndex:
        if self.index is None:
            self.index = _PositionIndex(self.routes)
        return self.index

    def slack_in(self, starts: float, ends: float) -> list[float]:
        """Idle seconds of every route inside a window (independent of the shopper's address, so memoised)."""
        key = (starts, ends)
        if key not in self.slack:
            self.slack[key] = [r.slack_in(starts, ends) for r in self.routes]
        return self.slack[key]


class _PositionIndex:
    """Every insertion position of a day's routes as flat arrays, to test a job at all positions at once.

    Position p of route r sits between its predecessor (a stop, or the depot at the route's start)
    and its successor (a stop, or the depot by the shift's end).
    """

    def __init__(self, routes: list[_Route]) -> None:
        rows = []
        for number, r in enumerate(routes):
            prev = (r.depot_lat, r.depot_lng, r.start)
            for v in r.visits:
                rows.append((number, *prev, v.lat, v.lng, v.earliest, v.latest_start, 0.0, r.end))
                prev = (v.lat, v.lng, v.departure)
            rows.append((number, *prev, r.depot_lat, r.depot_lng, 0.0, 0.0, 1.0, r.end))
        table = np.array(rows, dtype=float).reshape(-1, 10)
        self.route = table[:, 0].astype(int)
        self.prev_lat, self.prev_lng, self.prev_departure = table[:, 1], table[:, 2], table[:, 3]
        self.next_lat, self.next_lng = table[:, 4], table[:, 5]
        self.next_earliest, self.next_latest_start = table[:, 6], table[:, 7]
        self.is_end = table[:, 8] > 0
        self.route_end = table[:, 9]


class _Travel:
    """The planner's street model for one depot's day, timed once as the planner times it (see the module
    docstring); called per leg, or over arrays of straight-line metres.

    `periods` are the zone's disruptions as (start, end, factor) in epoch seconds: a leg driven while
    one is in force takes its factor longer on top of the zone's own, as the planner has it.
    """

    def __init__(self, time_zone: str, speed_factor: float, day: dt.date, first_start: dt.datetime | None,
                 now: dt.datetime, periods: tuple[tuple[float, float, float], ...] = ()) -> None:
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(time_zone))
        self.model = streets.street_model_from_settings()
        self.departure_s = streets.day_departure_s(epoch=midnight, first_start=first_start, now=now)
        self.speed_factor = speed_factor
        self.periods = periods
        # Part of the cache's stamp: routes timed at another speed, or under other disruptions, are rebuilt.
        self.seconds_per_km = self.model.seconds_per_km(self.departure_s) * speed_factor
        self.stamp = (self.seconds_per_km, periods)

    def factor_at(self, at: float) -> float:
        factor = self.speed_factor
        for start, end, extra in self.periods:
            if start <= at < end:
                factor *= extra
        return factor

    def factor_during(self, starts: float, ends: float) -> float:
        """The largest factor in force at any moment of [starts, ends] (see `ZoneSlowdowns.factor_during`)."""
        if not self.periods:
            return self.speed_factor
        moments = [starts] + [start for start, _end, _f in self.periods if starts < start < ends]
        return max(self.factor_at(moment) for moment in moments)

    def seconds(self, straight_m, factor: float | None = None):
        """Seconds to drive `straight_m` metres as the crow flies (a number or an array), as the planner's
        matrices have them, into the zone at `factor` (the zone's own when not given)."""
        driven = self.model.drive_s(self.model.road_m(straight_m), self.departure_s)
        return streets.zone_slowed_s(driven, self.speed_factor if factor is None else factor)

    def __call__(self, lat1: float, lng1: float, lat2: float, lng2: float, at: float) -> float:
        factor = self.factor_at(at) if self.periods else None
        return float(self.seconds(streets.haversine_m((lat1, lng1), (lat2, lng2)), factor))


def _feasible_anywhere(index: _PositionIndex, m_in, m_out, route_ok, travel: _Travel, starts: float, ends: float,
                       service: float, not_before: float) -> bool:
    """The vectorised twin of `_Route.best_insertion`: is there one position where the job fits?

    Positions whose predecessor leaves after the window closes, or whose successor must start
    before the job could even be done, are dropped first; the rest are tested exactly.
    """
    candidates = np.flatnonzero(
        (index.prev_departure <= ends) & (index.is_end | (index.next_latest_start >= starts + service))
        & route_ok[index.route]
    )
    if candidates.size == 0:
        return False
    depart = np.maximum(index.prev_departure[candidates], not_before)
    # The job is reached inside its window, so its zone is as slow as it gets then (the twin of the planner's rule).
    factor = travel.factor_during(starts, ends)
    start = np.maximum(depart + travel.seconds(m_in[candidates], factor), starts)
    leave = start + service
    arrive_next = leave + travel.seconds(m_out[candidates], travel.factor_at(ends))
    fits_next = np.where(
        index.is_end[candidates], arrive_next <= index.route_end[candidates],
        np.maximum(arrive_next, index.next_earliest[candidates]) <= index.next_latest_start[candidates],
    )
    return bool(np.any((start <= ends) & fits_next))


_cache: dict[tuple[int, dt.date], _Day] = {}
_cache_lock = threading.Lock()
_CACHE_MAX = 256


def _live_jobs(depot_id: int, dates: Iterable[dt.date], now: dt.datetime):
    return Job.objects.filter(depot_id=depot_id, date__in=list(dates), status__in=LIVE_STATUSES).filter(
        ~Q(status=Job.Status.HELD) | Q(hold_expires_at__gt=now)
    )


def _stamps(depot: Depot, days: list[dt.date], now: dt.datetime) -> dict[dt.date, tuple]:
    """One cheap version stamp per day: (job count, id sum, max id, active plan id, shift count)."""
    # Two aggregates the (depot, date, status) index answers alone: booked jobs, then live holds (few).
    rows: dict[dt.date, tuple[int, int, int]] = {}
    booked = Job.objects.filter(depot_id=depot.pk, date__in=days, status__in=LIVE_STATUSES[:3])
    held = Job.objects.filter(depot_id=depot.pk, date__in=days, status=Job.Status.HELD, hold_expires_at__gt=now)
    for queryset in (booked, held):
        for r in queryset.values("date").annotate(n=Count("id"), s=Sum("id"), m=Max("id")).order_by():
            n, total, top = rows.get(r["date"], (0, 0, 0))
            rows[r["date"]] = (n + r["n"], total + (r["s"] or 0), max(top, r["m"] or 0))
    plans = dict(
        Plan.objects.filter(depot=depot, date__in=days, status=Plan.Status.ACTIVE).values_list("date", "id")
    )
    shifts = {
        r["date"]: (r["n"], r["m"], r["first"])
        for r in shifts_available(depot_id=depot.pk, dates=days)
        .values("date").annotate(n=Count("id"), m=Max("id"), first=Min("starts_at"))
    }
    return {day: rows.get(day, (0, 0, 0)) + (plans.get(day), shifts.get(day)) for day in days}


def _visit(job: Job) -> _Visit:
    return _Visit(job.lat, job.lng, job.window_start.timestamp(), job.window_end.timestamp(), job.service_seconds,
                  job_id=job.pk, parcels=job.parcels, kg=job.weight_kg)


def _insert_greedily(routes: list[_Route], jobs: list[Job], travel, not_before: float) -> int:
    """Cheapest insertion of each job, in window order; returns how many fit nowhere (over capacity)."""
    unplaced = 0
    for job in sorted(jobs, key=lambda j: (j.window_start, j.pk)):
        visit = _visit(job)
        skills = frozenset(job.skills or ())
        best: tuple[float, _Route, int] | None = None
        for route in routes:
            found = route.best_insertion(visit, job.parcels, job.weight_kg, skills, travel, not_before)
            if found is not None and (best is None or found[0] < best[0]):
                best = (found[0], route, found[1])
        if best is not None:
            best[1].insert(best[2], visit, job.parcels, job.weight_kg, travel)
        else:
            unplaced += 1
    return unplaced


def _routes_from_shifts(depot: Depot, day: dt.date) -> list[_Route]:
    shifts = shifts_available(depot_id=depot.pk, dates=[day]).select_related("vehicle").order_by("vehicle_id")
    return [
        _Route(
            vehicle_id=s.vehicle_id, skills=frozenset(s.vehicle.skills or ()), capacity_parcels=s.vehicle.capacity_parcels,
            capacity_kg=s.vehicle.capacity_weight_kg, depot_lat=depot.lat, depot_lng=depot.lng,
            start=s.starts_at.timestamp(), end=s.ends_at.timestamp(),
        )
        for s in shifts
    ]


def _build_day(depot: Depot, day: dt.date, travel: _Travel, plan_id: int | None,
               now: dt.datetime) -> tuple[list[_Route], frozenset[int], int]:
    routes = _routes_from_shifts(depot, day)
    jobs = list(_live_jobs(depot.pk, [day], now).only(*JOB_FIELDS))
    ids = frozenset(j.pk for j in jobs)
    if plan_id is not None:
        by_vehicle = {r.vehicle_id: r for r in routes}
        jobs_by_id = {j.pk: j for j in jobs}
        placed: set[int] = set()
        # Stops planned on a vehicle that can no longer serve are left out: their jobs, still live,
        # are inserted into the routes of the vehicles that can.
        stops = (
            Stop.objects.filter(vehicle_available_q("route__vehicle__"), route__plan_id=plan_id)
            .select_related("route", "route__vehicle", "job")
            .order_by("route__vehicle_id", "sequence")
        )
        for stop in stops:
            route = by_vehicle.get(stop.route.vehicle_id)
            if route is None:  # a planned vehicle without a shift row: serve it until the route's end
                v = stop.route.vehicle
                route = by_vehicle[v.pk] = _Route(
                    vehicle_id=v.pk, skills=frozenset(v.skills or ()), capacity_parcels=v.capacity_parcels,
                    capacity_kg=v.capacity_weight_kg, depot_lat=depot.lat, depot_lng=depot.lng,
                    start=stop.route.starts_at.timestamp(), end=stop.route.ends_at.timestamp(),
                )
                routes.append(route)
            job = stop.job
            if job.status == Job.Status.CANCELLED:
                continue
            route.visits.append(_visit(job))
            route.parcels += job.parcels
            route.kg += job.weight_kg
            placed.add(job.pk)
        for route in routes:
            route.refresh(travel)
        jobs = [j for pk, j in jobs_by_id.items() if pk not in placed]
    else:
        for route in routes:
            route.refresh(travel)
    unplaced = _insert_greedily(routes, jobs, travel, now.timestamp())
    return routes, ids, unplaced


def _day_routes(depot: Depot, zone: Zone, day: dt.date, stamp: tuple, now: dt.datetime,
                committed: bool = False, slowdowns: streets.ZoneSlowdowns = streets.NO_SLOWDOWNS) -> tuple[_Day, _Travel]:
    first_start = stamp[4][2] if stamp[4] else None
    periods = tuple((s.starts_at.timestamp(), s.ends_at.timestamp(), s.factor) for s in slowdowns.of_zone(zone.pk))
    travel = _Travel(depot.time_zone, zone.speed_factor, day, first_start, now, periods)
    # Routes timed at another speed (the zone slowed, a disruption set, the day got under way) are rebuilt.
    stamp = stamp + (travel.stamp,)
    key = (depot.pk, day)
    count, id_sum, max_id, plan_id, _shifts, _speed = stamp
    cached = None
    if not committed:
        with _cache_lock:
            cached = _cache.get(key)
    if cached is not None and cached.stamp == stamp:
        return cached, travel
    if cached is not None and cached.stamp[3:] == stamp[3:]:
        # Same plan and shifts: only jobs came or went. Take the removed ones out of the cached
        # routes and insert the new ones, instead of rebuilding the day.
        live = frozenset(_live_jobs(depot.pk, [day], now).values_list("pk", flat=True))
        removed, added = cached.job_ids - live, live - cached.job_ids
        routes = _copy_routes(cached.routes)
        for route in routes:
            kept = [v for v in route.visits if v.job_id not in removed]
            if len(kept) != len(route.visits):
                route.parcels -= sum(v.parcels for v in route.visits if v.job_id in removed)
                route.kg -= sum(v.kg for v in route.visits if v.job_id in removed)
                route.visits = kept
                route.refresh(travel)
        new_jobs = list(Job.objects.filter(pk__in=added).only(*JOB_FIELDS))
        _insert_greedily(routes, new_jobs, travel, now.timestamp())
        placed = {v.job_id for route in routes for v in route.visits}
        built = _Day(stamp, routes, max_id, count, id_sum, live, unplaced=len(live - placed))
        _remember(key, built)
        return built, travel
    routes, ids, unplaced = _build_day(depot, day, travel, plan_id, now)
    built = _Day(stamp, routes, max_id, count, id_sum, ids, unplaced=unplaced)
    # Built from the committed jobs alone, so it is as good for this process's later offers.
    _remember(key, built)
    return built, travel


def _copy_routes(routes: list[_Route]) -> list[_Route]:
    copies = []
    for r in routes:
        visits = [_Visit(v.lat, v.lng, v.earliest, v.latest, v.service, v.job_id, v.start, v.departure, v.latest_start,
                         v.parcels, v.kg)
                  for v in r.visits]
        copies.append(_Route(r.vehicle_id, r.skills, r.capacity_parcels, r.capacity_kg, r.depot_lat, r.depot_lng,
                             r.start, r.end, r.parcels, r.kg, visits, list(r.departures)))
    return copies


def _remember(key: tuple[int, dt.date], day: _Day) -> None:
    with _cache_lock:
        if len(_cache) >= _CACHE_MAX:
            _cache.pop(next(iter(_cache)))
        _cache[key] = day


def capacity_cache_clear() -> None:
    """Forget every cached day (tests; after bulk edits of shifts or vehicles)."""
    with _cache_lock:
        _cache.clear()


def _remaining(day: _Day, job: JobSpec, skills: frozenset[str], starts: float, ends: float) -> int:
    """How many more jobs like this one the capable routes could take in the window: idle time and load bound it."""
    per_stop = job.service_seconds + TYPICAL_LEG_SECONDS
    total = 0
    for route, slack in zip(day.routes, day.slack_in(starts, ends), strict=True):
        if not skills <= route.skills:
            continue
        by_time = int(slack // per_stop)
        by_load = min(
            (route.capacity_parcels - route.parcels) // max(job.parcels, 1),
            (route.capacity_kg - route.kg) // max(job.weight_kg, 1),
        )
        total += max(min(by_time, by_load), 0)
    return total


def capacity_check(
    *, zone: Zone, job: JobSpec, windows: list[CandidateWindow], now: dt.datetime | None = None,
    committed: bool = False,
) -> dict[Hashable, Verdict]:
    """Which candidate windows can still take `job` at its address in `zone`, and roughly how much room is left.

    1. Read one version stamp per day touched (two or three small queries in all).
    2. Get each day's tentative routes from the cache, extending or rebuilding them when the stamp moved;
       with `committed` (a booking, under the depot's lock), rebuild them from the committed jobs.
    3. A day whose routes cannot fit every live job it has is full: no window of it is feasible.
    4. For each window, try the cheapest insertion of the job with its window set to the candidate's
       (arrival inside the window, later stops still on time, back before shift end, load, skills).
    5. A feasible window reports its remaining room (at least 1); an infeasible one says why.
    """
    now = now or clock.now()
    depot = zone.depot
    tz = ZoneInfo(depot.time_zone)
    days = sorted({w.starts_at.astimezone(tz).date() for w in windows})
    stamps = _stamps(depot, days, now)
    slowdowns = zone_slowdowns_load(
        zone_ids=[zone.pk], starts=dt.datetime.combine(days[0], dt.time(0), tzinfo=tz) - dt.timedelta(days=1),
        ends=dt.datetime.combine(days[-1], dt.time(0), tzinfo=tz) + dt.timedelta(days=2),
    ) if days else streets.NO_SLOWDOWNS
    skills = frozenset(job.skills)
    not_before = now.timestamp()
    verdicts: dict[Hashable, Verdict] = {}
    prepared = {}
    for day in days:
        built, travel = _day_routes(depot, zone, day, stamps[day], now, committed=committed, slowdowns=slowdowns)
        index = built.positions()
        route_ok = np.array([
            skills <= r.skills and r.parcels + job.parcels <= r.capacity_parcels and r.kg + job.weight_kg <= r.capacity_kg
            for r in built.routes
        ] + [False], dtype=bool)
        m_in = streets.haversine_m_arrays(index.prev_lat, index.prev_lng, job.lat, job.lng)
        m_out = streets.haversine_m_arrays(job.lat, job.lng, index.next_lat, index.next_lng)
        prepared[day] = (built, travel, index, route_ok, m_in, m_out)
    for window in windows:
        built, travel, index, route_ok, m_in, m_out = prepared[window.starts_at.astimezone(tz).date()]
        if not built.routes:
            verdicts[window.key] = Verdict(False, 0, RefusalReason.NO_SHIFT)
            continue
        if not any(skills <= r.skills for r in built.routes):
            verdicts[window.key] = Verdict(False, 0, RefusalReason.SKILL_UNAVAILABLE)
            continue
        if built.unplaced:
            verdicts[window.key] = Verdict(False, 0, RefusalReason.FULL)
            continue
        starts, ends = window.starts_at.timestamp(), window.ends_at.timestamp()
        if _feasible_anywhere(index, m_in, m_out, route_ok, travel, starts, ends, job.service_seconds, not_before):
            verdicts[window.key] = Verdict(True, max(_remaining(built, job, skills, starts, ends), 1))
        else:
            verdicts[window.key] = Verdict(False, 0, RefusalReason.FULL)
    return verdicts
