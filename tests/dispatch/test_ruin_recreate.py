"""The compiled ruin-and-recreate rounds improve plans and never break the model's rules."""

import math
import random
import time

import pytest

from dispatch.solver import Break, Job, Problem, Vehicle, plan_solve_problem, solution_check
from dispatch.solver.model import model_build
from dispatch.solver.ruin_recreate import ruin_recreate_improve, search_compile
from dispatch.solver.solve import _read_solution, _routes_of, search_parameters


@pytest.fixture(autouse=True, scope="module")
def compiled():
    # As a worker does at start: these tests give the search fractions of a second.
    search_compile()


def plane_matrix(points, metres_per_second=1):
    return tuple(tuple(round(math.dist(a, b) / metres_per_second) for b in points) for a in points)


def routes_length(problem, planned, routes):
    total = 0
    for v, route in enumerate(routes):
        if not route:
            continue
        vehicle = problem.vehicles[v]
        stops = [vehicle.start_location, *(planned.jobs[n].location for n in route), vehicle.end_location]
        total += sum(problem.distances[a][b] for a, b in zip(stops, stops[1:], strict=False))
    return total


def test_the_rounds_untangle_a_zigzag_route_into_the_round_trip():
    # Twelve customers on a circle around the depot; the start visits them criss-cross.
    points = [(0, 0)] + [(1000 * math.cos(k * math.pi / 6), 1000 * math.sin(k * math.pi / 6)) for k in range(12)]
    matrix = plane_matrix(points)
    jobs = tuple(Job(f"c{k}", k + 1, 0, 86_400, 0, (1,)) for k in range(12))
    problem = Problem(jobs, (Vehicle("van", 0, 0, 0, 86_400, (20,)),), matrix, matrix)
    planned = model_build(problem, jobs, {job.id: [0] for job in jobs})
    zigzag = [[0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11]]

    improved = ruin_recreate_improve(planned, zigzag, time.monotonic() + 0.5, seed=1)

    assert sorted(improved[0]) == list(range(12))
    around = [0, *range(1, 13), 0]
    circle = sum(matrix[a][b] for a, b in zip(around, around[1:], strict=False))
    assert routes_length(problem, planned, improved) == circle < routes_length(problem, planned, zigzag)


def a_busy_day(seed: int) -> Problem:
    """Forty jobs around two depots with every kind of rule the model knows."""
    rng = random.Random(seed)
    points = [(0, 0), (6000, 0)] + [(rng.uniform(-4000, 9000), rng.uniform(-5000, 5000)) for _ in range(40)]
    distances, durations = plane_matrix(points), plane_matrix(points, metres_per_second=10)
    jobs = []
    for k in range(40):
        opens = rng.choice([0, 7_200, 14_400])
        jobs.append(
            Job(
                id=f"j{k}",
                location=k + 2,
                window_start=opens,
                window_end=opens + rng.choice([7_200, 14_400, 28_800]),
                service_s=rng.choice([60, 120, 300]),
                demand=(rng.randint(1, 4), rng.choice([0, 0, 1])),
                skills=frozenset({"cold"}) if k % 9 == 0 else frozenset(),
            )
        )
    vans = (
        Vehicle("cold", 0, 0, 0, 36_000, (30, 6), skills=frozenset({"cold"}), break_=Break(10_800, 14_400, 1_800)),
        Vehicle("ev", 0, 0, 0, 36_000, (30, 6), max_distance_m=30_000),
        Vehicle("short", 1, 1, 0, 36_000, (30, 6), max_duration_s=14_400),
        Vehicle("west", 0, 1, 3_600, 36_000, (30, 6), break_=Break(12_000, 16_000, 1_200)),
        Vehicle("small", 1, 1, 0, 36_000, (12, 0)),
        Vehicle("spare", 1, 1, 0, 36_000, (30, 6)),
    )
    return Problem(tuple(jobs), vans, durations, distances, time_limit_s=1.0, locked={"west": ("j1", "j2")})


def test_a_plan_from_the_rounds_keeps_every_rule_the_routing_model_checks():
    problem = a_busy_day(seed=4)
    planned = model_build(problem, problem.jobs, {job.id: _able(problem, job) for job in problem.jobs})
    params = search_parameters(problem, time_limit_s=0.3)
    planned.routing.CloseModelWithParameters(params)
    first = planned.routing.SolveWithParameters(params)
    start = [[planned.manager.IndexToNode(i) for i in route] for route in _routes_of(planned.routing, first)]

    improved = ruin_recreate_improve(planned, start, time.monotonic() + 1.0, seed=3)

    # A fresh model (the one OR-Tools checks plans with) accepts the improved routes.
    fresh = model_build(problem, problem.jobs, {job.id: _able(problem, job) for job in problem.jobs})
    fresh.routing.CloseModelWithParameters(search_parameters(problem, time_limit_s=1.0))
    accepted = fresh.routing.ReadAssignmentFromRoutes(
        [[fresh.manager.NodeToIndex(node) for node in route] for route in improved], True
    )
    assert accepted is not None
    solution = _read_solution(fresh, accepted, [])
    assert solution_check(problem, solution) == []
    assert solution.job_ids_by_vehicle()["west"][:2] == ("j1", "j2")
    unserved = len(problem.jobs) - sum(map(len, start))
    assert (len(solution.unassigned), routes_length(problem, planned, improved)) <= (
        unserved,
        routes_length(problem, planned, start),
    )


def test_the_planner_with_its_rounds_serves_a_busy_day_within_every_rule():
    for seed in (1, 2):
        problem = a_busy_day(seed)

        solution = plan_solve_problem(problem)

        assert solution_check(problem, solution) == []
        assert solution.unassigned == ()
        cold = {visit.job_id for visit in solution.route_of("cold").visits}
        assert {job.id for job in problem.jobs if job.skills} <= cold


def _able(problem, job):
    return [v for v, vehicle in enumerate(problem.vehicles) if job.skills <= vehicle.skills]
