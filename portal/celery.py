import logging
import os
import time

from celery import Celery, Task
from celery.signals import before_task_publish, task_failure, task_retry, task_success

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

logger = logging.getLogger("portal.tasks")

# The message header that carries the enqueuing request's id to the worker (core.log_context).
REQUEST_ID_HEADER = "request_id"


class AuditedTask(Task):
    """What a background task changes is the system's doing: the audit log names it "system: <task name>".

    Its log lines carry the task's name, the delivery it works on (a `delivery_id` argument) and the id of
    the request that enqueued it; a task nobody's request enqueued (beat's) goes by its own task id.
    """

    def __call__(self, *args, **kwargs):
        from core.audit import audit_actor  # needs the apps loaded; this module is imported before them
        from core.log_context import log_bound, request_id_current

        # A worker sees the message's headers as the request's attributes; `apply(headers=...)` keeps them apart.
        sent = getattr(self.request, REQUEST_ID_HEADER, None) or (self.request.headers or {}).get(REQUEST_ID_HEADER)
        request_id = sent or request_id_current() or self.request.id
        with (audit_actor(label=f"system: {self.name}"),
              log_bound(request_id=request_id, task=self.name, delivery=kwargs.get("delivery_id"))):
            started = time.perf_counter()
            try:
                result = super().__call__(*args, **kwargs)
            except Exception:
                logger.exception("task %s failed after %.0f ms", self.name, (time.perf_counter() - started) * 1000)
                raise
            # In place of Celery's own "succeeded" line (celery.app.trace logs only warnings): this one has the fields.
            logger.info("task %s done in %.0f ms", self.name, (time.perf_counter() - started) * 1000)
            return result


app = Celery("portal", task_cls=AuditedTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@before_task_publish.connect
def _request_id_travels_with_the_task(headers=None, **kwargs) -> None:
    from core.log_context import request_id_current

    request_id = request_id_current()
    if headers is not None and request_id and REQUEST_ID_HEADER not in headers:
        headers[REQUEST_ID_HEADER] = request_id


def _count(sender, state: str) -> None:
    from core import metrics

    metrics.celery_tasks.labels(task=getattr(sender, "name", str(sender)), state=state).inc()


@task_success.connect
def _task_succeeded(sender=None, **kwargs) -> None:
    _count(sender, "success")


@task_failure.connect
def _task_failed(sender=None, **kwargs) -> None:
    _count(sender, "failure")


@task_retry.connect
def _task_retried(sender=None, **kwargs) -> None:
    _count(sender, "retry")
