"""Reachability of the parts the portal needs: database, channel layer, broker."""

import uuid
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the message is reported, not hidden
        return Check("database", False, f"{type(exc).__name__}: {exc}")
    return Check("database", True, connection.vendor)


def _channel_layer() -> Check:
    layer = get_channel_layer()
    if layer is None:
        return Check("channel_layer", False, "no channel layer configured")

    async def round_trip() -> None:
        channel = await layer.new_channel("healthz.")
        token = uuid.uuid4().hex
        await layer.send(channel, {"type": "healthz.ping", "token": token})
        message = await layer.receive(channel)
        if message.get("token") != token:
            raise RuntimeError("channel layer returned a different message")

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
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return Check("broker", False, f"{type(exc).__name__}: {exc}")
    return Check("broker", True, settings.CELERY_BROKER_URL.split("://", 1)[0])


def health_checks() -> list[Check]:
    return [_database(), _channel_layer(), _broker()]
