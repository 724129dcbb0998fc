"""Scale benchmark: a city day of 2,500 jobs on 100 vans, then a lost van mid-day.

Jobs are seeded random points around one city centre with 2-hour windows between 08:00
and 20:00; travel times come from the haversine provider. Both solves go through the
product's `plan_solve_problem` and are re-checked with `solution_check`. With `--breaks`
every van also takes a driver's break, which the search checks by replaying the route
rather than in constant time.

PyVRP is the peer on the big day: the same jobs, fleet and integer matrices, the same
time limit, one core (the planner here searches in one thread too). Its routes are
re-timed by the product's `plan_retime` and re-checked with `solution_check`, and both
plans are costed by one function (`plan_cost`) on the same matrices. A day PyVRP cannot
express (drivers' breaks, skills, soft windows, a re-plan's locked stops) skips the peer
and says why. `--no-peer` skips it.

    python benchmarks/plan_scale.py --time-limit 60 --replan-time-limit 3
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dispatch.solver import (  # noqa: E402
    Break,
    Job,
    Objective,
    Problem,
    RoutePlan,
    Solution,
    SolveStatus,
    Vehicle,
    Visit,
    plan_diff,
    plan_retime,
    plan_solve_problem,
    solution_check,
)
from dispatch.solver.ruin_recreate import search_compile  # noqa: E402
from dispatch.travel import HaversineProvider  # noqa: E402

CITY_CENTRE = (45.7600, 4.8400)  # Lyon
CITY_RADIUS_M = 9000
DEPOTS = ((45.7300, 4.8800), (45.7900, 4.8000), (45.7450, 4.8150))
HOUR = 3600


def city_point(rng: random.Random) -> tuple[float, float]:
    distance = CITY_RADIUS_M * math.sqrt(rng.random())
    bearing = rng.uniform(0, 2 * math.pi)
    lat = CITY_CENTRE[0] + distance * math.cos(bearing) / 111_320
    lng = CITY_CENTRE[1] + distance * math.sin(bearing) / (111_320 * math.cos(math.radians(CITY_CENTRE[0])))
    return lat, lng


def day_problem(*, jobs: int, vehicles: int, seed: int, time_limit_s: float, breaks: bool = False) -> Problem:
    """A seeded day: depots first in the point list, then one point per job."""
    rng = random.Random(seed)
    depots = DEPOTS[: max(1, min(len(DEPOTS), vehicles // 10))]
    points = list(depots) + [city_point(rng) for _ in range(jobs)]
    distances, durations = HaversineProvider(road_factor=1.3).matrices(points, departure_s=11 * HOUR)
    capacity = math.ceil(1.5 * jobs / vehicles) * 2
    job_list = []
    for n in range(jobs):
        window_start = rng.randrange(8, 19) * HOUR
        job_list.append(
            Job(
                id=f"j{n:04d}",
                location=len(depots) + n,
                window_start=window_start,
                window_end=window_start + 2 * HOUR,
                service_s=rng.choice((120, 180, 240, 300)),
                demand=(rng.choice((1, 1, 2, 3)),),
            )
        )
    fleet = [
        Vehicle(
            id=f"van{k:02d}",
            start_location=k % len(depots),
            end_location=k % len(depots),
            shift_start=7 * HOUR,
            shift_end=22 * HOUR,
            capacity=(capacity,),
            break_=Break(earliest_start=12 * HOUR, latest_start=14 * HOUR, duration_s=1800) if breaks else None,
        )
        for k in range(vehicles)
    ]
    return Problem(tuple(job_list), tuple(fleet), durations, distances, time_limit_s=time_limit_s)


@dataclass(frozen=True)
class PlanCost:
    """A plan's figures, computed the same way whichever solver made it."""

    served: int
    jobs: int
    vehicles_used: int
    vehicles: int
    distance_m: int
    duration_s: int


