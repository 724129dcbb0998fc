"""/metrics in Prometheus' text format, for a scraper holding the METRICS_TOKEN bearer token.

What it holds: the series of `core.metrics`, summed over every process that shares
PROMETHEUS_MULTIPROC_DIR (daphne processes, Celery workers) or this process's alone when it is unset, and,
read from the broker at scrape time, the Celery queue's depth and the tasks taken but not yet acknowledged.
"""

from __future__ import annotations

import hmac
import logging
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from core.errors import error_body

logger = logging.getLogger(__name__)

# kombu's Redis transport keeps a queue's messages of priority 0 under its name and the others under
# "<name>\x06\x16<priority>"; taken but unacknowledged messages under "unacked".
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)
_UNACKED_KEY = "unacked"


class CeleryQueueCollector:
    """Reads the broker's queue lengths at each scrape: honest whatever process enqueued or took the tasks."""

    def collect(self):
        if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
            return  # tasks run in the process that asks for them: there is no queue to measure
        import redis

        from portal.celery import app

        queue = app.conf.task_default_queue
        up = GaugeMetricFamily("portal_celery_broker_up", "1 when the broker answered this scrape's queue reads.")
        try:
            client = redis.Redis.from_url(settings.CELERY_BROKER_URL,
                                          socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS,
                                          socket_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS)
            with client:
                pipe = client.pipeline(transaction=False)
                for key in (queue, *(f"{queue}{_PRIORITY_SEPARATOR}{step}" for step in _PRIORITY_STEPS)):
                    pipe.llen(key)
                pipe.hlen(_UNACKED_KEY)
                *lengths, unacked = pipe.execute()
        except (redis.RedisError, OSError) as error:
            logger.warning("celery queue depth not read, broker unreachable: %s", error)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily("portal_celery_queue_depth", "Tasks waiting in the broker for a worker.",
                                  labels=["queue"])
        depth.add_metric([queue], sum(lengths))
        yield depth
        yield GaugeMetricFamily("portal_celery_tasks_unacknowledged",
                                "Tasks a worker has taken and not finished (acknowledged late).", value=unacked)


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_DefaultRegistry())
    registry.register(CeleryQueueCollector())
    return registry


class _DefaultRegistry:
    """This process's series (and its process and platform ones), in a registry of the view's own."""

    def collect(self):
        yield from REGISTRY.collect()


def _authorised(request: HttpRequest) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), settings.METRICS_TOKEN.encode())


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN:
        return JsonResponse(error_body("metrics_off", "Metrics are off: the server has no METRICS_TOKEN set."),
                            status=403)
    if not _authorised(request):
        response = JsonResponse(error_body("not_authenticated",
                                           "Send the metrics token as 'Authorization: Bearer <METRICS_TOKEN>'."),
                                status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
