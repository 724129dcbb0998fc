from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care"
    verbose_name = "Care"

    def ready(self) -> None:
        from care import receivers
        from care.models import JourneyException
        from core.audit import audit_register
        from tracking.signals import problem_found

        audit_register(JourneyException)  # the audit log (core.audit): who opened, took, resolved it

        problem_found.connect(receivers.on_problem_found, dispatch_uid="care.problem_found")
