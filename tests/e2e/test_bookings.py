"""Checkout under a rush: many shoppers book the same window at once, through two web processes."""

import asyncio
import collections

import aiohttp

from tests.e2e.plans import deliveries_on_active_plans, last_replan_request, replans_settled
from tests.e2e.shoppers import available_windows, book, booking_body, merchant, seed_day

SHOPPERS = 300


async def test_a_burst_of_300_bookings_at_one_window_never_overbooks_never_fails_and_is_all_served(healthy_stack):
    stack = healthy_stack
    shop = merchant(stack)
    before = last_replan_request(stack)
    connector = aiohttp.TCPConnector(limit=SHOPPERS)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        window = (await available_windows(session, stack, shop, seed_day(stack, 2)))[-1]
        answers = await asyncio.gather(*(
            book(session, stack.base_url(n % len(stack.web_ports)), shop, booking_body(shop, window["id"]))
            for n in range(SHOPPERS)))

    statuses = collections.Counter(status for status, _ in answers)
    assert set(statuses) <= {201, 409}, f"unexpected answers {dict(statuses)}: " + str(
        [body for status, body in answers if status not in (201, 409)][:3])
    booked = [body["id"] for status, body in answers if status == 201]
    assert 1 <= len(booked) <= window["remaining"]
    assert {body["error"]["code"] for status, body in answers if status == 409} == {"window_full"}
    (taken, capacity), = stack.sql("SELECT booked, capacity FROM scheduling_window WHERE id = %s", window["id"])
    assert taken <= capacity

    # What checkout promised, the fleet delivers: the re-plan the bookings asked for serves every one.
    assert all(plan for _, plan in replans_settled(stack, after_request=before)), "a re-plan never ran"
    served, unassigned = deliveries_on_active_plans(stack, booked)
    assert served == set(booked), f"{len(unassigned)} booked deliveries left unassigned by the plan"
