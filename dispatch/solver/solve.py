"""Solving a Problem: search parameters, warm starts, and reading the plan back."""

from __future__ import annotations

import logging
import os
import pickle
import signal
import time
from dataclasses import dataclass, replace

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
from dispatch.solver.ruin_recreate import routes_construct, ruin_recreate_improve, search_compile
from dispatch.solver.unassigned import unassigned_reason, vehicles_able_to_serve

logger = logging.getLogger(__name__)

FIRST_SOLUTION = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
METAHEURISTIC = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
ROUND_METAHEURISTIC = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
# After a first guided local search over FIRST_SEARCH_SHARE of the time limit, the plan
# is improved by compiled ruin-and-recreate rounds (dispatch.solver.ruin_recreate) until
# POLISH_SHARE of the limit is left, in which OR-Tools re-checks the rounds' plan and
# polishes it with a greedy descent. Solves under ROUNDS_MIN_TIME_S or ROUNDS_MIN_JOBS
# skip the rounds. Days over CONSTRUCT_FIRST_JOBS (without a warm start) skip the first
# search too: OR-Tools' first solution alone takes seconds on them (about 7 s for 1,000
# jobs), while the compiled cheapest insertion builds a plan in a fraction of one, and
# the rounds improve it faster than guided local search does.
FIRST_SEARCH_SHARE = 0.1
POLISH_SHARE = 0.03
# At most this share of the limit goes to OR-Tools' check of a constructive plan.
CHECK_SHARE = 0.2
ROUNDS_MIN_JOBS = 10
ROUNDS_MIN_TIME_S = 1.0
ROUND_MIN_S = 0.1
# OR-Tools' greedy descent overruns its time limit by about this much per job (some
# 2 s on a day of 2,500 jobs, before it checks the clock): the rounds leave it that.
POLISH_OVERRUN_S_PER_JOB = 0.001
# A day of more than PATH_LNS_MAX_JOBS jobs closes its model (each model it builds) without
# OR-Tools' cheapest-insertion path LNS operators. Each runs a cheapest insertion over whole
# routes without looking at the clock: in the closing polish (whose operators are the ones
# the model was closed with) they took 2.8 s of a 0.9 s budget on a 400-customer day and
# found nothing that relocate and cross did not find in 0.5 s without them.
PATH_LNS_MAX_JOBS = 200
PATH_LNS = ("use_global_cheapest_insertion_path_lns", "use_local_cheapest_insertion_path_lns")
# Whether this process has compiled the search (see `search_ready`).
_search_ready = False
# A day of SEARCH_THREADS_MIN_JOBS or more with a limit of SEARCH_THREADS_MIN_TIME_S or
# more runs its rounds in two threads when the process may use two cores or more.
SEARCH_THREADS_MIN_JOBS = 100
SEARCH_THREADS_MIN_TIME_S = 5.0
# A forked worker stops this much earlier than the parent so that collecting its plan
# does not push the solve past its time limit.
WORKER_MARGIN_S = 0.1


@dataclass(frozen=True)
class SearchVariant:
    """One way to search: where to start and how strongly guided local search penalises.

    The variant's number also seeds the choice of what the ruin-and-recreate rounds ruin.
    """

    first_solution: int
    gls_lambda: float


# Worker k (k < len) searches with SEARCH_VARIANTS[k]; the in-process search is variant 0.
SEARCH_VARIANTS = (
    SearchVariant(FIRST_SOLUTION, 0.1),
    SearchVariant(routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION, 0.1),
)
# Above this many jobs, insertion only tries each job's nearest neighbours: a full
# cheapest insertion over 1,000 jobs does not finish within a minute.
FULL_INSERTION_MAX_JOBS = 200
INSERTION_NEIGHBOURS = 50
CONSTRUCT_FIRST_JOBS = 200


def search_parameters(
    problem: Problem, variant: int = 0, time_limit_s: float | None = None
) -> pywrapcp.DefaultRoutingSearchParameters:
    search = SEARCH_VARIANTS[variant % len(SEARCH_VARIANTS)]
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = search.first_solution
    params.local_search_metaheuristic = METAHEURISTIC
    params.guided_local_search_lambda_coefficient = search.gls_lambda
    limit_s = problem.time_limit_s if time_limit_s is None else time_limit_s
    params.time_limit.FromMilliseconds(max(1, int(limit_s * 1000)))
    if len(problem.jobs) > FULL_INSERTION_MAX_JOBS:
        insertion = params.global_cheapest_insertion_first_solution_parameters
        insertion.neighbors_ratio = INSERTION_NEIGHBOURS / len(problem.jobs)
        insertion.min_neighbors = 10
    if problem.solution_limit is not None:
        params.solution_limit = problem.solution_limit
    params.use_cp_sat = optional_boolean_pb2.BOOL_FALSE
    params.use_generalized_cp_sat = optional_boolean_pb2.BOOL_FALSE
    return params


