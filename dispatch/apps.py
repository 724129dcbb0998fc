from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "Dispatch"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from dispatch.models import Plan, Vehicle

        # The audit log (core.audit) keeps one entry per plan version, naming what triggered it, rather than
        # one per route or stop: a re-plan rewrites hundreds of stops, and the plan's diff already says
        # which moved. A vehicle's position is telemetry, not a change anyone made.
        auditlog.register(Plan, include_fields=["depot", "date", "version", "status", "trigger"])
        auditlog.register(Vehicle, exclude_fields=["last_lat", "last_lng", "last_seen_at"])
