"""String ruin and recreate: the many cheap rounds that follow OR-Tools' search.

OR-Tools builds the first plan and improves it with guided local search; each of its
searches costs a fraction of a second on a hundred jobs, so a ten-second solve only
affords a few dozen ruin-and-recreate rounds through it. This module runs the rounds
itself, compiled with Numba, so the same ten seconds give a hundred thousand:

1. Ruin: from a random served job, walk its nearest neighbours and, in up to a few of
   their routes, remove a string of consecutive stops around the neighbour (sometimes
   keeping a short run in the middle of the string, a "split string").
2. Recreate: put the removed jobs (and any unserved ones) back one by one, each at the
   cheapest feasible place over every route, skipping each place with a small chance
   ("blinks") so that equal rounds do not repeat.
3. Accept the result by simulated annealing on the objective: cheaper always, dearer
   with a chance that shrinks as the temperature falls over the time limit.

Every place is checked against the whole model: windows (hard, or soft at a penalty per
second late), service times, every load dimension, allowed vehicles (skills), each
vehicle's shift, depots, maximum route duration and distance (EV range), the driver's
break, locked stops (never moved, nothing inserted before them), change penalties and
fixed costs. The caller hands the best plan back to OR-Tools, which re-checks it and
polishes it; a plan OR-Tools refuses is never used.

Arrays are indexed by model node (jobs first, then depots) as laid out in
`dispatch.solver.model`; routes hold job nodes only.
"""

from __future__ import annotations

import math
import time
from collections import namedtuple

import numpy as np
from numba import njit

from dispatch.solver.model import PlannedModel, initial_vehicle_of_job, model_build
from dispatch.solver.problem import Break, Job, Objective, Problem, Vehicle
from dispatch.solver.unassigned import load_dimensions

# Ruin sizes and blink rate (after Christiaens and Vanden Berghe's SISR): strings of at
# most MAX_STRING stops, about MEAN_REMOVED jobs removed per round, a place skipped with
# probability BLINK_RATE. SPLIT_RATE is the chance a ruin keeps a run of stops inside its
# string; the run grows one stop at a time with probability 1 - SPLIT_DEPTH (up to the
# route's free length), so a split ruin mostly takes stops from both ends of a route.
MAX_STRING = 10
MEAN_REMOVED = 10
BLINK_RATE = 0.01
SPLIT_RATE = 0.5
SPLIT_DEPTH = 0.01
# Annealing temperatures, as shares of the starting plan's mean cost per arc, at the
# start and at the end of the search.
START_TEMPERATURE = 3.0
END_TEMPERATURE = 0.03
# The time limit is checked between compiled calls of about CALL_S seconds each.
CALL_S = 0.02
ROUNDS_PER_CALL_MAX = 5000
# A removed job is re-inserted only next to this many of its nearest neighbours (and in
# an empty vehicle of each class), so a round costs as much on a day of 1,000 jobs as
# on one of 100.
RECREATE_NEIGHBOURS = 40
# Insertion orders a constructive plan tries (the first by window, the others seeded).
CONSTRUCT_ATTEMPTS = 4
INFINITE = np.int64(1) << np.int64(60)

Kernel = namedtuple(
    "Kernel",
    "cost travel distance service window_start window_end soft demand capacity allowed locked "
    "start end shift_start shift_end max_distance max_span has_break break_earliest break_latest "
    "break_duration fixed_cost vehicle_class surcharge neighbours depot_cost locked_count "
    "soft_penalty unassigned_penalty any_soft simple",
)


def kernel_of(planned: PlannedModel) -> Kernel:
    """The model's kernel, built once per model (the constructive plan and the rounds share it)."""
    if planned.kernel is None:
        planned.kernel = kernel_build(planned)
    return planned.kernel


