"""Writes of the dispatch app: saving plans, re-planning in flight, fleet disruptions."""

import datetime as dt
import logging
import time
from dataclasses import replace
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max, Q

from core import clock, metrics
from core.audit import audit_event
from dispatch.errors import DispatchError, DispatchErrorCode
from dispatch.models import Depot, Job, Plan, ReplanRequest, Route, Shift, Stop, Vehicle, Zone
from dispatch.planning import FINISHED_STOP_STATUSES, PlanningInput, plan_active, problem_build
from dispatch.replans import replan_request
from dispatch.signals import plan_changed
from dispatch.solver import (
    RoutePlan,
    Solution,
    SolveStatus,
    Unassigned,
    Visit,
    plan_diff,
    plan_retime,
    plan_solve_problem,
    search_ready,
)
from dispatch.transitions import jobs_mark_planned, jobs_mark_unplanned

logger = logging.getLogger(__name__)


def job_changed(*, job: Job) -> None:
    """A job was created, cancelled or moved: re-plan every planned day it belongs to, or did.

    That is its own depot and day when that day already has an active plan, and any
    other active plan that still has a stop for it (the day or depot it moved away from).
    """
    days = set(
        Plan.objects.filter(status=Plan.Status.ACTIVE)
        .filter(Q(depot_id=job.depot_id, date=job.date) | Q(routes__stops__job=job))
        .values_list("depot_id", "date")
    )
    for depot_id, date in sorted(days):
        replan_request(depot_id=depot_id, date=date, trigger="job_changed")


# --- Planning --------------------------------------------------------------


def _visit_rows(planning: PlanningInput, solution: Solution) -> dict[str, dict]:
    """Where each job lands in a solution: vehicle id, position, planned times (aware UTC)."""
    rows: dict[str, dict] = {}
    for route in solution.routes:
        for position, visit in enumerate(route.visits):
            rows[visit.job_id] = {
                "vehicle": int(route.vehicle_id),
                "position": position,
                "arrival": planning.to_datetime(visit.start_service),
                "departure": planning.to_datetime(visit.departure),
            }
    return rows


def _solution_of_plan(plan: Plan, planning: PlanningInput) -> Solution:
    """The saved plan's open stops in solver terms, to diff the new solution against."""
    routes = []
    for route in plan.routes.prefetch_related("stops"):
        stops = sorted(route.stops.all(), key=lambda s: s.sequence)
        visits = tuple(
            Visit(
                str(s.job_id), planning.to_seconds(s.planned_arrival), planning.to_seconds(s.planned_arrival),
                planning.to_seconds(s.planned_departure),
            )
            for s in stops if s.status not in FINISHED_STOP_STATUSES
        )
        routes.append(RoutePlan(
            vehicle_id=str(route.vehicle_id), visits=visits, break_start=None, distance_m=route.distance_m,
            duration_s=route.duration_s, start_time=planning.to_seconds(route.starts_at),
            end_time=planning.to_seconds(route.ends_at),
        ))
    unassigned = tuple(Unassigned(str(u["job"]), u["reason"], u.get("message", "")) for u in plan.unassigned)
    return Solution(tuple(routes), unassigned, plan.distance_m, plan.duration_s, 0, SolveStatus.OPTIMAL_OR_FEASIBLE)


def _plan_diff_json(previous: Plan | None, planning: PlanningInput, solution: Solution, visits: dict[str, dict]) -> dict:
    """What changed for customers compared with the plan being replaced.

    `moved`: jobs now on another vehicle, or in another order among the jobs that stayed
    on their vehicle; `added`: jobs the previous plan did not have; `at_risk`: jobs whose
    planned arrival is after their window, with the predicted lateness in seconds;
    `newly_unassigned`: jobs this plan cannot serve that the previous one did not already report.
    """
    before = _solution_of_plan(previous, planning) if previous is not None else Solution(
        (), (), 0, 0, 0, SolveStatus.OPTIMAL_OR_FEASIBLE
    )
    diff = plan_diff(before, solution)
    moved, added = [], []
    for move in diff.moved:
        if move.from_vehicle is None:
            added.append(int(move.job_id))
            continue
        moved.append({
            "job": int(move.job_id), "from_vehicle": int(move.from_vehicle), "to_vehicle": int(move.to_vehicle),
            "from_position": move.from_position + 1, "to_position": move.to_position + 1,
        })
    at_risk = []
    for job_id, row in visits.items():
        lateness = int((row["arrival"] - planning.jobs[job_id].window_end).total_seconds())
        if lateness > 0:
            at_risk.append({"job": int(job_id), "lateness_s": lateness})
    at_risk.sort(key=lambda r: (-r["lateness_s"], r["job"]))
    return {
        "previous_version": previous.version if previous is not None else None,
        "moved": sorted(moved, key=lambda r: r["job"]),
        "added": sorted(added) if previous is not None else [],
        "at_risk": at_risk,
        "newly_unassigned": sorted(int(j) for j in diff.newly_unassigned) if previous is not None else [],
    }


