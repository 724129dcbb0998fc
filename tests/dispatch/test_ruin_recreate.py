"""The compiled ruin-and-recreate rounds improve plans and never break the model's rules."""

import math
import random
import time
from dataclasses import replace

import numpy as np
import pytest
from ortools.util import optional_boolean_pb2

from dispatch.solver import Break, Job, Problem, Vehicle, plan_solve_problem, solution_check
from dispatch.solver.model import model_build
from dispatch.solver.ruin_recreate import (
    _feasible,
    _insertion_feasible,
    _moves_between_routes,
    _recreate,
    _refresh,
    _seed,
    _state,
    _tails_exchange,
    kernel_of,
    routes_construct,
    ruin_recreate_improve,
    search_compile,
)
from dispatch.solver.solve import (
    PATH_LNS,
    PATH_LNS_MAX_JOBS,
    _read_solution,
    _routes_of,
    closing_parameters,
    search_parameters,
)


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


def fresh_model_reads(problem, routes):
    """These routes as a fresh OR-Tools model (the one plans are checked with) reads them back; None if refused."""
    fresh = model_build(problem, problem.jobs, {job.id: _able(problem, job) for job in problem.jobs})
    fresh.routing.CloseModelWithParameters(search_parameters(problem, time_limit_s=1.0))
    accepted = fresh.routing.ReadAssignmentFromRoutes(
        [[fresh.manager.NodeToIndex(node) for node in route] for route in routes], True
    )
    return None if accepted is None else _read_solution(fresh, accepted, [])


def test_a_plan_from_the_rounds_keeps_every_rule_the_routing_model_checks():
    problem = a_busy_day(seed=4)
    planned = model_build(problem, problem.jobs, {job.id: _able(problem, job) for job in problem.jobs})
    params = search_parameters(problem, time_limit_s=0.3)
    planned.routing.CloseModelWithParameters(params)
    first = planned.routing.SolveWithParameters(params)
    start = [[planned.manager.IndexToNode(i) for i in route] for route in _routes_of(planned.routing, first)]

    improved = ruin_recreate_improve(planned, start, time.monotonic() + 1.0, seed=3)

    # A fresh model (the one OR-Tools checks plans with) accepts the improved routes.
    solution = fresh_model_reads(problem, improved)
    assert solution is not None
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
                    quick = _insertion_feasible(K, v, rows, lengths[v], at, extra, starts, latest)
                    replayed, _late = _feasible(K, v, rows[v], lengths[v], at, extra)
                    assert quick == replayed, (seed, v, at, extra)
                    outcomes.add(quick)
        assert outcomes == {True, False}


def a_line_where_x_fits_only_first(routes: list[list[int]]):
    """On a line: the depot at 0; a (at 10, with a long service), b and c (50, 52), x (48), nodes 0-3.
    x must be reached by 3,000 s: on a route a, b, c only first, before a, though its two nearest
    neighbours are b and c. One van a route of `routes`; returns the kernel and the plan's arrays."""
    points = [0, 10, 50, 52, 48]
    matrix = tuple(tuple(abs(p - q) * 60 for q in points) for p in points)
    jobs = (
        Job("a", 1, 0, 20_000, 1_000, (1,)),
        Job("b", 2, 0, 20_000, 60, (1,)),
        Job("c", 3, 0, 20_000, 60, (1,)),
        Job("x", 4, 0, 3_000, 0, (1,)),
    )
    vans = tuple(Vehicle(f"v{k}", 0, 0, 0, 30_000, (10,)) for k in range(len(routes)))
    problem = Problem(jobs, vans, matrix, matrix, time_limit_s=1.0)
    K = kernel_of(model_build(problem, jobs, {job.id: list(range(len(vans))) for job in jobs}))
    return K, _state(K, routes)


def test_a_job_whose_only_place_is_first_on_a_route_is_put_there_though_the_stop_it_precedes_is_not_near():
    """The places next to x's two nearest neighbours all come after a, too late; the first place of
    their route is tried as well."""
    K, (rows, lengths, route_of, loads, lateness, _costs, starts, latest, position) = a_line_where_x_fits_only_first(
        [[0, 1, 2]])
    _seed(0)

    left_out = _recreate(K, rows, lengths, route_of, loads, lateness, starts, latest, position,
                         np.zeros(1, dtype=np.bool_), np.array([3], dtype=np.int64), 1, 2)

    assert left_out == 0
    assert list(rows[0, : lengths[0]]) == [3, 0, 1, 2]


