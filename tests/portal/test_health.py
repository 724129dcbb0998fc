import asyncio
import os
import socket

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.test import override_settings

from portal.health import health_checks

REDIS_NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_health_reports_every_part_up_on_the_embedded_defaults(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "channel_layer", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


def test_health_is_503_and_names_the_channel_layer_when_it_is_down(client, db):
    layer = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_NOWHERE]}}}
    with override_settings(CHANNEL_LAYERS=layer):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["channel_layer"]
    assert body["checks"]["database"]["ok"] is True


def test_health_is_503_and_names_the_broker_when_it_is_down(client, db):
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=REDIS_NOWHERE):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]


def test_health_is_503_when_the_database_is_down(client, db, monkeypatch):
    from django.db.utils import OperationalError

    class UnreachableDatabase:
        vendor = "postgresql"

        def cursor(self):
            raise OperationalError("connection refused")

        def close(self):
            pass

    monkeypatch.setattr("portal.health.connection", UnreachableDatabase())
    response = client.get("/healthz")

    assert response.status_code == 503
    assert "database" in response.json()["failing"]
    assert "connection refused" in response.json()["checks"]["database"]["detail"]


def test_health_reports_a_redis_that_accepts_but_never_answers_as_down_without_waiting_for_it(client, db):
    black_hole = socket.socket()
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(8)  # the kernel completes the handshake; nobody ever reads or writes
    url = f"redis://127.0.0.1:{black_hole.getsockname()[1]}/0"
    layer = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                         "CONFIG": {"hosts": [{"address": url, "socket_timeout": 30}]}}}
    try:
        with override_settings(CHANNEL_LAYERS=layer):
            response = client.get("/healthz")
    finally:
        black_hole.close()

    assert response.status_code == 503
    assert response.json()["failing"] == ["channel_layer"]
    assert "no answer within" in response.json()["checks"]["channel_layer"]["detail"]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="channels-redis' one-loop rule needs Redis (REDIS_URL)")
@pytest.mark.django_db(transaction=True)
async def test_health_says_the_channel_layer_is_up_while_a_tracking_socket_waits_on_it():
    layer = get_channel_layer()
    listening = asyncio.ensure_future(layer.receive(await layer.new_channel("socket.")))  # an open socket's wait
    await asyncio.sleep(0.2)
    try:
        checks = {check.name: check for check in await sync_to_async(health_checks)()}
    finally:
        listening.cancel()

    assert checks["channel_layer"].ok, checks["channel_layer"].detail


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL) to drop its connections")
async def test_a_socket_opened_just_after_redis_came_back_is_not_told_to_try_again_later():
    # Redis restarted: every connection the channel layer's pool held is dead. The first socket of each
    # process then failed on one of them, and was closed "try again later" although Redis was up.
    import redis.asyncio as aioredis
    from django.conf import settings

    layer = get_channel_layer()
    await layer.group_add("restart-check", await layer.new_channel("socket."))  # the pool holds a connection now
    admin = aioredis.from_url(settings.REDIS_URL)
    try:
        database = int(admin.connection_pool.connection_kwargs.get("db") or 0)
        me = await admin.client_id()
        for client in await admin.client_list():
            if int(client["db"]) == database and int(client["id"]) != me:
                await admin.client_kill_filter(_id=client["id"])

        channel = await layer.new_channel("socket.")
        await layer.group_add("restart-check", channel)
        await layer.group_send("restart-check", {"type": "eta.update", "eta": "12:00"})
        message = await asyncio.wait_for(layer.receive(channel), 5)
    finally:
        await admin.aclose()

    assert message == {"type": "eta.update", "eta": "12:00"}
