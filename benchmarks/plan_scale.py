"""Scale benchmark: a city day of 2,500 jobs on 100 vans, then a lost van mid-day.

Jobs are seeded random points around one city centre with 2-hour windows between 08:00
and 20:00; travel times come from the haversine provider. Both solves go through the
product's `plan_solve_problem` and are re-checked with `solution_check`. With `--breaks`
every van also takes a driver's break, which the search checks by replaying the route
rather than in constant time.

    python benchmarks/plan_scale.py --time-limit 60 --replan-time-limit 3
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dispatch.solver import (  # noqa: E402
    Break,
    Job,
    Problem,
    Solution,
    Vehicle,
    plan_diff,
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


def solve_and_report(label: str, problem: Problem) -> tuple[Solution, float]:
    started = time.perf_counter()
    solution = plan_solve_problem(problem)
    seconds = time.perf_counter() - started
    violations = solution_check(problem, solution)
    served = sum(len(route.visits) for route in solution.routes)
    used = sum(1 for route in solution.routes if route.visits)
    print(
        f"{label:<34} {seconds:6.1f} s  served {served}/{len(problem.jobs)}  vans {used}/{len(problem.vehicles)}  "
        f"{solution.distance_m / 1000:8.1f} km  feasible {'yes' if not violations else 'NO'}",
        flush=True,
    )
    for violation in violations[:5]:
        print(f"    {violation.code}: {violation.message}")
    reasons: dict[str, int] = {}
    for unassigned in solution.unassigned:
        reasons[unassigned.reason] = reasons.get(unassigned.reason, 0) + 1
    if reasons:
        print(f"    unassigned: {reasons}")
    return solution, seconds


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
    args = parser.parse_args(argv)

    print(f"planner search compiled or loaded in {search_compile():.1f} s, as a worker does when it starts")
    started = time.perf_counter()
    big = day_problem(
        jobs=args.jobs, vehicles=args.vehicles, seed=args.seed, time_limit_s=args.time_limit, breaks=args.breaks
    )
    print(f"matrices for {args.jobs} jobs: {time.perf_counter() - started:.1f} s")
    _, seconds = solve_and_report(f"{args.jobs} jobs / {args.vehicles} vans", big)
    print(f"  total with matrices: {time.perf_counter() - started:.1f} s")

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
