"""The status of jobs and stops: the changes allowed, in one table each, and the services that make them.

Dispatch is the only writer of a job's and a stop's status, and of a stop's arrival and
departure times; the apps above call these services. Every change is one conditional
UPDATE whose WHERE clause names the statuses the table allows it from, so two reports at
once cannot both move a row, and a row in any other status is left exactly as it was.

Two kinds of change:

- What the street reports (arrived, delivered, attempted, departed) arrives late and
  twice. A mark moves the rows forward where the table allows it and otherwise changes
  nothing; it returns whether it moved anything. A second "delivered" is the same fact
  again, and a report about a job already finished or cancelled does not rewrite it.
- A decision about one job (book its hold, cancel it) that the table does not allow is
  refused with a `DispatchError` (409 `invalid_transition`); asking for the status the
  job already has changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable

from django.db import transaction

from dispatch.dwell import zone_learn_service
from dispatch.errors import DispatchError, DispatchErrorCode
from dispatch.models import Job, Plan, Route, Stop, Zone

J = Job.Status
S = Stop.Status

# from -> the statuses a job may move to. A job is made only once its van is there (in progress).
JOB_TRANSITIONS: dict[str, frozenset[str]] = {
    J.HELD: frozenset({J.PENDING, J.CANCELLED}),  # its hold is booked; released or expired
    J.PENDING: frozenset({J.PLANNED, J.IN_PROGRESS, J.CANCELLED}),
    J.PLANNED: frozenset({J.PENDING, J.IN_PROGRESS, J.CANCELLED}),  # back to pending when a plan drops it
    J.IN_PROGRESS: frozenset({J.DONE, J.FAILED, J.CANCELLED}),
    J.DONE: frozenset(),
    J.FAILED: frozenset({J.CANCELLED}),  # the delivery is cancelled after a failed attempt
    J.CANCELLED: frozenset(),
}
# What a job may be created as: a checkout's hold, or a booking.
JOB_INITIAL_STATUSES = (J.HELD, J.PENDING)
# Jobs not made yet: the ones a delivery moving to another window takes back.
JOB_UNMADE_STATUSES = (J.HELD, J.PENDING, J.PLANNED, J.IN_PROGRESS)

# from -> the statuses a stop may move to.
STOP_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.ARRIVED}),
    S.ARRIVED: frozenset({S.DONE, S.FAILED}),
    S.DONE: frozenset(),
    S.FAILED: frozenset(),
}


def job_transition_allowed(*, current: str, to: str) -> bool:
    return to in JOB_TRANSITIONS.get(current, frozenset())


def stop_transition_allowed(*, current: str, to: str) -> bool:
    return to in STOP_TRANSITIONS.get(current, frozenset())


def _sources(table: dict[str, frozenset[str]], to: str, only_from: Collection[str] | None = None) -> list[str]:
    """The statuses the table lets a row move to `to` from (narrowed to `only_from`)."""
    return [s for s, targets in table.items() if to in targets and (only_from is None or s in only_from)]


def _jobs_move(*, job_ids: Iterable[int], to: str, only_from: Collection[str] | None = None, **fields) -> int:
    """Move the jobs the table allows to `to` (with `fields`) in one UPDATE; returns how many moved."""
    sources = _sources(JOB_TRANSITIONS, to, only_from)
    return Job.objects.filter(pk__in=list(job_ids), status__in=sources).update(status=to, **fields)


def _job_move_or_refuse(*, job_id: int, to: str, **fields) -> bool:
    """Move one job to `to`: true when it moved, false when it already was there; refused otherwise."""
    if _jobs_move(job_ids=[job_id], to=to, **fields):
        return True
    current = Job.objects.filter(pk=job_id).values_list("status", flat=True).first()
    if current == to:
        return False
    # Read after the refused UPDATE, for the message only.
    raise DispatchError(
        DispatchErrorCode.INVALID_TRANSITION,
        f"A job that is {current or 'gone'} cannot become {to}.", status_code=409,
    )


def _active_stops(job_id: int):
    return Stop.objects.filter(job_id=job_id, route__plan__status=Plan.Status.ACTIVE)


def _stops_move(stops, *, to: str) -> int:
    return stops.filter(status__in=_sources(STOP_TRANSITIONS, to)).update(status=to)


# --- Jobs: what scheduling decides ----------------------------------------------------


def job_create(
    *, status: str, reference: str, depot_id: int, zone: Zone, date: dt.date, lat: float, lng: float,
    window_start: dt.datetime, window_end: dt.datetime, service_seconds: int, parcels: int, weight_kg: int,
    skills: list[str], hold_expires_at: dt.datetime | None = None, merchant_id: int | None = None,
) -> Job:
    """A new job for a checkout's hold (`held`, until `hold_expires_at`) or a booking (`pending`)."""
    if status not in JOB_INITIAL_STATUSES:
        raise DispatchError(DispatchErrorCode.INVALID_TRANSITION, f"A job cannot start {status}.", status_code=409)
    return Job.objects.create(
        reference=reference[:64], merchant_id=merchant_id, depot_id=depot_id, zone=zone, date=date, lat=lat, lng=lng,
        window_start=window_start, window_end=window_end, service_seconds=service_seconds, parcels=parcels,
        weight_kg=weight_kg, skills=skills, status=status, hold_expires_at=hold_expires_at,
    )


