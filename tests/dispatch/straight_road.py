"""Tiny hand-made days along a straight road, shared by the planner's tests.

Locations are points on a line, `POSITIONS[i]` metres from the first depot; vehicles
drive at 1 m/s, so a duration in seconds equals the distance in metres.
"""

from dispatch.solver import Job, Problem, Vehicle, plan_solve_problem, solution_check

POSITIONS = (0, 1000, 2000, 3000, -1000, -2000, -3000, 5000)
DEPOT, EAST_1K, EAST_2K, EAST_3K, WEST_1K, WEST_2K, WEST_3K, FAR_EAST_DEPOT = range(len(POSITIONS))
DAY = 24 * 3600


def line_matrix() -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(abs(a - b) for b in POSITIONS) for a in POSITIONS)


def a_job(job_id: str, location: int, **overrides) -> Job:
    fields = {
        "window_start": 0,
        "window_end": DAY,
        "service_s": 60,
        "demand": (1,),
    } | overrides
    return Job(id=job_id, location=location, **fields)


def a_van(vehicle_id: str, **overrides) -> Vehicle:
    fields = {
        "start_location": DEPOT,
        "end_location": DEPOT,
        "shift_start": 0,
        "shift_end": DAY,
        "capacity": (10,),
    } | overrides
    return Vehicle(id=vehicle_id, **fields)


def a_problem(jobs, vehicles, **overrides) -> Problem:
    matrix = line_matrix()
    return Problem(
        jobs=tuple(jobs), vehicles=tuple(vehicles), durations=matrix, distances=matrix, time_limit_s=0.3, **overrides
    )


def solved(problem: Problem):
    solution = plan_solve_problem(problem)
    assert solution_check(problem, solution) == []
    return solution
