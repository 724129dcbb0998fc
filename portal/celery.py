import os

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


class AuditedTask(Task):
    """What a background task changes is the system's doing: the audit log names it "system: <task name>"."""

    def __call__(self, *args, **kwargs):
        from core.audit import audit_actor  # needs the apps loaded; this module is imported before them

        with audit_actor(label=f"system: {self.name}"):
            return super().__call__(*args, **kwargs)


app = Celery("portal", task_cls=AuditedTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
