"""A re-plan warm-started from the day's plan serves the bookings made since, as a first plan would.

Found on the production topology: a burst of evening bookings, each accepted by checkout, was
re-planned with 3 s and saved with three of them unassigned (`no_capacity_left`), while a
plan from scratch, or the plan checkout's oracle had in mind, served them all.
"""

from dataclasses import replace

from dispatch.solver import plan_solve_problem, solution_check
from tests.dispatch.test_plan_fallback import a_busy_day, served


def the_plan_before_the_rush(problem, booked_before: int):
    """The day's plan for its first `booked_before` jobs, which the re-plan starts from."""
    earlier = replace(problem, jobs=problem.jobs[:booked_before], time_limit_s=0.5)
    return plan_solve_problem(earlier).job_ids_by_vehicle()


def test_a_replan_whose_search_stops_at_the_old_plan_still_serves_the_new_bookings():
    # Forty jobs were planned; twenty more were booked since. The search from the old plan gets
    # one solution only (as a starved one does): the new jobs must come from the constructive plan.
    day = a_busy_day(jobs=60, time_limit_s=1.0)
    replan = replace(day, initial_routes=the_plan_before_the_rush(day, 40), change_penalty=900, solution_limit=1)

    solution = plan_solve_problem(replan)

    assert solution.unassigned == ()
    assert served(solution) == {job.id for job in day.jobs}
    assert solution_check(replan, solution) == []