def kernel_build(planned: PlannedModel) -> Kernel:
    """The model as flat arrays for the compiled search."""
    problem, jobs = planned.problem, planned.jobs
    vehicles = problem.vehicles
    locations = np.asarray(planned.node_location, dtype=np.int64)
    durations = np.asarray(problem.durations, dtype=np.int64)[np.ix_(locations, locations)]
    distances = np.asarray(problem.distances, dtype=np.int64)[np.ix_(locations, locations)]
    cost = durations if problem.objective == Objective.DURATION else distances
    node_count, job_count = len(locations), len(jobs)
    horizon = max([v.shift_end for v in vehicles] + [job.window_end for job in jobs])
    locked_ids = {job_id for chain in problem.locked.values() for job_id in chain}

    service = np.zeros(node_count, dtype=np.int64)
    window_start = np.zeros(node_count, dtype=np.int64)
    window_end = np.full(node_count, horizon, dtype=np.int64)
    soft = np.zeros(node_count, dtype=np.bool_)
    dimensions = max(1, load_dimensions(problem))
    demand = np.zeros((max(1, job_count), dimensions), dtype=np.int64)
    for node, job in enumerate(jobs):
        service[node] = job.service_s
        window_start[node] = job.window_start
        window_end[node] = job.window_end
        soft[node] = job.soft_window or job.id in locked_ids
        for k, amount in enumerate(job.demand):
            demand[node, k] = amount
    capacity = np.zeros((len(vehicles), dimensions), dtype=np.int64)
    for v, vehicle in enumerate(vehicles):
        for k in range(dimensions):
            capacity[v, k] = vehicle.capacity[k] if k < len(vehicle.capacity) else 0

    allowed = np.ones((max(1, job_count), len(vehicles)), dtype=np.bool_)
    for node in range(job_count):
        domain = planned.routing.VehicleVar(planned.manager.NodeToIndex(node))
        for v in range(len(vehicles)):
            allowed[node, v] = domain.Contains(v)
    locked = np.zeros(max(1, job_count), dtype=np.bool_)
    position_of = {job.id: node for node, job in enumerate(jobs)}
    locked_count = np.zeros(len(vehicles), dtype=np.int64)
    for v, vehicle in enumerate(vehicles):
        chain = problem.locked.get(vehicle.id, ())
        locked_count[v] = len(chain)
        for job_id in chain:
            locked[position_of[job_id]] = True

    start = np.array([planned.manager.IndexToNode(planned.routing.Start(v)) for v in range(len(vehicles))], dtype=np.int64)
    end = np.array([planned.manager.IndexToNode(planned.routing.End(v)) for v in range(len(vehicles))], dtype=np.int64)
    classes: dict[tuple, int] = {}
    vehicle_class = np.zeros(len(vehicles), dtype=np.int64)
    surcharge = np.zeros((len(vehicles), max(1, job_count)), dtype=np.int64)
    home = initial_vehicle_of_job(problem, jobs)
    for v, vehicle in enumerate(vehicles):
        if problem.change_penalty:  # as the model charges it: on arcs into a job moved off its vehicle
            for node, job in enumerate(jobs):
                if home.get(job.id, vehicle.id) != vehicle.id:
                    surcharge[v, node] = problem.change_penalty
        key = (
            vehicle.start_location, vehicle.end_location, vehicle.shift_start, vehicle.shift_end,
            vehicle.capacity, vehicle.max_distance_m, vehicle.max_duration_s, vehicle.break_,
            vehicle.fixed_cost, tuple(allowed[:, v]), tuple(surcharge[v]), int(locked_count[v]),
        )
        vehicle_class[v] = classes.setdefault(key, len(classes))

    symmetric = cost[:job_count, :job_count] + cost[:job_count, :job_count].T
    np.fill_diagonal(symmetric, -1)  # each job's own row starts with itself
    neighbours = np.argsort(symmetric, axis=1, kind="stable").astype(np.int64)
    if job_count == 0:
        neighbours = np.zeros((1, 1), dtype=np.int64)
    depot_cost = cost[start[0], :max(1, job_count)].copy() if vehicles else np.zeros(1, dtype=np.int64)

    def per_vehicle(get, empty):
        return np.array([empty if get(v) is None else get(v) for v in vehicles], dtype=np.int64)

    return Kernel(
        cost=np.ascontiguousarray(cost),
        travel=np.ascontiguousarray(durations),
        distance=np.ascontiguousarray(distances),
        service=service,
        window_start=window_start,
        window_end=window_end,
        soft=soft,
        demand=demand,
        capacity=capacity,
        allowed=allowed,
        locked=locked,
        start=start,
        end=end,
        shift_start=per_vehicle(lambda v: v.shift_start, 0),
        shift_end=per_vehicle(lambda v: v.shift_end, 0),
        max_distance=per_vehicle(lambda v: v.max_distance_m, INFINITE),
        max_span=per_vehicle(lambda v: v.max_duration_s, INFINITE),
        has_break=np.array([v.break_ is not None for v in vehicles], dtype=np.bool_),
        break_earliest=per_vehicle(lambda v: v.break_ and v.break_.earliest_start, 0),
        break_latest=per_vehicle(lambda v: v.break_ and v.break_.latest_start, 0),
        break_duration=per_vehicle(lambda v: v.break_ and v.break_.duration_s, 0),
        fixed_cost=per_vehicle(lambda v: v.fixed_cost, 0),
        vehicle_class=vehicle_class,
        surcharge=surcharge,
        neighbours=neighbours,
        depot_cost=depot_cost,
        locked_count=locked_count,
        soft_penalty=np.int64(problem.soft_window_penalty_per_s),
        unassigned_penalty=np.int64(problem.unassigned_penalty),
        any_soft=bool(soft.any()),
        # Vehicles whose only time rules are windows and the shift: an insertion is
        # checked from the place onwards, against the route's cached service times.
        simple=np.array(
            [
                v.break_ is None and v.max_duration_s is None and v.max_distance_m is None and not soft.any()
                for v in vehicles
            ],
            dtype=np.bool_,
        ),
    )


