"""Scheduling's error codes and its one domain exception type."""

from enum import StrEnum

from core.errors import DomainError
from dispatch.refusals import RefusalReason


class SchedulingErrorCode(StrEnum):
    WINDOW_FULL = "window_full"
    WINDOW_NOT_FOUND = "window_not_found"
    # A refused window answers with its refusal reason as the code (a full one says `window_full`).
    CUTOFF_PASSED = RefusalReason.CUTOFF_PASSED.value
    OUTSIDE_AREA = RefusalReason.OUTSIDE_AREA.value
    SKILL_UNAVAILABLE = RefusalReason.SKILL_UNAVAILABLE.value
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
    HOLD_LIMIT = "hold_limit"
    ORIGIN_NOT_ALLOWED = "origin_not_allowed"
    # The customer's delivery instructions (scheduling.drop).
    INSTRUCTIONS_LOCKED = "instructions_locked"
    DROP_CHOICE_INVALID = "drop_choice_invalid"
    DROP_CHOICE_TOO_LONG = "drop_choice_too_long"
    SAFE_PLACE_NOT_OFFERED = "safe_place_not_offered"
    NEIGHBOUR_REQUIRED = "neighbour_required"


class SchedulingError(DomainError):
    """A scheduling rule refused the request."""
