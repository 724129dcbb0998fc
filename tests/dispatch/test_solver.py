"""Each rule of the planner binds, on tiny hand-made days along a straight road.

Locations are points on a line, `POSITIONS[i]` metres from the first depot; vehicles
drive at 1 m/s, so a duration in seconds equals the distance in metres.
"""

import dataclasses
import os

from dispatch.solver import (
    Break,
    UnassignedReason,
    Visit,
    solution_check,
)
from tests.dispatch.straight_road import (
    DAY,
    EAST_1K,
    EAST_2K,
    EAST_3K,
    FAR_EAST_DEPOT,
    WEST_1K,
    WEST_2K,
    WEST_3K,
    a_job,
    a_problem,
    a_van,
    solved,
)


def vehicle_of(solution, job_id: str) -> str | None:
    for route in solution.routes:
        if any(visit.job_id == job_id for visit in route.visits):
            return route.vehicle_id
    return None


def reasons(solution) -> dict[str, UnassignedReason]:
    return {u.job_id: u.reason for u in solution.unassigned}


def test_every_job_is_served_when_the_fleet_can():
    jobs = [a_job("a", EAST_1K), a_job("b", WEST_1K), a_job("c", EAST_2K)]

    solution = solved(a_problem(jobs, [a_van("van")]))

    assert solution.unassigned == ()
    assert solution.distance_m == 2000 * 2 + 1000 * 2


def test_a_job_needing_a_skill_lands_on_the_vehicle_that_has_it():
    jobs = [a_job("frozen peas", EAST_1K, skills=frozenset({"freezer"}))]
    vans = [a_van("plain"), a_van("cold", skills=frozenset({"freezer", "tail-lift"}))]

    solution = solved(a_problem(jobs, vans))

    assert vehicle_of(solution, "frozen peas") == "cold"


def test_a_job_no_vehicle_has_the_skills_for_is_unassigned_with_that_reason():
    jobs = [a_job("piano", EAST_1K, skills=frozenset({"crane"})), a_job("letter", EAST_1K)]

    solution = solved(a_problem(jobs, [a_van("van", skills=frozenset({"freezer"}))]))

    assert reasons(solution) == {"piano": UnassignedReason.NO_VEHICLE_WITH_SKILLS}
    assert vehicle_of(solution, "letter") == "van"


def test_capacity_splits_the_jobs_across_vehicles():
    jobs = [a_job("a", EAST_1K, demand=(6,)), a_job("b", EAST_2K, demand=(6,))]

    solution = solved(a_problem(jobs, [a_van("one"), a_van("two")]))

    assert solution.unassigned == ()
    assert vehicle_of(solution, "a") != vehicle_of(solution, "b")


def test_every_load_dimension_binds():
    # Light parcels, but each van holds a single cold box.
    jobs = [a_job("a", EAST_1K, demand=(1, 1)), a_job("b", EAST_2K, demand=(1, 1))]
    vans = [a_van("one", capacity=(10, 1)), a_van("two", capacity=(10, 1))]

    solution = solved(a_problem(jobs, vans))

    assert vehicle_of(solution, "a") != vehicle_of(solution, "b")


def test_a_job_bigger_than_any_vehicle_is_unassigned_as_exceeding_capacity():
    jobs = [a_job("sofa", EAST_1K, demand=(11,))]

    solution = solved(a_problem(jobs, [a_van("van")]))

    assert reasons(solution) == {"sofa": UnassignedReason.EXCEEDS_CAPACITY}


def test_a_job_whose_window_cannot_be_reached_is_unassigned_as_window_unreachable():
    # 3 km away, but the window closes 1000 s after the shift starts.
    jobs = [a_job("early", EAST_3K, window_start=0, window_end=1000), a_job("fine", EAST_1K)]

    solution = solved(a_problem(jobs, [a_van("van")]))

    assert reasons(solution) == {"early": UnassignedReason.WINDOW_UNREACHABLE}