# ---------------------------------------------------------------------------
# Compiled part. A route is a row of `routes` (job nodes) with its length in `lengths`;
# a "virtual" route is a row with one more node inserted at `at` (at < 0: none).


@njit(cache=True)
def _node_at(row, at, extra, k):
    if at < 0 or k < at:
        return row[k]
    if k == at:
        return extra
    return row[k - 1]


@njit(cache=True)
def _pass(K, v, row, length, at, extra, gap):
    """Replay one route at its earliest times with the break in `gap` (-1: no break).

    Returns (status, lateness): status 0 feasible, 1 infeasible, 2 the break can no
    longer start in time in this or any later gap.
    """
    count = length + (1 if at >= 0 else 0)
    departure = K.shift_start[v]
    previous = K.start[v]
    distance = 0
    waiting = 0
    slack = K.shift_end[v] - K.shift_start[v]
    lateness = 0
    for k in range(count + 1):
        node = K.end[v] if k == count else _node_at(row, at, extra, k)
        arrival = departure + K.travel[previous, node]
        if k == gap:
            begin = max(departure, K.break_earliest[v])
            if begin > K.break_latest[v]:
                return 2, 0
            arrival = max(arrival, begin) + K.break_duration[v]
        distance += K.distance[previous, node]
        if k == count:
            latest = K.shift_end[v]
            if arrival > latest:
                return 1, 0
        else:
            latest = K.window_end[node]
            if arrival > latest:
                if not K.soft[node]:
                    return 1, 0
                lateness += arrival - latest
        if latest - arrival + waiting < slack:
            slack = latest - arrival + waiting
        if k == count:
            break
        if arrival < K.window_start[node]:
            waiting += K.window_start[node] - arrival
            arrival = K.window_start[node]
        departure = arrival + K.service[node]
        previous = node
    if distance > K.max_distance[v]:
        return 1, 0
    if K.max_span[v] < INFINITE:
        span = arrival - K.shift_start[v] - max(0, min(slack, waiting))
        if span > K.max_span[v]:
            return 1, 0
    return 0, lateness


@njit(cache=True)
def _feasible(K, v, row, length, at, extra):
    """(feasible, seconds late at soft windows) of a route, with `extra` inserted at `at`."""
    count = length + (1 if at >= 0 else 0)
    if count == 0:
        return True, 0
    if not K.has_break[v]:
        status, lateness = _pass(K, v, row, length, at, extra, -1)
        return status == 0, lateness
    best = INFINITE
    for gap in range(count + 1):
        status, lateness = _pass(K, v, row, length, at, extra, gap)
        if status == 2:
            break
        if status == 0 and lateness < best:
            best = lateness
            if not K.any_soft or lateness == 0:
                break
    return best < INFINITE, (best if best < INFINITE else 0)


