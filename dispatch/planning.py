"""From the ORM to the solver: build a depot's day as a solver `Problem`, and read a plan back.

Building is two steps. `day_snapshot_load` reads the day from the database into a
`DaySnapshot` of plain values (depot, shifts with their vehicles, jobs, zones, what
each vehicle already did); `problem_from_snapshot` turns a snapshot into the solver's
`Problem` without touching the database, given a travel-time provider.

The solver sees integer seconds since the plan day's local midnight (in the
depot's time zone) and integer metres. Location indexes are: 0 the depot, then
one per vehicle that does not start at the depot (a re-plan in flight), then one
per job. Solver ids are the database primary keys as strings.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Min, Prefetch

from dispatch import travel
from dispatch.models import Depot, Job, Plan, Shift, Stop
from dispatch.selectors import shifts_available, zone_slowdowns_load
from dispatch.solver import Break, Problem, search_threads
from dispatch.solver import Job as SJob
from dispatch.solver import Vehicle as SVehicle

# Jobs the planner serves: booked and not finished. Held jobs are checkout holds that may never be booked.
PLANNABLE_JOB_STATUSES = (Job.Status.PENDING, Job.Status.PLANNED, Job.Status.IN_PROGRESS)
# Stops that already happened: a re-plan keeps them as history and never moves them.
FINISHED_STOP_STATUSES = (Stop.Status.DONE, Stop.Status.FAILED)
# Cost, in the solver's units (seconds of driving), of moving a customer to another vehicle or place
# when re-planning: high enough that a re-plan keeps customers where they were unless it really helps.
REPLAN_CHANGE_PENALTY = 900


@dataclass(frozen=True)
class FinishedStop:
    """A stop kept unchanged in the next plan's route history."""

    job_id: int
    status: str
    lat: float
    lng: float
    planned_arrival: dt.datetime
    planned_departure: dt.datetime
    actual_arrival: dt.datetime | None
    actual_departure: dt.datetime | None


@dataclass(frozen=True)
class VehicleHistory:
    """What a vehicle already did in the current plan, and where it is now."""

    route_starts_at: dt.datetime
    finished: tuple[FinishedStop, ...]
    remaining: tuple[int, ...]  # job ids still to do, in the current plan's order
    driven_m: int  # depot to the last finished stop, through the finished ones
    in_progress: int | None  # job id the vehicle is at or already driving to
    position: tuple[float, float] | None  # (lat, lng), None means the depot


@dataclass
class PlanningInput:
    """A solver problem plus what is needed to turn its solution back into rows."""

    depot: Depot
    date: dt.date
    epoch: dt.datetime  # aware; solver time 0
    problem: Problem | None  # None when there is nothing to solve (no jobs or no vehicles)
    jobs: dict[str, Job]
    shifts: dict[str, Shift]
    unplannable: list[dict] = field(default_factory=list)  # jobs refused before solving
    history: dict[int, VehicleHistory] = field(default_factory=dict)  # by vehicle id
    arrived: dict[int, dt.datetime | None] = field(default_factory=dict)  # job id -> actual arrival, driver on site
    previous: Plan | None = None
    # A re-plan of a day under way: vehicles start from where they are, windows are soft.
    # False for a first plan and for a re-plan of a day no vehicle has started yet.
    in_flight: bool = False

    def to_datetime(self, seconds: int) -> dt.datetime:
        return (self.epoch + dt.timedelta(seconds=int(seconds))).astimezone(dt.UTC)

    def to_seconds(self, moment: dt.datetime) -> int:
        return int((moment - self.epoch).total_seconds())


def plan_epoch(*, depot: Depot, date: dt.date) -> dt.datetime:
    """Local midnight of the plan day at the depot: the solver's time 0."""
    return dt.datetime.combine(date, dt.time(0, 0), tzinfo=ZoneInfo(depot.time_zone))


def plan_active(*, depot: Depot, date: dt.date) -> Plan | None:
    return Plan.objects.filter(depot=depot, date=date, status=Plan.Status.ACTIVE).first()


def _plannable_jobs(depot: Depot, date: dt.date) -> list[Job]:
    return list(
        Job.objects.filter(depot=depot, date=date, status__in=PLANNABLE_JOB_STATUSES)
        .select_related("zone")
        .order_by("pk")
    )


def _shifts(depot: Depot, date: dt.date) -> list[Shift]:
    # Only vehicles that can serve drive (lost and in-maintenance ones do not); their jobs go to the others.
    return list(
        shifts_available(depot_id=depot.pk, dates=[date]).select_related("vehicle", "driver").order_by("vehicle__code", "pk")
    )


def day_started(*, depot: Depot, date: dt.date, previous: Plan | None, now: dt.datetime) -> bool:
    """Whether the day is under way at `now`: its first shift has begun, or a stop of its plan
    or one of its jobs has moved on from pending (a driver out early)."""
    first_shift = Shift.objects.filter(depot=depot, date=date).aggregate(first=Min("starts_at"))["first"]
    if first_shift is not None and now >= first_shift:
        return True
    if previous is not None and Stop.objects.filter(route__plan=previous).exclude(status=Stop.Status.PENDING).exists():
        return True
    return Job.objects.filter(depot=depot, date=date, status=Job.Status.IN_PROGRESS).exists()


def _warm_start(previous: Plan) -> dict[int, VehicleHistory]:
    """The current plan of a day not started, as each vehicle's jobs in order: nothing done, all at the depot."""
    history: dict[int, VehicleHistory] = {}
    for route in previous.routes.prefetch_related("stops"):
        stops = sorted(route.stops.all(), key=lambda s: s.sequence)
        history[route.vehicle_id] = VehicleHistory(
            route_starts_at=route.starts_at, finished=(), remaining=tuple(s.job_id for s in stops),
            driven_m=0, in_progress=None, position=None,
        )
    return history


def _history(previous: Plan, now: dt.datetime) -> dict[int, VehicleHistory]:
    """Read where each vehicle of the current plan stands at `now`."""
    routes = previous.routes.select_related("vehicle").prefetch_related(
        Prefetch("stops", queryset=Stop.objects.select_related("job").order_by("sequence"))
    )
    history: dict[int, VehicleHistory] = {}
    for route in routes:
        stops = list(route.stops.all())
        finished = tuple(
            FinishedStop(
                job_id=s.job_id, status=s.status, lat=s.job.lat, lng=s.job.lng, planned_arrival=s.planned_arrival,
                planned_departure=s.planned_departure, actual_arrival=s.actual_arrival,
                actual_departure=s.actual_departure,
            )
            for s in stops if s.status in FINISHED_STOP_STATUSES
        )
        open_stops = [s for s in stops if s.status not in FINISHED_STOP_STATUSES]
        in_progress: int | None = None
        if open_stops and (open_stops[0].status == Stop.Status.ARRIVED or now >= route.starts_at):
            # At the stop, or on the road towards it: the driver will not turn around.
            in_progress = open_stops[0].job_id
        vehicle = route.vehicle
        position: tuple[float, float] | None
        if now < route.starts_at and not finished and in_progress is None:
            # Not on the road yet: it leaves the depot when its route starts, wherever it last pinged.
            position = None
        elif vehicle.last_lat is not None and vehicle.last_lng is not None and vehicle.last_seen_at is not None:
            position = (vehicle.last_lat, vehicle.last_lng)
        elif open_stops and open_stops[0].status == Stop.Status.ARRIVED:
            position = (open_stops[0].job.lat, open_stops[0].job.lng)
        else:
            # By the plan: the last stop the vehicle should have left by now, else the depot.
            left = [s for s in stops if s.planned_departure <= now or s.status in FINISHED_STOP_STATUSES]
            position = (left[-1].job.lat, left[-1].job.lng) if left else None
        history[vehicle.pk] = VehicleHistory(
            route_starts_at=route.starts_at,
            finished=finished,
            driven_m=0,
            remaining=tuple(s.job_id for s in open_stops),
            in_progress=in_progress,
            position=position,
        )
    return history


