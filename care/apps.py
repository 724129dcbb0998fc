from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care"
    verbose_name = "Care"

    def ready(self) -> None:
        from care import receivers
        from tracking.signals import problem_found

        problem_found.connect(receivers.on_problem_found, dispatch_uid="care.problem_found")