def test_time_windows_decide_the_order_and_service_starts_inside_them():
    # Nearest-first would visit the 1 km job first; its window opens only later.
    jobs = [
        a_job("near-late", EAST_1K, window_start=5000, window_end=6000),
        a_job("far-early", EAST_3K, window_start=0, window_end=3500),
    ]

    solution = solved(a_problem(jobs, [a_van("van")]))

    visits = solution.routes[0].visits
    assert [v.job_id for v in visits] == ["far-early", "near-late"]
    assert visits[0].start_service <= 3500
    assert 5000 <= visits[1].start_service <= 6000
    assert visits[1].departure == visits[1].start_service + 60


def test_a_job_dropped_for_lack_of_room_says_so():
    # Both windows are reachable alone, but one van cannot do both in time.
    jobs = [
        a_job("east", EAST_3K, window_start=3000, window_end=3100),
        a_job("west", WEST_3K, window_start=3000, window_end=3100),
    ]

    solution = solved(a_problem(jobs, [a_van("van")]))

    assert list(reasons(solution).values()) == [UnassignedReason.NO_CAPACITY_LEFT]


def test_an_electric_van_stays_within_its_range():
    # Serving both ends of the road takes 12 km; the EV's battery allows 7 km.
    jobs = [a_job("east", EAST_3K), a_job("west", WEST_3K)]
    vans = [a_van("ev", max_distance_m=7000, fixed_cost=0), a_van("diesel", fixed_cost=100_000)]

    solution = solved(a_problem(jobs, vans))

    ev = solution.route_of("ev")
    assert len(ev.visits) == 1
    assert ev.distance_m <= 7000
    assert len(solution.route_of("diesel").visits) == 1


def test_the_range_can_leave_a_job_unreachable():
    jobs = [a_job("east", EAST_3K)]

    solution = solved(a_problem(jobs, [a_van("ev", max_distance_m=5000)]))

    assert reasons(solution) == {"east": UnassignedReason.WINDOW_UNREACHABLE}


def test_the_drivers_break_happens_inside_its_interval_and_between_services():
    jobs = [a_job(f"j{i}", loc, service_s=600) for i, loc in enumerate([EAST_1K, EAST_2K, EAST_3K, WEST_1K])]
    van = a_van("van", break_=Break(earliest_start=1500, latest_start=2500, duration_s=1800))

    solution = solved(a_problem(jobs, [van]))

    route = solution.route_of("van")
    assert 1500 <= route.break_start <= 2500
    for visit in route.visits:
        assert visit.departure <= route.break_start or visit.start_service >= route.break_start + 1800
    # The break lengthens the day by its duration: 8 km driving, 4 services, 30 min break.
    assert route.end_time - route.start_time >= 8000 + 4 * 600 + 1800


def test_the_shift_end_is_respected():
    # The early van must be back by 3000 s: it cannot do the 3 km job (6 km round trip).
    jobs = [a_job("far", EAST_3K)]
    vans = [a_van("early", shift_end=3000), a_van("late", fixed_cost=100_000)]

    solution = solved(a_problem(jobs, vans))

    assert vehicle_of(solution, "far") == "late"
    assert solution.route_of("late").end_time <= DAY


def test_a_vehicle_starting_late_cannot_serve_an_early_window():
    jobs = [a_job("morning", EAST_1K, window_start=0, window_end=2000)]

    solution = solved(a_problem(jobs, [a_van("afternoon", shift_start=3000)]))

    assert reasons(solution) == {"morning": UnassignedReason.WINDOW_UNREACHABLE}


def test_the_maximum_route_duration_is_respected():
    # Both jobs on one route would take 12 km + 2 services = 12120 s; the cap is 7000 s.
    jobs = [a_job("east", EAST_3K), a_job("west", WEST_3K)]
    vans = [a_van("capped", max_duration_s=7000), a_van("spare", max_duration_s=7000, fixed_cost=100_000)]

    solution = solved(a_problem(jobs, vans))

    assert solution.unassigned == ()
    for route in solution.routes:
        assert route.end_time - route.start_time <= 7000
    assert vehicle_of(solution, "east") != vehicle_of(solution, "west")