@njit(cache=True)
def _refresh(K, v, row, length, starts, latest, position):
    """Cache what insertions into a route read: each stop's position, its earliest
    service start (`starts`, forwards) and, on a simple route, the latest start that
    keeps every later stop and the return in time (`latest`, backwards)."""
    departure = K.shift_start[v]
    previous = K.start[v]
    for k in range(length):
        node = row[k]
        position[node] = k
        arrival = max(departure + K.travel[previous, node], K.window_start[node])
        starts[k] = arrival
        departure = arrival + K.service[node]
        previous = node
    if not K.simple[v]:
        return
    bound = K.shift_end[v]
    following = K.end[v]
    for k in range(length - 1, -1, -1):
        node = row[k]
        bound = min(K.window_end[node], bound - K.travel[node, following] - K.service[node])
        latest[k] = bound
        following = node


@njit(cache=True)
def _insertion_feasible(K, v, row, length, at, extra, starts, latest):
    """Whether `extra` fits at `at` of a feasible simple route, in constant time.

    The stop before the place departs at its cached earliest start plus service; the
    route stays feasible when `extra` is reached by its window end and the stop after
    it (or the return) can still start by its cached latest start.
    """
    if at == 0:
        departure = K.shift_start[v]
        previous = K.start[v]
    else:
        previous = row[at - 1]
        departure = starts[at - 1] + K.service[previous]
    arrival = departure + K.travel[previous, extra]
    if arrival > K.window_end[extra]:
        return False
    departure = max(arrival, K.window_start[extra]) + K.service[extra]
    if at == length:
        return departure + K.travel[extra, K.end[v]] <= K.shift_end[v]
    return departure + K.travel[extra, row[at]] <= latest[at]


@njit(cache=True)
def _route_cost(K, v, row, length):
    """Objective of one route, or INFINITE when it breaks a rule."""
    if length == 0:
        return 0
    feasible, lateness = _feasible(K, v, row, length, -1, 0)
    if not feasible:
        return INFINITE
    total = K.fixed_cost[v] + lateness * K.soft_penalty
    previous = K.start[v]
    for k in range(length):
        node = row[k]
        total += K.cost[previous, node] + K.surcharge[v, node]
        previous = node
    return total + K.cost[previous, K.end[v]]


@njit(cache=True)
def _remove_at(row, length, k):
    for i in range(k, length - 1):
        row[i] = row[i + 1]


@njit(cache=True)
def _ruin(K, routes, lengths, route_of, loads, removed):
    """Remove strings of stops near a random served job; returns how many were removed."""
    jobs = route_of.shape[0]
    served_routes = 0
    served = 0
    for v in range(lengths.shape[0]):
        if lengths[v] > 0:
            served_routes += 1
            served += lengths[v]
    if served == 0:
        return 0
    mean_length = served / served_routes
    string_max = min(float(MAX_STRING), mean_length)
    strings_max = 4.0 * MEAN_REMOVED / (1.0 + string_max) - 1.0
    strings = int(np.floor(np.random.uniform(1.0, strings_max + 1.0)))
    seed = np.random.randint(jobs)
    while route_of[seed] < 0:
        seed = np.random.randint(jobs)
    ruined = np.zeros(lengths.shape[0], dtype=np.bool_)
    ruined_count = 0
    count = 0
    for i in range(K.neighbours.shape[1]):
        if ruined_count >= strings:
            break
        job = K.neighbours[seed, i]
        v = route_of[job]
        if v < 0 or ruined[v] or K.locked[job]:
            continue
        ruined[v] = True
        ruined_count += 1
        row = routes[v]
        length = lengths[v]
        first_free = K.locked_count[v]
        free = length - first_free
        if free <= 0:
            continue
        position = first_free
        while row[position] != job:
            position += 1
        cap = min(float(free), string_max)
        size = int(np.floor(np.random.uniform(1.0, cap + 1.0)))
        keep = 0
        if size < free and np.random.random() < SPLIT_RATE:
            keep = 1
            while size + keep < free and np.random.random() > SPLIT_DEPTH:
                keep += 1
        span = size + keep
        low = max(first_free, position - span + 1)
        high = min(position, first_free + free - span)
        begin = low + np.random.randint(high - low + 1)
        kept_from = begin + np.random.randint(size + 1) if keep > 0 else begin + span
        # Remove from the back so positions ahead stay valid.
        for k in range(begin + span - 1, begin - 1, -1):
            if kept_from <= k < kept_from + keep:
                continue
            node = row[k]
            _remove_at(row, lengths[v], k)
            lengths[v] -= 1
            route_of[node] = -1
            for d in range(loads.shape[1]):
                loads[v, d] -= K.demand[node, d]
            removed[count] = node
            count += 1
    return count


