"""Why a job cannot be served: cheap per-vehicle checks, used before and after solving."""

from __future__ import annotations

from dispatch.solver.problem import Job, Problem, Unassigned, UnassignedReason, Vehicle


def _padded(values: tuple[int, ...], size: int) -> tuple[int, ...]:
    return tuple(values) + (0,) * (size - len(values))


def load_dimensions(problem: Problem) -> int:
    sizes = [len(job.demand) for job in problem.jobs] + [len(v.capacity) for v in problem.vehicles]
    return max(sizes, default=0)


def vehicle_has_skills(vehicle: Vehicle, job: Job) -> bool:
    return job.skills <= vehicle.skills


def vehicle_can_carry(vehicle: Vehicle, job: Job, dimensions: int) -> bool:
    demand = _padded(job.demand, dimensions)
    capacity = _padded(vehicle.capacity, dimensions)
    return all(d <= c for d, c in zip(demand, capacity, strict=True))


def vehicle_can_reach(problem: Problem, vehicle: Vehicle, job: Job) -> bool:
    """Whether a route serving only this job fits the vehicle's shift, window, range and duration."""
    durations, distances = problem.durations, problem.distances
    arrival = vehicle.shift_start + durations[vehicle.start_location][job.location]
    if job.window_start > job.window_end and not job.soft_window:
        return False
    if arrival > job.window_end and not job.soft_window:
        return False
    start_service = max(arrival, job.window_start)
    back = start_service + job.service_s + durations[job.location][vehicle.end_location]
    if back > vehicle.shift_end:
        return False
    # The shortest route may depart later than the shift start to avoid waiting.
    span = back - max(vehicle.shift_start, job.window_start - durations[vehicle.start_location][job.location])
    if vehicle.max_duration_s is not None and span > vehicle.max_duration_s:
        return False
    length = distances[vehicle.start_location][job.location] + distances[job.location][vehicle.end_location]
    return vehicle.max_distance_m is None or length <= vehicle.max_distance_m


def vehicles_able_to_serve(problem: Problem, job: Job) -> list[int]:
    """Indices of the vehicles that could serve this job on an otherwise empty route."""
    dimensions = load_dimensions(problem)
    return [
        index
        for index, vehicle in enumerate(problem.vehicles)
        if vehicle_has_skills(vehicle, job)
        and vehicle_can_carry(vehicle, job, dimensions)
        and vehicle_can_reach(problem, vehicle, job)
    ]


def unassigned_reason(problem: Problem, job: Job) -> Unassigned:
    """The most specific reason why no vehicle serves this job."""
    dimensions = load_dimensions(problem)
    skilled = [v for v in problem.vehicles if vehicle_has_skills(v, job)]
    if not skilled:
        needed = ", ".join(sorted(job.skills))
        return Unassigned(job.id, UnassignedReason.NO_VEHICLE_WITH_SKILLS, f"no vehicle has all of: {needed}")
    carrying = [v for v in skilled if vehicle_can_carry(v, job, dimensions)]
    if not carrying:
        return Unassigned(
            job.id,
            UnassignedReason.EXCEEDS_CAPACITY,
            f"demand {job.demand} exceeds the capacity of every vehicle with the skills",
        )
    if not any(vehicle_can_reach(problem, v, job) for v in carrying):
        return Unassigned(
            job.id,
            UnassignedReason.WINDOW_UNREACHABLE,
            "no vehicle can reach the job within its window, its shift, range and duration",
        )
    return Unassigned(
        job.id,
        UnassignedReason.NO_CAPACITY_LEFT,
        "the fleet has no room left for this job alongside the others",
    )
