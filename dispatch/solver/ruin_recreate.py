"""String ruin and recreate: the many cheap rounds that follow OR-Tools' search.

OR-Tools builds the first plan and improves it with guided local search; each of its
searches costs a fraction of a second on a hundred jobs, so a ten-second solve only
affords a few dozen ruin-and-recreate rounds through it. This module runs the rounds
itself, compiled with Numba, so the same ten seconds give a hundred thousand:

1. Ruin: from a random served job, walk its nearest neighbours and, in up to a few of
   their routes, remove a string of consecutive stops around the neighbour (sometimes
   keeping a short run in the middle of the string, a "split string").
2. Recreate: put the removed jobs (and any unserved ones) back one by one, each at the
   cheapest feasible place next to one of its nearest served neighbours, first or last
   in those neighbours' routes, or in an empty vehicle, skipping each place with a small
   chance ("blinks") so that equal rounds do not repeat.
3. Accept the result by simulated annealing on the objective: cheaper always, dearer
   with a chance that shrinks as the temperature falls over the time limit.
4. Last, a descent on the best plan while it shortens: swap the tails of two routes
   (2-opt*), the long exchanges that strings of ten stops rarely make; move a job next
   to a near neighbour on another route, or first or last there; or trade two jobs.

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
from concurrent.futures import ThreadPoolExecutor

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
# Searches in threads of one process (`Problem.search_threads`) trade their best plans
# EXCHANGE_SLICES times over the rounds' time; seeds differ by thread and by slice.
EXCHANGE_SLICES = 10
SEED_STRIDE_THREAD = 1_000
SEED_STRIDE_SLICE = 100_000
# Rounds per compiled call when a search runs a fixed number of rounds.
FIXED_CALL_ROUNDS = 100
# A removed job is re-inserted only next to this many of its nearest neighbours (and in
# an empty vehicle of each class), so a round costs as much on a day of 1,000 jobs as
# on one of 100.
RECREATE_NEIGHBOURS = 40
# Insertion orders a constructive plan tries (the first by window, the others seeded).
CONSTRUCT_ATTEMPTS = 4
# On a day of at most OPEN_ROUTE_MAX_JOBS jobs, this share of the rounds opens a route: the
# first job re-inserted goes into an empty vehicle whatever it costs, and annealing judges
# the result. A cheapest insertion opens a route only when one job's round trip from the
# depot beats every other place, so the rounds kept the fleet of their start: 11 vans on
# R2_2_1 where the shortest known plan has 13. On 200-customer R2 days at 10 s the mean gap
# fell from 1.15 % to 0.80 %; on the 1,000-customer R2_10_1 at 60 s it rose from about
# 1.6 % to 1.9 %, the rounds it spends being worth more there.
OPEN_ROUTE_RATE = 0.2
OPEN_ROUTE_MAX_JOBS = 400
INFINITE = np.int64(1) << np.int64(60)
MATRIX_MAX = (1 << 30) - 1

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
        cost=_matrix_compact(cost),
        travel=_matrix_compact(durations),
        distance=_matrix_compact(distances),
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


def _matrix_compact(matrix: np.ndarray) -> np.ndarray:
    """A travel matrix as 32-bit integers: half the memory of 64-bit ones, so that more of a
    big day's matrices stay in the processor's cache (the rounds read them at random).

    A leg longer than MATRIX_MAX (some 34 years, or a million kilometres) is no route
    anyone drives; it is capped there. Sums are taken in 64 bits by the compiled code.
    """
    return np.ascontiguousarray(np.minimum(matrix, MATRIX_MAX).astype(np.int32))


# ---------------------------------------------------------------------------
# Compiled part. A route is a row of `routes` (job nodes) with its length in `lengths`;
# a "virtual" route is a row with one more node inserted at `at` (at < 0: none).


@njit(cache=True, nogil=True, inline="always")
def _node_at(row, at, extra, k):
    if at < 0 or k < at:
        return row[k]
    if k == at:
        return extra
    return row[k - 1]


# Inlined where it is called: a call that hands the kernel on updates the reference count of
# every array in it, atomically (about 5 % of the rounds' time on a 1,000-job day).
@njit(cache=True, nogil=True, inline="always")
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


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def _refresh(K, v, row, length, starts, latest, position):
    """Cache what insertions into a route read: each stop's position, its earliest
    service start (`starts`, forwards) and, on a simple route, the latest start that
    keeps every later stop and the return in time (`latest`, backwards).

    Returns whether a simple route keeps every window and its shift (what `_feasible`
    says of it, in the same pass); True for any other route, which it does not check.
    """
    departure = K.shift_start[v]
    previous = K.start[v]
    keeps = True
    for k in range(length):
        node = row[k]
        position[node] = k
        arrival = departure + K.travel[previous, node]
        if arrival > K.window_end[node]:
            keeps = False
        arrival = max(arrival, K.window_start[node])
        starts[k] = arrival
        departure = arrival + K.service[node]
        previous = node
    if not K.simple[v]:
        return True
    if length > 0 and departure + K.travel[previous, K.end[v]] > K.shift_end[v]:
        keeps = False
    bound = K.shift_end[v]
    following = K.end[v]
    for k in range(length - 1, -1, -1):
        node = row[k]
        bound = min(K.window_end[node], bound - K.travel[node, following] - K.service[node])
        latest[k] = bound
        following = node
    return keeps


@njit(cache=True, nogil=True)
def _leaving_before(K, v, routes, k, starts):
    """The stop before position k of route v (the depot at k = 0) and when it leaves at its earliest."""
    if k == 0:
        return K.start[v], K.shift_start[v]
    previous = routes[v, k - 1]
    return previous, starts[v, k - 1] + K.service[previous]


@njit(cache=True, nogil=True)
def _on_time_at(K, v, routes, length, k, node, departure, latest):
    """Whether leaving `node` at `departure` reaches position k of route v (the return
    when k = length) by its cached latest start."""
    if k == length:
        return departure + K.travel[node, K.end[v]] <= K.shift_end[v]
    return departure + K.travel[node, routes[v, k]] <= latest[v, k]


@njit(cache=True, nogil=True)
def _visit_fits(K, v, routes, length, previous, departure, node, resume, latest):
    """Whether `node`, reached from `previous` leaving at `departure`, is served in its
    window and the route resumes at position `resume` in time."""
    arrival = departure + K.travel[previous, node]
    if arrival > K.window_end[node]:
        return False
    leaves = max(arrival, K.window_start[node]) + K.service[node]
    return _on_time_at(K, v, routes, length, resume, node, leaves, latest)


@njit(cache=True, nogil=True)
def _insertion_feasible(K, v, routes, length, at, extra, starts, latest):
    """Whether `extra` fits at `at` of a feasible simple route, in constant time.

    The stop before the place departs at its cached earliest start plus service; the
    route stays feasible when `extra` is reached by its window end and the stop after
    it (or the return) can still start by its cached latest start.
    """
    previous, departure = _leaving_before(K, v, routes, at, starts)
    return _visit_fits(K, v, routes, length, previous, departure, extra, at, latest)


@njit(cache=True, nogil=True)
def _route_cost(K, v, row, length):
    """Objective of one route, or INFINITE when it breaks a rule."""
    if length == 0:
        return 0
    feasible, lateness = _feasible(K, v, row, length, -1, 0)
    if not feasible:
        return INFINITE
    return _priced(K, v, row, length, lateness)


@njit(cache=True, nogil=True)
def _priced(K, v, row, length, lateness):
    """Objective of one route known to keep every rule, `lateness` seconds late at soft windows."""
    if length == 0:
        return 0
    total = K.fixed_cost[v] + lateness * K.soft_penalty
    previous = K.start[v]
    for k in range(length):
        node = row[k]
        total += K.cost[previous, node] + K.surcharge[v, node]
        previous = node
    return total + K.cost[previous, K.end[v]]


@njit(cache=True, nogil=True)
def _remove_at(row, length, k):
    for i in range(k, length - 1):
        row[i] = row[i + 1]


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def _fits(K, loads, v, node):
    if not K.allowed[node, v]:
        return False
    for d in range(loads.shape[1]):
        if loads[v, d] + K.demand[node, d] > K.capacity[v, d]:
            return False
    return True


@njit(cache=True, nogil=True)
def _recreate(
    K, routes, lengths, route_of, loads, lateness, starts, latest, position, touched, pending, count, granular,
    opening=False,
):
    """Insert each pending job at its cheapest feasible place; returns how many stay out.

    With `granular` > 0 a job is tried only next to (before and after) its `granular`
    nearest served neighbours, first and last in those neighbours' routes, and in one empty
    vehicle of each class: a constant number of places per job whatever the size of the
    day. With 0, every place of every route.

    With `opening`, the first job goes into an empty vehicle when one takes it, however
    much that costs, and the others follow where they fit best (see OPEN_ROUTE_RATE).
    """
    vehicles = lengths.shape[0]
    order = _insert_order(K, pending, count)
    seen_class = np.zeros(vehicles, dtype=np.bool_)
    near = min(granular, K.neighbours.shape[1] - 1)
    # The places to try for one job: (vehicle, position) pairs.
    place_v = np.empty(4 * near + vehicles + route_of.shape[0], dtype=np.int64)
    place_at = np.empty_like(place_v)
    # Empty vehicles of one class are interchangeable: only the first of each is tried.
    empty = np.empty(vehicles, dtype=np.int64)
    empties = -1
    neighbour = np.zeros(route_of.shape[0], dtype=np.bool_)
    route_seen = np.zeros(vehicles, dtype=np.bool_)
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
            # Before and after each served neighbour; the place after one that is followed
            # by another neighbour is that one's place before, and is tried once.
            for r in range(1, near + 1):
                other = K.neighbours[node, r]
                neighbour[other] = route_of[other] >= 0
            for r in range(1, near + 1):
                other = K.neighbours[node, r]
                v = route_of[other]
                if v < 0 or not _fits(K, loads, v, node):
                    continue
                at = position[other]
                place_v[places] = v
                place_at[places] = at
                places += 1
                if at + 1 == lengths[v] or not neighbour[routes[v, at + 1]]:
                    place_v[places] = v
                    place_at[places] = at + 1
                    places += 1
            # A route's first and last places, next to the depot, whatever stops they follow or precede:
            # in the routes of the neighbours, where a route that starts early or ends late often
            # takes a job best (in routes of tight windows, the only place it fits).
            for r in range(1, near + 1):
                v = route_of[K.neighbours[node, r]]
                if v < 0 or route_seen[v]:
                    continue
                route_seen[v] = True
                length = lengths[v]
                if not _fits(K, loads, v, node):
                    continue
                if not neighbour[routes[v, 0]]:
                    place_v[places] = v
                    place_at[places] = 0
                    places += 1
                if not neighbour[routes[v, length - 1]]:
                    place_v[places] = v
                    place_at[places] = length
                    places += 1
            for r in range(1, near + 1):
                other = K.neighbours[node, r]
                neighbour[other] = False
                if route_of[other] >= 0:
                    route_seen[route_of[other]] = False
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
        only_empty = opening and i == 0
        while True:
            for p in range(places):
                v = place_v[p]
                at = place_at[p]
                if at < K.locked_count[v]:
                    continue
                length = lengths[v]
                if only_empty and length > 0:
                    continue
                before = K.start[v] if at == 0 else routes[v, at - 1]
                after = K.end[v] if at == length else routes[v, at]
                delta = K.surcharge[v, node] + K.cost[before, node] + K.cost[node, after] - K.cost[before, after]
                if length == 0:
                    delta += K.fixed_cost[v]
                # A blink skips a place that would otherwise win (drawn only for those: the
                # same chance per place, without a random draw for every place tried).
                if delta >= best or np.random.random() < BLINK_RATE:
                    continue
                if K.simple[v]:
                    if not _insertion_feasible(K, v, routes, length, at, node, starts, latest):
                        continue
                    late = 0
                else:
                    feasible, late = _feasible(K, v, routes[v], length, at, node)
                    if not feasible:
                        continue
                    delta += (late - lateness[v]) * K.soft_penalty
                if delta < best:
                    best, best_v, best_at, best_late = delta, v, at, late
            if best_v >= 0 or not only_empty:
                break
            only_empty = False  # no empty vehicle takes it: it goes where it fits best
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


@njit(cache=True, nogil=True)
def _prefix_loads(K, row, length, out):
    """`out[k, d]`: the load of dimension d on board the stops before position k (k <= length)."""
    for d in range(out.shape[1]):
        out[0, d] = 0
    for k in range(length):
        for d in range(out.shape[1]):
            out[k + 1, d] = out[k, d] + K.demand[row[k], d]


@njit(cache=True, nogil=True)
def _tails_exchange(K, routes, lengths, route_of, starts, latest, position, near):
    """Swap the tails of two routes while that shortens the plan (2-opt*); returns the saving.

    For each served job x and each of its `near` nearest neighbours y on another route
    of the same vehicle class, route A (x's) continues after x with y and the rest of
    route B, while B continues from y's predecessor with the rest of A. String ruins
    remove at most MAX_STRING stops, so two long routes that cross are rarely untangled
    by the rounds; the exchange does it at once.

    Only simple vehicles take part: their windows and shift are checked in constant time
    against the cached earliest starts (`starts`) and latest starts (`latest`), and every
    load dimension against the routes' prefix loads. Locked stops keep their places.
    """
    vehicles = lengths.shape[0]
    jobs = route_of.shape[0]
    dimensions = K.demand.shape[1]
    prefix = np.zeros((vehicles, routes.shape[1] + 1, dimensions), dtype=np.int64)
    for v in range(vehicles):
        _prefix_loads(K, routes[v], lengths[v], prefix[v])
    tail = np.empty(routes.shape[1], dtype=np.int64)
    near = min(near, K.neighbours.shape[1] - 1)
    saved = 0
    improved = True
    while improved:
        improved = False
        for x in range(jobs):
            a = route_of[x]
            if a < 0 or not K.simple[a]:
                continue
            i = position[x] + 1
            if i < K.locked_count[a]:
                continue
            for r in range(1, near + 1):
                y = K.neighbours[x, r]
                b = route_of[y]
                if b < 0 or b == a or K.vehicle_class[b] != K.vehicle_class[a]:
                    continue
                j = position[y]
                if j < K.locked_count[b]:
                    continue
                length_a, length_b = lengths[a], lengths[b]
                after_x = K.end[a] if i == length_a else routes[a, i]
                before_y = K.start[b] if j == 0 else routes[b, j - 1]
                delta = K.cost[x, y] + K.cost[before_y, after_x] - K.cost[x, after_x] - K.cost[before_y, y]
                if delta >= 0:
                    continue
                fits = True
                for d in range(dimensions):
                    if prefix[a, i, d] + prefix[b, length_b, d] - prefix[b, j, d] > K.capacity[a, d]:
                        fits = False
                    if prefix[b, j, d] + prefix[a, length_a, d] - prefix[a, i, d] > K.capacity[b, d]:
                        fits = False
                if not fits:
                    continue
                # A: x departs at its earliest and must reach y by y's latest start.
                if starts[a, i - 1] + K.service[x] + K.travel[x, y] > latest[b, j]:
                    continue
                # B: y's predecessor departs at its earliest and reaches A's rest (or the end) in time.
                departure = K.shift_start[b] if j == 0 else starts[b, j - 1] + K.service[before_y]
                due = K.shift_end[b] if i == length_a else latest[a, i]
                if departure + K.travel[before_y, after_x] > due:
                    continue
                kept = length_a - i
                tail[:kept] = routes[a, i:length_a]
                routes[a, i:i + length_b - j] = routes[b, j:length_b]
                routes[b, j:j + kept] = tail[:kept]
                lengths[a] = i + length_b - j
                lengths[b] = j + kept
                for v in (a, b):
                    for k in range(lengths[v]):
                        route_of[routes[v, k]] = v
                    _refresh(K, v, routes[v], lengths[v], starts[v], latest[v], position)
                    _prefix_loads(K, routes[v], lengths[v], prefix[v])
                saved -= delta
                improved = True
                break
    return saved


@njit(cache=True, nogil=True)
def _stands_in(K, v, routes, length, k, node, starts, latest):
    """Whether `node` can take the place of the stop at k of simple route v (windows and shift)."""
    previous, departure = _leaving_before(K, v, routes, k, starts)
    return _visit_fits(K, v, routes, length, previous, departure, node, k + 1, latest)


@njit(cache=True, nogil=True)
def _without(K, v, routes, length, k, starts, latest):
    """Whether simple route v keeps its windows and shift when its stop at k leaves."""
    if length == 1:
        return True
    previous, departure = _leaving_before(K, v, routes, k, starts)
    return _on_time_at(K, v, routes, length, k + 1, previous, departure, latest)


@njit(cache=True, nogil=True)
def _moves_between_routes(K, routes, lengths, route_of, loads, starts, latest, position, near):
    """Move a job next to a near neighbour on another route, or first or last there (relocate), or trade places
    with that neighbour (swap), while that shortens the plan; returns the saving.

    The closing descent of the rounds: annealing ends near, not at, a plan no single move
    improves. Only simple vehicles take part, each place checked in constant time against
    the cached earliest and latest starts; loads, allowed vehicles and locked stops as in
    the rounds.
    """
    jobs = route_of.shape[0]
    near = min(near, K.neighbours.shape[1] - 1)
    saved = 0
    improved = True
    while improved:
        improved = False
        for x in range(jobs):
            a = route_of[x]
            if a < 0 or K.locked[x] or not K.simple[a]:
                continue
            i = position[x]
            length_a = lengths[a]
            before_x = K.start[a] if i == 0 else routes[a, i - 1]
            after_x = K.end[a] if i == length_a - 1 else routes[a, i + 1]
            # What taking x out saves (an emptied route costs nothing, not a depot round trip).
            out = K.cost[before_x, x] + K.cost[x, after_x] - K.cost[before_x, after_x] + K.surcharge[a, x]
            if length_a == 1:
                out += K.cost[K.start[a], K.end[a]] + K.fixed_cost[a]
            for r in range(1, near + 1):
                y = K.neighbours[x, r]
                b = route_of[y]
                if b < 0 or b == a or not K.simple[b]:
                    continue
                j = position[y]
                length_b = lengths[b]
                moved = False
                # Relocate: x before or after y, or first or last in y's route (as the rounds place jobs).
                if _fits(K, loads, b, x) and _without(K, a, routes, length_a, i, starts, latest):
                    for at in (j, j + 1, 0, length_b):
                        if at < K.locked_count[b]:
                            continue
                        previous = K.start[b] if at == 0 else routes[b, at - 1]
                        following = K.end[b] if at == length_b else routes[b, at]
                        delta = (K.cost[previous, x] + K.cost[x, following] - K.cost[previous, following]
                                 + K.surcharge[b, x] - out)
                        if delta >= 0 or not _insertion_feasible(K, b, routes, length_b, at, x, starts, latest):
                            continue
                        _remove_at(routes[a], length_a, i)
                        lengths[a] -= 1
                        for k in range(length_b, at, -1):
                            routes[b, k] = routes[b, k - 1]
                        routes[b, at] = x
                        lengths[b] += 1
                        route_of[x] = b
                        for d in range(loads.shape[1]):
                            loads[a, d] -= K.demand[x, d]
                            loads[b, d] += K.demand[x, d]
                        saved -= delta
                        moved = True
                        break
                # Swap: x and y trade places.
                if not moved and not K.locked[y] and K.allowed[x, b] and K.allowed[y, a]:
                    fits = True
                    for d in range(loads.shape[1]):
                        change = K.demand[y, d] - K.demand[x, d]
                        if loads[a, d] + change > K.capacity[a, d] or loads[b, d] - change > K.capacity[b, d]:
                            fits = False
                    if not fits:
                        continue
                    before_y = K.start[b] if j == 0 else routes[b, j - 1]
                    after_y = K.end[b] if j == length_b - 1 else routes[b, j + 1]
                    delta = (K.cost[before_x, y] + K.cost[y, after_x] - K.cost[before_x, x] - K.cost[x, after_x]
                             + K.cost[before_y, x] + K.cost[x, after_y] - K.cost[before_y, y] - K.cost[y, after_y]
                             + K.surcharge[a, y] + K.surcharge[b, x] - K.surcharge[a, x] - K.surcharge[b, y])
                    if delta >= 0:
                        continue
                    if not _stands_in(K, a, routes, length_a, i, y, starts, latest):
                        continue
                    if not _stands_in(K, b, routes, length_b, j, x, starts, latest):
                        continue
                    routes[a, i] = y
                    routes[b, j] = x
                    route_of[x] = b
                    route_of[y] = a
                    for d in range(loads.shape[1]):
                        change = K.demand[y, d] - K.demand[x, d]
                        loads[a, d] += change
                        loads[b, d] -= change
                    saved -= delta
                    moved = True
                if moved:
                    _refresh(K, a, routes[a], lengths[a], starts[a], latest[a], position)
                    _refresh(K, b, routes[b], lengths[b], starts[b], latest[b], position)
                    improved = True
                    break
    return saved


@njit(cache=True, nogil=True)
def _seed(seed):
    np.random.seed(seed)


@njit(cache=True, nogil=True)
def _rounds(
    K, routes, lengths, route_of, loads, lateness, starts, latest, position, costs, best_routes, best_lengths,
    best_stale, state, rounds, temperature, granular, work, open_rate,
):
    """`rounds` rounds of ruin, recreate and annealing acceptance from the current plan;
    `open_rate` of them open a route (see OPEN_ROUTE_RATE).

    `state` holds [current objective, best objective, jobs the current plan leaves out]; the current plan is updated in
    place (with each route's cached times in `starts` and `latest`, and each served
    job's place in `position`), the best one is copied into `best_routes`/`best_lengths`
    (only the routes flagged in `best_stale`, those changed since the last copy).
    A round works on a copy of the plan (`work`, the same arrays in the same order as the
    plan's, equal to them between rounds: the caller copies them once) and copies back (or
    undoes) only what it touched, so a round costs the same on a day of 100 routes as on one of 10.
    """
    vehicles = lengths.shape[0]
    jobs = route_of.shape[0]
    (work_routes, work_lengths, work_route_of, work_loads, work_lateness, work_costs, work_starts, work_latest,
     work_position) = work
    pending = np.empty(jobs, dtype=np.int64)
    touched = np.zeros(vehicles, dtype=np.bool_)
    for _ in range(rounds):
        touched[:] = False
        count = _ruin(K, work_routes, work_lengths, work_route_of, work_loads, pending)
        if count == 0:
            continue
        if state[2] > 0:
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
                # A simple route is checked by the refresh's own pass; any other is replayed in full.
                keeps = _refresh(K, v, work_routes[v], work_lengths[v], work_starts[v], work_latest[v], work_position)
                late = 0
                if not K.simple[v]:
                    keeps, late = _feasible(K, v, work_routes[v], work_lengths[v], -1, 0)
                if not keeps:
                    broken = True
                    break
                work_lateness[v] = late
        total = 0
        left_out = 0
        if not broken:
            left_out = _recreate(
                K, work_routes, work_lengths, work_route_of, work_loads, work_lateness, work_starts, work_latest,
                work_position, touched, pending, count, granular, open_rate > 0 and np.random.random() < open_rate,
            )
            # Every place was checked as the job went in, and the route's lateness kept with it.
            total = left_out * K.unassigned_penalty
            for v in range(vehicles):
                if touched[v]:
                    work_costs[v] = _priced(K, v, work_routes[v], work_lengths[v], work_lateness[v])
                total += work_costs[v]
        accepted = not broken and total < state[0] - temperature * np.log(np.random.random())
        # Only the touched routes changed (a route a job left or joined is touched), and only the pending jobs
        # moved: each was taken out, then put back or left out.
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
                    lengths[v] = length
                    loads[v] = work_loads[v]
                    lateness[v] = work_lateness[v]
                    costs[v] = work_costs[v]
            for i in range(count):
                route_of[pending[i]] = work_route_of[pending[i]]
            state[0] = total
            state[2] = left_out
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
                    work_lengths[v] = length
                    work_loads[v] = loads[v]
                    work_lateness[v] = lateness[v]
                    work_costs[v] = costs[v]
            for i in range(count):
                work_route_of[pending[i]] = route_of[pending[i]]


def search_compile() -> float:
    """Compile (or load from Numba's cache) the search; returns the seconds it took.

    The first search in a process pays this (several seconds without a cache); workers
    call it once at start so that no plan's time limit absorbs it.
    """
    began = time.monotonic()
    _compile_on_tiny_problem()
    return time.monotonic() - began


def ruin_recreate_improve(
    planned: PlannedModel, routes: list[list[int]], deadline: float, seed: int, threads: int = 1
) -> list[list[int]]:
    """Improve `routes` (job nodes per vehicle) until `deadline`; returns the best found.

    With `threads` > 1, that many searches run side by side in this process and trade
    their best plans as they go (see `_search`). The routes given must be feasible; the
    result is never worse by the objective.
    """
    return _search(kernel_of(planned), routes, deadline, seed, threads=threads)


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


class _Searcher:
    """One thread's search: its own plan arrays (current, best, caches) over the shared kernel.

    The kernel's arrays are only read by the rounds, so several searchers share one; each
    searcher's arrays are written by its own thread alone.
    """

    def __init__(self, K: Kernel, arrays, total: int):
        self.K = K
        self.per_call = 10
        self.open_rate = OPEN_ROUTE_RATE if K.demand.shape[0] <= OPEN_ROUTE_MAX_JOBS else 0.0
        self.adopt(arrays, total)

    def adopt(self, arrays, total: int) -> None:
        """Continue from the plan `arrays` (as `_state` builds them), whose objective is `total`."""
        (self.rows, self.lengths, self.route_of, self.loads, self.lateness, self.costs,
         self.starts, self.latest, self.position) = arrays
        # The rounds' working copy, kept equal to the plan between calls (see `_rounds`).
        self.work = tuple(array.copy() for array in (
            self.rows, self.lengths, self.route_of, self.loads, self.lateness, self.costs, self.starts, self.latest,
            self.position))
        self.state = np.array([total, total, int((self.route_of < 0).sum())], dtype=np.int64)
        self.best_rows, self.best_lengths = self.rows.copy(), self.lengths.copy()
        self.best_stale = np.zeros(len(self.lengths), dtype=np.bool_)

    def best(self) -> int:
        return int(self.state[1])

    def best_routes(self) -> list[list[int]]:
        return [[int(node) for node in self.best_rows[v, : self.best_lengths[v]]] for v in range(len(self.best_lengths))]

    def call(self, rounds: int, temperature: float) -> None:
        _rounds(
            self.K, self.rows, self.lengths, self.route_of, self.loads, self.lateness, self.starts, self.latest,
            self.position, self.costs, self.best_rows, self.best_lengths, self.best_stale, self.state, rounds,
            temperature, RECREATE_NEIGHBOURS, self.work, self.open_rate,
        )

    def run_until(self, seed: int, until: float, temperature, rounds_min: int = 0) -> None:
        """Rounds until the monotonic time `until` (and at least `rounds_min` of them);
        `temperature(now)` gives the annealing temperature at a time."""
        _seed(seed)
        done = 0
        while (now := time.monotonic()) < until or done < rounds_min:
            self.call(self.per_call, temperature(now))
            done += self.per_call
            # Calls of about CALL_S keep the deadline within reach on any size of day.
            took = time.monotonic() - now
            self.per_call = max(1, min(ROUNDS_PER_CALL_MAX, int(self.per_call * CALL_S / max(took, 1e-6))))

    def run_rounds(self, seed: int, rounds: int, temperature) -> None:
        """Exactly `rounds` rounds whatever the clock says; `temperature(share)` gives the
        temperature after that share of them. The same seed gives the same plan."""
        _seed(seed)
        done = 0
        while done < rounds:
            count = min(FIXED_CALL_ROUNDS, rounds - done)
            self.call(count, temperature(done / rounds))
            done += count


def _search(
    K: Kernel, routes: list[list[int]], deadline: float, seed: int, rounds_min: int = 0, threads: int = 1,
    slice_rounds: int | None = None,
) -> list[list[int]]:
    """The best plan of `threads` searches from `routes` until `deadline`.

    One search runs in the calling thread; the others in threads of their own, each from
    its own seed (the compiled rounds release the GIL, so they run on as many cores).
    With more than one, the time is cut into EXCHANGE_SLICES slices; after each, the best
    plan of all goes through the closing descent (`_descended`) and every search whose
    best plan costs more continues from the result, while the search that found it
    continues from its own current one unless the descent improved it (ties go to the
    lower-numbered search). The plan returned has been through the descent too. With `slice_rounds`, each search runs exactly that many rounds
    per slice, whatever the clock: the result then depends on the seed alone.
    """
    jobs = K.demand.shape[0]
    arrays = _state(K, routes)
    if arrays is None:
        return routes
    rows, lengths, route_of, _loads, _lateness, costs, *_rest = arrays
    arc_total = 0
    for v, route in enumerate(routes):
        if route:
            stops = [int(K.start[v]), *route, int(K.end[v])]
            arc_total += sum(int(K.cost[a, b]) for a, b in zip(stops, stops[1:], strict=False))
    served = int((route_of >= 0).sum())
    if served == 0:
        return routes
    total = int(costs.sum()) + (jobs - served) * int(K.unassigned_penalty)
    threads = max(1, threads)
    searchers = [_Searcher(K, arrays, total)]
    searchers += [_Searcher(K, _state(K, routes), total) for _ in range(threads - 1)]
    # Temperatures scale with the plan's mean arc, so metres, seconds or Solomon units
    # anneal alike.
    mean_arc = arc_total / (served + int((lengths > 0).sum()))
    hot, cold = START_TEMPERATURE * mean_arc, END_TEMPERATURE * mean_arc

    def temperature_at(progress: float) -> float:
        return hot * math.pow(cold / hot, min(1.0, progress)) if hot > 0 else 0.0

    began = time.monotonic()
    span = max(1e-6, deadline - began)
    slices = 1 if threads == 1 else EXCHANGE_SLICES
    pool = ThreadPoolExecutor(max_workers=threads - 1) if threads > 1 else None
    try:
        for piece in range(slices):
            def run(i: int, piece: int = piece) -> None:
                searcher = searchers[i]
                # Search 0 of slice 0 keeps the caller's seed: one thread searches as it always has.
                own_seed = seed + SEED_STRIDE_THREAD * i + SEED_STRIDE_SLICE * piece
                if slice_rounds is not None:
                    searcher.run_rounds(
                        own_seed, slice_rounds, lambda share: temperature_at((piece + share) / slices)
                    )
                else:
                    until = began + span * (piece + 1) / slices
                    searcher.run_until(
                        own_seed, until, lambda now: temperature_at((now - began) / span),
                        rounds_min if piece == slices - 1 else 0,
                    )

            others = [pool.submit(run, i) for i in range(1, threads)] if pool else []
            run(0)
            for future in others:
                future.result()
            if threads > 1 and piece < slices - 1:
                _exchange(K, searchers)
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    leader = min(range(threads), key=lambda i: (searchers[i].best(), i))
    return _descended(K, searchers[leader].best_routes(), searchers[leader].best())[0]


def _descended(K: Kernel, routes: list[list[int]], total: int) -> tuple[list[list[int]], int]:
    """`routes` (whose objective is `total`) after the closing descent, and its objective.

    Tail exchanges (`_tails_exchange`), then relocates and swaps (`_moves_between_routes`),
    in turn until neither helps. The result is re-checked in full and kept only when it
    keeps every rule and costs less.
    """
    arrays = _state(K, routes)
    if arrays is None:
        return routes, total
    rows, lengths, route_of, loads, _lateness, _costs, starts, latest, position = arrays
    saved = 0
    while True:
        step = _tails_exchange(K, rows, lengths, route_of, starts, latest, position, RECREATE_NEIGHBOURS)
        # The tail exchange keeps loads in prefix sums of its own; the moves read them per route.
        for v in range(len(routes)):
            loads[v] = K.demand[rows[v, : lengths[v]]].sum(axis=0)
        step += _moves_between_routes(K, rows, lengths, route_of, loads, starts, latest, position, RECREATE_NEIGHBOURS)
        if step <= 0:
            break
        saved += step
    if saved <= 0:
        return routes, total
    descended = [[int(node) for node in rows[v, : lengths[v]]] for v in range(len(routes))]
    checked = _state(K, descended)
    if checked is None:
        return routes, total
    cost = int(checked[5].sum()) + int((checked[2] < 0).sum()) * int(K.unassigned_penalty)
    return (descended, cost) if cost < total else (routes, total)


def _exchange(K: Kernel, searchers: list[_Searcher]) -> None:
    """The best plan of all goes through the closing descent; every search whose best plan
    costs more than the result continues from it (the leader too, when the descent helped)."""
    leader = min(range(len(searchers)), key=lambda i: (searchers[i].best(), i))
    routes, cost = _descended(K, searchers[leader].best_routes(), searchers[leader].best())
    for searcher in searchers:
        if searcher.best() <= cost:
            continue
        arrays = _state(K, routes)
        if arrays is not None:
            searcher.adopt(arrays, cost)


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
