"""Reads of the fleet and the plan: which vehicles can serve, and the dispatcher console's figures,
map and per-vehicle timeline."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet

from dispatch.models import Depot, Disruption, Job, Plan, Route, Shift, Stop, Vehicle
from dispatch.travel import Slowdown, ZoneSlowdowns

# --- Which vehicles can serve ----------------------------------------------------------------


def vehicle_available_q(path: str = "") -> Q:
    """The one rule of which vehicles serve: an available one. A lost vehicle (broken down) or one in
    maintenance takes no work: the planner gives it no route and checkout offers none of its time.

    `path` leads from the queried model to the vehicle, e.g. "vehicle__" from a shift.
    """
    return Q(**{f"{path}status": Vehicle.Status.AVAILABLE})


def vehicles_available(*, depot_id: int) -> QuerySet[Vehicle]:
    """The depot's vehicles that can serve (see `vehicle_available_q`)."""
    return Vehicle.objects.filter(vehicle_available_q(), depot_id=depot_id)


def shifts_available(*, depot_id: int, dates: Iterable[dt.date]) -> QuerySet[Shift]:
    """The shifts of these days whose vehicle can serve: the fleet the planner plans and checkout offers."""
    return Shift.objects.filter(vehicle_available_q("vehicle__"), depot_id=depot_id, date__in=list(dates))


# --- How fast the zones drive ----------------------------------------------------------------


def zone_slowdowns_load(*, starts: dt.datetime, ends: dt.datetime, zone_ids: Iterable[int] | None = None,
                        depot_id: int | None = None) -> ZoneSlowdowns:
    """The disruptions in force at some moment of [starts, ends), of these zones or of this depot's zones,
    as the travel model reads them (one query)."""
    rows = Disruption.objects.filter(starts_at__lt=ends, ends_at__gt=starts)
    if zone_ids is not None:
        rows = rows.filter(zone_id__in=list(zone_ids))
    if depot_id is not None:
        rows = rows.filter(zone__depot_id=depot_id)
    return ZoneSlowdowns(
        Slowdown(zone_id=zone_id, starts_at=s, ends_at=e, factor=f)
        for zone_id, s, e, f in rows.values_list("zone_id", "starts_at", "ends_at", "speed_factor")
    )


# --- The dispatcher console ----------------------------------------------------------------

# Route colours on the map and the timeline: distinct on a grey background and for most colour-blind readers.
ROUTE_COLOURS = (
    "#1a73e8", "#e8710a", "#188038", "#9334e6", "#d01884",
    "#12b5cb", "#795548", "#c5221f", "#3f51b5", "#689f38",
)


def route_colour(index: int) -> str:
    return ROUTE_COLOURS[index % len(ROUTE_COLOURS)]


def depot_list() -> list[Depot]:
    return list(Depot.objects.order_by("code"))


# What a merchant's staff see of another merchant's stop on a shared depot's plan: that the van stops there,
# roughly where (about a kilometre), and never whose order it is.
MASKED_NAME = "Another merchant's stop"
MASKED_DECIMALS = 2


def job_masked(job: Job | None, merchant_ids: Iterable[int] | None) -> bool:
    """True when the job belongs to none of `merchant_ids` (None: the viewer sees every merchant)."""
    return merchant_ids is not None and (job is None or job.merchant_id not in merchant_ids)


def job_label(job: Job | None, merchant_ids: Iterable[int] | None, job_id: int | None = None) -> str:
    if job_masked(job, merchant_ids):
        return MASKED_NAME
    return str(job) if job is not None else f"job {job_id}"


def job_point(job: Job, merchant_ids: Iterable[int] | None) -> tuple[float, float]:
    if job_masked(job, merchant_ids):
        return round(job.lat, MASKED_DECIMALS), round(job.lng, MASKED_DECIMALS)
    return job.lat, job.lng


def depot_list_for(*, merchant_ids: Iterable[int] | None) -> list[Depot]:
    """The depots a viewer may open: all of them, or those that serve one of `merchant_ids`' jobs."""
    if merchant_ids is None:
        return depot_list()
    return list(Depot.objects.filter(jobs__merchant__in=list(merchant_ids)).distinct().order_by("code"))


def depot_serves(*, depot: Depot, date: dt.date, merchant_ids: Iterable[int] | None) -> bool:
    """True when the depot's day holds a job of one of `merchant_ids` (always, for a viewer of every merchant)."""
    return merchant_ids is None or Job.objects.filter(depot=depot, date=date, merchant__in=list(merchant_ids)).exists()


def plan_active_for_day(*, depot: Depot, date: dt.date) -> Plan | None:
    return Plan.objects.filter(depot=depot, date=date, status=Plan.Status.ACTIVE).first()


def plan_routes_loaded(*, plan: Plan) -> list[Route]:
    """A plan's routes with vehicles, drivers, stops and jobs loaded, in vehicle order."""
    return list(
        plan.routes.select_related("vehicle", "shift__driver").prefetch_related(
            Prefetch("stops", queryset=Stop.objects.select_related("job").order_by("sequence"))
        ).order_by("vehicle__code")
    )


