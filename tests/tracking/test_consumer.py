import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections

from portal.asgi import application
from tests.factories import local
from tests.tracking.factories import build_route
from tracking.services import delivery_group, eta_publish, ping_record_batch, scan_record
from tracking.services.pings import PingInput

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
async def close_the_sync_threads_connections():
    yield
    # The tests' sync calls run in asgiref's thread, whose database connection would
    # otherwise outlive the test and keep PostgreSQL from dropping the test database.
    await sync_to_async(connections.close_all)()


async def group_size(layer, group: str) -> int:
    """How many channels are in the group, on the in-memory layer or on Redis."""
    if hasattr(layer, "groups"):
        return len(layer.groups.get(group, {}))
    connection = layer.connection(layer.consistent_hash(group))
    return await connection.zcard(layer._group_key(group))


def connect(token: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/t/{token}/", headers=[(b"origin", b"http://testserver"),
                                                                           (b"host", b"testserver")])


async def test_the_socket_joins_the_delivery_group_relays_an_eta_and_leaves_on_disconnect():
    world = await sync_to_async(build_route)()
    delivery = world.deliveries[0]
    communicator = connect(delivery.tracking_token)

    connected, _ = await communicator.connect()
    assert connected
    layer = get_channel_layer()
    assert await group_size(layer, delivery_group(delivery.pk)) == 1

    await sync_to_async(eta_publish)(delivery_id=delivery.pk, payload={"kind": "eta", "eta_label": "10:42"})
    assert await communicator.receive_json_from(timeout=2) == {"kind": "eta", "eta_label": "10:42"}

    await communicator.disconnect()
    assert await group_size(layer, delivery_group(delivery.pk)) == 0


async def test_an_unknown_token_is_refused():
    communicator = connect("nope")

    connected, code = await communicator.connect()

    assert not connected and code == 4404


async def test_a_ping_pushes_a_fresh_eta_without_private_data():
    world = await sync_to_async(build_route)()
    delivery = world.deliveries[0]
    at = local(world.day, 8, 30)
    await sync_to_async(scan_record)(driver=world.driver, kind="scanned_out", client_id="out",
                                     recorded_at=local(world.day, 8, 0), now=at)
    communicator = connect(delivery.tracking_token)
    await communicator.connect()

    await sync_to_async(ping_record_batch)(
        vehicle=world.vehicle, now=at,
        points=[PingInput(client_id="p", recorded_at=at, lat=48.8520, lng=2.3310, accuracy_m=5)])

    frame = await communicator.receive_json_from(timeout=2)
    assert frame["kind"] == "eta" and frame["stops_away"] == 0
    assert frame["map"]["van"] == {"lat": 48.852, "lng": 2.331}
    text = str(frame)
    for secret in (delivery.recipient_phone, delivery.recipient_email, delivery.address_line1,
                   world.driver.last_name, world.deliveries[1].address_line1):
        assert secret not in text
    await communicator.disconnect()
