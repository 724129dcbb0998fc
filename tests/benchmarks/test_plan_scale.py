"""The scale benchmark's PyVRP peer: both plans costed by one function on the same matrix."""

import importlib.util
import sys
from pathlib import Path

from dispatch.solver import (
    Job,
    Problem,
    RoutePlan,
    Solution,
    SolveStatus,
    Vehicle,
    Visit,
    plan_retime,
    solution_check,
)

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "plan_scale.py"
_SPEC = importlib.util.spec_from_file_location("plan_scale", _PATH)
plan_scale = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("plan_scale", plan_scale)  # its dataclasses look their module up there
_SPEC.loader.exec_module(plan_scale)

# Location 0 is the depot; jobs a, b, c stand at 1, 2, 3. Not symmetric, so a leg read
# the wrong way round shows.
DISTANCES = (
    (0, 100, 200, 300),
    (110, 0, 10, 20),
    (210, 15, 0, 30),
    (310, 25, 35, 0),
)


def tiny_day() -> Problem:
    jobs = tuple(Job(job_id, location, 0, 1000, 0, (1,)) for job_id, location in (("a", 1), ("b", 2), ("c", 3)))
    vans = tuple(Vehicle(van_id, 0, 0, 0, 1000, (5,)) for van_id in ("van0", "van1", "van2"))
    return Problem(jobs, vans, DISTANCES, DISTANCES, time_limit_s=0.5)


def route(vehicle_id: str, job_ids: str, start: int, end: int) -> RoutePlan:
    return RoutePlan(vehicle_id, tuple(Visit(j, 0, 0, 0) for j in job_ids), None, 0, end - start, start, end)


def test_plan_cost_sums_the_matrix_from_depot_to_depot_on_each_used_route():
    solution = Solution(
        (route("van0", "ab", 50, 400), route("van1", "c", 100, 800), route("van2", "", 0, 0)),
        (), 0, 0, 0, SolveStatus.OPTIMAL_OR_FEASIBLE,
    )

    cost = plan_scale.plan_cost(tiny_day(), solution)

    # van0: depot→a 100, a→b 10, b→depot 210; van1: depot→c 300, c→depot 310.
    assert cost.distance_m == 100 + 10 + 210 + 300 + 310
    assert cost.duration_s == 350 + 700
    assert (cost.served, cost.jobs, cost.vehicles_used, cost.vehicles) == (3, 3, 2, 3)


def test_the_peer_plan_is_costed_like_ours_and_agrees_with_pyvrp_and_a_hand_sum():
    from pyvrp import solve
    from pyvrp.stop import MaxRuntime

    # 20 vans: two depots, so two vehicle types whose routes must go to their own vans.
    day = plan_scale.day_problem(jobs=30, vehicles=20, seed=3, time_limit_s=0.5)
    data, vans_by_type = plan_scale.pyvrp_data(day)
    best = solve(data, stop=MaxRuntime(0.5), seed=1, collect_stats=False).best
    routes = plan_scale.pyvrp_routes(day, best, vans_by_type)
    timed = plan_retime(Problem(day.jobs, day.vehicles, day.durations, day.distances, initial_routes=routes))

    assert best.is_feasible()
    assert timed is not None and solution_check(day, timed) == []
    cost = plan_scale.plan_cost(day, timed)
    jobs, vans = day.job_by_id(), {van.id: van for van in day.vehicles}
    hand = 0
    for van_id, job_ids in routes.items():
        path = [vans[van_id].start_location] + [jobs[j].location for j in job_ids] + [vans[van_id].end_location]
        hand += sum(day.distances[a][b] for a, b in zip(path, path[1:], strict=False))
    assert cost.distance_m == hand == best.distance()
    assert cost.served == 30 and cost.vehicles_used == len(routes)


def test_a_day_with_drivers_breaks_skips_the_peer_and_says_why(capsys):
    day = plan_scale.day_problem(jobs=5, vehicles=2, seed=3, time_limit_s=0.5, breaks=True)

    assert plan_scale.peer_report("PyVRP", day, seed=1) is None
    assert "skipped: the day has drivers' breaks" in capsys.readouterr().out
