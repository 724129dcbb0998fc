"""A worker killed in the middle of a re-plan: the re-plan runs again once a worker is back, and only once."""

import time

import aiohttp

from tests.e2e.plans import last_replan_request
from tests.e2e.shoppers import available_windows, book, booking_body, merchant, seed_day


async def test_a_replan_whose_worker_is_killed_mid_task_runs_again_after_restart_once(healthy_stack):
    stack = healthy_stack
    shop = merchant(stack, "maison-meuble")
    async with aiohttp.ClientSession() as session:
        window = (await available_windows(session, stack, shop, seed_day(stack, 3)))[0]
        last_request = last_replan_request(stack)
        status, body = await book(session, stack.base_url(0), shop, booking_body(shop, window["id"]))
    assert status == 201, body

    deadline = time.monotonic() + 60
    claimed = []
    while not claimed and time.monotonic() < deadline:
        claimed = stack.sql("SELECT id, depot_id, date FROM dispatch_replanrequest WHERE id > %s AND claimed_at "
                            "IS NOT NULL AND done_at IS NULL", last_request)
        time.sleep(0.1)
    assert claimed, "the booking's re-plan never started"
    request_id, depot_id, day = claimed[0]
    versions_before = stack.sql("SELECT max(version) FROM dispatch_plan WHERE depot_id = %s AND date = %s",
                                depot_id, day)[0][0]

    stack.processes["worker"].kill()  # mid-solve: the planner's time limit is seconds long
    assert stack.sql("SELECT done_at FROM dispatch_replanrequest WHERE id = %s", request_id)[0][0] is None
    stack.worker_start()
    stack.wait_worker_ready()

    # The message comes back after the visibility timeout, or the sweep asks again for the abandoned
    # claim, whichever is first: either way the day is re-planned once.
    deadline = time.monotonic() + 120
    versions: list = []
    while not versions and time.monotonic() < deadline:
        versions = stack.sql("SELECT version FROM dispatch_plan WHERE depot_id = %s AND date = %s AND version > %s",
                             depot_id, day, versions_before)
        time.sleep(1)
    assert versions, "the killed re-plan never ran again:\n" + stack.tail("worker")
    time.sleep(20)  # a duplicate would show up now
    versions = stack.sql("SELECT version FROM dispatch_plan WHERE depot_id = %s AND date = %s AND version > %s",
                         depot_id, day, versions_before)
    assert len(versions) == 1, versions
    pending = stack.sql("SELECT id, outcome FROM dispatch_replanrequest WHERE depot_id = %s AND date = %s "
                        "AND done_at IS NULL", depot_id, day)
    assert pending == [], pending