def plan_cost(problem: Problem, solution: Solution) -> PlanCost:
    """Distance summed along each route on the problem's matrix (depot to depot), and
    duration from each used route's leaving to its return, as timed in the solution."""
    jobs = problem.job_by_id()
    vehicles = {vehicle.id: vehicle for vehicle in problem.vehicles}
    distance = duration = served = used = 0
    for route in solution.routes:
        if not route.visits:
            continue
        vehicle = vehicles[route.vehicle_id]
        path = [vehicle.start_location] + [jobs[v.job_id].location for v in route.visits] + [vehicle.end_location]
        distance += sum(problem.distances[a][b] for a, b in zip(path, path[1:], strict=False))
        duration += route.end_time - route.start_time
        served += len(route.visits)
        used += 1
    return PlanCost(served, len(problem.jobs), used, len(problem.vehicles), distance, duration)


def cost_report(label: str, cost: PlanCost, seconds: float, refusals: list[str]) -> None:
    print(
        f"{label:<34} served {cost.served}/{cost.jobs}  vans {cost.vehicles_used}/{cost.vehicles}  "
        f"{cost.distance_m / 1000:9.1f} km  {cost.duration_s / HOUR:7.1f} h  {seconds:6.1f} s  "
        f"feasible {'yes' if not refusals else 'NO'}",
        flush=True,
    )
    for refusal in refusals[:5]:
        print(f"    {refusal}")


def solve_and_report(label: str, problem: Problem) -> tuple[Solution, float]:
    started = time.perf_counter()
    solution = plan_solve_problem(problem)
    seconds = time.perf_counter() - started
    violations = solution_check(problem, solution)
    cost_report(label, plan_cost(problem, solution), seconds, [f"{v.code}: {v.message}" for v in violations])
    reasons: dict[str, int] = {}
    for unassigned in solution.unassigned:
        reasons[unassigned.reason] = reasons.get(unassigned.reason, 0) + 1
    if reasons:
        print(f"    unassigned: {reasons}")
    return solution, seconds


def pyvrp_unsupported(problem: Problem) -> str | None:
    """Why PyVRP cannot be given this problem as it stands, or None when it can."""
    if any(vehicle.break_ is not None for vehicle in problem.vehicles):
        return "drivers' breaks, which PyVRP has no way to express"
    if any(job.soft_window for job in problem.jobs):
        return "soft time windows; PyVRP's windows are hard"
    if any(not job.skills <= vehicle.skills for job in problem.jobs if job.skills for vehicle in problem.vehicles):
        return "skills some vans lack; PyVRP cannot bar a client from a vehicle type"
    if problem.locked or problem.initial_routes or problem.change_penalty:
        return "a re-plan's locked stops and change penalty"
    if problem.objective != Objective.DISTANCE:
        return f"the {problem.objective} objective; the peer minimises distance"
    return None


def pyvrp_data(problem: Problem):
    """PyVRP's model of the problem: one client per job (in job order, required), one depot
    per location a van starts or ends at, one vehicle type per group of identical vans, and
    the problem's own integer matrices restricted to the locations used.

    Also returns, per vehicle type, the ids of the vans it stands for.
    """
    import numpy as np
    from pyvrp import Client, Depot, Location, ProblemData, VehicleType

    depot_locations = sorted({v.start_location for v in problem.vehicles} | {v.end_location for v in problem.vehicles})
    used = depot_locations + [job.location for job in problem.jobs]
    # The matrices say everything the search reads; PyVRP uses coordinates only to draw.
    locations = [Location(0, 0) for _ in used]
    dimensions = max(
        [len(v.capacity) for v in problem.vehicles] + [len(job.demand) for job in problem.jobs], default=1
    )

    def padded(amounts: tuple[int, ...]) -> list[int]:
        return list(amounts) + [0] * (dimensions - len(amounts))

    first_shift = min(v.shift_start for v in problem.vehicles)
    last_shift = max(v.shift_end for v in problem.vehicles)
    depots = [Depot(location=index, tw_early=first_shift, tw_late=last_shift) for index in range(len(depot_locations))]
    clients = [
        Client(
            location=len(depot_locations) + n,
            delivery=padded(job.demand),
            service_duration=job.service_s,
            tw_early=job.window_start,
            tw_late=job.window_end,
            required=True,
        )
        for n, job in enumerate(problem.jobs)
    ]
    groups: dict[tuple, list[str]] = {}
    for vehicle in problem.vehicles:
        key = (
            depot_locations.index(vehicle.start_location),
            depot_locations.index(vehicle.end_location),
            vehicle.shift_start,
            vehicle.shift_end,
            tuple(padded(vehicle.capacity)),
            vehicle.max_distance_m,
            vehicle.max_duration_s,
            vehicle.fixed_cost,
        )
        groups.setdefault(key, []).append(vehicle.id)
    vehicle_types = []
    for (start, end, shift_start, shift_end, capacity, max_distance, max_duration, fixed_cost), ids in groups.items():
        limits = {}
        if max_distance is not None:
            limits["max_distance"] = max_distance
        if max_duration is not None:
            limits["shift_duration"] = max_duration
        vehicle_types.append(VehicleType(
            num_available=len(ids),
            capacity=list(capacity),
            start_depot=start,
            end_depot=end,
            fixed_cost=fixed_cost,
            tw_early=shift_start,
            tw_late=shift_end,
            **limits,
        ))
    index = np.array(used)
    distances = np.asarray(problem.distances, dtype=np.int64)[np.ix_(index, index)]
    durations = np.asarray(problem.durations, dtype=np.int64)[np.ix_(index, index)]
    data = ProblemData(locations, clients, depots, vehicle_types, [distances], [durations])
    return data, list(groups.values())