@njit(cache=True)
def _insert_order(K, pending, count):
    """Random, largest demand first, farthest first or closest first (weights 4:4:2:1)."""
    keys = np.empty(count, dtype=np.float64)
    pick = np.random.randint(11)
    for i in range(count):
        node = pending[i]
        if pick < 4:
            keys[i] = np.random.random()
        elif pick < 8:
            keys[i] = -float(K.demand[node].sum()) + np.random.random() * 1e-3
        elif pick < 10:
            keys[i] = -float(K.depot_cost[node])
        else:
            keys[i] = float(K.depot_cost[node])
    order = np.argsort(keys)
    out = np.empty(count, dtype=np.int64)
    for i in range(count):
        out[i] = pending[order[i]]
    return out


@njit(cache=True)
def _fits(K, loads, v, node):
    if not K.allowed[node, v]:
        return False
    for d in range(loads.shape[1]):
        if loads[v, d] + K.demand[node, d] > K.capacity[v, d]:
            return False
    return True


@njit(cache=True)
def _recreate(K, routes, lengths, route_of, loads, lateness, starts, latest, position, touched, pending, count, granular):
    """Insert each pending job at its cheapest feasible place; returns how many stay out.

    With `granular` > 0 a job is tried only next to (before and after) its `granular`
    nearest served neighbours, and in one empty vehicle of each class: a constant number
    of places per job whatever the size of the day. With 0, every place of every route.
    """
    vehicles = lengths.shape[0]
    order = _insert_order(K, pending, count)
    seen_class = np.zeros(vehicles, dtype=np.bool_)
    near = min(granular, K.neighbours.shape[1] - 1)
    # The places to try for one job: (vehicle, position) pairs.
    place_v = np.empty(2 * near + vehicles + route_of.shape[0], dtype=np.int64)
    place_at = np.empty_like(place_v)
    # Empty vehicles of one class are interchangeable: only the first of each is tried.
    empty = np.empty(vehicles, dtype=np.int64)
    empties = -1
    left_out = 0
    for i in range(count):
        node = order[i]
        places = 0
        if granular > 0:
            if empties < 0:
                empties = 0
                seen_class[:] = False
                for v in range(vehicles):
                    if lengths[v] == 0 and not seen_class[K.vehicle_class[v]]:
                        seen_class[K.vehicle_class[v]] = True
                        empty[empties] = v
                        empties += 1
            for e in range(empties):
                v = empty[e]
                if _fits(K, loads, v, node):
                    place_v[places] = v
                    place_at[places] = 0
                    places += 1
            for r in range(1, near + 1):
                other = K.neighbours[node, r]
                v = route_of[other]
                if v < 0 or not _fits(K, loads, v, node):
                    continue
                place_v[places] = v
                place_at[places] = position[other]
                place_v[places + 1] = v
                place_at[places + 1] = position[other] + 1
                places += 2
        else:
            seen_class[:] = False
            for v in range(vehicles):
                length = lengths[v]
                if length == 0:
                    if seen_class[K.vehicle_class[v]]:
                        continue
                    seen_class[K.vehicle_class[v]] = True
                if not _fits(K, loads, v, node):
                    continue
                for at in range(length + 1):
                    place_v[places] = v
                    place_at[places] = at
                    places += 1
        best = INFINITE
        best_v = -1
        best_at = -1
        best_late = 0
        for p in range(places):
            v = place_v[p]
            at = place_at[p]
            if at < K.locked_count[v] or np.random.random() < BLINK_RATE:
                continue
            length = lengths[v]
            row = routes[v]
            before = K.start[v] if at == 0 else row[at - 1]
            after = K.end[v] if at == length else row[at]
            delta = K.surcharge[v, node] + K.cost[before, node] + K.cost[node, after] - K.cost[before, after]
            if length == 0:
                delta += K.fixed_cost[v]
            if delta >= best:
                continue
            if K.simple[v]:
                if not _insertion_feasible(K, v, row, length, at, node, starts[v], latest[v]):
                    continue
                late = 0
            else:
                feasible, late = _feasible(K, v, row, length, at, node)
                if not feasible:
                    continue
                delta += (late - lateness[v]) * K.soft_penalty
            if delta < best:
                best, best_v, best_at, best_late = delta, v, at, late
        if best_v < 0:
            left_out += 1
            continue
        if lengths[best_v] == 0:
            empties = -1
        row = routes[best_v]
        for k in range(lengths[best_v], best_at, -1):
            row[k] = row[k - 1]
        row[best_at] = node
        lengths[best_v] += 1
        route_of[node] = best_v
        lateness[best_v] = best_late
        touched[best_v] = True
        _refresh(K, best_v, row, lengths[best_v], starts[best_v], latest[best_v], position)
        for d in range(loads.shape[1]):
            loads[best_v, d] += K.demand[node, d]
    return left_out