def _on_time(stop: Stop) -> bool:
    arrival = stop.actual_arrival or stop.planned_arrival
    return stop.job.window_start <= arrival <= stop.job.window_end


@dataclass(frozen=True)
class PlanFigures:
    distance_km: float
    duration_h: float
    vehicles_used: int
    vehicles_available: int
    stops: int
    km_per_stop: float | None
    on_time_share: float | None  # 0..1, planned (or actual) arrivals inside their windows
    late_stops: int
    unassigned: int


def plan_figures(*, plan: Plan, routes: list[Route]) -> PlanFigures:
    stops = [s for r in routes for s in r.stops.all()]
    on_time = sum(1 for s in stops if _on_time(s))
    available = shifts_available(depot_id=plan.depot_id, dates=[plan.date]).count()
    return PlanFigures(
        distance_km=round(plan.distance_m / 1000, 1),
        duration_h=round(plan.duration_s / 3600, 1),
        vehicles_used=sum(1 for r in routes if r.stops.all()),
        vehicles_available=available,
        stops=len(stops),
        km_per_stop=round(plan.distance_m / 1000 / len(stops), 2) if stops else None,
        on_time_share=on_time / len(stops) if stops else None,
        late_stops=len(stops) - on_time,
        unassigned=len(plan.unassigned),
    )


def plan_unassigned_jobs(*, plan: Plan, merchant_ids: Iterable[int] | None = None) -> list[dict]:
    """The plan's unassigned jobs with their reasons, joined to the job rows that still exist."""
    jobs = Job.objects.in_bulk([u["job"] for u in plan.unassigned])
    return [
        {"job": jobs.get(u["job"]), "job_id": u["job"], "name": job_label(jobs.get(u["job"]), merchant_ids, u["job"]),
         "reason": u["reason"], "message": u.get("message", "")}
        for u in plan.unassigned
    ]


def plan_diff_rows(*, plan: Plan, merchant_ids: Iterable[int] | None = None) -> dict:
    """The plan's diff against the version it replaced, with readable job and vehicle names."""
    diff = plan.diff or {}
    job_ids = {r["job"] for r in diff.get("moved", [])} | {r["job"] for r in diff.get("at_risk", [])}
    job_ids |= set(diff.get("newly_unassigned", []))
    jobs = Job.objects.in_bulk(job_ids)
    vehicle_ids = {r["from_vehicle"] for r in diff.get("moved", [])} | {r["to_vehicle"] for r in diff.get("moved", [])}
    vehicles = Vehicle.objects.in_bulk(vehicle_ids)

    def job_name(job_id: int) -> str:
        return job_label(jobs.get(job_id), merchant_ids, job_id)

    def vehicle_name(vehicle_id: int) -> str:
        vehicle = vehicles.get(vehicle_id)
        return vehicle.code if vehicle is not None else f"vehicle {vehicle_id}"

    return {
        "previous_version": diff.get("previous_version"),
        "moved": [
            {**r, "job_name": job_name(r["job"]), "from_name": vehicle_name(r["from_vehicle"]),
             "to_name": vehicle_name(r["to_vehicle"]), "changed_vehicle": r["from_vehicle"] != r["to_vehicle"]}
            for r in diff.get("moved", [])
        ],
        "at_risk": [
            {**r, "job_name": job_name(r["job"]), "lateness_min": max(round(r["lateness_s"] / 60), 1)}
            for r in diff.get("at_risk", [])
        ],
        "newly_unassigned": [{"job": j, "job_name": job_name(j)} for j in diff.get("newly_unassigned", [])],
        "added": diff.get("added", []),
        "kept_previous": _kept_previous_row(diff.get("kept_previous")),
    }


def _kept_previous_row(kept: dict | None) -> dict | None:
    """Why a re-plan kept the plan it replaced: what the rejected solution would have cost."""
    if not kept:
        return None
    return {**kept, "new_late_min": round(kept["new_lateness_s"] / 60), "kept_late_min": round(kept["kept_lateness_s"] / 60)}


def _lanes(stops: list[Stop]) -> dict[int, int]:
    """Stack overlapping windows into lanes so every window bar stays visible."""
    lane_ends: list[dt.datetime] = []
    lanes: dict[int, int] = {}
    for stop in sorted(stops, key=lambda s: (s.job.window_start, s.sequence)):
        for index, end in enumerate(lane_ends):
            if end <= stop.job.window_start:
                lane_ends[index] = stop.job.window_end
                lanes[stop.pk] = index
                break
        else:
            lanes[stop.pk] = len(lane_ends)
            lane_ends.append(stop.job.window_end)
    return lanes


def vehicle_colours(*, depot: Depot) -> dict[int, str]:
    """A colour per vehicle of the depot that stays the same from one plan version to the next."""
    ids = Vehicle.objects.filter(depot=depot).order_by("code").values_list("pk", flat=True)
    return {pk: route_colour(index) for index, pk in enumerate(ids)}