def test_the_closing_descent_moves_a_job_first_on_another_route_though_the_stop_it_precedes_is_not_near():
    """With x alone on a second van, the descent moves it first on the busy van's route, the only place
    there that keeps its window, and the second van's round trip is saved."""
    K, (rows, lengths, route_of, loads, _lateness, costs, starts, latest, position) = a_line_where_x_fits_only_first(
        [[0, 1, 2], [3]])
    before = int(costs.sum())

    saved = _moves_between_routes(K, rows, lengths, route_of, loads, starts, latest, position, 2)

    after = _state(K, [list(rows[v, : lengths[v]]) for v in range(2)])
    assert after is not None  # every window and the shifts kept
    assert (rows[0, 0], lengths[1]) == (3, 0)
    assert saved == before - int(after[5].sum()) > 0


def a_busy_van_and_an_idle_one(count: int = 2):
    """The depot at (0, 0); a and b, at (10, 0) and (40, 0), on van 0's route; x and y, at (20, 30) and (22, 30),
    to place, each cheapest on van 0's route. Any other van is idle. Returns the kernel and the plan's arrays."""
    matrix = plane_matrix([(0, 0), (600, 0), (2400, 0), (1200, 1800), (1320, 1800)])
    jobs = tuple(Job(name, node, 0, 20_000, 60, (1,)) for node, name in enumerate("abxy", start=1))
    vans = tuple(Vehicle(f"v{k}", 0, 0, 0, 30_000, (10,)) for k in range(count))
    problem = Problem(jobs, vans, matrix, matrix, time_limit_s=1.0)
    K = kernel_of(model_build(problem, jobs, {job.id: list(range(count)) for job in jobs}))
    return K, _state(K, [[0, 1]] + [[] for _ in range(count - 1)])


@pytest.mark.parametrize("opening", [False, True])
def test_a_round_that_opens_a_route_puts_its_first_job_in_an_idle_van_and_the_next_with_it(opening):
    """A cheapest insertion never opens a route while a busy one takes the job for less: the fleet of the
    start stayed the fleet of the plan. A round that opens one puts its first job in the idle van, whatever
    that costs, and the jobs after it where they fit best: with it, here."""
    K, (rows, lengths, route_of, loads, lateness, _costs, starts, latest, position) = a_busy_van_and_an_idle_one()
    _seed(0)

    left_out = _recreate(K, rows, lengths, route_of, loads, lateness, starts, latest, position,
                         np.zeros(2, dtype=np.bool_), np.array([2, 3], dtype=np.int64), 2, 2, opening)

    assert left_out == 0
    busy, idle = ({int(node) for node in rows[v, : lengths[v]]} for v in range(2))
    assert (busy, idle) == (({0, 1}, {2, 3}) if opening else ({0, 1, 2, 3}, set()))


def test_with_no_idle_van_a_round_that_opens_a_route_places_its_first_job_as_any_other():
    K, (rows, lengths, route_of, loads, lateness, _costs, starts, latest, position) = \
        a_busy_van_and_an_idle_one(count=1)
    _seed(0)

    left_out = _recreate(K, rows, lengths, route_of, loads, lateness, starts, latest, position,
                         np.zeros(1, dtype=np.bool_), np.array([2], dtype=np.int64), 1, 2, True)

    assert left_out == 0
    assert sorted(rows[0, : lengths[0]]) == [0, 1, 2]


def test_the_refresh_of_a_simple_route_says_what_replaying_it_says():
    """What the rounds check after a ruin: a plan's routes with stops taken out, on a matrix where a
    detour can be quicker than the direct leg (so that taking a stop out can make the route late)."""
    rng = random.Random(4)
    for seed in (1, 2, 3):
        problem = a_day_of_tight_windows(seed)
        slow = [list(row) for row in problem.durations]
        for a in range(len(slow)):
            for b in range(len(slow)):
                if a != b and rng.random() < 0.3:
                    slow[a][b] *= 3
        problem = Problem(problem.jobs, problem.vehicles, tuple(map(tuple, slow)), problem.distances, time_limit_s=1.0)
        planned = model_build(problem, problem.jobs, {job.id: list(range(len(problem.vehicles))) for job in problem.jobs})
        K = kernel_of(planned)
        assert K.simple.all()
        outcomes = set()
        for route in routes_construct(planned, seed=seed):
            for _ in range(20):
                kept = [node for node in route if rng.random() < 0.7]
                row = np.zeros(len(problem.jobs) + 1, dtype=np.int64)
                row[: len(kept)] = kept
                starts, latest = np.zeros_like(row), np.zeros_like(row)
                position = np.zeros(len(problem.jobs), dtype=np.int64)
                for v in range(len(problem.vehicles)):
                    quick = _refresh(K, v, row, len(kept), starts, latest, position)
                    replayed, _late = _feasible(K, v, row, len(kept), -1, 0)
                    assert quick == replayed, (seed, v, kept)
                    outcomes.add(quick)
        assert outcomes == {True, False}