def _plan_save(
    *, planning: PlanningInput, solution: Solution, trigger: str, solve_seconds: float, kept: dict | None = None
) -> Plan:
    """Save a solved day as the new active plan, superseding the previous one, in one transaction.

    `kept` says that the solution is the previous plan kept by a re-plan, and why: it is
    recorded in the diff, and the trigger names the version kept, which the console shows.

    1. Lock the depot row: two workers saving the same depot's day queue up here
       (the version unique constraint is the last guard).
    2. Supersede the active plan and create the next version.
    3. Write routes: finished stops first (history, copied unchanged), then the solved visits.
    4. Mark served jobs planned and unserved ones pending again.
    5. Announce the plan once the transaction has committed.
    """
    depot, date = planning.depot, planning.date
    visits = _visit_rows(planning, solution)
    unassigned = sorted(
        ({"job": int(u.job_id), "reason": str(u.reason), "message": u.message} for u in solution.unassigned),
        key=lambda u: u["job"],
    )

    with transaction.atomic():
        Depot.objects.select_for_update().get(pk=depot.pk)
        previous = Plan.objects.filter(depot=depot, date=date, status=Plan.Status.ACTIVE).first()
        last_version = Plan.objects.filter(depot=depot, date=date).aggregate(v=Max("version"))["v"] or 0
        diff = _plan_diff_json(previous, planning, solution, visits)
        if kept is not None:
            diff["kept_previous"] = kept
            trigger = f"{trigger}, v{kept['version']} kept"
        if previous is not None:
            Plan.objects.filter(pk=previous.pk).update(status=Plan.Status.SUPERSEDED)
        plan = Plan.objects.create(
            depot=depot, date=date, version=last_version + 1, status=Plan.Status.ACTIVE, trigger=trigger[:40],
            solve_seconds=round(solve_seconds, 3),
            unassigned=unassigned, diff=diff,
        )

        solved_routes = {r.vehicle_id: r for r in solution.routes}
        vehicle_ids = sorted(set(planning.history) | {int(v) for v in solved_routes})
        shifts_by_vehicle = {s.vehicle_id: s for s in Shift.objects.filter(depot=depot, date=date)}
        total_distance = total_duration = 0
        stops: list[Stop] = []
        for vehicle_id in vehicle_ids:
            past = planning.history.get(vehicle_id)
            solved = solved_routes.get(str(vehicle_id))
            finished = past.finished if past is not None else ()
            if not finished and (solved is None or not solved.visits):
                continue
            shift = shifts_by_vehicle.get(vehicle_id)
            # A route in flight counts what it already drove (to its last finished stop) plus what is left.
            driven = past.driven_m if finished else 0
            if solved is not None and solved.visits:
                starts_at = past.route_starts_at if finished else planning.to_datetime(solved.start_time)
                ends_at = planning.to_datetime(solved.end_time)
                distance = driven + int(solved.distance_m)
            else:
                starts_at = past.route_starts_at
                ends_at = max(f.actual_departure or f.planned_departure for f in finished)
                distance = driven
            duration = int((max(ends_at, starts_at) - starts_at).total_seconds())
            route = Route.objects.create(
                plan=plan, vehicle_id=vehicle_id, shift=shift, starts_at=starts_at, ends_at=max(ends_at, starts_at),
                break_starts_at=planning.to_datetime(solved.break_start)
                if solved is not None and solved.visits and solved.break_start is not None else None,
                distance_m=distance, duration_s=duration,
            )
            total_distance += distance
            total_duration += duration
            sequence = 0
            for f in finished:
                sequence += 1
                stops.append(Stop(
                    route=route, job_id=f.job_id, sequence=sequence, status=f.status,
                    planned_arrival=f.planned_arrival, planned_departure=f.planned_departure,
                    actual_arrival=f.actual_arrival, actual_departure=f.actual_departure,
                ))
            for visit in solved.visits if solved is not None else ():
                sequence += 1
                job = planning.jobs[visit.job_id]
                arrived = job.pk in planning.arrived or job.status == Job.Status.IN_PROGRESS
                stops.append(Stop(
                    route=route, job_id=job.pk, sequence=sequence,
                    status=Stop.Status.ARRIVED if arrived else Stop.Status.PENDING,
                    planned_arrival=visits[visit.job_id]["arrival"],
                    planned_departure=visits[visit.job_id]["departure"],
                    actual_arrival=planning.arrived.get(job.pk),
                ))
        Stop.objects.bulk_create(stops)
        Plan.objects.filter(pk=plan.pk).update(distance_m=total_distance, duration_s=total_duration)
        plan.distance_m, plan.duration_s = total_distance, total_duration

        jobs_mark_planned(job_ids=[int(j) for j in visits])
        jobs_mark_unplanned(job_ids=[u["job"] for u in unassigned])
        transaction.on_commit(lambda: plan_changed.send(sender=Plan, plan=plan), robust=True)
    logger.info(
        "plan %s saved (%s): %d stops, %d unassigned, %.1f km, solved in %.2f s",
        plan, trigger, len(stops), len(unassigned), total_distance / 1000, solve_seconds,
    )
    return plan