def pyvrp_routes(problem: Problem, best, vans_by_type: list[list[str]]) -> dict[str, tuple[str, ...]]:
    """PyVRP's routes as job ids per van: a route of type t goes to the next unused van of t."""
    free = [list(ids) for ids in vans_by_type]
    routes: dict[str, tuple[str, ...]] = {}
    for route in best.routes():
        job_ids = tuple(problem.jobs[activity.idx].id for activity in route if activity.is_client())
        if job_ids:
            routes[free[route.vehicle_type()].pop(0)] = job_ids
    return routes


def peer_report(label: str, problem: Problem, *, seed: int) -> PlanCost | None:
    """PyVRP on the same day and limit; its routes timed by `plan_retime` and checked by ours."""
    from pyvrp import solve
    from pyvrp.stop import MaxRuntime

    reason = pyvrp_unsupported(problem)
    if reason is not None:
        print(f"{label:<34} skipped: the day has {reason}", flush=True)
        return None
    data, vans_by_type = pyvrp_data(problem)
    started = time.perf_counter()
    result = solve(data, stop=MaxRuntime(problem.time_limit_s), seed=seed, collect_stats=False, display=False)
    seconds = time.perf_counter() - started
    best = result.best
    refusals = [] if best.is_feasible() else [
        f"PyVRP: infeasible (time warp {best.time_warp()}, excess load {best.excess_load()}, "
        f"{best.num_missing_clients()} clients missing)"
    ]
    routes = pyvrp_routes(problem, best, vans_by_type)
    timed = plan_retime(replace(problem, initial_routes=routes))
    if timed is None:
        refusals.append("ours: the routes do not fit the problem's rules (plan_retime found no timing)")
        timed = Solution(
            tuple(_untimed_route(vehicle_id, job_ids) for vehicle_id, job_ids in routes.items()),
            (), 0, 0, 0, SolveStatus.NO_SOLUTION,
        )
    else:
        refusals += [f"ours: {v.code}: {v.message}" for v in solution_check(problem, timed)]
    cost = plan_cost(problem, timed)
    if best.distance() != cost.distance_m:
        refusals.append(f"PyVRP says {best.distance()} m, the matrix {cost.distance_m} m")
    cost_report(label, cost, seconds, refusals)
    return cost


def _untimed_route(vehicle_id: str, job_ids: tuple[str, ...]) -> RoutePlan:
    """A route with its order only, so a refused plan can still be costed by distance."""
    return RoutePlan(vehicle_id, tuple(Visit(job_id, 0, 0, 0) for job_id in job_ids), None, 0, 0, 0, 0)


