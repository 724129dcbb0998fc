"""Scheduling's error codes and its one domain exception type."""

from enum import StrEnum

from core.errors import DomainError


class SchedulingErrorCode(StrEnum):
    WINDOW_FULL = "window_full"
    WINDOW_NOT_FOUND = "window_not_found"
    CUTOFF_PASSED = "cutoff_passed"
    OUTSIDE_AREA = "outside_area"
    SKILL_UNAVAILABLE = "skill_unavailable"
    HOLD_NOT_FOUND = "hold_not_found"
    HOLD_EXPIRED = "hold_expired"
    DUPLICATE_ORDER_REF = "duplicate_order_ref"
    DELIVERY_NOT_FOUND = "delivery_not_found"
    NOT_RESCHEDULABLE = "not_reschedulable"
    NOT_CANCELLABLE = "not_cancellable"
    STATUS_CHANGE_REFUSED = "status_change_refused"
    RESCHEDULE_CLOSED = "reschedule_closed"
    INVALID_DATE = "invalid_date"
    INVALID_REQUEST = "invalid_request"
    IDEMPOTENCY_KEY_MISSING = "idempotency_key_missing"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_request_in_progress"


class SchedulingError(DomainError):
    """A scheduling rule refused the request."""