@njit(cache=True)
def _seed(seed):
    np.random.seed(seed)


@njit(cache=True)
def _rounds(
    K, routes, lengths, route_of, loads, lateness, starts, latest, position, costs, best_routes, best_lengths,
    best_stale, state, rounds, temperature, granular,
):
    """`rounds` rounds of ruin, recreate and annealing acceptance from the current plan.

    `state` holds [current objective, best objective]; the current plan is updated in
    place (with each route's cached times in `starts` and `latest`, and each served
    job's place in `position`), the best one is copied into `best_routes`/`best_lengths`
    (only the routes flagged in `best_stale`, those changed since the last copy).
    A round works on a copy of the plan and copies back (or undoes) only the routes it
    touched, so a round costs the same on a day of 100 routes as on one of 10.
    """
    vehicles = lengths.shape[0]
    jobs = route_of.shape[0]
    work_routes = routes.copy()
    work_lengths = lengths.copy()
    work_route_of = route_of.copy()
    work_loads = loads.copy()
    work_lateness = lateness.copy()
    work_costs = costs.copy()
    work_starts = starts.copy()
    work_latest = latest.copy()
    work_position = position.copy()
    pending = np.empty(jobs, dtype=np.int64)
    touched = np.zeros(vehicles, dtype=np.bool_)
    for _ in range(rounds):
        touched[:] = False
        if _ruin(K, work_routes, work_lengths, work_route_of, work_loads, pending) == 0:
            continue
        # The ruined jobs, and the unserved ones, which get another chance every round.
        count = 0
        for node in range(jobs):
            if work_route_of[node] < 0:
                pending[count] = node
                count += 1
        for v in range(vehicles):
            touched[v] = work_lengths[v] != lengths[v]
        # Taking stops out can break a route when travel times are not metric.
        broken = False
        for v in range(vehicles):
            if touched[v]:
                feasible, late = _feasible(K, v, work_routes[v], work_lengths[v], -1, 0)
                if not feasible:
                    broken = True
                    break
                work_lateness[v] = late
                _refresh(K, v, work_routes[v], work_lengths[v], work_starts[v], work_latest[v], work_position)
        total = 0
        if not broken:
            left_out = _recreate(
                K, work_routes, work_lengths, work_route_of, work_loads, work_lateness, work_starts, work_latest,
                work_position, touched, pending, count, granular,
            )
            total = left_out * K.unassigned_penalty
            for v in range(vehicles):
                if touched[v]:
                    work_costs[v] = _route_cost(K, v, work_routes[v], work_lengths[v])
                    if work_costs[v] >= INFINITE:
                        broken = True
                        break
                total += work_costs[v]
        accepted = not broken and total < state[0] - temperature * np.log(np.random.random())
        if accepted:
            for v in range(vehicles):
                if touched[v]:
                    length = work_lengths[v]
                    routes[v, :length] = work_routes[v, :length]
                    starts[v, :length] = work_starts[v, :length]
                    latest[v, :length] = work_latest[v, :length]
                    for k in range(length):
                        position[work_routes[v, k]] = k
                    best_stale[v] = True
            lengths[:] = work_lengths
            route_of[:] = work_route_of
            loads[:, :] = work_loads
            lateness[:] = work_lateness
            costs[:] = work_costs
            state[0] = total
            if total < state[1]:
                state[1] = total
                for v in range(vehicles):
                    if best_stale[v]:
                        best_routes[v, : lengths[v]] = routes[v, : lengths[v]]
                        best_lengths[v] = lengths[v]
                        best_stale[v] = False
        else:
            for v in range(vehicles):
                if touched[v]:
                    length = lengths[v]
                    work_routes[v, :length] = routes[v, :length]
                    work_starts[v, :length] = starts[v, :length]
                    work_latest[v, :length] = latest[v, :length]
                    for k in range(length):
                        work_position[routes[v, k]] = k
            work_lengths[:] = lengths
            work_route_of[:] = route_of
            work_loads[:, :] = loads
            work_lateness[:] = lateness
            work_costs[:] = costs