def test_vehicles_from_several_depots_serve_the_jobs_nearest_them():
    jobs = [a_job("near home", WEST_1K), a_job("near far depot", EAST_3K)]
    vans = [
        a_van("home"),
        a_van("far depot", start_location=FAR_EAST_DEPOT, end_location=FAR_EAST_DEPOT),
    ]

    solution = solved(a_problem(jobs, vans))

    assert vehicle_of(solution, "near home") == "home"
    assert vehicle_of(solution, "near far depot") == "far depot"
    assert solution.distance_m == 2000 + 4000


def test_a_vehicle_may_end_its_day_at_another_depot():
    jobs = [a_job("on the way", EAST_3K)]
    van = a_van("one way", end_location=FAR_EAST_DEPOT)

    solution = solved(a_problem(jobs, [van]))

    assert solution.route_of("one way").distance_m == 5000


def test_a_hard_window_is_never_overrun():
    # Reaching the job takes 3000 s; its window closes at 2000 s.
    jobs = [a_job("tight", EAST_3K, window_start=0, window_end=2000)]

    solution = solved(a_problem(jobs, [a_van("van")]))

    assert reasons(solution) == {"tight": UnassignedReason.WINDOW_UNREACHABLE}


def test_a_soft_window_may_be_overrun_at_a_cost():
    jobs = [a_job("tight", EAST_3K, window_start=0, window_end=2000, soft_window=True)]

    solution = solved(a_problem(jobs, [a_van("van")]))

    visit = solution.route_of("van").visits[0]
    assert visit.start_service == 3000
    assert solution.objective == 6000 + (3000 - 2000) * 100


def test_soft_windows_are_kept_when_they_can_be():
    # Serving "late-ok" first would be shorter, but would overrun "strict-ish".
    jobs = [
        a_job("soft", EAST_1K, window_start=0, window_end=1200, soft_window=True),
        a_job("other", WEST_1K, window_start=0, window_end=DAY, soft_window=True),
    ]

    solution = solved(a_problem(jobs, [a_van("van")]))

    soft = next(v for v in solution.route_of("van").visits if v.job_id == "soft")
    assert soft.start_service <= 1200


def test_the_checker_reports_a_broken_window():
    jobs = [a_job("tight", EAST_1K, window_start=0, window_end=2000)]
    problem = a_problem(jobs, [a_van("van")])
    solution = solved(problem)
    route = solution.routes[0]
    late = dataclasses.replace(route, visits=(Visit("tight", 2500, 2500, 2560),), end_time=3560)

    violations = solution_check(problem, dataclasses.replace(solution, routes=(late,)))

    assert [v.code for v in violations] == ["window_late"]


def test_parallel_workers_return_a_valid_plan_as_good_as_one_search():
    jobs = [a_job(f"j{i}", location) for i, location in enumerate((EAST_1K, EAST_2K, EAST_3K, WEST_1K, WEST_2K, WEST_3K))]
    vans = [a_van("east"), a_van("west")]

    alone = solved(a_problem(jobs, vans))
    together = solved(a_problem(jobs, vans, workers=2))

    assert together.unassigned == ()
    assert together.distance_m == alone.distance_m == 3000 * 2 * 2


def test_parallel_workers_leave_no_child_process_behind():
    jobs = [a_job("a", EAST_1K), a_job("b", WEST_1K)]

    solved(a_problem(jobs, [a_van("van")], workers=3))

    try:
        finished = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        finished = None
    assert finished is None


def test_parallel_workers_keep_the_same_rules_as_one_search():
    jobs = [
        a_job("early", EAST_2K, window_start=0, window_end=2100),
        a_job("late", WEST_2K, window_start=5000, window_end=9000),
        a_job("heavy", EAST_1K, demand=(8,)),
    ]

    solution = solved(a_problem(jobs, [a_van("small", capacity=(5,)), a_van("big")], workers=2))

    assert vehicle_of(solution, "heavy") == "big"
    assert reasons(solution) == {}
