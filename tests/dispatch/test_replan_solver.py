"""Re-planning: from where every vehicle is now, keeping what is promised where possible.

Locations are points on a straight road, `POSITIONS[i]` metres from the depot; vans
drive at 1 m/s, so seconds equal metres.
"""

import dataclasses

from dispatch.solver import plan_diff
from tests.dispatch.straight_road import (
    DAY,
    EAST_1K,
    EAST_2K,
    EAST_3K,
    WEST_1K,
    WEST_2K,
    WEST_3K,
    a_job,
    a_problem,
    a_van,
    solved,
)


def test_locked_stops_stay_first_and_in_their_order():
    # Driving east first would be shorter; the driver already has the west parcels next.
    jobs = [a_job("east", EAST_1K), a_job("west far", WEST_3K), a_job("west near", WEST_1K)]

    solution = solved(a_problem(jobs, [a_van("van")], locked={"van": ("west far", "west near")}))

    assert solution.job_ids_by_vehicle()["van"] == ("west far", "west near", "east")


def test_a_locked_stop_is_kept_even_when_its_window_has_slipped():
    # The van is at the depot at 5000 s; the in-progress stop's window closed at 4000 s.
    jobs = [a_job("in progress", EAST_1K, window_start=0, window_end=4000)]
    van = a_van("van", shift_start=5000)

    solution = solved(a_problem(jobs, [van], locked={"van": ("in progress",)}))

    assert solution.unassigned == ()
    assert solution.route_of("van").visits[0].start_service == 6000


def test_a_lost_vehicles_jobs_are_reassigned_to_the_others():
    jobs = [a_job(f"e{i}", loc) for i, loc in enumerate([EAST_1K, EAST_2K, EAST_3K])] + [
        a_job(f"w{i}", loc) for i, loc in enumerate([WEST_1K, WEST_2K, WEST_3K])
    ]
    vans = [a_van("east van", fixed_cost=0), a_van("west van", fixed_cost=0)]
    morning = solved(a_problem(jobs, vans, objective="duration"))
    assert morning.unassigned == ()

    # At 2500 s "west van" breaks down. "east van" has done e0 and is serving e1 at 2 km.
    east_done = {"e0"}
    east_now = a_van("east van", start_location=EAST_2K, shift_start=2500)
    remaining = [job for job in jobs if job.id not in east_done]
    replan = a_problem(
        remaining,
        [east_now],
        locked={"east van": ("e1",)},
        initial_routes={"east van": tuple(j for j in morning.job_ids_by_vehicle()["east van"] if j not in east_done)},
    )

    after = solved(replan)

    assert after.unassigned == ()
    assert after.job_ids_by_vehicle()["east van"][0] == "e1"
    assert set(after.job_ids_by_vehicle()["east van"]) == {job.id for job in remaining}
    diff = plan_diff(morning, after)
    lost_jobs = {job_id for job_id in morning.job_ids_by_vehicle()["west van"]}
    assert {move.job_id for move in diff.moved if move.to_vehicle == "east van"} >= lost_jobs - east_done


def test_an_unchanged_situation_gives_an_unchanged_plan():
    jobs = [a_job(f"j{i}", loc, demand=(4,)) for i, loc in enumerate([EAST_1K, EAST_2K, WEST_1K, WEST_2K, EAST_3K])]
    vans = [a_van("one"), a_van("two")]
    first = solved(a_problem(jobs, vans))

    again = solved(a_problem(jobs, vans, initial_routes=first.job_ids_by_vehicle(), change_penalty=1000))

    assert again.job_ids_by_vehicle() == first.job_ids_by_vehicle()
    assert plan_diff(first, again).size == 0


def test_change_penalty_keeps_jobs_on_their_vehicle_when_moving_saves_little():
    # Merging both jobs onto one van would save 2 km of driving.
    jobs = [a_job("x", EAST_1K), a_job("y", EAST_2K)]
    vans = [a_van("one"), a_van("two")]
    current = {"one": ("x",), "two": ("y",)}

    sticky = solved(a_problem(jobs, vans, initial_routes=current, change_penalty=5000))
    free = solved(a_problem(jobs, vans, initial_routes=current, change_penalty=0))

    assert sticky.job_ids_by_vehicle() == current
    assert sorted(free.job_ids_by_vehicle().values()) == [(), ("x", "y")]


def test_change_penalty_gives_way_when_moving_saves_a_lot():
    jobs = [a_job("x", EAST_1K), a_job("y", EAST_2K)]
    vans = [a_van("one"), a_van("two")]

    solution = solved(
        a_problem(jobs, vans, initial_routes={"one": ("x",), "two": ("y",)}, change_penalty=500)
    )

    assert sorted(solution.job_ids_by_vehicle().values()) == [(), ("x", "y")]


def test_the_diff_lists_moves_late_stops_and_newly_dropped_jobs():
    jobs = [
        a_job("a", EAST_1K),
        a_job("b", EAST_2K, window_start=0, window_end=2500),
        a_job("c", WEST_1K),
    ]
    vans = [a_van("one"), a_van("two")]
    before = solved(a_problem(jobs, vans, initial_routes={"one": ("a", "b"), "two": ("c",)}, change_penalty=10**6))
    # "two" is lost and "one" now only starts at 1500 s: c moves over, b is cutting it fine.
    after = solved(
        a_problem(
            [jobs[0], jobs[1], jobs[2], a_job("d", WEST_3K, window_start=0, window_end=100)],
            [a_van("one", shift_start=400)],
            initial_routes={"one": ("a", "b")},
        )
    )

    diff = plan_diff(before, after, jobs=jobs, risk_margin_s=600)

    assert [(m.job_id, m.from_vehicle, m.to_vehicle) for m in diff.moved] == [("c", "two", "one")]
    assert diff.at_risk == ("b",)
    assert diff.newly_unassigned == ("d",)


def test_rounds_of_ruin_and_repair_keep_locked_stops_first_and_every_job_served():
    # Enough jobs and time for the ruin-and-repair rounds to run after the first search.
    east = [a_job(f"east {i}", location, window_end=DAY - i) for i, location in enumerate((EAST_1K, EAST_2K, EAST_3K) * 3)]
    west = [a_job(f"west {i}", location) for i, location in enumerate((WEST_1K, WEST_2K, WEST_3K) * 3)]
    locked = {"van a": ("west 8", "east 0"), "van b": ("east 5",)}

    problem = dataclasses.replace(a_problem(east + west, [a_van("van a"), a_van("van b")], locked=locked), time_limit_s=1.2)

    solution = solved(problem)

    routes = solution.job_ids_by_vehicle()
    assert routes["van a"][:2] == ("west 8", "east 0")
    assert routes["van b"][:1] == ("east 5",)
    assert solution.unassigned == ()
