"""What a re-plan changed: moved stops, stops now at risk, stops newly dropped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dispatch.solver.problem import Job, Solution

DEFAULT_RISK_MARGIN_S = 10 * 60


@dataclass(frozen=True)
class JobMove:
    job_id: str
    from_vehicle: str | None
    to_vehicle: str | None
    from_position: int | None
    to_position: int | None


@dataclass(frozen=True)
class PlanDiff:
    moved: tuple[JobMove, ...]
    at_risk: tuple[str, ...]
    newly_unassigned: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.moved) + len(self.newly_unassigned)


def _positions(solution: Solution) -> dict[str, tuple[str, int]]:
    return {
        visit.job_id: (route.vehicle_id, position)
        for route in solution.routes
        for position, visit in enumerate(route.visits)
    }


def plan_diff(
    before: Solution,
    after: Solution,
    *,
    jobs: Iterable[Job] = (),
    risk_margin_s: int = DEFAULT_RISK_MARGIN_S,
) -> PlanDiff:
    """Compare two plans of the same day.

    A job "moved" when it changed vehicle, or when its order relative to the other jobs
    that stayed on its vehicle changed (a stop ahead of it being done or removed does
    not count). A job is "at risk" when its new arrival is later than its window end
    minus `risk_margin_s` (needs `jobs` for the windows).
    """
    old, new = _positions(before), _positions(after)
    moved: list[JobMove] = []
    for job_id in sorted(old.keys() | new.keys()):
        was, now = old.get(job_id), new.get(job_id)
        if was is None or now is None or was[0] != now[0]:
            if now is None and was is not None:
                continue  # reported as newly unassigned (or done)
            moved.append(
                JobMove(job_id, was and was[0], now and now[0], was and was[1], now and now[1])
            )
    moved_ids = {m.job_id for m in moved}
    for route in after.routes:
        stayed = [v.job_id for v in route.visits if old.get(v.job_id, ("",))[0] == route.vehicle_id]
        previous = sorted(stayed, key=lambda job_id: old[job_id][1])
        for rank, job_id in enumerate(stayed):
            if previous[rank] != job_id and job_id not in moved_ids:
                vehicle = route.vehicle_id
                moved.append(JobMove(job_id, vehicle, vehicle, old[job_id][1], new[job_id][1]))
    was_unassigned = {u.job_id for u in before.unassigned}
    newly_unassigned = tuple(
        u.job_id for u in after.unassigned if u.job_id not in was_unassigned
    )
    windows = {job.id: job.window_end for job in jobs}
    at_risk = tuple(
        visit.job_id
        for route in after.routes
        for visit in route.visits
        if visit.job_id in windows and visit.arrival > windows[visit.job_id] - risk_margin_s
    )
    return PlanDiff(tuple(moved), at_risk, newly_unassigned)
