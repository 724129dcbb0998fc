from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "Dispatch"

    def ready(self) -> None:
        from core.audit import audit_register
        from dispatch.models import Plan, Vehicle

        # The audit log (core.audit) keeps one entry per plan version, naming what triggered it, rather than
        # one per route or stop: a re-plan rewrites hundreds of stops, and the plan's diff already says
        # which moved. A vehicle's position is telemetry, not a change anyone made.
        audit_register(Plan, exclude=("created_at", "solve_seconds", "distance_m", "duration_s", "unassigned", "diff"))
        audit_register(Vehicle, exclude=("last_lat", "last_lng", "last_seen_at"))
