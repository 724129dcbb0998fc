"""What an operator reads from the running portal: one booking followed by its request id through the web
process and the worker, /metrics summed over the processes, and readiness that tells of a Redis outage fast."""

import asyncio
import json
import re
import time
import uuid

import aiohttp

from tests.e2e.shoppers import available_windows, booking_body, merchant, seed_day
from tests.log_privacy import personal_data_in


def json_lines(stack, name: str) -> list[dict]:
    """The process's log lines that are JSON objects (Celery's start-up banner is not a log line)."""
    lines = []
    for raw in stack.processes[name].log.read_text(errors="replace").splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def sample(text: str, name: str, **labels) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    total = 0.0
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name and (not labels or ",".join(sorted((match[2] or "").split(","))) == wanted):
            total += float(match[3])
    return total


async def _get(session, url: str, **headers) -> tuple[int, float, str]:
    started = time.monotonic()
    async with session.get(url, headers=headers) as response:
        return response.status, time.monotonic() - started, await response.text()


async def _book(session, stack, shop, request_id: str) -> tuple[int, dict, str]:
    # A day the seed planned, so the booking asks for a re-plan (other tests may have filled some windows).
    windows = [w for offset in (3, 2) for w in await available_windows(session, stack, shop, seed_day(stack, offset))]
    if not windows:
        async with session.get(f"{stack.base_url(0)}/api/v1/windows/",
                               params={"lat": shop["sample_address"]["lat"], "lng": shop["sample_address"]["lng"],
                                       "date": seed_day(stack, 2).isoformat(), "days": 2},
                               headers={"Authorization": f"Bearer {shop['secret_key']}"}) as response:
            raise AssertionError(f"no window left to book on the seed's planned days: {await response.text()}")
    body = booking_body(shop, windows[0]["id"])
    async with session.post(f"{stack.base_url(1)}/api/v1/deliveries/", json=body,
                            headers={"Authorization": f"Bearer {shop['secret_key']}",
                                     "Idempotency-Key": uuid.uuid4().hex, "X-Request-ID": request_id}) as response:
        return response.status, await response.json(content_type=None), response.headers.get("X-Request-ID")


async def test_one_booking_is_followed_by_its_request_id_through_the_web_process_and_the_worker(healthy_stack):
    stack = healthy_stack
    shop = merchant(stack)
    request_id = f"e2e-booking-{uuid.uuid4().hex[:12]}"

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        status, delivery, answered = await _book(session, stack, shop, request_id)
    assert status == 201, delivery
    assert answered == request_id

    # The worker runs what the booking enqueued (the confirmation message, the day's re-plan) under its id.
    # The worker may first work through the seed's confirmation messages: give it a few minutes.
    deadline = time.monotonic() + 240
    while True:
        worker = [line for line in json_lines(stack, "worker") if line.get("request_id") == request_id]
        if any(line.get("task") for line in worker):
            break
        assert time.monotonic() < deadline, f"no worker line with the booking's request id:\n{stack.tail('worker')}"
        await asyncio.sleep(1)
    web = [line for line in json_lines(stack, "daphne-1") if line.get("request_id") == request_id]
    access = [line for line in web if line["logger"] == "portal.requests"]
    assert [(line["route"], line["status"], line["merchant"], line["delivery"]) for line in access] == [
        ("api/v1/deliveries/", 201, shop["slug"], delivery["id"])]

    written = [json.dumps(line) for line in web + worker]
    print("\n--- one booking's log lines (web, then worker) ---\n" + "\n".join(written))
    body = booking_body(shop, 0)
    known = [body["recipient"]["name"], body["recipient"]["phone"], body["recipient"]["email"], body["address"]["line1"]]
    every_line = [json.dumps(line) for name in ("daphne-0", "daphne-1", "worker", "beat")
                  for line in json_lines(stack, name)]
    assert not personal_data_in(every_line, known)


async def test_metrics_sum_what_the_web_processes_and_the_worker_counted_and_refuse_without_the_token(healthy_stack):
    stack = healthy_stack
    shop = merchant(stack)
    url = f"{stack.base_url(0)}/metrics"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        refused, _, _ = await _get(session, url)
        wrong, _, _ = await _get(session, url, Authorization="Bearer not-the-token-at-all")
        status, _, before = await _get(session, url, Authorization=f"Bearer {stack.metrics_token}")
        booked, _, _ = await _book(session, stack, shop, f"e2e-metrics-{uuid.uuid4().hex[:12]}")
        assert booked == 201
        replan_done = {"task": "dispatch.tasks.replan_depot_day", "state": "success"}
        deadline = time.monotonic() + 240
        while True:
            _, _, after = await _get(session, url, Authorization=f"Bearer {stack.metrics_token}")
            if (sample(after, "portal_replans_total") > sample(before, "portal_replans_total")
                    and sample(after, "portal_celery_tasks_total", **replan_done)
                    > sample(before, "portal_celery_tasks_total", **replan_done)):
                break
            assert time.monotonic() < deadline, "the worker's re-plan never showed in /metrics"
            await asyncio.sleep(1)

    assert (refused, wrong, status) == (401, 401, 200)
    # Booked through daphne-1, scraped from daphne-0: the processes' counts are summed.
    assert sample(after, "portal_bookings_total") - sample(before, "portal_bookings_total") >= 1
    assert sample(after, "portal_http_request_duration_seconds_count", route="api/v1/deliveries/", method="POST") >= 1
    # Counted in the worker: the re-plan's solve time, the tasks it ran.
    assert sample(after, "portal_replan_solve_seconds_count") > sample(before, "portal_replan_solve_seconds_count")
    # Read from Redis at the scrape.
    assert sample(after, "portal_celery_broker_up") == 1
    assert "portal_celery_queue_depth{queue=\"celery\"}" in after
    print("\n--- /metrics (portal_ series) ---\n" + "\n".join(
        line for line in after.splitlines() if line.startswith("portal_") and not line.endswith(" 0.0")))


async def test_readiness_answers_503_within_a_second_while_redis_is_down_and_liveness_stays_200(healthy_stack):
    stack = healthy_stack
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        stack.redis_stop()
        try:
            for _ in range(3):
                for index in range(len(stack.web_ports)):
                    status, seconds, body = await _get(session, f"{stack.base_url(index)}/healthz/ready")
                    assert status == 503 and {"channel_layer", "broker"} <= set(json.loads(body)["failing"]), body
                    assert seconds < 1.0, f"/healthz/ready took {seconds:.2f} s to say Redis is down"
                    status, seconds, body = await _get(session, f"{stack.base_url(index)}/healthz/live")
                    assert (status, json.loads(body)) == (200, {"status": "ok"}) and seconds < 1.0
                status, seconds, text = await _get(session, f"{stack.base_url(0)}/metrics",
                                                   Authorization=f"Bearer {stack.metrics_token}")
                assert status == 200 and sample(text, "portal_celery_broker_up") == 0 and seconds < 2.0
                await asyncio.sleep(1)
        finally:
            stack.redis_start()
        for index in range(len(stack.web_ports)):
            stack.wait_http(f"{stack.base_url(index)}/healthz/ready", timeout=30)
