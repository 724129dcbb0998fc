"""An independent feasibility check of a Solution, without OR-Tools.

It replays every route on the problem's matrices and reports each broken rule, so a
planner bug (or a stale plan after a disruption) shows up as a list of violations.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.solver.problem import Problem, RoutePlan, Solution, Vehicle


@dataclass(frozen=True)
class Violation:
    code: str
    vehicle_id: str | None
    job_id: str | None
    message: str


def solution_check(problem: Problem, solution: Solution) -> list[Violation]:
    """Every way in which the solution breaks the problem's rules (empty when feasible)."""
    violations: list[Violation] = []
    vehicles = {v.id: v for v in problem.vehicles}
    jobs = problem.job_by_id()
    seen: dict[str, int] = {}
    for route in solution.routes:
        vehicle = vehicles.get(route.vehicle_id)
        if vehicle is None:
            violations.append(Violation("unknown_vehicle", route.vehicle_id, None, "route of an unknown vehicle"))
            continue
        for visit in route.visits:
            seen[visit.job_id] = seen.get(visit.job_id, 0) + 1
        violations.extend(_route_check(problem, vehicle, route))
    for job_id, count in seen.items():
        if job_id not in jobs:
            violations.append(Violation("unknown_job", None, job_id, "visit of an unknown job"))
        elif count > 1:
            violations.append(Violation("visited_twice", None, job_id, f"visited {count} times"))
    unassigned = {u.job_id for u in solution.unassigned}
    for job_id in jobs:
        if job_id in seen and job_id in unassigned:
            violations.append(Violation("served_and_unassigned", None, job_id, "both served and unassigned"))
        if job_id not in seen and job_id not in unassigned:
            violations.append(Violation("missing", None, job_id, "neither served nor reported unassigned"))
    for vehicle_id, chain in problem.locked.items():
        route = solution.route_of(vehicle_id)
        first = tuple(v.job_id for v in route.visits[: len(chain)]) if route else ()
        if first != tuple(chain):
            violations.append(Violation("locked_order", vehicle_id, None, f"route starts {first}, locked {chain}"))
    return violations


def _route_check(problem: Problem, vehicle: Vehicle, route: RoutePlan) -> list[Violation]:
    jobs = problem.job_by_id()
    out: list[Violation] = []

    def fail(code: str, job_id: str | None, message: str) -> None:
        out.append(Violation(code, vehicle.id, job_id, message))

    if not route.visits:
        return out
    brk = vehicle.break_
    break_end = None
    if brk is not None:
        if route.break_start is None:
            fail("break_missing", None, "the driver has no break")
        elif not brk.earliest_start <= route.break_start <= brk.latest_start:
            fail("break_outside_interval", None, f"break at {route.break_start} outside its interval")
        else:
            break_end = route.break_start + brk.duration_s
    if route.start_time < vehicle.shift_start:
        fail("shift_start", None, f"leaves at {route.start_time} before the shift starts")

    load = [0] * max(len(vehicle.capacity), *(len(jobs[v.job_id].demand) for v in route.visits if v.job_id in jobs))
    location, departure, distance = vehicle.start_location, route.start_time, 0
    stops = [(visit, jobs.get(visit.job_id)) for visit in route.visits] + [(None, None)]
    for visit, job in stops:
        if visit is not None and job is None:
            continue
        next_location = vehicle.end_location if job is None else job.location
        next_time = route.end_time if visit is None else visit.start_service
        needed = problem.durations[location][next_location]
        if break_end is not None and departure <= route.break_start < next_time:
            needed += brk.duration_s
        if departure + needed > next_time:
            fail("travel_time", job.id if job else None, f"cannot get there by {next_time}")
        distance += problem.distances[location][next_location]
        if job is None:
            break
        if break_end is not None and visit.start_service < break_end and route.break_start < visit.departure:
            fail("break_overlaps_service", job.id, "the break overlaps the service")
        if visit.start_service < job.window_start:
            fail("window_early", job.id, f"service at {visit.start_service} before {job.window_start}")
        if visit.start_service > job.window_end and not job.soft_window and job.id not in _locked(problem):
            fail("window_late", job.id, f"service at {visit.start_service} after {job.window_end}")
        if visit.departure < visit.start_service + job.service_s:
            fail("service_time", job.id, "leaves before the service is done")
        if not job.skills <= vehicle.skills:
            fail("skills", job.id, f"vehicle lacks {sorted(job.skills - vehicle.skills)}")
        for k, amount in enumerate(job.demand):
            load[k] += amount
        location, departure = job.location, visit.departure
    for k, amount in enumerate(load):
        capacity = vehicle.capacity[k] if k < len(vehicle.capacity) else 0
        if amount > capacity:
            fail("capacity", None, f"load {amount} over capacity {capacity} in dimension {k}")
    if route.end_time > vehicle.shift_end:
        fail("shift_end", None, f"returns at {route.end_time} after the shift ends at {vehicle.shift_end}")
    if vehicle.max_duration_s is not None and route.end_time - route.start_time > vehicle.max_duration_s:
        fail("max_duration", None, f"route lasts {route.end_time - route.start_time} s")
    if vehicle.max_distance_m is not None and distance > vehicle.max_distance_m:
        fail("max_distance", None, f"route is {distance} m, range {vehicle.max_distance_m} m")
    if distance != route.distance_m:
        fail("distance_mismatch", None, f"route says {route.distance_m} m, recomputed {distance} m")
    return out


def _locked(problem: Problem) -> set[str]:
    return {job_id for chain in problem.locked.values() for job_id in chain}
