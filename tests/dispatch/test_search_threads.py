"""The rounds search in two threads on a big day: side by side, within every rule, trading plans."""

import dataclasses
import os
import threading
import time

import pytest

from dispatch.planning import problem_from_snapshot
from dispatch.solver import plan_solve_problem, search_threads, solution_check
from dispatch.solver import ruin_recreate as rr
from dispatch.solver.model import model_build
from dispatch.solver.ruin_recreate import (
    _descended,
    _exchange,
    _search,
    _Searcher,
    _state,
    kernel_of,
    routes_construct,
    search_compile,
)
from dispatch.travel import HaversineProvider
from tests.dispatch.test_problem_snapshot import day, job, shift
from tests.dispatch.test_ruin_recreate import _able, a_busy_day, a_day_of_tight_windows, fresh_model_reads


@pytest.fixture(autouse=True, scope="module")
def compiled():
    search_compile()


@pytest.fixture
def cores(monkeypatch):
    def use(count):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(count)), raising=False)

    return use


def test_two_threads_only_for_a_day_of_a_hundred_jobs_given_five_seconds_on_two_cores(cores):
    cores(2)
    assert search_threads(100, 5.0) == 2
    assert search_threads(1_000, 30.0) == 2
    assert search_threads(99, 30.0) == 1
    assert search_threads(1_000, 4.9) == 1
    cores(1)
    assert search_threads(1_000, 30.0) == 1


def test_the_product_builds_a_big_days_problem_with_the_threads_it_picks(cores):
    cores(2)
    provider = HaversineProvider(road_factor=1.3)
    big = day([job(k, lat=48.85 + k * 1e-4) for k in range(1, 101)], [shift(100), shift(101)])
    small = day([job(k, lat=48.85 + k * 1e-4) for k in range(1, 100)], [shift(100), shift(101)])

    assert problem_from_snapshot(big, provider=provider, time_limit_s=5.0)[0].search_threads == 2
    assert problem_from_snapshot(big, provider=provider, time_limit_s=1.0)[0].search_threads == 1
    assert problem_from_snapshot(small, provider=provider, time_limit_s=5.0)[0].search_threads == 1


def tight_day_searcher(jobs=60):
    problem = a_day_of_tight_windows(seed=5, jobs=jobs)
    planned = model_build(problem, problem.jobs, {job.id: list(range(len(problem.vehicles))) for job in problem.jobs})
    K = kernel_of(planned)
    start = routes_construct(planned)
    return K, start


def test_the_compiled_rounds_let_other_threads_run_meanwhile():
    K, start = tight_day_searcher()
    searcher = _Searcher(K, _state(K, start), 1 << 62)
    began = time.monotonic()
    searcher.call(2_000, 100.0)
    rounds = max(2_000, int(2_000 * 0.5 / max(time.monotonic() - began, 1e-3)))  # about half a second
    worker = threading.Thread(target=searcher.call, args=(rounds, 100.0))

    ticks = 0
    worker.start()
    while worker.is_alive():
        ticks += 1
        time.sleep(0.001)
    worker.join()

    # Holding the GIL, one call would stop this thread for its whole half second.
    assert ticks >= 20


def test_a_search_that_fell_behind_continues_from_the_best_plan_after_its_descent():
    K, start = tight_day_searcher()
    total = _search_total(K, start)
    leader, behind = _Searcher(K, _state(K, start), total), _Searcher(K, _state(K, start), total)
    leader.call(3_000, 50.0)
    assert leader.best() < total
    found = leader.best()
    current_of_leader = leader.rows.copy()
    descended, cost = _descended(K, leader.best_routes(), found)
    assert cost <= found

    _exchange(K, [behind, leader])

    assert behind.best() == cost
    assert behind.best_routes() == descended
    assert [list(behind.rows[v, : behind.lengths[v]]) for v in range(len(start))] == descended
    assert _search_total(K, descended) == cost
    if cost == found:
        assert (leader.rows == current_of_leader).all()  # nothing to gain: the leader keeps its own current plan
    else:
        assert leader.best_routes() == descended


def _search_total(K, routes):
    arrays = _state(K, routes)
    served = sum(map(len, routes))
    return int(arrays[5].sum()) + (K.demand.shape[0] - served) * int(K.unassigned_penalty)


def test_two_threads_give_the_same_plan_from_the_same_seeds_and_keep_every_rule():
    problem = a_busy_day(seed=4)
    allowed = {job.id: _able(problem, job) for job in problem.jobs}
    planned = model_build(problem, problem.jobs, allowed)
    K = kernel_of(planned)
    start = routes_construct(planned)

    first = _search(K, start, 0.0, seed=3, threads=2, slice_rounds=300)
    again = _search(K, start, 0.0, seed=3, threads=2, slice_rounds=300)

    assert first == again
    assert _search_total(K, first) <= _search_total(K, start)
    solution = fresh_model_reads(problem, first)
    assert solution is not None
    assert solution_check(problem, solution) == []
    assert solution.job_ids_by_vehicle()["west"][:2] == ("j1", "j2")


def test_the_planner_with_two_search_threads_serves_a_busy_day_within_every_rule(monkeypatch):
    threads_seen = []
    search = rr._search

    def spy(*args, **kwargs):
        threads_seen.append(kwargs.get("threads", 1))
        return search(*args, **kwargs)

    monkeypatch.setattr(rr, "_search", spy)
    for seed in (1, 2):
        problem = dataclasses.replace(a_busy_day(seed), search_threads=2)

        solution = plan_solve_problem(problem)

        assert solution_check(problem, solution) == []
        assert solution.unassigned == ()
    assert threads_seen.count(2) == 2  # one search in two threads per solve (a first solve also compiles)