def job_hold_book(*, job_id: int, reference: str, lat: float, lng: float, parcels: int, weight_kg: int,
                  skills: list[str]) -> Job:
    """The held job becomes the booking's: pending, no longer expiring, at the booked address and size."""
    _job_move_or_refuse(
        job_id=job_id, to=J.PENDING, hold_expires_at=None, lat=lat, lng=lng, reference=reference[:64],
        parcels=parcels, weight_kg=weight_kg, skills=skills,
    )
    return Job.objects.get(pk=job_id)


def jobs_release_held(*, job_ids: Iterable[int]) -> int:
    """Holds released or expired: their jobs still held are cancelled (one already booked is left alone)."""
    return _jobs_move(job_ids=job_ids, to=J.CANCELLED, only_from=(J.HELD,))


def job_cancel(*, job_id: int) -> bool:
    """The delivery was cancelled: so is its job, even after a failed attempt; a delivered job is refused."""
    return _job_move_or_refuse(job_id=job_id, to=J.CANCELLED)


def job_withdraw(*, job_id: int) -> bool:
    """The delivery moved to another job: this one is cancelled if not made yet.

    A job already done or failed stays so: it is the fleet's history of that attempt.
    """
    return bool(_jobs_move(job_ids=[job_id], to=J.CANCELLED, only_from=JOB_UNMADE_STATUSES))


# --- Jobs: what the planner decides ------------------------------------------------------


def jobs_mark_planned(*, job_ids: Iterable[int]) -> int:
    """A saved plan serves these jobs: the pending ones become planned."""
    return _jobs_move(job_ids=job_ids, to=J.PLANNED, only_from=(J.PENDING,))


def jobs_mark_unplanned(*, job_ids: Iterable[int]) -> int:
    """A saved plan could not serve these jobs: the planned ones are pending again."""
    return _jobs_move(job_ids=job_ids, to=J.PENDING, only_from=(J.PLANNED,))


# --- Stops and jobs: what the street reports --------------------------------------------


def stop_mark_arrived(*, job_id: int, at: dt.datetime) -> bool:
    """The vehicle reached this job's stop at `at`: the stop is arrived, the job in progress; true when news.

    The arrival time is kept from the first report.
    """
    with transaction.atomic():
        updated = _active_stops(job_id).filter(actual_arrival__isnull=True).update(actual_arrival=at)
        _stops_move(_active_stops(job_id), to=S.ARRIVED)
        _jobs_move(job_ids=[job_id], to=J.IN_PROGRESS)
    return bool(updated)


def stop_mark_departed(*, stop: Stop, at: dt.datetime) -> bool:
    """The vehicle left the stop at `at`: record it once and teach the zone the dwell; true when news."""
    updated = Stop.objects.filter(pk=stop.pk, actual_departure__isnull=True).update(actual_departure=at)
    if not updated:
        return False
    stop.actual_departure = at
    if stop.actual_arrival is not None:
        zone_learn_service(zone_id=stop.job.zone_id, dwell_s=(at - stop.actual_arrival).total_seconds())
    return True


def route_mark_departed(*, route_id: int, at: dt.datetime) -> bool:
    """The van of this route drove out of its depot at `at`: record it once; true when news."""
    return bool(Route.objects.filter(pk=route_id, departed_at__isnull=True).update(departed_at=at))


def _job_finish(*, job_id: int, at: dt.datetime, stop_to: str, job_to: str) -> bool:
    with transaction.atomic():
        stop_mark_arrived(job_id=job_id, at=at)
        _stops_move(_active_stops(job_id), to=stop_to)
        return bool(_jobs_move(job_ids=[job_id], to=job_to))


def job_mark_done(*, job_id: int, at: dt.datetime) -> bool:
    """The job was delivered at `at`: its stop in the active plan (arrived first, if it was not) and the job are done.

    True when the job moved; a job already finished or cancelled stays as it is.
    """
    return _job_finish(job_id=job_id, at=at, stop_to=S.DONE, job_to=J.DONE)


def job_mark_failed(*, job_id: int, at: dt.datetime) -> bool:
    """The delivery was attempted and failed at `at`: its stop and the job are failed (as `job_mark_done`)."""
    return _job_finish(job_id=job_id, at=at, stop_to=S.FAILED, job_to=J.FAILED)
