"""Dispatch's error codes and its one domain exception type."""

from enum import StrEnum

from core.errors import DomainError


class DispatchErrorCode(StrEnum):
    NO_VEHICLES = "no_vehicles"
    NO_ACTIVE_PLAN = "no_active_plan"
    VEHICLE_NOT_IN_PLAN = "vehicle_not_in_plan"
    VEHICLE_ALREADY_LOST = "vehicle_already_lost"
    INVALID_SPEED_FACTOR = "invalid_speed_factor"
    PLAN_CONFLICT = "plan_conflict"
    INVALID_TRANSITION = "invalid_transition"
    INVALID_PERIOD = "invalid_period"
    INVALID_REASON = "invalid_reason"
    ZONE_NOT_IN_DEPOT = "zone_not_in_depot"
    DISRUPTION_EXISTS = "disruption_exists"
    DISRUPTION_OVER = "disruption_over"
    DISRUPTION_NOT_FOUND = "disruption_not_found"
    ZONE_NOT_FOUND = "zone_not_found"


class DispatchError(DomainError):
    """A dispatch rule refused the request."""