def search_compile() -> float:
    """Compile (or load from Numba's cache) the search; returns the seconds it took.

    The first search in a process pays this (several seconds without a cache); workers
    call it once at start so that no plan's time limit absorbs it.
    """
    began = time.monotonic()
    _compile_on_tiny_problem()
    return time.monotonic() - began


def ruin_recreate_improve(planned: PlannedModel, routes: list[list[int]], deadline: float, seed: int) -> list[list[int]]:
    """Improve `routes` (job nodes per vehicle) until `deadline`; returns the best found.

    The routes given must be feasible; the result is never worse by the objective.
    """
    return _search(kernel_of(planned), routes, deadline, seed)


def routes_construct(planned: PlannedModel, seed: int = 0, deadline: float | None = None) -> list[list[int]]:
    """A plan by cheapest insertion alone (job nodes per vehicle): the start of a big day,
    and the fallback when OR-Tools found none in its time.

    1. Start every vehicle with its locked chain.
    2. Insert the other jobs one by one, each at its cheapest feasible place over every
       route: once by window end (then start), the tightest promise first, and once per
       seed in one of the rounds' orders (random, largest first, farthest or closest first).
    3. Keep the plan that leaves the fewest jobs out, then costs least. After `deadline`
       (when given) no further order is tried.

    A place on a simple route is checked in constant time, so even a day of thousands of
    jobs takes well under a second; every place is checked by the same rules as the rounds.
    """
    K = kernel_of(planned)
    position_of = {job.id: node for node, job in enumerate(planned.jobs)}
    locked = [[position_of[job_id] for job_id in planned.problem.locked.get(v.id, ())] for v in planned.problem.vehicles]
    free = [node for node in range(len(planned.jobs)) if not K.locked[node]]
    by_window = sorted(free, key=lambda node: (int(K.window_end[node]), int(K.window_start[node]), node))
    best: tuple[int, int] | None = None
    best_routes = locked
    for attempt in range(CONSTRUCT_ATTEMPTS):
        if attempt > 0 and deadline is not None and time.monotonic() > deadline:
            break
        arrays = _state(K, locked)
        if arrays is None:
            return locked  # the locked chains alone already break a rule: nothing to build on
        rows, lengths, route_of, loads, lateness, _costs, starts, latest, position = arrays
        touched = np.zeros(len(locked), dtype=np.bool_)
        _seed(seed * CONSTRUCT_ATTEMPTS + attempt)
        if attempt == 0:
            # One job per call: `_recreate` would shuffle a longer list into an order of its own.
            left_out = sum(
                _recreate(
                    K, rows, lengths, route_of, loads, lateness, starts, latest, position, touched,
                    np.array([node], dtype=np.int64), 1, 0,
                )
                for node in by_window
            )
        else:
            pending = np.array(free, dtype=np.int64)
            left_out = _recreate(
                K, rows, lengths, route_of, loads, lateness, starts, latest, position, touched, pending, len(free), 0
            )
        cost = sum(int(_route_cost(K, v, rows[v], lengths[v])) for v in range(len(locked)))
        if best is None or (left_out, cost) < best:
            best = (left_out, cost)
            best_routes = [[int(node) for node in rows[v, : lengths[v]]] for v in range(len(locked))]
    return best_routes