def _solve(planning: PlanningInput) -> Solution:
    if planning.problem is not None:
        solution = plan_solve_problem(planning.problem)
    else:
        solution = Solution((), (), 0, 0, 0, SolveStatus.OPTIMAL_OR_FEASIBLE)
    return _with_unplannable(planning, solution)


def _with_unplannable(planning: PlanningInput, solution: Solution) -> Solution:
    if not planning.unplannable:
        return solution
    extra = tuple(Unassigned(str(u["job"]), u["reason"], u["message"]) for u in planning.unplannable)
    return replace(solution, unassigned=solution.unassigned + extra)


def _solve_and_save(planning: PlanningInput, trigger: str) -> Plan:
    search_ready()  # a fresh install compiles the search once: that is not this plan's solve time
    started = time.perf_counter()
    solution = _solve(planning)
    return _plan_save(planning=planning, solution=solution, trigger=trigger, solve_seconds=time.perf_counter() - started)


def plan_day(*, depot: Depot, date: dt.date, trigger: str = "initial", time_limit_s: float | None = None) -> Plan:
    """Plan a depot's day from scratch (every vehicle starts at the depot) and save it as the active plan."""
    planning = problem_build(depot=depot, date=date, time_limit_s=time_limit_s)
    return _solve_and_save(planning, trigger)


def plan_replan(*, depot: Depot, date: dt.date, trigger: str, now: dt.datetime | None = None) -> Plan:
    """Re-plan a depot's day and save the result as the next version.

    In flight, from where every vehicle is at `now`; done stops never move. A day not
    started yet is planned from the depot at the shifts' starts, warm-started from the
    active plan, and the active plan is kept (re-timed, recorded as kept) when the new
    solution is worse by unassigned jobs, then total lateness.
    """
    now = now or clock.now()
    planning = problem_build(depot=depot, date=date, now=now)
    search_ready()
    started = time.perf_counter()
    solution = _solve(planning)
    kept = None
    if not planning.in_flight and planning.previous is not None and planning.problem is not None:
        standing = plan_retime(planning.problem)
        if standing is not None:
            standing = _with_unplannable(planning, standing)
            new, old = _shortfall(planning, solution), _shortfall(planning, standing)
            if old < new:
                kept = {
                    "version": planning.previous.version,
                    "new_unassigned": new[0], "new_lateness_s": new[1],
                    "kept_unassigned": old[0], "kept_lateness_s": old[1],
                }
                logger.warning(
                    "re-plan of %s on %s kept v%s: the new solution left %d unassigned, %d s late; the kept one %d, %d s",
                    depot, date, planning.previous.version, new[0], new[1], old[0], old[1],
                )
                solution = standing
    solve_seconds = time.perf_counter() - started
    metrics.replan_observe(solve_seconds=solve_seconds, late_seconds=_shortfall(planning, solution)[1],
                           unassigned=len(solution.unassigned), kept=kept is not None)
    return _plan_save(planning=planning, solution=solution, trigger=trigger, solve_seconds=solve_seconds, kept=kept)