def _with_driven_distance(depot: Depot, history: dict[int, VehicleHistory]) -> dict[int, VehicleHistory]:
    """Add to each vehicle's history the distance it covered through its finished stops."""
    chains = {vid: [(depot.lat, depot.lng)] + [(f.lat, f.lng) for f in h.finished] for vid, h in history.items() if h.finished}
    if not chains:
        return history
    points = [p for chain in chains.values() for p in chain]
    distances, _durations = travel.provider_from_settings().matrices(points)
    result = dict(history)
    offset = 0
    for vid, chain in chains.items():
        legs = range(offset, offset + len(chain) - 1)
        result[vid] = replace(history[vid], driven_m=sum(int(distances[i][i + 1]) for i in legs))
        offset += len(chain)
    return result


# --- The day as plain values ------------------------------------------------------------------


@dataclass(frozen=True)
class DepotSnapshot:
    id: int
    lat: float
    lng: float
    time_zone: str


@dataclass(frozen=True)
class ZoneSnapshot:
    id: int
    speed_factor: float  # travel into the zone takes this much longer (congestion, weather)
    service_seconds: int  # for jobs that set none


@dataclass(frozen=True)
class ShiftSnapshot:
    """A shift with the vehicle that drives it."""

    vehicle_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity_parcels: int
    capacity_kg: int
    skills: frozenset[str] = frozenset()
    range_km: int | None = None
    max_duration_minutes: int | None = None
    break_minutes: int = 0
    break_earliest: dt.datetime | None = None
    break_latest: dt.datetime | None = None


@dataclass(frozen=True)
class JobSnapshot:
    id: int
    zone_id: int
    lat: float
    lng: float
    window_start: dt.datetime
    window_end: dt.datetime
    service_seconds: int | None  # None or 0: the zone's
    parcels: int
    weight_kg: int
    skills: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DaySnapshot:
    """A depot's day as the planner sees it, read from the database once.

    `now` is set only for a re-plan of a day under way: vehicles then start where
    `history` puts them, no earlier than `now`, and windows are soft. Shifts come in
    vehicle-code order and jobs in id order, which fixes the solver's location indexes.
    """

    depot: DepotSnapshot
    date: dt.date
    epoch: dt.datetime  # aware local midnight of `date`: the solver's time 0
    shifts: tuple[ShiftSnapshot, ...]
    jobs: tuple[JobSnapshot, ...]  # finished ones left out
    zones: tuple[ZoneSnapshot, ...]
    history: Mapping[int, VehicleHistory] = field(default_factory=dict)  # by vehicle id
    now: dt.datetime | None = None
    # Disruptions of the day's zones: travel into a zone is slower while one is in force.
    slowdowns: travel.ZoneSlowdowns = field(default_factory=travel.ZoneSlowdowns)

    def to_seconds(self, moment: dt.datetime) -> int:
        return int((moment - self.epoch).total_seconds())


@dataclass(frozen=True)
class _DayRows:
    """A snapshot and the rows a solved plan is saved against."""

    snapshot: DaySnapshot
    jobs: list[Job]
    shifts: list[Shift]
    previous: Plan | None
    arrived: dict[int, dt.datetime | None]


def _shift_snapshot(shift: Shift) -> ShiftSnapshot:
    vehicle = shift.vehicle
    return ShiftSnapshot(
        vehicle_id=vehicle.pk, starts_at=shift.starts_at, ends_at=shift.ends_at,
        capacity_parcels=vehicle.capacity_parcels, capacity_kg=vehicle.capacity_weight_kg,
        skills=frozenset(vehicle.skills or ()), range_km=vehicle.range_km,
        max_duration_minutes=shift.max_duration_minutes, break_minutes=shift.break_minutes,
        break_earliest=shift.break_earliest, break_latest=shift.break_latest,
    )


def _job_snapshot(job: Job) -> JobSnapshot:
    return JobSnapshot(
        id=job.pk, zone_id=job.zone_id, lat=job.lat, lng=job.lng, window_start=job.window_start,
        window_end=job.window_end, service_seconds=job.service_seconds, parcels=job.parcels,
        weight_kg=job.weight_kg, skills=frozenset(job.skills or ()),
    )


