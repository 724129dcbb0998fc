"""Limits hold across the web processes: a client's budget is counted once in Redis, a user's lock-out once in
PostgreSQL, whichever daphne answers."""

import asyncio
import re
import time

import aiohttp
import redis

STATUS_BUDGET = 120  # the tracking page's status.json, per client address a minute (portal/settings.py)


async def _sign_in(session: aiohttp.ClientSession, base: str, username: str, password: str) -> int:
    # Production cookies are Secure; over the tests' plain http the CSRF cookie is carried by hand.
    async with session.get(f"{base}/accounts/login/") as response:
        page = await response.text()
        cookie = re.search(r"csrftoken=([^;]+)", response.headers.get("Set-Cookie", "")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    async with session.post(f"{base}/accounts/login/", allow_redirects=False,
                            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
                            headers={"Origin": base, "Referer": f"{base}/accounts/login/",
                                     "Cookie": f"csrftoken={cookie}"}) as response:
        return response.status


async def test_a_clients_budget_and_a_users_lock_out_are_the_same_on_every_web_process(healthy_stack):
    stack = healthy_stack
    token, = stack.sql("SELECT tracking_token FROM scheduling_delivery ORDER BY created_at DESC LIMIT 1")[0]
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30),
                                         cookie_jar=aiohttp.DummyCookieJar()) as session:
            # Budgets are counted per wall-clock minute: start early in one, so all 150 calls fall inside it.
            if time.time() % 60 > 30:
                await asyncio.sleep(61 - time.time() % 60)
            answers = []
            for n in range(STATUS_BUDGET + 30):
                async with session.get(f"{stack.base_url(n % 2)}/t/{token}/status.json") as response:
                    answers.append(response.status)
                    if response.status == 429:
                        retry_after = int(response.headers["Retry-After"])
            # One budget for both processes: counted in Redis, not per process (which would let 240 through).
            assert answers.count(200) == STATUS_BUDGET and answers.count(429) == 30, answers
            assert 0 < retry_after <= 61

            wrong = [await _sign_in(session, stack.base_url(0), "maison-owner", "wrong") for _ in range(5)]
            right_elsewhere = await _sign_in(session, stack.base_url(1), "maison-owner", "maison-owner")
            assert wrong == [200] * 4 + [429] and right_elsewhere == 429
            assert await _sign_in(session, stack.base_url(1), "fresh-owner", "fresh-owner") == 302
    finally:
        # The other tests of the session share this client address and these users.
        client = redis.Redis(host="127.0.0.1", port=stack.redis_port)
        for key in client.scan_iter("*throttle*"):
            client.delete(key)
        stack.manage("axes_reset")
