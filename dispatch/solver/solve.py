"""Solving a Problem: search parameters, warm starts, and reading the plan back."""

from __future__ import annotations

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from dispatch.solver.model import PlannedModel, model_build
from dispatch.solver.problem import (
    Job,
    Problem,
    RoutePlan,
    Solution,
    SolveStatus,
    Unassigned,
    Visit,
)
from dispatch.solver.unassigned import unassigned_reason, vehicles_able_to_serve

FIRST_SOLUTION = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
METAHEURISTIC = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
# Above this many jobs, insertion only tries each job's nearest neighbours: a full
# cheapest insertion over 1,000 jobs does not finish within a minute.
FULL_INSERTION_MAX_JOBS = 200
INSERTION_NEIGHBOURS = 50


def search_parameters(problem: Problem) -> pywrapcp.DefaultRoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = FIRST_SOLUTION
    params.local_search_metaheuristic = METAHEURISTIC
    params.time_limit.FromMilliseconds(max(1, int(problem.time_limit_s * 1000)))
    if len(problem.jobs) > FULL_INSERTION_MAX_JOBS:
        insertion = params.global_cheapest_insertion_first_solution_parameters
        insertion.neighbors_ratio = INSERTION_NEIGHBOURS / len(problem.jobs)
        insertion.min_neighbors = 10
    if problem.solution_limit is not None:
        params.solution_limit = problem.solution_limit
    params.use_cp_sat = optional_boolean_pb2.BOOL_FALSE
    params.use_generalized_cp_sat = optional_boolean_pb2.BOOL_FALSE
    return params


def plan_solve_problem(problem: Problem) -> Solution:
    """Plan the problem's jobs onto its vehicles.

    1. Check each job against each vehicle alone; a job no vehicle could serve is
       reported unassigned with its reason and kept out of the model.
    2. Build the routing model and, when `initial_routes` is given, warm-start from it
       (locked stops first); otherwise start from a cheapest-insertion solution.
    3. Improve with guided local search until the time (or solution) limit.
    4. Read routes, times and breaks back; explain every dropped job.
    """
    _validate(problem)
    locked_ids = {job_id for chain in problem.locked.values() for job_id in chain}
    allowed: dict[str, list[int]] = {}
    plannable: list[Job] = []
    rejected: list[Unassigned] = []
    for job in problem.jobs:
        able = vehicles_able_to_serve(problem, job)
        if job.id in locked_ids:
            owner = next(i for i, v in enumerate(problem.vehicles) if job.id in problem.locked.get(v.id, ()))
            able = [owner]
        if able:
            allowed[job.id] = able
            plannable.append(job)
        else:
            rejected.append(unassigned_reason(problem, job))

    if not problem.vehicles:
        return Solution((), tuple(rejected), 0, 0, 0, SolveStatus.OPTIMAL_OR_FEASIBLE)

    planned = model_build(problem, tuple(plannable), allowed)
    params = search_parameters(problem)
    planned.routing.CloseModelWithParameters(params)
    assignment = None
    initial = _initial_assignment(planned)
    if initial is not None:
        assignment = planned.routing.SolveFromAssignmentWithParameters(initial, params)
    if assignment is None:
        assignment = planned.routing.SolveWithParameters(params)
    if assignment is None:
        dropped = tuple(unassigned_reason(problem, job) for job in plannable)
        return Solution((), tuple(rejected) + dropped, 0, 0, 0, SolveStatus.NO_SOLUTION)
    return _read_solution(planned, assignment, rejected)


def _validate(problem: Problem) -> None:
    job_ids = [job.id for job in problem.jobs]
    if len(set(job_ids)) != len(job_ids):
        raise ValueError("job ids must be unique")
    vehicle_ids = {v.id for v in problem.vehicles}
    known = set(job_ids)
    seen: set[str] = set()
    for vehicle_id, chain in problem.locked.items():
        if vehicle_id not in vehicle_ids:
            raise ValueError(f"locked stops name an unknown vehicle {vehicle_id!r}")
        for job_id in chain:
            if job_id not in known or job_id in seen:
                raise ValueError(f"locked job {job_id!r} is unknown or locked twice")
            seen.add(job_id)


def _initial_assignment(planned: PlannedModel):
    """The warm start: each vehicle's locked chain, then its other jobs from `initial_routes`."""
    problem = planned.problem
    if not problem.initial_routes:
        return None
    position_of = {job.id: position for position, job in enumerate(planned.jobs)}
    locked_ids = {job_id for chain in problem.locked.values() for job_id in chain}
    routes = []
    used: set[str] = set()
    for vehicle in problem.vehicles:
        chain = list(problem.locked.get(vehicle.id, ()))
        rest = [
            job_id
            for job_id in problem.initial_routes.get(vehicle.id, ())
            if job_id in position_of and job_id not in locked_ids and job_id not in used
        ]
        used.update(rest)
        routes.append([planned.manager.NodeToIndex(position_of[job_id]) for job_id in chain + rest])
    # None when the old plan no longer fits (e.g. a window has passed): solve from scratch.
    return planned.routing.ReadAssignmentFromRoutes(routes, True)


def _read_solution(planned: PlannedModel, assignment, rejected: list[Unassigned]) -> Solution:
    problem, routing, manager, time = planned.problem, planned.routing, planned.manager, planned.time
    jobs = planned.jobs
    routes: list[RoutePlan] = []
    served: set[str] = set()
    total_distance = 0
    total_duration = 0
    for v_index, vehicle in enumerate(problem.vehicles):
        break_start = None
        if v_index in planned.breaks:
            break_start = assignment.StartValue(planned.breaks[v_index])
        brk = vehicle.break_
        index = routing.Start(v_index)
        start_time = assignment.Value(time.CumulVar(index))
        departure = start_time
        location = vehicle.start_location
        visits: list[Visit] = []
        distance = 0
        while True:
            index = assignment.Value(routing.NextVar(index))
            node = manager.IndexToNode(index)
            next_location = planned.node_location[node]
            cumul = assignment.Value(time.CumulVar(index))
            arrival = departure + problem.durations[location][next_location]
            if brk is not None and break_start is not None and departure <= break_start < cumul:
                arrival += brk.duration_s
            arrival = min(arrival, cumul)
            distance += problem.distances[location][next_location]
            location = next_location
            if routing.IsEnd(index):
                end_time = cumul
                break
            job = jobs[node]
            departure = cumul + job.service_s
            visits.append(Visit(job.id, arrival, cumul, departure))
            served.add(job.id)
        if not visits:
            start_time = end_time = vehicle.shift_start
            distance = 0
        routes.append(
            RoutePlan(
                vehicle_id=vehicle.id,
                visits=tuple(visits),
                break_start=break_start,
                distance_m=distance,
                duration_s=end_time - start_time,
                start_time=start_time,
                end_time=end_time,
            )
        )
        total_distance += distance
        total_duration += end_time - start_time
    dropped = tuple(unassigned_reason(problem, job) for job in jobs if job.id not in served)
    return Solution(
        routes=tuple(routes),
        unassigned=tuple(rejected) + dropped,
        distance_m=total_distance,
        duration_s=total_duration,
        objective=assignment.ObjectiveValue(),
        status=SolveStatus.OPTIMAL_OR_FEASIBLE,
    )