def _shortfall(planning: PlanningInput, solution: Solution) -> tuple[int, int]:
    """(jobs unassigned, seconds late summed over the stops): what a re-plan must not make worse, in that order."""
    window_end = {job_id: planning.to_seconds(job.window_end) for job_id, job in planning.jobs.items()}
    late = sum(
        max(visit.start_service - window_end[visit.job_id], 0) for route in solution.routes for visit in route.visits
    )
    return len(solution.unassigned), late


# --- Where the vehicles are ---------------------------------------------------


def vehicle_position_record(*, vehicle_id: int, lat: float, lng: float, at: dt.datetime) -> bool:
    """The vehicle was seen at (lat, lng) at `at`: its last position moves, only ever forward in time.

    The re-planner starts the vehicle's route from there. True when the position moved.
    """
    return bool(
        Vehicle.objects.filter(pk=vehicle_id)
        .filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=at))
        .update(last_lat=lat, last_lng=lng, last_seen_at=at)
    )


# --- Disruptions -----------------------------------------------------------


def vehicle_mark_lost(*, vehicle: Vehicle, now: dt.datetime | None = None) -> bool:
    """A vehicle broke down: take it off the road and re-plan today so the others take its remaining jobs.

    The re-plan runs as a task once this commits (at once, not debounced: a
    broken-down van is urgent). Returns whether today had a plan to redo.
    """
    now = now or clock.now()
    today = now.astimezone(ZoneInfo(vehicle.depot.time_zone)).date()
    with transaction.atomic():
        before = Vehicle.objects.filter(pk=vehicle.pk).values_list("status", flat=True).first()
        updated = Vehicle.objects.filter(pk=vehicle.pk).exclude(status=Vehicle.Status.LOST).update(
            status=Vehicle.Status.LOST
        )
        if not updated:
            raise DispatchError(
                DispatchErrorCode.VEHICLE_ALREADY_LOST, f"{vehicle} is already marked lost.", status_code=409
            )
        vehicle.status = Vehicle.Status.LOST
        replanning = plan_active(depot=vehicle.depot, date=today) is not None
        audit_event(instance=vehicle, event="vehicle.lost",
                    summary=f"{vehicle.code} marked lost (breakdown); "
                            + ("today's plan is redone without it" if replanning else "today has no plan to redo"),
                    changes={"status": (before, Vehicle.Status.LOST)})
        if replanning:
            replan_request(depot_id=vehicle.depot_id, date=today, trigger="vehicle_lost", debounce=False)
    return replanning


def plan_replan_ask(*, depot: Depot, date: dt.date) -> ReplanRequest:
    """A dispatcher asks for the depot's day to be planned again now (the console's button), not debounced."""
    with transaction.atomic():
        request = replan_request(depot_id=depot.pk, date=date, trigger="manual", debounce=False)
        audit_event(instance=request, event="plan.replan_asked",
                    summary=f"Re-plan of {depot.name} on {date:%a %d %b} asked for")
    return request


def zone_set_speed_factor(*, zone: Zone, factor: float, now: dt.datetime | None = None) -> None:
    """Congestion or weather in a zone: slow its travel times and ask for a re-plan of today."""
    if not (0.2 <= factor <= 5.0):
        raise DispatchError(
            DispatchErrorCode.INVALID_SPEED_FACTOR, "The speed factor must be between 0.2 and 5.",
            fields={"factor": ["Must be between 0.2 and 5."]},
        )
    Zone.objects.filter(pk=zone.pk).update(speed_factor=factor)
    zone.speed_factor = factor
    now = now or clock.now()
    today = now.astimezone(ZoneInfo(zone.depot.time_zone)).date()
    if plan_active(depot=zone.depot, date=today) is not None:
        replan_request(depot_id=zone.depot_id, date=today, trigger="speed_factor")
