"""The compiled ruin-and-recreate rounds improve plans and never break the model's rules."""

import math
import random
import time

import pytest

from dispatch.solver import Break, Job, Problem, Vehicle, plan_solve_problem, solution_check
from dispatch.solver.model import model_build
from dispatch.solver.ruin_recreate import (
    _feasible,
    _insertion_feasible,
    _state,
    kernel_of,
    routes_construct,
    ruin_recreate_improve,
    search_compile,
)
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


def a_day_of_tight_windows(seed: int, jobs: int = 60) -> Problem:
    """Windows and a shift only (the rounds' constant-time case), tight enough that many places fail."""
    rng = random.Random(seed)
    points = [(0, 0)] + [(rng.uniform(-8000, 8000), rng.uniform(-8000, 8000)) for _ in range(jobs)]
    matrix = plane_matrix(points, metres_per_second=8)
    job_list = []
    for k in range(jobs):
        opens = rng.randrange(0, 25_200)
        job_list.append(Job(f"j{k}", k + 1, opens, opens + rng.choice([1_800, 3_600, 7_200]), rng.choice([60, 300]), (1,)))
    vans = tuple(Vehicle(f"v{k}", 0, 0, 0, 30_600, (25,)) for k in range(6))
    return Problem(tuple(job_list), vans, matrix, matrix, time_limit_s=1.0)


def test_the_constant_time_insertion_check_agrees_with_replaying_the_route_at_every_place():
    for seed in (1, 2, 3):
        problem = a_day_of_tight_windows(seed)
        planned = model_build(problem, problem.jobs, {job.id: list(range(len(problem.vehicles))) for job in problem.jobs})
        K = kernel_of(planned)
        assert K.simple.all()
        # Drop every third job of a constructive plan so that there is something to insert.
        routes = [[node for node in route if node % 3] for route in routes_construct(planned, seed=seed)]
        state = _state(K, routes)
        assert state is not None
        rows, lengths, *_rest, starts, latest, _position = state
        outcomes = set()
        for v in range(len(routes)):
            for at in range(lengths[v] + 1):
                for extra in range(len(problem.jobs)):
                    quick = _insertion_feasible(K, v, rows[v], lengths[v], at, extra, starts[v], latest[v])
                    replayed, _late = _feasible(K, v, rows[v], lengths[v], at, extra)
                    assert quick == replayed, (seed, v, at, extra)
                    outcomes.add(quick)
        assert outcomes == {True, False}


def test_a_day_of_several_hundred_jobs_runs_the_rounds_and_keeps_every_window():
    problem = a_day_of_tight_windows(seed=5, jobs=320)
    problem = Problem(
        problem.jobs,
        tuple(Vehicle(f"v{k}", 0, 0, 0, 30_600, (25,)) for k in range(30)),
        problem.durations,
        problem.distances,
        time_limit_s=3.0,
    )
    planned = model_build(problem, problem.jobs, {job.id: list(range(30)) for job in problem.jobs})
    start = routes_construct(planned)

    solution = plan_solve_problem(problem)

    assert solution_check(problem, solution) == []
    served = sum(len(route.visits) for route in solution.routes)
    assert served >= sum(map(len, start))
    assert (len(solution.unassigned), solution.distance_m) < (
        len(problem.jobs) - sum(map(len, start)),
        routes_length(problem, planned, start),
    )