def closing_parameters(
    problem: Problem, variant: int, time_limit_s: float, jobs: int
) -> pywrapcp.DefaultRoutingSearchParameters:
    """The parameters a day's model is closed with: its local search operators are fixed then,
    for every search on it, the closing polish's too (see PATH_LNS_MAX_JOBS)."""
    params = search_parameters(problem, variant, time_limit_s)
    if jobs > PATH_LNS_MAX_JOBS:
        for operator in PATH_LNS:
            setattr(params.local_search_operators, operator, optional_boolean_pb2.BOOL_FALSE)
    return params


def search_threads(jobs: int, time_limit_s: float) -> int:
    """How many threads a day's rounds should search in (`Problem.search_threads`).

    Two on a day of SEARCH_THREADS_MIN_JOBS or more given SEARCH_THREADS_MIN_TIME_S or
    more, when this process may run on two cores or more; otherwise one. A second thread
    is worth its core only when the rounds have seconds to trade plans over; a small day
    or a short solve (a capacity check, a quick re-plan) is done well by one.
    """
    if jobs < SEARCH_THREADS_MIN_JOBS or time_limit_s < SEARCH_THREADS_MIN_TIME_S:
        return 1
    return 2 if _cores_available() >= 2 else 1


def _cores_available() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def plan_solve_problem(problem: Problem) -> Solution:
    """Plan the problem's jobs onto its vehicles.

    1. Check each job against each vehicle alone; a job no vehicle could serve is
       reported unassigned with its reason and kept out of the model.
    2. Build the routing model and, when `initial_routes` is given, warm-start from it
       (locked stops first); otherwise start from a cheapest-insertion solution.
    3. When that first search leaves jobs out (OR-Tools' first solution may run out of
       its share of the time limit, and then drops every job), build a constructive
       plan by cheapest insertion and start from it if it serves more.
    4. Improve with guided local search (skipped on a day of over 200 jobs without a
       warm start, which starts from a compiled cheapest-insertion plan instead), then
       (given a second or more and ten jobs or more) with compiled rounds of string ruin, cheapest re-insertion and annealing
       acceptance, which OR-Tools re-checks and polishes before the time limit. With
       `workers` > 1, that many searches (different starts and penalty strengths) run
       at once in forked processes and the cheapest plan is kept. With `search_threads`
       > 1, the rounds run as that many searches in threads of the process, which trade
       their best plans as they go.
    5. Read routes, times and breaks back; explain every dropped job.
    """
    _validate(problem)
    plannable, allowed, rejected = _plannable(problem)
    if not problem.vehicles:
        return Solution((), tuple(rejected), 0, 0, 0, SolveStatus.OPTIMAL_OR_FEASIBLE)
    if plannable:
        search_ready()

    if problem.workers > 1 and len(plannable) > 1 and hasattr(os, "fork"):
        return _solve_in_workers(problem, tuple(plannable), allowed, rejected)
    return _solve_variant(problem, tuple(plannable), allowed, rejected, 0, problem.time_limit_s)


def search_ready() -> float:
    """Compile the rounds and the constructive insertion (or load them from Numba's cache)
    once per process, before any time limit starts: a process's first solve would otherwise
    spend its limit, and more, compiling. Returns the seconds it took now (0 when done before).

    Celery workers do it when they start; callers that time a solve do it before their clock
    starts, so a plan's solve time is the search's, not a fresh install's compilation."""
    global _search_ready
    if _search_ready:
        return 0.0
    seconds = search_compile()
    _search_ready = True
    if seconds > 1.0:
        logger.info("planner search compiled in %.1f s (once per install; later processes load it from the cache)",
                    seconds)
    return seconds