def _state(K: Kernel, routes: list[list[int]]):
    """The arrays the compiled search works on, for `routes`; None when a route breaks a rule."""
    vehicles = len(routes)
    jobs = K.demand.shape[0]
    rows = np.zeros((vehicles, jobs + 1), dtype=np.int64)
    lengths = np.zeros(vehicles, dtype=np.int64)
    route_of = np.full(jobs, -1, dtype=np.int64)
    loads = np.zeros((vehicles, K.demand.shape[1]), dtype=np.int64)
    lateness = np.zeros(vehicles, dtype=np.int64)
    costs = np.zeros(vehicles, dtype=np.int64)
    starts = np.zeros((vehicles, jobs + 1), dtype=np.int64)
    latest = np.zeros((vehicles, jobs + 1), dtype=np.int64)
    position = np.zeros(jobs, dtype=np.int64)
    for v, route in enumerate(routes):
        rows[v, : len(route)] = route
        lengths[v] = len(route)
        for node in route:
            route_of[node] = v
            loads[v] += K.demand[node]
        feasible, late = _feasible(K, v, rows[v], lengths[v], -1, 0)
        if not feasible:
            return None
        lateness[v] = late
        costs[v] = _route_cost(K, v, rows[v], lengths[v])
        _refresh(K, v, rows[v], lengths[v], starts[v], latest[v], position)
    return rows, lengths, route_of, loads, lateness, costs, starts, latest, position


def _search(K: Kernel, routes: list[list[int]], deadline: float, seed: int, rounds_min: int = 0) -> list[list[int]]:
    vehicles = len(routes)
    jobs = K.demand.shape[0]
    arrays = _state(K, routes)
    if arrays is None:
        return routes
    rows, lengths, route_of, loads, lateness, costs, starts, latest, position = arrays
    arc_total = 0
    for v, route in enumerate(routes):
        if route:
            stops = [int(K.start[v]), *route, int(K.end[v])]
            arc_total += sum(int(K.cost[a, b]) for a, b in zip(stops, stops[1:], strict=False))
    served = int((route_of >= 0).sum())
    if served == 0:
        return routes
    total = int(costs.sum()) + (jobs - served) * int(K.unassigned_penalty)
    state = np.array([total, total], dtype=np.int64)
    best_rows, best_lengths = rows.copy(), lengths.copy()
    best_stale = np.zeros(vehicles, dtype=np.bool_)
    # Temperatures scale with the plan's mean arc, so metres, seconds or Solomon units
    # anneal alike.
    mean_arc = arc_total / (served + int((lengths > 0).sum()))
    hot, cold = START_TEMPERATURE * mean_arc, END_TEMPERATURE * mean_arc
    _seed(seed)
    began = time.monotonic()
    span = max(1e-6, deadline - began)
    per_call, calls = 10, 0
    while (now := time.monotonic()) < deadline or calls * per_call < rounds_min:
        progress = min(1.0, (now - began) / span)
        temperature = hot * math.pow(cold / hot, progress) if hot > 0 else 0.0
        _rounds(
            K, rows, lengths, route_of, loads, lateness, starts, latest, position, costs, best_rows, best_lengths,
            best_stale, state, per_call, temperature, RECREATE_NEIGHBOURS,
        )
        calls += 1
        # Calls of about CALL_S keep the deadline within reach on any size of day.
        took = time.monotonic() - now
        per_call = max(1, min(ROUNDS_PER_CALL_MAX, int(per_call * CALL_S / max(took, 1e-6))))
    return [[int(node) for node in best_rows[v, : best_lengths[v]]] for v in range(vehicles)]


def _compile_on_tiny_problem() -> None:
    size = 6
    matrix = tuple(tuple(abs(a - b) * 60 for b in range(size)) for a in range(size))
    jobs = tuple(Job(f"j{i}", i, 0, 36_000, 60, (1,), soft_window=(i == 1)) for i in range(1, size))
    vehicles = (
        Vehicle("v0", 0, 0, 0, 36_000, (10,)),
        Vehicle("v1", 0, 0, 0, 36_000, (10,), break_=Break(600, 20_000, 300)),
    )
    problem = Problem(jobs, vehicles, matrix, matrix)
    planned = model_build(problem, jobs, {job.id: [0, 1] for job in jobs})
    _search(kernel_of(planned), [[0, 1, 2], [3, 4]], time.monotonic(), 0, rounds_min=1)
    routes_construct(planned)
