"""What the e2e tests do as merchants' servers and customers' browsers would: over HTTP, from outside."""

from __future__ import annotations

import datetime as dt
import uuid

import aiohttp

from tests.e2e.stack import Stack


def merchant(stack: Stack, slug: str = "fresh-basket") -> dict:
    return next(m for m in stack.seed["merchants"] if m["slug"] == slug)


def seed_day(stack: Stack, offset: int) -> dt.date:
    """A day the seed made windows, shifts and plans for; the first two may close their cut-offs during a run."""
    return stack.seed_first_day + dt.timedelta(days=offset)


async def available_windows(session: aiohttp.ClientSession, stack: Stack, shop: dict, day: dt.date) -> list[dict]:
    address = shop["sample_address"]
    async with session.get(
        f"{stack.base_url(0)}/api/v1/windows/", params={"lat": address["lat"], "lng": address["lng"],
                                                        "date": day.isoformat(), "days": 1},
        headers={"Authorization": f"Bearer {shop['secret_key']}"},
    ) as response:
        assert response.status == 200, await response.text()
        return [w for w in (await response.json())["windows"] if w["available"]]


def booking_body(shop: dict, window_id: int, ref: str | None = None) -> dict:
    address = shop["sample_address"]
    return {
        "order_ref": ref or f"E2E-{uuid.uuid4().hex[:12]}",
        "window_id": window_id,
        "recipient": {"name": "Jade Moreau", "phone": "+33612345678", "email": "jade@example.com"},
        "address": {"line1": address["line1"], "city": address["city"], "postcode": address["postcode"],
                    "lat": address["lat"], "lng": address["lng"]},
    }


async def book(session: aiohttp.ClientSession, base_url: str, shop: dict, body: dict,
               key: str | None = None) -> tuple[int, dict | str]:
    async with session.post(
        f"{base_url}/api/v1/deliveries/", json=body,
        headers={"Authorization": f"Bearer {shop['secret_key']}", "Idempotency-Key": key or uuid.uuid4().hex},
    ) as response:
        text = await response.text()
        try:
            return response.status, await response.json(content_type=None)
        except ValueError:
            return response.status, text
