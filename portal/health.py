"""Reachability of the parts the portal needs: database, channel layer, broker.

The checks run side by side and the answer never waits longer than
`HEALTH_DEADLINE_SECONDS`: a part that has not answered by then is reported down,
so a load balancer learns of an outage within a second.
"""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings
from django.db import connection


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


HEALTH_DEADLINE_SECONDS = 0.8
# Threads of their own: a check stuck on a dead peer must not hold a request thread.
_executor = ThreadPoolExecutor(max_workers=6, thread_name_prefix="healthz")


def _database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the message is reported, not hidden
        return Check("database", False, f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()  # this thread's connection goes back to the pool
    return Check("database", True, connection.vendor)


def _channel_layer() -> Check:
    if get_channel_layer() is None:
        return Check("channel_layer", False, "no channel layer configured")
    # A layer of its own: the process's shared one is already receiving in the server's event loop
    # for every open socket, and channels-redis refuses a second loop receiving on it.
    layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)

    async def round_trip() -> None:
        try:
            channel = await layer.new_channel("healthz.")
            token = uuid.uuid4().hex
            await layer.send(channel, {"type": "healthz.ping", "token": token})
            message = await layer.receive(channel)
            if message.get("token") != token:
                raise RuntimeError("channel layer returned a different message")
        finally:
            if hasattr(layer, "close_pools"):
                await layer.close_pools()

    try:
        async_to_sync(round_trip)()
    except Exception as exc:
        return Check("channel_layer", False, f"{type(layer).__name__}: {type(exc).__name__}: {exc}")
    return Check("channel_layer", True, type(layer).__name__)


def _broker() -> Check:
    if settings.CELERY_TASK_ALWAYS_EAGER or settings.CELERY_BROKER_URL.startswith("memory://"):
        return Check("broker", True, "in-process (tasks run eagerly)")
    from portal.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=HEALTH_DEADLINE_SECONDS)
    except Exception as exc:
        return Check("broker", False, f"{type(exc).__name__}: {exc}")
    return Check("broker", True, settings.CELERY_BROKER_URL.split("://", 1)[0])


def health_checks() -> list[Check]:
    futures = [(name, _executor.submit(check)) for name, check in
               (("database", _database), ("channel_layer", _channel_layer), ("broker", _broker))]
    deadline = time.monotonic() + HEALTH_DEADLINE_SECONDS
    results = []
    for name, future in futures:
        try:
            results.append(future.result(timeout=max(0.0, deadline - time.monotonic())))
        except FutureTimeout:
            results.append(Check(name, False, f"no answer within {HEALTH_DEADLINE_SECONDS} s"))
    return results
