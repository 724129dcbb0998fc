"""The tracking socket while Redis is down: 'try again later', never a server error."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer, channel_layers
from channels.testing import WebsocketCommunicator
from django.db import connections
from redis.exceptions import ConnectionError as RedisConnectionError

from portal.asgi import application
from tests.tracking.factories import build_route
from tracking.services import eta_publish

pytestmark = pytest.mark.django_db(transaction=True)


class UnreachableLayer(InMemoryChannelLayer):
    """What the Redis layer does while Redis is stopped: every call that reaches Redis fails."""

    async def receive(self, channel):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    async def group_add(self, group, channel):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    async def group_send(self, group, message):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.fixture
def redis_down(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "tests.tracking.test_consumer_outage.UnreachableLayer"}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
async def close_the_sync_threads_connections():
    yield
    await sync_to_async(connections.close_all)()


async def test_a_socket_opened_while_redis_is_down_is_told_to_try_again_later(redis_down):
    world = await sync_to_async(build_route)()
    communicator = WebsocketCommunicator(application, f"/ws/t/{world.deliveries[0].tracking_token}/",
                                         headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")])

    connected, _ = await communicator.connect(timeout=5)
    closed = await communicator.receive_output(timeout=5)

    assert connected
    assert closed == {"type": "websocket.close", "code": 4013}
    await communicator.wait(timeout=5)


async def test_publishing_an_eta_while_redis_is_down_does_not_fail_the_caller(redis_down):
    world = await sync_to_async(build_route)()

    await sync_to_async(eta_publish)(delivery_id=world.deliveries[0].pk, payload={"kind": "eta"})
