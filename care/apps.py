from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care"
    verbose_name = "Care"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from care import receivers, search_index, search_key
        from care.models import JourneyException, PlaybookRule
        from core.audit import audit_register
        from dispatch.signals import plan_changed
        from scheduling.signals import delivery_cancelled, delivery_rescheduled
        from tracking.signals import etas_updated, milestone_recorded, problem_found

        audit_register(JourneyException)  # the audit log (core.audit): who opened, took, escalated, resolved it
        audit_register(PlaybookRule)  # who changed a merchant's playbook, and from what

        problem_found.connect(receivers.on_problem_found, dispatch_uid="care.problem_found")
        milestone_recorded.connect(receivers.on_milestone_recorded, dispatch_uid="care.milestone_recorded")
        etas_updated.connect(receivers.on_etas_updated, dispatch_uid="care.etas_updated")
        # A change to a day that is over: the KPI page computes it again until it is stored anew.
        delivery_rescheduled.connect(receivers.on_delivery_rescheduled, dispatch_uid="care.kpi_rescheduled")
        delivery_cancelled.connect(receivers.on_delivery_cancelled, dispatch_uid="care.kpi_cancelled")
        plan_changed.connect(receivers.on_plan_changed, dispatch_uid="care.kpi_plan_changed")
        # Search by name folds accents in SQL; PostgreSQL has the function from a migration, SQLite gets it here.
        connection_created.connect(search_key.register_on_sqlite, dispatch_uid="care.search_key")
        # SQLite's name index lives in triggers a rebuild of the delivery table drops: put them back after migrate.
        post_migrate.connect(search_index.install_after_migrate, sender=self, dispatch_uid="care.search_index")