def _day_rows_load(*, depot: Depot, date: dt.date, now: dt.datetime | None) -> _DayRows:
    """Read a depot's day from the database (see `problem_build` for what `now` changes)."""
    epoch = plan_epoch(depot=depot, date=date)
    previous = plan_active(depot=depot, date=date)
    in_flight = now is not None and day_started(depot=depot, date=date, previous=previous, now=now)
    history: dict[int, VehicleHistory] = {}
    if previous is not None and in_flight:
        history = _with_driven_distance(depot, _history(previous, now))
    elif previous is not None and now is not None:
        history = _warm_start(previous)
    arrived = dict(
        Stop.objects.filter(route__plan=previous, status=Stop.Status.ARRIVED).values_list("job_id", "actual_arrival")
    ) if in_flight else {}
    finished_job_ids = {f.job_id for h in history.values() for f in h.finished}
    jobs = [j for j in _plannable_jobs(depot, date) if j.pk not in finished_job_ids]
    shifts = _shifts(depot, date)
    zones = {j.zone_id: j.zone for j in jobs}
    snapshot = DaySnapshot(
        depot=DepotSnapshot(id=depot.pk, lat=depot.lat, lng=depot.lng, time_zone=depot.time_zone),
        date=date, epoch=epoch,
        shifts=tuple(_shift_snapshot(s) for s in shifts),
        jobs=tuple(_job_snapshot(j) for j in jobs),
        zones=tuple(ZoneSnapshot(id=z.pk, speed_factor=z.speed_factor, service_seconds=z.service_seconds)
                    for z in sorted(zones.values(), key=lambda z: z.pk)),
        history=history, now=now if in_flight else None,
        slowdowns=zone_slowdowns_load(starts=epoch, ends=epoch + dt.timedelta(days=2), depot_id=depot.pk),
    )
    return _DayRows(snapshot=snapshot, jobs=jobs, shifts=shifts, previous=previous, arrived=arrived)


def day_snapshot_load(*, depot: Depot, date: dt.date, now: dt.datetime | None = None) -> DaySnapshot:
    """A depot's day as plain values, ready for `problem_from_snapshot`."""
    return _day_rows_load(depot=depot, date=date, now=now).snapshot


# --- From a snapshot to the solver's problem, without the database ------------------------------


def _break_for(shift: ShiftSnapshot, epoch: dt.datetime, start: int) -> Break | None:
    if not shift.break_minutes or shift.break_earliest is None or shift.break_latest is None:
        return None
    earliest = int((shift.break_earliest - epoch).total_seconds())
    latest = int((shift.break_latest - epoch).total_seconds())
    if latest < start:
        return None  # the break window is over (taken, or skipped) by the time this route starts
    return Break(earliest_start=max(earliest, start), latest_start=latest, duration_s=shift.break_minutes * 60)


@dataclass(frozen=True)
class Locations:
    points: tuple[tuple[float, float], ...]
    vehicle_start: Mapping[int, int]  # vehicle id -> location index
    job: Mapping[int, int]  # job id -> location index


def snapshot_locations(snapshot: DaySnapshot) -> Locations:
    """The solver's locations: the depot, then where each vehicle not at the depot is, then the jobs."""
    points: list[tuple[float, float]] = [(snapshot.depot.lat, snapshot.depot.lng)]
    vehicle_start: dict[int, int] = {}
    for shift in snapshot.shifts:
        past = snapshot.history.get(shift.vehicle_id)
        if past is None or past.position is None:
            vehicle_start[shift.vehicle_id] = 0
        else:
            vehicle_start[shift.vehicle_id] = len(points)
            points.append(past.position)
    job: dict[int, int] = {}
    for j in snapshot.jobs:
        job[j.id] = len(points)
        points.append((j.lat, j.lng))
    return Locations(points=tuple(points), vehicle_start=vehicle_start, job=job)


