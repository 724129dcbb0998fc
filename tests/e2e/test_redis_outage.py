"""Redis goes away for half a minute: checkout, tracking and drivers carry on, and nothing is lost."""

import asyncio
import datetime as dt
import time
import uuid

import aiohttp

from tests.e2e.plans import deliveries_on_active_plans, last_replan_request, replans_settled
from tests.e2e.shoppers import available_windows, book, booking_body, merchant, seed_day

OUTAGE_SECONDS = 30


async def _get(session, url: str) -> tuple[int, float, dict | str]:
    started = time.monotonic()
    async with session.get(url) as response:
        text = await response.text()
        body = await response.json(content_type=None) if "json" in response.content_type else text
        return response.status, time.monotonic() - started, body


async def _ping(session, stack, vehicle_code: str) -> int:
    point = {"client_id": f"e2e-{uuid.uuid4().hex[:10]}", "vehicle": vehicle_code, "lat": 48.9, "lng": 2.35,
             "speed": 5, "heading": 90, "accuracy": 8, "recorded_at": dt.datetime.now(dt.UTC).isoformat()}
    async with session.post(f"{stack.base_url(1)}/api/v1/pings/", json={"points": [point]},
                            headers={"Authorization": f"Bearer dk_demo_{vehicle_code.replace('-', '_')}"}) as response:
        return response.status


async def test_a_redis_outage_costs_freshness_but_never_a_booking_a_page_or_a_replan(healthy_stack):
    stack = healthy_stack
    shop = merchant(stack)
    token, = stack.sql("SELECT tracking_token FROM scheduling_delivery ORDER BY created_at LIMIT 1")[0]
    vehicle_code, = stack.sql("SELECT code FROM dispatch_vehicle ORDER BY code LIMIT 1")[0]
    requests_before = last_replan_request(stack)
    answers: list[tuple[str, int]] = []

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        windows = await available_windows(session, stack, shop, seed_day(stack, 3))
        stack.redis_stop()
        outage_ends = time.monotonic() + OUTAGE_SECONDS
        booked, round_ = [], 0
        while time.monotonic() < outage_ends:
            for index in range(len(stack.web_ports)):
                status, seconds, body = await _get(session, f"{stack.base_url(index)}/healthz")
                assert status == 503 and {"channel_layer", "broker"} <= set(body["failing"]), body
                assert seconds < 1.0, f"/healthz took {seconds:.2f} s to say Redis is down"
            body = booking_body(shop, windows[round_ % len(windows)]["id"])
            key = uuid.uuid4().hex
            status, delivery = await book(session, stack.base_url(round_ % 2), shop, body, key=key)
            answers.append(("booking", status))
            if status == 201:
                booked.append(delivery["id"])
                # The shop's server retries (it never saw the answer): the same delivery, not a duplicate.
                again, replay = await book(session, stack.base_url(1 - round_ % 2), shop, body, key=key)
                assert (again, replay["id"]) == (201, delivery["id"])
            for path in (f"/t/{token}/", f"/t/{token}/status.json", "/"):
                status, _, _ = await _get(session, stack.base_url(round_ % 2) + path)
                answers.append((path, status))
            answers.append(("ping", await _ping(session, stack, vehicle_code)))
            socket = await session.ws_connect(f"{stack.base_url(0)}/ws/t/{token}/", origin=stack.base_url(0))
            message = await asyncio.wait_for(socket.receive(), 10)
            answers.append(("socket", socket.close_code or 0))
            assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), message
            round_ += 1
            await asyncio.sleep(2)

        assert all(status < 500 for _, status in answers if _ != "socket"), answers
        assert {status for what, status in answers if what == "booking"} == {201}, answers
        assert {status for what, status in answers if what.startswith("/")} == {200}, answers
        assert {status for what, status in answers if what == "socket"} == {4013}, answers

        stack.redis_start()
        for index in range(len(stack.web_ports)):
            stack.wait_http(f"{stack.base_url(index)}/healthz", timeout=30)

        # Every re-plan asked for during the outage runs once Redis is back (handed over by the sweep),
        # and the plans it saved have considered every delivery booked meanwhile.
        replans = replans_settled(stack, after_request=requests_before)
        assert replans, "the bookings on planned days asked for no re-plan"
        assert all(plan for _, plan in replans), f"re-plans still pending after Redis came back: {replans}"
        served, unassigned = deliveries_on_active_plans(stack, booked)
        assert served | unassigned == set(booked), "a delivery booked during the outage is missing from its plan"

        # And live tracking works again, as the page finds it: reconnecting while told to try later.
        deadline, closes = time.monotonic() + 20, []
        while True:
            socket = await session.ws_connect(f"{stack.base_url(0)}/ws/t/{token}/", origin=stack.base_url(0))
            try:
                message = await asyncio.wait_for(socket.receive(), 3)
            except TimeoutError:
                await socket.close()
                break  # open and quiet: as it should be
            if message.type == aiohttp.WSMsgType.TEXT:
                await socket.close()
                break
            closes.append(socket.close_code)
            assert time.monotonic() < deadline, f"live tracking did not come back after Redis: closes {closes}"
            await asyncio.sleep(1)
