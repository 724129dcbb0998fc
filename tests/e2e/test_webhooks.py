"""A merchant's receiver, on the production topology: a booking is sent by the worker, signed, and sent again
after the receiver was down, once each."""

import time

import aiohttp
from standardwebhooks.webhooks import Webhook

from tests.e2e.shoppers import available_windows, book, booking_body, merchant, seed_day
from tests.notifications.webhook_receiver import Receiver


def wait_for(predicate, timeout: float, what: str, stack) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout} s\n" + stack.tail("worker", "beat"))


def booked_ids(receiver: Receiver, delivery_id: str) -> list[str]:
    return [call.headers["webhook-id"] for call in receiver.received
            if call.event["type"] == "delivery.booked" and call.event["data"]["delivery"]["id"] == delivery_id]


async def test_bookings_reach_the_merchants_receiver_signed_and_survive_its_outage(healthy_stack):
    stack = healthy_stack
    shop = merchant(stack, "fresh-basket")
    receiver = Receiver().start()
    auth = {"Authorization": f"Bearer {shop['secret_key']}"}
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{stack.base_url(0)}/api/v1/webhooks/", headers=auth,
                                    json={"url": receiver.url, "events": ["delivery.booked"]}) as response:
                assert response.status == 201, await response.text()
                endpoint = await response.json()
            windows = await available_windows(session, stack, shop, seed_day(stack, 3))
            status, first = await book(session, stack.base_url(1), shop, booking_body(shop, windows[0]["id"]))
            assert status == 201, first

            wait_for(lambda: booked_ids(receiver, first["id"]), 30, "the booking's webhook never arrived", stack)
            [call] = [c for c in receiver.received if c.event["data"]["delivery"]["id"] == first["id"]]
            assert Webhook(endpoint["secret"]).verify(call.body, call.headers)["type"] == "delivery.booked"

            # The receiver goes down; a booking made meanwhile arrives once it is back, and only once.
            receiver.stop()
            status, second = await book(session, stack.base_url(0), shop, booking_body(shop, windows[-1]["id"]))
            assert status == 201, second
            wait_for(lambda: stack.sql(
                "SELECT count(*) FROM notifications_webhookattempt a JOIN notifications_message m "
                "ON m.id = a.message_id WHERE m.endpoint_id = %s AND a.error <> ''", endpoint["id"])[0][0] >= 1,
                30, "no call was tried while the receiver was down", stack)
            time.sleep(3)
            receiver.start()
            # The second call is due 5 s after the first, the third 30 s after that.
            wait_for(lambda: booked_ids(receiver, second["id"]), 60,
                     "the booking made during the outage never arrived", stack)
            async with session.get(f"{stack.base_url(0)}/api/v1/webhooks/{endpoint['id']}/messages/",
                                   headers=auth) as response:
                log = await response.json()
        time.sleep(5)  # a duplicate would show up now
        assert len(booked_ids(receiver, first["id"])) == 1 and len(booked_ids(receiver, second["id"])) == 1
        entry = next(e for e in log if e["event_id"] == booked_ids(receiver, second["id"])[0])
        assert entry["status"] == "sent" and entry["attempts"][-1]["response_status"] == 200
        assert any(a["error"] for a in entry["attempts"]), entry
    finally:
        receiver.stop()