def snapshot_matrices(
    snapshot: DaySnapshot, locations: Locations, provider: travel.TravelTimeProvider
) -> tuple[travel.Matrix, travel.Matrix]:
    """(distances, durations) between the locations, timed when the day's first shift starts (or now, in
    flight), with travel into a slowed zone slower by its effective speed factor.

    A leg into a job is driven just before its service, which the plan puts inside the job's window
    (or now, for a window already past): so the job's zone is slowed by the largest factor in force
    during that span (`ZoneSlowdowns.factor_during`), which is the zone's own factor when no
    disruption touches the window.
    """
    departure_s = travel.day_departure_s(
        epoch=snapshot.epoch, first_start=min(s.starts_at for s in snapshot.shifts), now=snapshot.now,
    )
    departure = snapshot.epoch + dt.timedelta(seconds=departure_s)
    distances, durations = provider.matrices(list(locations.points), departure_s=departure_s)
    durations = [list(row) for row in durations]
    speed_factor = {z.id: z.speed_factor for z in snapshot.zones}
    for job in snapshot.jobs:
        factor = snapshot.slowdowns.factor_during(
            job.zone_id, speed_factor[job.zone_id], max(job.window_start, departure), max(job.window_end, departure))
        if factor != 1.0:
            column = locations.job[job.id]
            for row in durations:
                row[column] = travel.zone_slowed_s(row[column], factor)
    return distances, tuple(tuple(row) for row in durations)


def snapshot_solver_jobs(snapshot: DaySnapshot, locations: Locations) -> tuple[SJob, ...]:
    zone_service = {z.id: z.service_seconds for z in snapshot.zones}
    solver_jobs = []
    for job in snapshot.jobs:
        start = max(snapshot.to_seconds(job.window_start), 0)
        end = max(snapshot.to_seconds(job.window_end), start + 1)
        solver_jobs.append(SJob(
            id=str(job.id),
            location=locations.job[job.id],
            window_start=start,
            window_end=end,
            service_s=int(job.service_seconds or zone_service[job.zone_id]),
            demand=(int(job.parcels), int(job.weight_kg)),
            skills=job.skills,
            soft_window=snapshot.now is not None,
        ))
    return tuple(solver_jobs)


