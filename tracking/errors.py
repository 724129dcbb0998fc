"""Tracking's error codes and its one domain exception type."""

from enum import StrEnum

from core.errors import DomainError


class TrackingErrorCode(StrEnum):
    VEHICLE_NOT_ASSIGNED = "vehicle_not_assigned"
    UNKNOWN_VEHICLE = "unknown_vehicle"
    VEHICLE_LOST = "vehicle_lost"
    UNKNOWN_JOB = "unknown_job"
    JOB_NOT_ON_ROUTE = "job_not_on_route"
    NO_ROUTE_TODAY = "no_route_today"
    REASON_REQUIRED = "reason_required"
    INVALID_CARRIER_PAYLOAD = "invalid_carrier_payload"
    CARRIER_NOT_FOUND = "carrier_not_found"
    CARRIER_ALREADY_ASSIGNED = "carrier_already_assigned"
    CARRIER_REF_TAKEN = "carrier_ref_taken"
    INVALID_TRACKING_NUMBER = "invalid_tracking_number"
    DELIVERY_CLOSED = "delivery_closed"
    DELIVERY_NOT_ASSIGNED = "delivery_not_assigned"
    CLIENT_ID_REUSED = "client_id_reused"
    ALREADY_RATED = "already_rated"
    NOT_DELIVERED_YET = "not_delivered_yet"
    INVALID_RATING = "invalid_rating"


class TrackingError(DomainError):
    """A tracking rule refused the request."""