def test_a_big_day_closes_its_model_without_the_path_lns_that_overran_the_polish():
    """The closing polish searches with the operators its model was closed with: setting them on the
    polish's own parameters changes nothing, so a big day leaves them out when it closes."""
    problem = a_day_of_tight_windows(seed=1)

    def operators(jobs: int) -> set[int]:
        params = closing_parameters(problem, 0, 30.0, jobs)
        return {getattr(params.local_search_operators, name) for name in PATH_LNS}

    assert operators(PATH_LNS_MAX_JOBS + 1) == {optional_boolean_pb2.BOOL_FALSE}
    assert operators(PATH_LNS_MAX_JOBS) == {optional_boolean_pb2.BOOL_TRUE}


# 320 jobs on 30 vans, and 600 on 50: days whose model is closed without OR-Tools' path LNS.
@pytest.mark.parametrize(("seed", "jobs", "vans"), [(5, 320, 30), (7, 600, 50)])
def test_a_day_of_several_hundred_jobs_runs_the_rounds_and_keeps_every_window(seed, jobs, vans):
    problem = a_day_of_tight_windows(seed=seed, jobs=jobs)
    problem = Problem(
        problem.jobs,
        tuple(Vehicle(f"v{k}", 0, 0, 0, 30_600, (25,)) for k in range(vans)),
        problem.durations,
        problem.distances,
        time_limit_s=3.0,
    )
    planned = model_build(problem, problem.jobs, {job.id: list(range(vans)) for job in problem.jobs})
    start = routes_construct(planned)

    solution = plan_solve_problem(problem)

    assert solution_check(problem, solution) == []
    served = sum(len(route.visits) for route in solution.routes)
    assert served >= sum(map(len, start))
    assert (len(solution.unassigned), solution.distance_m) < (
        len(problem.jobs) - sum(map(len, start)),
        routes_length(problem, planned, start),
    )


def test_a_leg_too_long_for_32_bits_stays_too_long_for_the_rounds():
    # The rounds keep the matrices in 32 bits; a leg beyond that range must not wrap
    # round to a short one (2**32 + 100 would read as 100) and chain the two jobs.
    endless = 2**32 + 100
    matrix = ((0, 100, 100), (100, 0, endless), (100, endless, 0))
    jobs = (Job("a", 1, 0, 86_400, 0, (1,)), Job("b", 2, 0, 86_400, 0, (1,)))
    vans = (Vehicle("v0", 0, 0, 0, 86_400, (5,)), Vehicle("v1", 0, 0, 0, 86_400, (5,)))
    problem = Problem(jobs, vans, matrix, matrix)
    planned = model_build(problem, jobs, {job.id: [0, 1] for job in jobs})

    assert kernel_of(planned).travel[0, 1] > 86_400
    assert sorted(map(len, routes_construct(planned))) == [1, 1]


def a_day_with_two_binding_loads(seed):
    """The tight-window day with two load dimensions that each bind: about ten stops or 150 kg a van."""
    day = a_day_of_tight_windows(seed)
    rng = random.Random(seed)
    jobs = tuple(replace(job, demand=(1, rng.randint(1, 30))) for job in day.jobs)
    vans = tuple(Vehicle(f"v{k}", 0, 0, 0, 30_600, (10, 150)) for k in range(9))
    return Problem(jobs, vans, day.durations, day.distances, time_limit_s=1.0)


@pytest.mark.parametrize("move", ["tails", "relocate_or_swap"])
def test_each_closing_move_shortens_a_plan_and_keeps_every_window_and_load(move):
    savings = []
    for seed in (1, 2, 3, 4):
        problem = a_day_with_two_binding_loads(seed)
        planned = model_build(problem, problem.jobs, {job.id: list(range(9)) for job in problem.jobs})
        K = kernel_of(planned)
        start = routes_construct(planned, seed=seed)
        rows, lengths, route_of, loads, _late, costs, starts, latest, position = _state(K, start)
        before = int(costs.sum())

        if move == "tails":
            saved = _tails_exchange(K, rows, lengths, route_of, starts, latest, position, 40)
        else:
            saved = _moves_between_routes(K, rows, lengths, route_of, loads, starts, latest, position, 40)

        routes = [[int(node) for node in rows[v, : lengths[v]]] for v in range(len(problem.vehicles))]
        assert sorted(sum(routes, [])) == sorted(sum(start, []))
        after = _state(K, routes)
        assert after is not None
        assert before - int(after[5].sum()) == saved
        # A fresh OR-Tools model (windows, shift, both loads) accepts the routes.
        solution = fresh_model_reads(problem, routes)
        assert solution is not None
        assert solution_check(problem, solution) == []
        savings.append(saved)
    assert max(savings) > 0
