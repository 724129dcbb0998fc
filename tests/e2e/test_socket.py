"""A customer's tracking socket on one daphne stays open while idle and hears an ETA computed elsewhere."""

import asyncio
import time

import aiohttp

from tests.e2e.shoppers import available_windows, book, booking_body, merchant, seed_day

IDLE_SECONDS = 60


def tracked_delivery_on(stack, *, window_id: int) -> str:
    """The tracking token of a delivery planned on the active plan of the window's depot and day."""
    rows = stack.sql(
        """
        SELECT d.tracking_token FROM scheduling_delivery d
        JOIN dispatch_stop s ON s.job_id = d.job_id
        JOIN dispatch_route r ON r.id = s.route_id
        JOIN dispatch_plan p ON p.id = r.plan_id AND p.status = 'active'
        JOIN scheduling_window w ON w.id = %s
        JOIN dispatch_zone z ON z.id = w.zone_id
        WHERE p.depot_id = z.depot_id AND p.date = w.date
        ORDER BY d.created_at LIMIT 1
        """, window_id)
    assert rows, "the seed planned no delivery on this depot and day"
    return rows[0][0]


async def test_a_tracking_socket_stays_open_a_minute_idle_then_receives_an_eta_pushed_from_another_process(
        healthy_stack):
    stack = healthy_stack
    shop = merchant(stack, "maison-meuble")
    async with aiohttp.ClientSession() as session:
        window = (await available_windows(session, stack, shop, seed_day(stack, 2)))[0]
        token = tracked_delivery_on(stack, window_id=window["id"])
        # Receive with asyncio's timeout: aiohttp's own restarts whenever daphne pings the socket.
        socket = await session.ws_connect(f"{stack.base_url(0)}/ws/t/{token}/", origin=stack.base_url(0),
                                          heartbeat=None, autoping=True)
        try:
            idle_until = time.monotonic() + IDLE_SECONDS
            while (left := idle_until - time.monotonic()) > 0:
                try:
                    message = await asyncio.wait_for(socket.receive(), left)
                except TimeoutError:
                    break
                assert message.type == aiohttp.WSMsgType.TEXT, (
                    f"the idle socket was closed after {IDLE_SECONDS - left:.0f} s: {message.type} {socket.close_code}")
            assert not socket.closed

            # A booking on the same depot and day, through the *other* web process: the worker re-plans,
            # refreshes the plan's ETAs and publishes them through Redis to this socket's process.
            status, body = await book(session, stack.base_url(1), shop, booking_body(shop, window["id"]))
            assert status == 201, body

            deadline = time.monotonic() + 60
            etas = []
            while not etas and time.monotonic() < deadline:
                message = await asyncio.wait_for(socket.receive(), deadline - time.monotonic())
                assert message.type == aiohttp.WSMsgType.TEXT, f"socket closed: {socket.close_code}"
                frame = message.json()
                if frame.get("kind") == "eta":
                    etas.append(frame)
            assert etas, "no ETA reached the socket"
            assert etas[0]["band_label"]
        finally:
            await socket.close()