def plan_timeline(*, plan: Plan, routes: list[Route], merchant_ids: Iterable[int] | None = None) -> dict:
    """Per vehicle, each stop's window as a bar and its planned arrival as a marker, in % of the day's span."""
    tz = ZoneInfo(plan.depot.time_zone)
    moments = [m for r in routes for m in (r.starts_at, r.ends_at)]
    moments += [m for r in routes for s in r.stops.all() for m in (s.job.window_start, s.job.window_end)]
    if not moments:
        return {"ticks": [], "rows": []}
    first = min(moments).astimezone(tz).replace(minute=0, second=0, microsecond=0)
    last = max(moments).astimezone(tz)
    last = last.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1 if last.minute or last.second else 0)
    span = max((last - first).total_seconds(), 3600)

    def pct(moment: dt.datetime) -> float:
        return round(max(min((moment - first).total_seconds() / span, 1), 0) * 100, 2)

    hours = int(span // 3600)
    step = 1 if hours <= 14 else 2
    ticks = [
        {"label": (first + dt.timedelta(hours=h)).strftime("%H:%M"), "left": pct(first + dt.timedelta(hours=h))}
        for h in range(0, hours + 1, step)
    ]
    colours = vehicle_colours(depot=plan.depot)
    rows = []
    for route in routes:
        stops = list(route.stops.all())
        lanes = _lanes(stops)
        bars = []
        for stop in stops:
            arrival = stop.actual_arrival or stop.planned_arrival
            late = arrival > stop.job.window_end
            bars.append({
                "stop": stop,
                "left": pct(stop.job.window_start),
                "width": max(pct(stop.job.window_end) - pct(stop.job.window_start), 0.4),
                "arrival": pct(arrival),
                "lane": lanes[stop.pk],
                "late": late,
                "early": arrival < stop.job.window_start,
                "title": (
                    f"#{stop.sequence} {job_label(stop.job, merchant_ids)} · window {stop.job.window_start.astimezone(tz):%H:%M}–"
                    f"{stop.job.window_end.astimezone(tz):%H:%M} · arrival {arrival.astimezone(tz):%H:%M}"
                    + (" · LATE" if late else "")
                ),
            })
        lane_count = max(lanes.values(), default=-1) + 1
        rows.append({
            "route": route,
            "colour": colours.get(route.vehicle_id, ROUTE_COLOURS[0]),
            "bars": bars,
            "lanes": lane_count,
            "height": max(lane_count * 8 + 10, 40),
            "span_left": pct(route.starts_at),
            "span_width": max(pct(route.ends_at) - pct(route.starts_at), 0.4),
            "late": sum(1 for b in bars if b["late"]),
            "break_left": pct(route.break_starts_at) if route.break_starts_at else None,
        })
    return {"ticks": ticks, "rows": rows}


def plan_map_data(*, plan: Plan, routes: list[Route], merchant_ids: Iterable[int] | None = None) -> dict:
    """The map's content: the depot, each route as an ordered list of stops, and the unassigned jobs; stops of
    merchants other than `merchant_ids` masked (None: nothing masked)."""
    tz = ZoneInfo(plan.depot.time_zone)
    depot = plan.depot

    def hhmm(moment: dt.datetime | None) -> str | None:
        return moment.astimezone(tz).strftime("%H:%M") if moment else None

    unassigned_jobs = Job.objects.in_bulk([u["job"] for u in plan.unassigned])
    colours = vehicle_colours(depot=depot)
    return {
        "plan": {"id": plan.pk, "version": plan.version, "date": plan.date.isoformat()},
        "depot": {"name": depot.name, "lat": depot.lat, "lng": depot.lng},
        "routes": [
            {
                "vehicle": route.vehicle.code,
                "vehicle_id": route.vehicle_id,
                "colour": colours.get(route.vehicle_id, ROUTE_COLOURS[0]),
                "lost": route.vehicle.status == Vehicle.Status.LOST,
                "stops": [
                    {
                        "job": stop.job_id,
                        "name": job_label(stop.job, merchant_ids),
                        "sequence": stop.sequence,
                        **dict(zip(("lat", "lng"), job_point(stop.job, merchant_ids), strict=True)),
                        "status": stop.status,
                        "arrival": hhmm(stop.actual_arrival or stop.planned_arrival),
                        "window": f"{hhmm(stop.job.window_start)}–{hhmm(stop.job.window_end)}",
                        "late": (stop.actual_arrival or stop.planned_arrival) > stop.job.window_end,
                    }
                    for stop in route.stops.all()
                ],
            }
            for route in routes
        ],
        "unassigned": [
            {"job": u["job"], "name": job_label(unassigned_jobs[u["job"]], merchant_ids),
             **dict(zip(("lat", "lng"), job_point(unassigned_jobs[u["job"]], merchant_ids), strict=True)),
             "reason": u["reason"]}
            for u in plan.unassigned if u["job"] in unassigned_jobs
        ],
    }


def day_job_counts(*, depot: Depot, date: dt.date, merchant_ids: Iterable[int] | None = None) -> dict[str, int]:
    """How many of these merchants' jobs the day holds by status, for the console when no plan exists yet."""
    counts: dict[str, int] = {}
    jobs = Job.objects.filter(depot=depot, date=date)
    if merchant_ids is not None:
        jobs = jobs.filter(merchant__in=list(merchant_ids))
    for status in jobs.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts
