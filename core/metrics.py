"""The portal's own Prometheus series, defined once and counted where the work happens.

Every app may count here (core is the ground floor); `portal.metrics` serves them at /metrics. With
PROMETHEUS_MULTIPROC_DIR set (production: daphne processes, Celery workers), each process writes its
values to files in that folder and the scrape sums them, so a re-plan solved in a worker shows in the web
process's answer. The folder must be emptied when the processes start (a deployment, a restart).

Labels take values from short, closed sets (a route pattern, an error code, a channel, a task name),
never an id, a token or anything a customer typed.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import TypeVar

from prometheus_client import Counter, Gauge, Histogram

# --- HTTP ---------------------------------------------------------------------------------------------
http_request_seconds = Histogram(
    "portal_http_request_duration_seconds", "Time from the request reaching Django to the response, by route.",
    ["route", "method"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
http_responses = Counter(
    "portal_http_responses", "Responses by route, method and status code (5xx: the server failed).",
    ["route", "method", "status"],
)

# --- The promise: bookings and holds ----------------------------------------------------------------------
bookings = Counter("portal_bookings", "Deliveries booked (through the API, a hold or the demo checkout).")
booking_refusals = Counter("portal_booking_refusals", "Bookings refused, by the error code the caller was given.",
                           ["reason"])
holds_taken = Counter("portal_holds_taken", "Places held for a shopper at checkout.")
holds_expired = Counter("portal_holds_expired", "Holds that ran out before a booking and were released.")

# --- The plan ------------------------------------------------------------------------------------------------
replans = Counter("portal_replans", "Re-plans of a depot's day, by outcome (new: a new solution saved; kept: "
                  "the standing plan was better and kept).", ["outcome"])
replan_solve_seconds = Histogram("portal_replan_solve_seconds", "Time a re-plan spent solving.",
                                 buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60))
replan_lateness_seconds = Histogram(
    "portal_replan_lateness_seconds", "Seconds late summed over a re-planned day's stops (0: every window kept).",
    buckets=(0, 60, 300, 900, 1800, 3600, 7200, 14400))
replan_unassigned_jobs = Histogram("portal_replan_unassigned_jobs", "Jobs a re-plan could not serve.",
                                   buckets=(0, 1, 2, 5, 10, 20, 50, 100))

# --- Tracking -----------------------------------------------------------------------------------------------
# The live version of benchmarks/eta_accuracy.py: the ETA the customer was shown `horizon` before the van
# arrived, against the arrival.
ETA_ERROR_HORIZONS_MINUTES = (60, 30, 10)
eta_error_seconds = Histogram(
    "portal_eta_error_seconds", "Absolute error of the ETA shown this long before the arrival, once it is known.",
    ["horizon"], buckets=(30, 60, 120, 180, 300, 600, 900, 1800, 3600))
websockets_open = Gauge("portal_websockets_open", "Tracking page sockets open now.", multiprocess_mode="livesum")

# --- Messages and webhooks --------------------------------------------------------------------------------
messages = Counter("portal_messages", "Send attempts of SMS, WhatsApp, email and merchant webhooks, by channel "
                   "and the status they ended in (sent, queued: retried later, failed, suppressed).",
                   ["channel", "outcome"])

# --- Background work ---------------------------------------------------------------------------------------
celery_tasks = Counter("portal_celery_tasks", "Celery tasks run by workers, by task and state.", ["task", "state"])


# --- Recording helpers ------------------------------------------------------------------------------------

F = TypeVar("F", bound=Callable)


def counts_bookings(function: F) -> F:
    """Count what a booking service returns as a booking, and each domain error it raises as a refusal."""
    from core.errors import DomainError

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            result = function(*args, **kwargs)
        except DomainError as error:
            booking_refusals.labels(reason=str(error.code)).inc()
            raise
        bookings.inc()
        return result

    return wrapper  # type: ignore[return-value]


def replan_observe(*, solve_seconds: float, late_seconds: float, unassigned: int, kept: bool) -> None:
    replans.labels(outcome="kept" if kept else "new").inc()
    replan_solve_seconds.observe(solve_seconds)
    replan_lateness_seconds.observe(late_seconds)
    replan_unassigned_jobs.observe(unassigned)


def eta_error_observe(*, shown: dict[int, dt.datetime], arrived_at: dt.datetime) -> None:
    """`shown`: horizon in minutes -> the ETA the customer saw then."""
    for horizon, eta in shown.items():
        eta_error_seconds.labels(horizon=f"{horizon}m").observe(abs((eta - arrived_at).total_seconds()))
