"""Builds the OR-Tools routing model for a Problem.

Node layout: nodes 0..len(jobs)-1 are the plannable jobs (in `PlannedModel.jobs` order),
followed by one node per distinct depot location used by a vehicle's start or end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ortools.constraint_solver import pywrapcp

from dispatch.solver.problem import Job, Objective, Problem
from dispatch.solver.unassigned import load_dimensions

TIME = "time"
DISTANCE = "distance"
# Capacity of a dimension that has no real bound (int64 headroom for sums of these).
UNBOUNDED = 1 << 40


@dataclass
class PlannedModel:
    problem: Problem
    jobs: tuple[Job, ...]
    node_location: list[int]
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension
    breaks: dict[int, pywrapcp.IntervalVar]
    # The compiled search's flat arrays of this model, built on first use.
    kernel: Any = None

    def job_index(self, job_position: int) -> int:
        return self.manager.NodeToIndex(job_position)


def model_build(problem: Problem, jobs: tuple[Job, ...], allowed: dict[str, list[int]]) -> PlannedModel:
    """Build the routing model for the plannable `jobs`.

    1. Lay out nodes (jobs, then distinct depot locations) and the index manager.
    2. Register travel-time (with service time of the origin) and distance matrices.
    3. Arc costs: distance or travel time, plus `change_penalty` per vehicle on arcs
       into jobs that sat on another vehicle in `initial_routes`; vehicle fixed costs.
    4. Time dimension: shifts, windows (hard, or soft with a penalty), max duration, breaks.
    5. One capacity dimension per load kind; a distance dimension for vehicle range.
    6. Skills and pre-checked feasibility as allowed vehicles; locked chains; disjunctions.
    """
    vehicles = problem.vehicles
    depot_locations = sorted({v.start_location for v in vehicles} | {v.end_location for v in vehicles})
    depot_node = {loc: len(jobs) + i for i, loc in enumerate(depot_locations)}
    node_location = [job.location for job in jobs] + depot_locations
    service = [job.service_s for job in jobs] + [0] * len(depot_locations)
    manager = pywrapcp.RoutingIndexManager(
        len(node_location),
        len(vehicles),
        [depot_node[v.start_location] for v in vehicles],
        [depot_node[v.end_location] for v in vehicles],
    )
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    # 2. Matrices over nodes.
    durations = [problem.durations[a] for a in node_location]
    distances = [problem.distances[a] for a in node_location]
    time_matrix = [
        [service[i] + row[b] for b in node_location] for i, row in enumerate(durations)
    ]
    distance_matrix = [[row[b] for b in node_location] for row in distances]
    time_cb = routing.RegisterTransitMatrix(time_matrix)
    distance_cb = routing.RegisterTransitMatrix(distance_matrix)

    # 3. Costs.
    if problem.objective == Objective.DURATION:
        base_cost = [[row[b] for b in node_location] for row in durations]
        base_cb = routing.RegisterTransitMatrix(base_cost)
    else:
        base_cost, base_cb = distance_matrix, distance_cb
    home = initial_vehicle_of_job(problem, jobs)
    if problem.change_penalty and home:
        for v_index, vehicle in enumerate(vehicles):
            surcharge = [
                problem.change_penalty if (j < len(jobs) and jobs[j].id in home and home[jobs[j].id] != vehicle.id) else 0
                for j in range(len(node_location))
            ]
            matrix = [[cost + surcharge[j] for j, cost in enumerate(row)] for row in base_cost]
            routing.SetArcCostEvaluatorOfVehicle(routing.RegisterTransitMatrix(matrix), v_index)
    else:
        routing.SetArcCostEvaluatorOfAllVehicles(base_cb)
    for v_index, vehicle in enumerate(vehicles):
        if vehicle.fixed_cost:
            routing.SetFixedCostOfVehicle(vehicle.fixed_cost, v_index)

    # 4. Time.
    horizon = max([v.shift_end for v in vehicles] + [job.window_end for job in jobs])
    routing.AddDimension(time_cb, horizon, horizon, False, TIME)
    time = routing.GetDimensionOrDie(TIME)
    locked_ids = {job_id for chain in problem.locked.values() for job_id in chain}
    for position, job in enumerate(jobs):
        cumul = time.CumulVar(manager.NodeToIndex(position))
        if job.soft_window or job.id in locked_ids:
            # A locked stop is already promised to its vehicle: lateness costs, it never drops.
            cumul.SetRange(min(job.window_start, horizon), horizon)
            time.SetCumulVarSoftUpperBound(
                manager.NodeToIndex(position), job.window_end, problem.soft_window_penalty_per_s
            )
        else:
            cumul.SetRange(job.window_start, job.window_end)
    breaks: dict[int, pywrapcp.IntervalVar] = {}
    visit_transits = [service[manager.IndexToNode(i)] for i in range(routing.Size())]
    for v_index, vehicle in enumerate(vehicles):
        time.CumulVar(routing.Start(v_index)).SetRange(vehicle.shift_start, vehicle.shift_end)
        time.CumulVar(routing.End(v_index)).SetRange(vehicle.shift_start, vehicle.shift_end)
        if vehicle.max_duration_s is not None:
            time.SetSpanUpperBoundForVehicle(vehicle.max_duration_s, v_index)
        if vehicle.break_ is not None:
            brk = vehicle.break_
            interval = solver.FixedDurationIntervalVar(
                brk.earliest_start, brk.latest_start, brk.duration_s, False, f"break {vehicle.id}"
            )
            time.SetBreakIntervalsOfVehicle([interval], v_index, visit_transits)
            breaks[v_index] = interval
        routing.AddVariableMaximizedByFinalizer(time.CumulVar(routing.Start(v_index)))
        routing.AddVariableMinimizedByFinalizer(time.CumulVar(routing.End(v_index)))

    # 5. Loads and range.
    dimensions = load_dimensions(problem)
    for k in range(dimensions):
        demand = [job.demand[k] if k < len(job.demand) else 0 for job in jobs] + [0] * len(depot_locations)
        capacities = [v.capacity[k] if k < len(v.capacity) else 0 for v in vehicles]
        routing.AddDimensionWithVehicleCapacity(
            routing.RegisterUnaryTransitVector(demand), 0, capacities, True, f"load{k}"
        )
    if any(v.max_distance_m is not None for v in vehicles):
        ranges = [v.max_distance_m if v.max_distance_m is not None else UNBOUNDED for v in vehicles]
        routing.AddDimensionWithVehicleCapacity(distance_cb, 0, ranges, True, DISTANCE)

    # 6. Who may serve what; locked chains; droppable jobs.
    position_of = {job.id: position for position, job in enumerate(jobs)}
    vehicle_position = {vehicle.id: i for i, vehicle in enumerate(vehicles)}
    for position, job in enumerate(jobs):
        if len(allowed[job.id]) < len(vehicles):
            # VehicleVar domain rather than SetAllowedVehiclesForIndex, whose Python binding
            # rejects every list in OR-Tools 9.15; -1 is "not performed".
            routing.VehicleVar(manager.NodeToIndex(position)).SetValues([-1, *allowed[job.id]])
    for vehicle_id, chain in problem.locked.items():
        v_index = vehicle_position[vehicle_id]
        previous = routing.Start(v_index)
        for job_id in chain:
            index = manager.NodeToIndex(position_of[job_id])
            routing.VehicleVar(index).SetValues([v_index])
            solver.Add(routing.NextVar(previous) == index)
            previous = index
    for position, job in enumerate(jobs):
        if job.id not in locked_ids:
            routing.AddDisjunction([manager.NodeToIndex(position)], problem.unassigned_penalty)

    return PlannedModel(problem, jobs, node_location, manager, routing, time, breaks)


def initial_vehicle_of_job(problem: Problem, jobs: tuple[Job, ...]) -> dict[str, str]:
    present = {v.id for v in problem.vehicles}
    return {
        job_id: vehicle_id
        for vehicle_id, route in problem.initial_routes.items()
        if vehicle_id in present
        for job_id in route
    }
