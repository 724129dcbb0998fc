"""A plan is never worse than the simplest feasible one, however little time the search gets.

OR-Tools' first-solution heuristic that runs out of time answers with every job dropped;
the demo seed (2 s per day, a tenth of it for the first search) saved such plans as
days with vehicles and shifts but no stops.
"""

import pytest

from dispatch.models import Stop
from dispatch.services import plan_day
from dispatch.solver import Job, Problem, Vehicle, plan_solve_problem, solution_check
from dispatch.solver import solve as solver_solve
from tests.dispatch.conftest import PLAN_DAY, make_jobs

HOUR = 3600


def a_busy_day(*, jobs: int = 60, vans: int = 3, time_limit_s: float = 0.001, locked=None) -> Problem:
    """Jobs scattered along a 5 km road, in four two-hour windows from 08:00; vans 07:00-20:00 at 10 m/s."""
    metres = [0] + [(i * 1379) % 5000 - 2500 for i in range(jobs)]
    distances = tuple(tuple(abs(a - b) for b in metres) for a in metres)
    durations = tuple(tuple(d // 10 for d in row) for row in distances)
    day_jobs = tuple(
        Job(f"j{i}", i + 1, (8 + 2 * (i % 4)) * HOUR, (10 + 2 * (i % 4)) * HOUR, 120, (1,)) for i in range(jobs)
    )
    fleet = tuple(Vehicle(f"v{k}", 0, 0, 7 * HOUR, 20 * HOUR, (jobs // vans + 5,)) for k in range(vans))
    return Problem(day_jobs, fleet, durations, distances, time_limit_s=time_limit_s, locked=locked or {})


def served(solution) -> set[str]:
    return {visit.job_id for route in solution.routes for visit in route.visits}


def test_a_solve_whose_search_gets_no_time_still_serves_every_job():
    problem = a_busy_day(time_limit_s=0.001)

    solution = plan_solve_problem(problem)

    assert solution.unassigned == ()
    assert served(solution) == {job.id for job in problem.jobs}
    assert solution_check(problem, solution) == []


def test_a_first_search_starved_before_the_rounds_still_ends_with_every_job_served(monkeypatch):
    # The seed's case: a second or more, so the rounds run, but the first search's share is too short.
    monkeypatch.setattr(solver_solve, "FIRST_SEARCH_SHARE", 0.0)
    problem = a_busy_day(jobs=40, time_limit_s=1.0)

    solution = plan_solve_problem(problem)

    assert solution.unassigned == ()
    assert solution_check(problem, solution) == []


def test_the_fallback_keeps_a_locked_stop_first_on_its_vehicle():
    problem = a_busy_day(time_limit_s=0.001, locked={"v2": ("j7",)})

    solution = plan_solve_problem(problem)

    assert solution.route_of("v2").visits[0].job_id == "j7"
    assert solution.unassigned == ()
    assert solution_check(problem, solution) == []


def test_the_fallback_still_reports_a_job_no_vehicle_can_carry():
    problem = a_busy_day(time_limit_s=0.001)
    too_big = Job("huge", 1, 8 * HOUR, 10 * HOUR, 120, (10_000,))
    problem = Problem(
        problem.jobs + (too_big,), problem.vehicles, problem.durations, problem.distances, time_limit_s=0.001
    )

    solution = plan_solve_problem(problem)

    assert [(u.job_id, u.reason) for u in solution.unassigned] == [("huge", "exceeds_capacity")]
    assert len(served(solution)) == len(problem.jobs) - 1


@pytest.mark.django_db
def test_a_day_planned_with_no_time_to_search_still_gets_routes(depot, zone, fleet):
    jobs = make_jobs(zone, 24)

    plan = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=0.001)

    assert plan.unassigned == []
    assert set(Stop.objects.filter(route__plan=plan).values_list("job_id", flat=True)) == {job.pk for job in jobs}
    assert plan.routes.count() >= 1


def test_a_search_that_drops_jobs_and_whose_constructive_plan_is_refused_searches_again_from_scratch(monkeypatch):
    # Seen on the production topology: the routing model refused the constructive plan, and a re-plan
    # kept dropping new bookings that a search from scratch served.
    monkeypatch.setattr(solver_solve, "FIRST_SEARCH_SHARE", 0.0)
    monkeypatch.setattr(solver_solve, "_constructed_assignment", lambda planned, routes, variant: None)
    problem = a_busy_day(jobs=40, time_limit_s=1.0)

    solution = plan_solve_problem(problem)

    assert solution.unassigned == ()
    assert solution_check(problem, solution) == []
