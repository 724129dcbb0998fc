"""Tracking's writes. Each module holds one area; the names other apps call are re-exported here."""

from dispatch.dwell import zone_learn_service
from tracking.services.carrier_assignments import (
    carrier_for_code,
    delivery_carrier_assign,
    delivery_carrier_release,
)
from tracking.services.carriers import carrier_authenticate, carrier_create, carrier_events_ingest
from tracking.services.customer import delivery_instructions_edit, rating_create
from tracking.services.etas import eta_refresh_plan, eta_refresh_route, eta_snapshots_discard_after
from tracking.services.journey import event_record, journey_problem_report
from tracking.services.pings import PingBatchResult, PingInput, ping_record_batch, route_geofence_update
from tracking.services.publish import delivery_group, eta_publish, milestone_publish
from tracking.services.routes import driver_shift_vehicle, route_for_vehicle
from tracking.services.scans import AttemptReason, ScanKind, scan_record

__all__ = [
    "AttemptReason", "PingBatchResult", "PingInput", "ScanKind",
    "carrier_authenticate", "carrier_create", "carrier_events_ingest", "carrier_for_code",
    "delivery_carrier_assign", "delivery_carrier_release",
    "delivery_group", "delivery_instructions_edit", "driver_shift_vehicle", "eta_publish", "eta_refresh_plan", "eta_refresh_route", "eta_snapshots_discard_after",
    "event_record", "journey_problem_report", "milestone_publish", "ping_record_batch", "rating_create",
    "route_for_vehicle", "route_geofence_update", "scan_record", "zone_learn_service",
]