def plan_retime(problem: Problem) -> Solution | None:
    """The problem's `initial_routes` as they stand: each vehicle keeps its jobs in their
    order (locked stops first), with times replayed on the problem's matrices and rules.

    Jobs the routes leave out are reported unassigned with their reason. None when the
    routes no longer fit (a window moved, a shift shrank, a van cannot carry a job).
    """
    _validate(problem)
    plannable, allowed, rejected = _plannable(problem)
    if not problem.vehicles:
        return Solution((), tuple(rejected), 0, 0, 0, SolveStatus.OPTIMAL_OR_FEASIBLE)
    planned = model_build(problem, tuple(plannable), allowed)
    planned.routing.CloseModelWithParameters(search_parameters(problem, 0, ROUND_MIN_S))
    assignment = _assignment_of_initial_routes(planned)
    if assignment is None:
        return None
    return _read_solution(planned, assignment, rejected)


def _plannable(problem: Problem) -> tuple[list[Job], dict[str, list[int]], list[Unassigned]]:
    """The jobs some vehicle could serve (with the vehicles that could), and why the others cannot."""
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
    return plannable, allowed, rejected


def _solve_variant(
    problem: Problem,
    plannable: tuple[Job, ...],
    allowed: dict[str, list[int]],
    rejected: list[Unassigned],
    variant: int,
    time_limit_s: float,
) -> Solution:
    deadline = time.monotonic() + time_limit_s
    planned = model_build(problem, plannable, allowed)
    rounds = _rounds_apply(problem, plannable, time_limit_s)
    first_limit_s = time_limit_s * FIRST_SEARCH_SHARE if rounds else time_limit_s
    params = search_parameters(problem, variant, first_limit_s)
    # Closed with the whole limit: restoring a plan (`_routes_restored`) runs under the
    # closing limit, and with a driver's break on each of 50 vans it takes a second.
    planned.routing.CloseModelWithParameters(closing_parameters(problem, variant, time_limit_s, len(plannable)))
    assignment = None
    construct_first = rounds and len(plannable) > CONSTRUCT_FIRST_JOBS and not problem.initial_routes
    if construct_first:
        routes = routes_construct(planned, seed=variant, deadline=time.monotonic() + first_limit_s)
        assignment = _constructed_assignment(planned, routes, variant)
    if assignment is None:
        initial = _initial_assignment(planned)
        if initial is not None:
            assignment = planned.routing.SolveFromAssignmentWithParameters(initial, params)
    if assignment is None:
        assignment = planned.routing.SolveWithParameters(params)
    served = _served_count(planned, assignment)
    # A constructive plan already built (served or refused) is not built again.
    if served < len(plannable) and not construct_first:
        planned, assignment = _constructive_if_better(planned, allowed, assignment, served, variant, deadline)
    if assignment is None:
        dropped = tuple(unassigned_reason(problem, job) for job in plannable)
        return Solution((), tuple(rejected) + dropped, 0, 0, 0, SolveStatus.NO_SOLUTION)
    if rounds:
        assignment = _ruin_and_recreate(planned, assignment, variant, time_limit_s, deadline)
    return _read_solution(planned, assignment, rejected)


def _served_count(planned: PlannedModel, assignment) -> int:
    """How many jobs an OR-Tools assignment serves (a dropped job is its own successor)."""
    if assignment is None:
        return 0
    routing, manager = planned.routing, planned.manager
    indices = (manager.NodeToIndex(node) for node in range(len(planned.jobs)))
    return sum(1 for index in indices if assignment.Value(routing.NextVar(index)) != index)


def _constructive_if_better(planned: PlannedModel, allowed: dict[str, list[int]], assignment, served: int,
                            variant: int, deadline: float):
    """The search's (model, assignment), or a constructive plan's when that one is cheaper.

    OR-Tools' first-solution heuristic that runs out of time does not fail: it answers
    with every job dropped, which the search's time share cannot then repair. A plan
    built by cheapest insertion takes milliseconds whatever time is left, and dropping a
    job costs more than any detour, so the cheaper of the two serves more jobs.

    A model that has searched from a warm start (`initial_routes`) refuses every plan
    that performs a job the warm start left out, even one a fresh model of the same
    problem accepts (OR-Tools 9.15): a re-plan then kept the old plan's jobs and dropped
    the new bookings. The constructive plan is therefore checked, when the searched model
    refuses it, on a fresh model, which the rest of the solve then uses.
    """
    routes = routes_construct(planned, seed=variant)
    constructed = _constructed_assignment(planned, routes, variant)
    if constructed is None:
        fresh = model_build(planned.problem, planned.jobs, allowed)
        fresh.routing.CloseModelWithParameters(closing_parameters(planned.problem, variant, ROUND_MIN_S, len(planned.jobs)))
        constructed = _constructed_assignment(fresh, routes, variant)
        if constructed is not None:
            planned = fresh
    if constructed is None:
        return _cold_if_better(planned, allowed, assignment, served, variant, deadline)
    if assignment is not None and assignment.ObjectiveValue() <= constructed.ObjectiveValue():
        return planned, assignment
    logger.warning(
        "first search served %d of %d jobs; starting from a constructive plan serving %d",
        served, len(planned.jobs), sum(len(route) for route in routes),
    )
    return planned, planned.routing.solver().Assignment(constructed)