def snapshot_solver_vehicles(
    snapshot: DaySnapshot, locations: Locations
) -> tuple[tuple[SVehicle, ...], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(vehicles, locked first jobs, initial routes): each shift not over yet, from where and when its
    vehicle can start, with what it carries and what the current plan gave it."""
    now_s = snapshot.to_seconds(snapshot.now) if snapshot.now is not None else None
    jobs = {str(j.id): j for j in snapshot.jobs}
    solver_vehicles = []
    locked: dict[str, tuple[str, ...]] = {}
    initial_routes: dict[str, tuple[str, ...]] = {}
    for shift in snapshot.shifts:
        shift_start = snapshot.to_seconds(shift.starts_at)
        shift_end = snapshot.to_seconds(shift.ends_at)
        start = shift_start if now_s is None else max(shift_start, now_s)
        if start >= shift_end:
            continue  # the shift is over: this vehicle takes no more work today
        max_duration = shift.max_duration_minutes * 60 if shift.max_duration_minutes else None
        if max_duration is not None and start > shift_start:
            max_duration = max(max_duration - (start - shift_start), 1)
        parcels, weight = shift.capacity_parcels, shift.capacity_kg
        past = snapshot.history.get(shift.vehicle_id)
        if past is not None:
            # Parcels of failed attempts are still on board.
            for finished in past.finished:
                if finished.status == Stop.Status.FAILED and str(finished.job_id) in jobs:
                    failed = jobs[str(finished.job_id)]
                    parcels, weight = parcels - failed.parcels, weight - failed.weight_kg
        solver_vehicles.append(SVehicle(
            id=str(shift.vehicle_id),
            start_location=locations.vehicle_start[shift.vehicle_id],
            end_location=0,
            shift_start=start,
            shift_end=shift_end,
            capacity=(max(parcels, 0), max(weight, 0)),
            skills=shift.skills,
            max_distance_m=shift.range_km * 1000 if shift.range_km else None,
            max_duration_s=max_duration,
            break_=_break_for(shift, snapshot.epoch, start),
        ))
        if past is not None:
            remaining = tuple(str(j) for j in past.remaining if str(j) in jobs)
            if remaining:
                initial_routes[str(shift.vehicle_id)] = remaining
            if past.in_progress is not None and str(past.in_progress) in jobs:
                locked[str(shift.vehicle_id)] = (str(past.in_progress),)
    return tuple(solver_vehicles), locked, initial_routes


def problem_from_snapshot(
    snapshot: DaySnapshot, *, provider: travel.TravelTimeProvider, time_limit_s: float
) -> tuple[Problem | None, list[dict]]:
    """The solver problem for a day, and the jobs refused before solving (no problem when nothing can be solved).

    1. No jobs: nothing to solve. No shifts: every job is refused as `no_vehicle`.
    2. Place the locations: the depot, vehicles away from it, the jobs.
    3. Ask the provider for the matrices once, timed as the day starts; slow travel into slowed zones.
    4. Jobs with their windows in seconds (soft in flight), service times and demands.
    5. Vehicles whose shift is not over, with locked first stops and the current plan to warm-start from.
       When every shift is over, every job is refused as `no_vehicle`.
    6. The rounds search in as many threads as `search_threads` picks for the day's size and time limit.
    """
    if not snapshot.jobs:
        return None, []
    if not snapshot.shifts:
        return None, [
            {"job": j.id, "reason": "no_vehicle", "message": "No vehicle has a shift at this depot on this day."}
            for j in snapshot.jobs
        ]
    locations = snapshot_locations(snapshot)
    distances, durations = snapshot_matrices(snapshot, locations, provider)
    solver_jobs = snapshot_solver_jobs(snapshot, locations)
    solver_vehicles, locked, initial_routes = snapshot_solver_vehicles(snapshot, locations)
    if not solver_vehicles:
        return None, [
            {"job": j.id, "reason": "no_vehicle", "message": "Every shift of this day is over."} for j in snapshot.jobs
        ]
    problem = Problem(
        jobs=solver_jobs,
        vehicles=solver_vehicles,
        durations=durations,
        distances=tuple(tuple(row) for row in distances),
        time_limit_s=float(time_limit_s),
        locked=locked,
        initial_routes=initial_routes,
        change_penalty=REPLAN_CHANGE_PENALTY if initial_routes else 0,
        search_threads=search_threads(len(solver_jobs), float(time_limit_s)),
    )
    return problem, []


def problem_build(
    *, depot: Depot, date: dt.date, now: dt.datetime | None = None, time_limit_s: float | None = None
) -> PlanningInput:
    """Build the solver problem for a depot's day: load its snapshot, then `problem_from_snapshot`.

    With `now` (a re-plan), warm-start from the active plan's order with a change penalty.
    When the day is under way at `now` (see `day_started`), also:
    1. read the active plan: finished stops become history and are left out;
    2. start each vehicle from where it is at `now` (its last ping, else where the plan puts it);
    3. lock the stop each vehicle is at or driving to as its first stop;
    4. soften windows, so a job that can no longer make its window is still served late and reported at risk.
    A day not started yet is planned as a first plan is, from the depot at the shifts' starts with hard
    windows: a clock reading before the day says nothing about where the vans will be.
    """
    rows = _day_rows_load(depot=depot, date=date, now=now)
    snapshot = rows.snapshot
    problem, unplannable = problem_from_snapshot(
        snapshot, provider=travel.provider_from_settings(),
        time_limit_s=time_limit_s if time_limit_s is not None else settings.PLANNER_TIME_LIMIT_SECONDS,
    )
    return PlanningInput(
        depot=depot, date=date, epoch=snapshot.epoch, problem=problem,
        jobs={str(j.pk): j for j in rows.jobs}, shifts={str(s.vehicle_id): s for s in rows.shifts},
        unplannable=unplannable, history=dict(snapshot.history), arrived=rows.arrived, previous=rows.previous,
        in_flight=snapshot.now is not None,
    )
