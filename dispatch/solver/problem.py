"""The planner's inputs and outputs: frozen dataclasses with integer seconds and metres.

Times are integer seconds on an epoch the caller chooses (usually the plan day's local
midnight); distances are integer metres. `Job.location` and the vehicles' locations are
indices into `Problem.durations` / `Problem.distances`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# Large enough that dropping a job is always worse than any route detour on a city day,
# small enough that sums over a thousand jobs stay far from int64 overflow.
DEFAULT_UNASSIGNED_PENALTY = 10_000_000_000
DEFAULT_SOFT_WINDOW_PENALTY_PER_S = 100


class UnassignedReason(StrEnum):
    NO_VEHICLE_WITH_SKILLS = "no_vehicle_with_skills"
    EXCEEDS_CAPACITY = "exceeds_capacity"
    WINDOW_UNREACHABLE = "window_unreachable"
    NO_CAPACITY_LEFT = "no_capacity_left"


class Objective(StrEnum):
    DISTANCE = "distance"
    DURATION = "duration"


@dataclass(frozen=True)
class Job:
    id: str
    location: int
    window_start: int
    window_end: int
    service_s: int
    demand: tuple[int, ...]
    skills: frozenset[str] = frozenset()
    soft_window: bool = False


@dataclass(frozen=True)
class Break:
    earliest_start: int
    latest_start: int
    duration_s: int


@dataclass(frozen=True)
class Vehicle:
    id: str
    start_location: int
    end_location: int
    shift_start: int
    shift_end: int
    capacity: tuple[int, ...]
    skills: frozenset[str] = frozenset()
    max_distance_m: int | None = None
    max_duration_s: int | None = None
    break_: Break | None = None
    fixed_cost: int = 0


@dataclass(frozen=True)
class Problem:
    """One independent solve: the jobs, the fleet and the travel matrices.

    Re-planning: `Vehicle.start_location`/`shift_start` are where and when each vehicle is
    now; `locked` lists per vehicle the jobs that must stay first, in that order; and
    `initial_routes` is the current plan to warm-start from. `change_penalty` is added
    when a job leaves the vehicle it had in `initial_routes`.
    """

    jobs: tuple[Job, ...]
    vehicles: tuple[Vehicle, ...]
    durations: tuple[tuple[int, ...], ...]
    distances: tuple[tuple[int, ...], ...]
    time_limit_s: float = 5.0
    locked: dict[str, tuple[str, ...]] = field(default_factory=dict)
    initial_routes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    change_penalty: int = 0
    unassigned_penalty: int = DEFAULT_UNASSIGNED_PENALTY
    soft_window_penalty_per_s: int = DEFAULT_SOFT_WINDOW_PENALTY_PER_S
    objective: str = Objective.DISTANCE
    # Stop early once this many improving solutions were found (None: run to the time limit).
    solution_limit: int | None = None
    # Independent searches run side by side in forked processes within the same time
    # limit, each from a different start; the cheapest plan wins. 1 keeps it in-process.
    workers: int = 1
    # Ruin-and-recreate searches run side by side as threads of this process (one model,
    # one shared kernel), trading their best plans as they go; see `solve.search_threads`.
    search_threads: int = 1

    def job_by_id(self) -> dict[str, Job]:
        return {job.id: job for job in self.jobs}


@dataclass(frozen=True)
class Visit:
    job_id: str
    arrival: int
    start_service: int
    departure: int


@dataclass(frozen=True)
class RoutePlan:
    vehicle_id: str
    visits: tuple[Visit, ...]
    break_start: int | None
    distance_m: int
    duration_s: int
    start_time: int
    end_time: int


@dataclass(frozen=True)
class Unassigned:
    job_id: str
    reason: UnassignedReason
    message: str


class SolveStatus(StrEnum):
    OPTIMAL_OR_FEASIBLE = "feasible"
    NO_SOLUTION = "no_solution"


@dataclass(frozen=True)
class Solution:
    routes: tuple[RoutePlan, ...]
    unassigned: tuple[Unassigned, ...]
    distance_m: int
    duration_s: int
    objective: int
    status: SolveStatus

    def route_of(self, vehicle_id: str) -> RoutePlan | None:
        return next((route for route in self.routes if route.vehicle_id == vehicle_id), None)

    def job_ids_by_vehicle(self) -> dict[str, tuple[str, ...]]:
        return {route.vehicle_id: tuple(visit.job_id for visit in route.visits) for route in self.routes}