def _cold_if_better(planned: PlannedModel, allowed: dict[str, list[int]], assignment, served: int, variant: int,
                    deadline: float):
    """When the routing model refuses the constructive plan too, search once more without the warm start.

    Seen on the production topology: a re-plan warm-started from the old plan kept dropping four
    new bookings while a solve from scratch served them all. Half the time left goes to a search on
    a fresh model that has no initial routes; its plan is used when it serves more jobs.
    """
    problem = replace(planned.problem, initial_routes={})
    limit = max(ROUND_MIN_S, (deadline - time.monotonic()) / 2)
    cold = model_build(problem, planned.jobs, allowed)
    params = closing_parameters(problem, variant, limit, len(planned.jobs))
    cold.routing.CloseModelWithParameters(params)
    found = cold.routing.SolveWithParameters(params)
    cold_served = _served_count(cold, found)
    if cold_served <= served:
        logger.warning("the constructive plan was refused by the routing model; keeping the search's plan")
        return planned, assignment
    logger.warning("warm-started search served %d of %d jobs; a search from scratch served %d",
                   served, len(planned.jobs), cold_served)
    return cold, found


def _constructed_assignment(planned: PlannedModel, routes: list[list[int]], variant: int):
    """The model's assignment of `routes` (job nodes per vehicle), or None when the model refuses them."""
    routing, manager = planned.routing, planned.manager
    start = routing.solver().Assignment()
    if not routing.RoutesToAssignment([[manager.NodeToIndex(node) for node in route] for route in routes], True, True, start):
        return None
    # OR-Tools checks the plan as the first solution of a search of its own: the
    # search that just ran may have used up the time limit it would otherwise inherit.
    # The search stops at that first solution, so a generous limit costs little; on a
    # day of 2,500 jobs the check alone takes a quarter of a second, on 1,000 jobs with
    # a driver's break on each of 50 vans a second (and the restore below runs under
    # this limit too). With a break on each of 100 vans and 2,500 jobs it needs more
    # than half a minute: the day then falls back on OR-Tools' search.
    limit_s = max(ROUND_MIN_S, planned.problem.time_limit_s * CHECK_SHARE)
    params = search_parameters(planned.problem, variant, limit_s)
    params.solution_limit = 1
    found = routing.SolveFromAssignmentWithParameters(start, params)
    return found if found is not None else _routes_restored(planned, routes)


def _routes_restored(planned: PlannedModel, routes: list[list[int]]):
    """The model's own check of `routes` (job nodes per vehicle) without a search, or None when it refuses them.

    A search from the plan can come back empty although the plan keeps every rule: seen
    with a driver's break on each of 50 vans and more, where even a plan of empty routes
    came back empty. Restoring the routes propagates every constraint of the model, as a
    warm start or a re-timing does.
    """
    routing, manager = planned.routing, planned.manager
    restored = routing.ReadAssignmentFromRoutes([[manager.NodeToIndex(node) for node in route] for route in routes], True)
    return None if restored is None else routing.solver().Assignment(restored)


def _rounds_apply(problem: Problem, plannable: tuple[Job, ...], time_limit_s: float) -> bool:
    return (
        problem.solution_limit is None
        and time_limit_s >= ROUNDS_MIN_TIME_S
        and len(plannable) >= ROUNDS_MIN_JOBS
    )