def lost_vehicle_problem(problem: Problem, plan: Solution, *, lost: str, now: int, time_limit_s: float) -> Problem:
    """The day at `now` with `lost` gone.

    1. A visit that ended before `now` is done and leaves the problem.
    2. Each other van restarts from its last done stop (or depot) at `now`, with its
       next stop (the one it is serving or driving to) locked first.
    3. The lost van's unfinished jobs are free; the current plan is the warm start.
    """
    jobs = problem.job_by_id()
    done: set[str] = set()
    vehicles, locked, initial = [], {}, {}
    for route in plan.routes:
        vehicle = next(v for v in problem.vehicles if v.id == route.vehicle_id)
        finished = [visit for visit in route.visits if visit.departure <= now]
        done.update(visit.job_id for visit in finished)
        if route.vehicle_id == lost:
            continue
        remaining = tuple(visit.job_id for visit in route.visits if visit.departure > now)
        position = jobs[finished[-1].job_id].location if finished else vehicle.start_location
        # A break the plan starts before `now` is taken; one it starts later (or never) is still owed.
        brk = vehicle.break_
        owed = brk is not None and brk.latest_start >= now and (route.break_start is None or route.break_start >= now)
        vehicles.append(Vehicle(
            id=vehicle.id,
            start_location=position,
            end_location=vehicle.end_location,
            shift_start=max(now, vehicle.shift_start),
            shift_end=vehicle.shift_end,
            capacity=vehicle.capacity,
            break_=Break(max(now, brk.earliest_start), brk.latest_start, brk.duration_s) if owed else None,
        ))
        if remaining:
            locked[vehicle.id] = remaining[:1]
            initial[vehicle.id] = remaining
    return Problem(
        jobs=tuple(job for job in problem.jobs if job.id not in done),
        vehicles=tuple(vehicles),
        durations=problem.durations,
        distances=problem.distances,
        time_limit_s=time_limit_s,
        locked=locked,
        initial_routes=initial,
        change_penalty=2000,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2500)
    parser.add_argument("--vehicles", type=int, default=100)
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds for the big solve")
    parser.add_argument("--breaks", action="store_true", help="every van takes a 30-minute break from 12:00 to 14:00")
    parser.add_argument("--replan-jobs", type=int, default=200)
    parser.add_argument("--replan-vehicles", type=int, default=10)
    parser.add_argument("--replan-plan-time-limit", type=float, default=10.0)
    parser.add_argument("--replan-time-limit", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-peer", action="store_true", help="skip PyVRP on the big day")
    args = parser.parse_args(argv)

    print(f"planner search compiled or loaded in {search_compile():.1f} s, as a worker does when it starts")
    started = time.perf_counter()
    big = day_problem(
        jobs=args.jobs, vehicles=args.vehicles, seed=args.seed, time_limit_s=args.time_limit, breaks=args.breaks
    )
    print(f"matrices for {args.jobs} jobs: {time.perf_counter() - started:.1f} s")
    _, seconds = solve_and_report(f"{args.jobs} jobs / {args.vehicles} vans", big)
    print(f"  total with matrices: {time.perf_counter() - started:.1f} s")
    if not args.no_peer:
        peer_report(f"PyVRP, {args.jobs} jobs / {args.vehicles} vans", big, seed=args.seed)

    day = day_problem(
        jobs=args.replan_jobs,
        vehicles=args.replan_vehicles,
        seed=args.seed + 1,
        time_limit_s=args.replan_plan_time_limit,
        breaks=args.breaks,
    )
    plan, _ = solve_and_report(f"{args.replan_jobs} jobs / {args.replan_vehicles} vans", day)
    busiest = max(plan.routes, key=lambda route: len(route.visits))
    now = 13 * HOUR
    replan = lost_vehicle_problem(day, plan, lost=busiest.vehicle_id, now=now, time_limit_s=args.replan_time_limit)
    after, seconds = solve_and_report(f"re-plan without {busiest.vehicle_id} at 13:00", replan)
    diff = plan_diff(plan, after, jobs=replan.jobs)
    lost_left = sum(1 for visit in busiest.visits if visit.departure > now)
    print(
        f"  diff: {len(diff.moved)} moved ({lost_left} from the lost van), {len(diff.at_risk)} at risk, "
        f"{len(diff.newly_unassigned)} newly unassigned; re-plan {seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
