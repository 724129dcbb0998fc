"""The socket speaks the customer's language (issue #10, item 9): the page must not flip language mid-session."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.utils import translation

from portal.asgi import application
from tests.factories import local
from tests.tracking.factories import build_route
from tracking.services import PingInput, ping_record_batch, scan_record

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
async def close_the_sync_threads_connections():
    yield
    await sync_to_async(connections.close_all)()


def connect(token: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/t/{token}/", headers=[(b"origin", b"http://testserver"),
                                                                           (b"host", b"testserver")])


async def frames_until_quiet(communicator: WebsocketCommunicator) -> list[dict]:
    frames = []
    while not await communicator.receive_nothing(timeout=0.5):
        frames.append(await communicator.receive_json_from())
    return frames


def a_route_with_a_customer_speaking(language: str):
    world = build_route()
    delivery = world.deliveries[0]
    delivery.language = language
    delivery.save(update_fields=["language"])
    return world, delivery


def the_van_leaves_and_pings(world) -> None:
    # The driver's handheld talks to us in English, as the thread recording its scans and pings does.
    with translation.override("en"):
        scan_record(driver=world.driver, kind="scanned_out", client_id="out", recorded_at=local(world.day, 8, 0),
                    now=local(world.day, 8, 30))
        ping_record_batch(vehicle=world.vehicle, now=local(world.day, 8, 31), points=[
            PingInput(client_id="p1", recorded_at=local(world.day, 8, 31), lat=48.8520, lng=2.3310, accuracy_m=5)])


async def test_a_french_customer_receives_the_status_and_the_eta_in_french_over_the_socket():
    world, delivery = await sync_to_async(a_route_with_a_customer_speaking)("fr")
    communicator = connect(delivery.tracking_token)
    assert (await communicator.connect())[0]

    await sync_to_async(the_van_leaves_and_pings)(world)
    frames = await frames_until_quiet(communicator)
    await communicator.disconnect()

    statuses = [f for f in frames if f["kind"] == "status"]
    etas = [f for f in frames if f["kind"] == "eta"]
    assert statuses and etas
    assert statuses[-1]["status_label"] == "En cours de livraison"
    assert [step["label"] for step in statuses[-1]["timeline"]][:2] == ["Commande confirmée", "En cours de livraison"]
    assert etas[-1]["stops_away_label"] == "Vous êtes le prochain arrêt"


async def test_an_english_customer_on_the_same_fleet_still_reads_english():
    world, delivery = await sync_to_async(a_route_with_a_customer_speaking)("en")
    communicator = connect(delivery.tracking_token)
    assert (await communicator.connect())[0]

    with translation.override("fr"):
        await sync_to_async(the_van_leaves_and_pings)(world)
    frames = await frames_until_quiet(communicator)
    await communicator.disconnect()

    assert [f["status_label"] for f in frames if f["kind"] == "status"][-1] == "Out for delivery"
    assert [f["stops_away_label"] for f in frames if f["kind"] == "eta"][-1] == "You are the next stop"