def _ruin_and_recreate(planned: PlannedModel, best, variant: int, time_limit_s: float, deadline: float):
    """Improve OR-Tools' plan with compiled ruin-and-recreate rounds, then let OR-Tools
    re-check the result and polish it with a greedy descent; keeps the cheapest plan.
    """
    routing, manager = planned.routing, planned.manager
    solver = routing.solver()
    best = solver.Assignment(best)
    polish_s = max(ROUND_MIN_S, time_limit_s * POLISH_SHARE)
    overrun_s = POLISH_OVERRUN_S_PER_JOB * len(planned.jobs)
    nodes = [[manager.IndexToNode(index) for index in route] for route in _routes_of(routing, best)]
    improved = ruin_recreate_improve(
        planned, nodes, deadline - polish_s - overrun_s, seed=variant, threads=planned.problem.search_threads
    )
    if improved == nodes:
        # No round improved the plan, or none could start (the rounds refuse a plan they
        # judge infeasible, as with some soft windows): guided local search takes the rest.
        left = deadline - time.monotonic()
        if left < ROUND_MIN_S:
            return best
        more = routing.SolveFromAssignmentWithParameters(best, search_parameters(planned.problem, variant, left))
        if more is None or more.ObjectiveValue() >= best.ObjectiveValue():
            return best
        return solver.Assignment(more)
    start = solver.Assignment()
    if not routing.RoutesToAssignment(
        [[manager.NodeToIndex(node) for node in route] for route in improved], True, True, start
    ):
        return best
    # OR-Tools re-checks the rounds' plan against its own model as the start of a greedy
    # descent: a plan it found infeasible would not come back as a solution.
    # The descent does not always start from the plan it is given (with a driver's break
    # on each of 50 vans it came back with a plan of its own, twice as long): the rounds'
    # plan as the model restores it is a candidate too. It is restored first: a restore
    # runs under the last search's time limit, which the descent's short one would cut.
    restored = _routes_restored(planned, improved)
    params = search_parameters(planned.problem, variant, max(ROUND_MIN_S, deadline - overrun_s - time.monotonic()))
    params.local_search_metaheuristic = ROUND_METAHEURISTIC
    polished = routing.SolveFromAssignmentWithParameters(start, params)
    if polished is not None:
        polished = solver.Assignment(polished)
    return min((a for a in (best, polished, restored) if a is not None), key=lambda a: a.ObjectiveValue())


def _routes_of(routing, assignment) -> list[list[int]]:
    routes = []
    for v_index in range(routing.vehicles()):
        route = []
        index = assignment.Value(routing.NextVar(routing.Start(v_index)))
        while not routing.IsEnd(index):
            route.append(index)
            index = assignment.Value(routing.NextVar(index))
        routes.append(route)
    return routes


def _solve_in_workers(
    problem: Problem, plannable: tuple[Job, ...], allowed: dict[str, list[int]], rejected: list[Unassigned]
) -> Solution:
    """Search with variant 0 here and variants 1..workers-1 in forked children; keep the best.

    The children share nothing with the caller but the dataclasses (no database, no
    sockets): each builds its own model, pickles its `Solution` into a pipe and leaves
    with `os._exit`, so no inherited connection or exit handler is touched.
    """
    child_limit_s = max(0.001, problem.time_limit_s - WORKER_MARGIN_S)
    children: list[tuple[int, int]] = []
    for variant in range(1, problem.workers):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, reported through the pipe
            code = 1
            try:
                os.close(read_fd)
                solution = _solve_variant(problem, plannable, allowed, rejected, variant, child_limit_s)
                with os.fdopen(write_fd, "wb") as pipe:
                    pipe.write(pickle.dumps(solution, protocol=pickle.HIGHEST_PROTOCOL))
                code = 0
            finally:
                os._exit(code)
        os.close(write_fd)
        children.append((pid, read_fd))
    solutions: list[Solution] = []
    failed = True
    try:
        solutions.append(_solve_variant(problem, plannable, allowed, rejected, 0, problem.time_limit_s))
        failed = False
    finally:
        for pid, read_fd in children:
            if failed:
                os.kill(pid, signal.SIGKILL)
            with os.fdopen(read_fd, "rb") as pipe:
                data = pipe.read()
            os.waitpid(pid, 0)
            if data and not failed:
                solutions.append(pickle.loads(data))
    return min(solutions, key=_solution_rank)


def _solution_rank(solution: Solution) -> tuple[bool, int, int]:
    return (solution.status != SolveStatus.OPTIMAL_OR_FEASIBLE, len(solution.unassigned), solution.objective)


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
    """The warm start from `initial_routes`, or None without them."""
    if not planned.problem.initial_routes:
        return None
    return _assignment_of_initial_routes(planned)


def _assignment_of_initial_routes(planned: PlannedModel):
    """Each vehicle's locked chain, then its other jobs from `initial_routes`."""
    problem = planned.problem
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
